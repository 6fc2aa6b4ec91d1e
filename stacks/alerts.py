"""Notifications: the topic run outcomes go to, and a separate topic for alarms (so one
broken or muted topic never silences both), with alarms on runs that end badly. Alarms go to
both topics; `notification_email` subscribes to the run topic only, so an address gets one
confirmation mail and every outcome and alarm."""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cloudwatch_actions
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
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
        self.alarm_topic = sns.Topic(self, "AlarmTopic", display_name="Podium alarms", master_key=key, enforce_ssl=True)
        self.alarms: list[cloudwatch.Alarm] = []  # every alarm made here (the dashboard shows them)
        # CloudWatch alarms publish to an encrypted topic only if the key lets them.
        key.add_to_resource_policy(
            iam.PolicyStatement(
                principals=[iam.ServicePrincipal("cloudwatch.amazonaws.com")],
                actions=["kms:Decrypt", "kms:GenerateDataKey"],
                resources=["*"],  # in a key policy "*" means this key
                conditions={"StringEquals": {"aws:SourceAccount": self.topic.stack.account}},
            )
        )
        # One subscription, so one confirmation mail: the alarms reach the address through the
        # run topic too (see _alarm); the alarm topic is for a pager or a chat integration.
        if notification_email:
            self.topic.add_subscription(subscriptions.EmailSubscription(notification_email))

    def alarm_on_failures(self, machine: sfn.StateMachine) -> list[cloudwatch.Alarm]:
        """One alarm per way a run can end badly: failed, timed out (the ASL's TimeoutSeconds),
        or stopped (aborted). A run refused because another is going ends SUCCEEDED as
        `skipped`, so it pages no one."""
        alarms = []
        for construct_id, metric, what in (
            ("ExecutionsFailed", machine.metric_failed, "failed"),
            ("ExecutionsTimedOut", machine.metric_timed_out, "timed out"),
            ("ExecutionsAborted", machine.metric_aborted, "was stopped"),
        ):
            alarms.append(
                self._alarm(
                    construct_id,
                    metric(period=Duration.minutes(5), statistic="Sum"),
                    f"A Podium fine-tuning run {what}; see the execution in the Step Functions console",
                )
            )
        return alarms

    def alarm_on_errors(self, function: lambda_.IFunction, what: str) -> cloudwatch.Alarm:
        """A function outside the state machine (no Catch, no NotifyFailure) failed."""
        return self._alarm(
            f"{function.node.scope.node.id}Errors",  # type: ignore[union-attr]
            function.metric_errors(period=Duration.minutes(5), statistic="Sum"),
            f"Podium's {what} failed; see its log group",
        )

    def _alarm(self, construct_id: str, metric: cloudwatch.IMetric, description: str) -> cloudwatch.Alarm:
        alarm = cloudwatch.Alarm(
            self,
            construct_id,
            alarm_description=description,
            metric=metric,
            threshold=1,
            evaluation_periods=1,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        )
        alarm.add_alarm_action(cloudwatch_actions.SnsAction(self.alarm_topic))
        alarm.add_alarm_action(cloudwatch_actions.SnsAction(self.topic))
        self.alarms.append(alarm)
        return alarm
