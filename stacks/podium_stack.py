"""The Podium stack: storage, Bedrock role, one function per step, the state machine,
notifications and triggers, wired from StackSettings."""

from __future__ import annotations

import json
from pathlib import Path

from aws_cdk import CfnOutput, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_ssm as ssm
from constructs import Construct

from podium.config import StackSettings
from podium.workflow.permissions import bedrock_service_role_statements, nova_key_policy_statement
from stacks.alerts import Alerts
from stacks.bedrock_role import BedrockCustomizationRole
from stacks.dashboard import RunsDashboard, dashboard_url
from stacks.functions import Resources, StepFunctions, active_model_parameter_name, grant, names_for
from stacks.housekeeping import Housekeeping
from stacks.storage import Storage
from stacks.triggers import Triggers
from stacks.workflow import ASL_PATH, Workflow

# The active-model record before any promotion (podium.adapters.active_model reads a
# record without model_arn as "no model promoted yet").
NO_ACTIVE_MODEL = json.dumps({"active": None})


class PodiumStack(Stack):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        settings: StackSettings,
        asl_path: Path = ASL_PATH,
        **kwargs,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        self.settings = settings
        prefix = settings.name_prefix

        self.storage = Storage(self, "Storage", name_prefix=prefix)
        self.bedrock = BedrockCustomizationRole(self, "BedrockCustomization", storage=self.storage)
        self.active_model = ssm.StringParameter(
            self,
            "ActiveModel",
            parameter_name=active_model_parameter_name(settings),
            description="Podium's promoted model (written by the Promote step)",
            string_value=NO_ACTIVE_MODEL,
        )
        self.alerts = Alerts(self, "Alerts", key=self.storage.key, notification_email=settings.notification_email)
        resources = Resources(
            storage=self.storage,
            bedrock_role=self.bedrock.role,
            active_model=self.active_model,
            settings=settings,
            topic=self.alerts.topic,
        )
        names = names_for(self, resources)
        grant(self.bedrock.role, bedrock_service_role_statements(names, settings))
        nova = nova_key_policy_statement(names, settings)
        if nova is not None:
            self.storage.key.add_to_resource_policy(iam.PolicyStatement.from_json(nova))
        self.steps = StepFunctions(self, "Steps", resources=resources)
        self.workflow = Workflow(
            self,
            "Workflow",
            settings=settings,
            names=names,
            functions=self.steps.functions,
            topic=self.alerts.topic,
            # Values the ASL may refer to besides the functions and the topic.
            optional_substitutions={
                "BucketName": self.storage.bucket.bucket_name,
                "ActiveModelParameterName": self.active_model.parameter_name,
                "BedrockRoleArn": self.bedrock.role.role_arn,
            },
            asl_path=asl_path,
        )
        machine = self.workflow.machine
        self.alerts.alarm_on_failures(machine)
        self.housekeeping = Housekeeping(
            self, "Housekeeping", settings=settings, machine=machine, functions=self.steps.functions, alerts=self.alerts
        )
        self.triggers = Triggers(
            self,
            "Triggers",
            settings=settings,
            machine=machine,
            bucket=self.storage.bucket,
            start_on_upload=self.steps.functions["StartOnUpload"],
        )

        self.dashboard = RunsDashboard(
            self,
            "Dashboard",
            settings=settings,
            machine=machine,
            functions=self.steps.functions,
            alarms=self.alerts.alarms,
        )

        console = (
            f"https://{self.region}.console.aws.amazon.com/states/home?region={self.region}"
            f"#/statemachines/view/{machine.state_machine_arn}"
        )
        for name, value, description in (
            ("BucketName", self.storage.bucket.bucket_name, "Upload CSVs to data/, drops to incoming/"),
            ("StateMachineArn", machine.state_machine_arn, "Start a run here (input may be {})"),
            ("NotificationTopicArn", self.alerts.topic.topic_arn, "Run outcomes, cleanup and janitor reports"),
            ("AlarmTopicArn", self.alerts.alarm_topic.topic_arn, "CloudWatch alarms: failed, timed-out, stopped runs"),
            ("ActiveModelParameterName", self.active_model.parameter_name, "The promoted model's record"),
            ("StateMachineConsoleUrl", console, "Step Functions console for this workflow"),
            ("DashboardUrl", dashboard_url(self, settings), "CloudWatch dashboard of runs over time"),
        ):
            CfnOutput(self, name, value=value, description=description)
