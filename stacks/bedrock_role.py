"""The service role Bedrock assumes to run a customization job: reads a run's training and
validation files, writes the job's output, uses the bucket key. Nothing else.

Trust follows model-customization-iam-role.html: only Bedrock, only for customization
jobs of this account and region (confused-deputy protection).
"""

from __future__ import annotations

from aws_cdk import Stack
from aws_cdk import aws_iam as iam
from constructs import Construct

from stacks.nag import allow
from stacks.storage import RUNS_PREFIX, Storage

BEDROCK = "bedrock.amazonaws.com"


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
        reason = (
            "Run ids are generated per execution, so a job's files can only be named by the "
            "runs/<run_id>/ pattern; the wildcard stays inside this bucket's runs/ prefix."
        )
        allow(
            self.role,
            ["s3:GetObject"],
            [storage.objects(f"{RUNS_PREFIX}*/train*"), storage.objects(f"{RUNS_PREFIX}*/validation*")],
            wildcard_reason=reason,
        )
        allow(
            self.role,
            ["s3:ListBucket"],
            [storage.bucket.bucket_arn],
            conditions={"StringLike": {"s3:prefix": [f"{RUNS_PREFIX}*"]}},
        )
        allow(self.role, ["s3:PutObject"], [storage.objects(f"{RUNS_PREFIX}*/output/*")], wildcard_reason=reason)
        # Reading and writing SSE-KMS objects; CreateGrant lets Bedrock hand the key to the
        # training service it runs the job on, and only for AWS resources.
        allow(
            self.role,
            ["kms:Decrypt", "kms:GenerateDataKey", "kms:DescribeKey"],
            [storage.key.key_arn],
        )
        allow(
            self.role,
            ["kms:CreateGrant"],
            [storage.key.key_arn],
            conditions={"Bool": {"kms:GrantIsForAWSResource": "true"}},
        )
