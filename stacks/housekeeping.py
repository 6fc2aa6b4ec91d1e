"""What keeps a deployment from leaking money between and after runs: the rule that runs
Cleanup for an execution that ended without it (stopped, timed out, or its own Cleanup
failed), and the scheduled janitor. Both are Lambda functions of podium.workflow.steps
(in_definition=False); alarms fire when they fail."""

from __future__ import annotations

from collections.abc import Mapping

from aws_cdk import Duration
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from podium.config import StackSettings
from podium.workflow.ended import ENDED_STATUSES
from stacks.alerts import Alerts


class Housekeeping(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        settings: StackSettings,
        machine: sfn.StateMachine,
        functions: Mapping[str, lambda_.IFunction],
        alerts: Alerts,
    ) -> None:
        super().__init__(scope, construct_id)
        self.rules: dict[str, events.Rule] = {}
        ended = functions["ExecutionEnded"]
        self.rules["ended"] = events.Rule(
            self,
            "ExecutionEnded",
            description="Clean up after a Podium execution that was stopped, timed out, or whose Cleanup failed",
            event_pattern=events.EventPattern(
                source=["aws.states"],
                detail_type=["Step Functions Execution Status Change"],
                detail={"stateMachineArn": [machine.state_machine_arn], "status": list(ENDED_STATUSES)},
            ),
            targets=[targets.LambdaFunction(ended, retry_attempts=8, max_event_age=Duration.hours(6))],
        )
        alerts.alarm_on_errors(ended, "cleanup after a stopped or timed-out run")
        if settings.janitor_schedule:
            janitor = functions["Janitor"]
            self.rules["janitor"] = events.Rule(
                self,
                "Janitor",
                description="Delete this stack's expired, never-promoted throughputs and custom models",
                schedule=events.Schedule.expression(settings.janitor_schedule),
                targets=[targets.LambdaFunction(janitor, retry_attempts=2)],
            )
            alerts.alarm_on_errors(janitor, "janitor")
