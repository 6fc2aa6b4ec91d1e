"""What starts a run besides a person: a schedule (off unless configured) and objects
dropped under incoming/ (on unless retrain_on_upload is false; one run per burst, through
the StartOnUpload function)."""

from __future__ import annotations

from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from podium.config import StackSettings
from podium.workflow.permissions import schedule_role_statements
from stacks.functions import grant
from stacks.storage import INCOMING_PREFIX


class Triggers(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        settings: StackSettings,
        machine: sfn.StateMachine,
        bucket: s3.IBucket,
        start_on_upload: lambda_.IFunction,
    ) -> None:
        super().__init__(scope, construct_id)
        self.rules: dict[str, events.Rule] = {}
        if settings.retrain_schedule:
            # The rule's role may states:StartExecution on this machine only (the target grants the same).
            role = iam.Role(self, "StartRunRole", assumed_by=iam.ServicePrincipal("events.amazonaws.com"))
            grant(role, schedule_role_statements(machine.state_machine_arn))
            # `{}`: the run takes the deployed defaults, like a console start with empty input.
            target = targets.SfnStateMachine(machine, input=events.RuleTargetInput.from_object({}), role=role)
            self.rules["schedule"] = events.Rule(
                self,
                "Schedule",
                description="Scheduled Podium retraining",
                schedule=events.Schedule.expression(settings.retrain_schedule),
                targets=[target],
            )
        if settings.retrain_on_upload:
            # Through a function, so that a burst of objects (an `aws s3 sync`) starts one run:
            # every object of a time window starts the same execution name (podium.workflow.uploads).
            self.rules["upload"] = events.Rule(
                self,
                "Upload",
                description=f"Start a Podium run when an object lands under {INCOMING_PREFIX}",
                event_pattern=events.EventPattern(
                    source=["aws.s3"],
                    detail_type=["Object Created"],
                    detail={
                        "bucket": {"name": [bucket.bucket_name]},
                        "object": {"key": [{"prefix": INCOMING_PREFIX}]},
                    },
                ),
                targets=[targets.LambdaFunction(start_on_upload, retry_attempts=8)],
            )
