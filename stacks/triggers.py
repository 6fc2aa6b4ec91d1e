"""What starts a run besides a person: a schedule (off unless configured) and CSVs
dropped under incoming/ (on unless retrain_on_upload is false)."""

from __future__ import annotations

from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from podium.config import StackSettings
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
    ) -> None:
        super().__init__(scope, construct_id)
        self.rules: dict[str, events.Rule] = {}
        if not settings.retrain_schedule and not settings.retrain_on_upload:
            return
        # One role for both rules; the target grants it states:StartExecution on this machine only.
        role = iam.Role(self, "StartRunRole", assumed_by=iam.ServicePrincipal("events.amazonaws.com"))
        # `{}`: the run takes the deployed defaults, like a console start with empty input.
        target = targets.SfnStateMachine(machine, input=events.RuleTargetInput.from_object({}), role=role)
        if settings.retrain_schedule:
            self.rules["schedule"] = events.Rule(
                self,
                "Schedule",
                description="Scheduled Podium retraining",
                schedule=events.Schedule.expression(settings.retrain_schedule),
                targets=[target],
            )
        if settings.retrain_on_upload:
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
                targets=[target],
            )
