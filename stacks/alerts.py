"""Notifications: the SNS topic the workflow publishes to, and alarms on failed runs."""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cloudwatch_actions
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct


class Alerts(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, key: kms.IKey, notification_email: str | None) -> None:
        super().__init__(scope, construct_id)
        self.topic = sns.Topic(
            self,
            "Topic",
            display_name="Podium runs",
            master_key=key,
            enforce_ssl=True,  # topic policy denies publish/subscribe without TLS
        )
        # CloudWatch alarms publish to an encrypted topic only if the key lets them.
        key.add_to_resource_policy(
            iam.PolicyStatement(
                principals=[iam.ServicePrincipal("cloudwatch.amazonaws.com")],
                actions=["kms:Decrypt", "kms:GenerateDataKey"],
                resources=["*"],  # in a key policy "*" means this key
                conditions={"StringEquals": {"aws:SourceAccount": self.topic.stack.account}},
            )
        )
        if notification_email:
            self.topic.add_subscription(subscriptions.EmailSubscription(notification_email))

    def alarm_on_failures(self, machine: sfn.StateMachine) -> list[cloudwatch.Alarm]:
        """One alarm per way a run can end badly without the workflow's own NotifyFailure.
        Time-outs happen only if the ASL sets TimeoutSeconds: a definition loaded from a file
        takes its timeout from the file, not from CDK."""
        alarms = []
        for construct_id, metric, what in (
            ("ExecutionsFailed", machine.metric_failed, "failed"),
            ("ExecutionsTimedOut", machine.metric_timed_out, "timed out"),
        ):
            alarm = cloudwatch.Alarm(
                self,
                construct_id,
                alarm_description=f"A Podium fine-tuning run {what}; see the execution in the Step Functions console",
                metric=metric(period=Duration.minutes(5), statistic="Sum"),
                threshold=1,
                evaluation_periods=1,
                comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
                treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
            )
            alarm.add_alarm_action(cloudwatch_actions.SnsAction(self.topic))
            alarms.append(alarm)
        return alarms
