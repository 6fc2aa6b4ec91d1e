"""The state machine, loaded from statemachine/finetune.asl.json (never copied) with every
`${...}` placeholder filled from the step functions and the stack's resources."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from aws_cdk import RemovalPolicy
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sns as sns
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from podium.config import StackSettings
from podium.workflow.permissions import Names, state_machine_statements
from podium.workflow.steps import ASL_PATH, DEFINITION_STEPS, TOPIC_SUBSTITUTION, asl_placeholders
from stacks.functions import grant, state_machine_name
from stacks.nag import acknowledge

__all__ = ["ASL_PATH", "Workflow", "asl_placeholders", "substitutions_for"]


def substitutions_for(path: Path, required: Mapping[str, str], optional: Mapping[str, str]) -> dict[str, str]:
    """`required` (one per step, the topic) always; `optional` only where the ASL uses them.
    A placeholder nobody can fill fails synth instead of deploying a broken definition."""
    used = asl_placeholders(path)
    unknown = sorted(used - set(required) - set(optional))
    if unknown:
        raise ValueError(
            f"{path}: placeholder(s) {', '.join('${' + u + '}' for u in unknown)} have no value; "
            f"the stack provides {', '.join(sorted({*required, *optional}))} "
            "(add a Step to podium/workflow/steps.py or a value in stacks/workflow.py)"
        )
    return {**required, **{k: v for k, v in optional.items() if k in used}}


class Workflow(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        settings: StackSettings,
        names: Names,
        functions: Mapping[str, lambda_.IFunction],
        topic: sns.ITopic,
        optional_substitutions: Mapping[str, str],
        asl_path: Path = ASL_PATH,
    ) -> None:
        super().__init__(scope, construct_id)
        name = state_machine_name(settings)
        required = {step.substitution: functions[step.name].function_arn for step in DEFINITION_STEPS}
        required[TOPIC_SUBSTITUTION] = topic.topic_arn
        self.substitutions = substitutions_for(asl_path, required, optional_substitutions)

        role = iam.Role(self, "Role", assumed_by=iam.ServicePrincipal("states.amazonaws.com"))
        function_arns = [functions[step.name].function_arn for step in DEFINITION_STEPS]
        grant(role, state_machine_statements(names, settings, function_arns))

        log_group = logs.LogGroup(
            self,
            "Logs",
            # The /aws/vendedlogs/ prefix keeps CloudWatch's resource-policy size limit out of reach.
            log_group_name=f"/aws/vendedlogs/states/{name}",
            removal_policy=RemovalPolicy.DESTROY,
        )
        log_resource: logs.CfnLogGroup = log_group.node.default_child  # type: ignore[assignment]
        log_resource.retention_in_days = settings.log_retention_days

        self.machine = sfn.StateMachine(
            self,
            "StateMachine",
            state_machine_name=name,
            state_machine_type=sfn.StateMachineType.STANDARD,
            definition_body=sfn.DefinitionBody.from_file(str(asl_path)),
            definition_substitutions=self.substitutions,
            role=role,
            tracing_enabled=True,
            # ALL events, but no execution data: inputs and outputs stay out of the logs.
            logs=sfn.LogOptions(destination=log_group, level=sfn.LogLevel.ALL, include_execution_data=False),
        )
        acknowledge(
            role,
            "IAM5",
            "Added by CDK for tracing and logging: X-Ray PutTraceSegments/PutTelemetryRecords/"
            "GetSamplingRules/GetSamplingTargets and CloudWatch Logs vended-delivery actions "
            "(CreateLogDelivery etc.) have no resource-level permissions; AWS requires Resource '*'.",
            "Resource::*",
        )
