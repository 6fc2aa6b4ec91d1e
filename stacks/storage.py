"""The project bucket, its access-log bucket and the customer key that encrypts them.

Bucket layout (the contract with podium/ and the README):
  data/                source CSVs the generator reads
  incoming/            drops here start a retraining run (EventBridge "Object Created")
  runs/{run_id}/       everything one run writes: pairs, train/validation/eval JSONL,
                       report.json, and Bedrock's output under runs/{run_id}/output/
"""

from __future__ import annotations

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from constructs import Construct

from podium.adapters.s3 import SCRATCH_TAG
from stacks.nag import acknowledge, allow

DATA_PREFIX = "data/"
INCOMING_PREFIX = "incoming/"
RUNS_PREFIX = "runs/"
LOCKS_PREFIX = "locks/"  # podium.adapters.run_lock: one run at a time

# Objects the adapters write as scratch (SCRATCH_TAG, e.g. a run's intermediate pairs)
# expire after SCRATCH_DAYS.
SCRATCH_DAYS = 14
# A run's datasets and reports explain the model trained from them; a year covers any
# audit of a model still in service. The promoted model itself lives in Bedrock and its
# record in SSM, neither depends on these files.
RUN_HISTORY_DAYS = 365
# Overwritten or deleted objects stay recoverable this long, then stop costing money.
NONCURRENT_DAYS = 30
ACCESS_LOG_DAYS = 365


class Storage(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, name_prefix: str) -> None:
        super().__init__(scope, construct_id)

        self.key = kms.Key(
            self,
            "Key",
            description=f"{name_prefix}: encrypts the project bucket, its SNS topic and custom models",
            enable_key_rotation=True,
            removal_policy=RemovalPolicy.RETAIN,
        )

        self.log_bucket = s3.Bucket(
            self,
            "AccessLogs",
            # S3 server access logging cannot deliver to a bucket encrypted with SSE-KMS.
            encryption=s3.BucketEncryption.S3_MANAGED,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            enforce_ssl=True,
            removal_policy=RemovalPolicy.RETAIN,
            lifecycle_rules=[s3.LifecycleRule(id="expire-access-logs", expiration=Duration.days(ACCESS_LOG_DAYS))],
        )
        acknowledge(
            self.log_bucket,
            "S1",
            "This is the access-log destination itself; logging it into another bucket would only "
            "move the question, and logging it into itself would loop.",
        )

        self.bucket = s3.Bucket(
            self,
            "Bucket",
            encryption=s3.BucketEncryption.KMS,
            encryption_key=self.key,
            bucket_key_enabled=True,  # one data key per bucket, not one KMS call per object
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            enforce_ssl=True,
            versioned=True,
            server_access_logs_bucket=self.log_bucket,
            server_access_logs_prefix="project-bucket/",
            removal_policy=RemovalPolicy.RETAIN,
            lifecycle_rules=[
                s3.LifecycleRule(
                    id="expire-noncurrent-versions",
                    noncurrent_version_expiration=Duration.days(NONCURRENT_DAYS),
                    abort_incomplete_multipart_upload_after=Duration.days(7),
                ),
                s3.LifecycleRule(
                    id="expire-run-scratch",
                    prefix=RUNS_PREFIX,
                    tag_filters={SCRATCH_TAG[0]: SCRATCH_TAG[1]},
                    expiration=Duration.days(SCRATCH_DAYS),
                ),
                s3.LifecycleRule(
                    id="expire-run-history",
                    prefix=RUNS_PREFIX,
                    expiration=Duration.days(RUN_HISTORY_DAYS),
                ),
            ],
        )
        # Native EventBridge delivery (a bucket property): unlike `event_bridge_enabled=True`
        # it needs no custom-resource Lambda to configure the notification.
        bucket_resource: s3.CfnBucket = self.bucket.node.default_child  # type: ignore[assignment]
        bucket_resource.notification_configuration = s3.CfnBucket.NotificationConfigurationProperty(
            event_bridge_configuration=s3.CfnBucket.EventBridgeConfigurationProperty(event_bridge_enabled=True)
        )

    def objects(self, pattern: str) -> str:
        """ARN of the objects matching `pattern` (e.g. "runs/*/output/*")."""
        return self.bucket.arn_for_objects(pattern)

    def grant_key_via_s3(self, role: iam.IRole, actions: list[str]) -> None:
        """Let `role` use the bucket key, but only through S3 in this region."""
        allow(
            role,
            actions,
            [self.key.key_arn],
            conditions={"StringEquals": {"kms:ViaService": f"s3.{self.key.stack.region}.amazonaws.com"}},
        )
