"""The service role Bedrock assumes to run a customization job: reads a run's training and
validation files, writes the job's output, uses the bucket key. Nothing else (the statements:
podium.workflow.permissions.bedrock_service_role_statements).

Trust follows model-customization-iam-role.html: only Bedrock, only for customization
jobs of this account and region (confused-deputy protection).
"""

from __future__ import annotations

from aws_cdk import Stack
from aws_cdk import aws_iam as iam
from constructs import Construct

from podium.workflow.permissions import BEDROCK_SERVICE as BEDROCK
from stacks.storage import Storage


def customization_job_arn(stack: Stack) -> str:
    return stack.format_arn(service="bedrock", resource="model-customization-job", resource_name="*")


class BedrockCustomizationRole(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, storage: Storage) -> None:
        super().__init__(scope, construct_id)
        stack = Stack.of(self)
        self.role = iam.Role(
            self,
            "Role",
            description="Assumed by Bedrock model customization jobs started by Podium",
            assumed_by=iam.ServicePrincipal(
                BEDROCK,
                conditions={
                    "StringEquals": {"aws:SourceAccount": stack.account},
                    "ArnEquals": {"aws:SourceArn": customization_job_arn(stack)},
                },
            ),
        )
        # Its statements (podium.workflow.permissions.bedrock_service_role_statements) are added by
        # the stack once every resource they name exists.
