"""The runs dashboard: how a retraining pipeline drifts, run after run. Executions by outcome,
phase durations, provisioned throughput billed, the training and evaluation numbers of each
run, the alarms, and the Bedrock resources the runs created or deleted (from the logs).

The numbers are the metrics the handlers publish in the Podium namespace (lambdas/, README:
"Upload the data and start a run"); each run is one data point, so per-run numbers are drawn
as the day's Maximum over a default range of twelve weeks. Two Logs Insights queries are
saved beside it, over every function's log group: everything one run logged, and every
resource Podium created or deleted.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from aws_cdk import Duration, Stack
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from podium.config import StackSettings
from stacks.functions import METRICS_NAMESPACE, SERVICE_NAME

DAY = Duration.days(1)
HOUR = Duration.hours(1)
# RunsEnded's Outcome values: a RunOutcome status (podium.workflow.events), or how a run failed
OUTCOMES = (
    "promoted",
    "not_evaluated",
    "discarded",
    "dry_run",
    "unchanged",
    "skipped",
    "failed",
    "timed_out",
    "aborted",
)

# The saved Logs Insights queries (README: "Logs that tell each run's story")
RUN_QUERY = logs.QueryString(
    fields=["@timestamp", "step", "level", "message", "resource_arn", "function_request_id"],
    filter_statements=['run_id = "RUN_ID"'],  # replace RUN_ID with the run's id (podium runs)
    sort="@timestamp asc",
    limit=10000,
)
RESOURCES_QUERY = logs.QueryString(
    fields=["@timestamp", "resource_action", "resource_type", "resource_arn", "run_id", "step"],
    filter_statements=['resource_action in ["created", "deleted"]'],
    sort="@timestamp desc",
    limit=10000,
)


def dashboard_name(settings: StackSettings) -> str:
    return f"{settings.name_prefix}-runs"


def dashboard_url(stack: Stack, settings: StackSettings) -> str:
    region = stack.region
    return (
        f"https://{region}.console.aws.amazon.com/cloudwatch/home?region={region}"
        f"#dashboards:name={dashboard_name(settings)}"
    )


def podium_metric(
    name: str, statistic: str, period: Duration, label: str | None = None, **dimensions: str
) -> cloudwatch.Metric:
    """A metric the handlers publish (namespace Podium, service podium, and its own dimensions)."""
    return cloudwatch.Metric(
        namespace=METRICS_NAMESPACE,
        metric_name=name,
        dimensions_map={"service": SERVICE_NAME, **dimensions},
        statistic=statistic,
        period=period,
        label=label or name,
    )


def per_run(name: str, label: str | None = None) -> cloudwatch.Metric:
    """A number each run publishes once: the day's largest."""
    return podium_metric(name, "Maximum", DAY, label)


class RunsDashboard(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        settings: StackSettings,
        machine: sfn.StateMachine,
        functions: Mapping[str, lambda_.Function],
        alarms: Sequence[cloudwatch.IAlarm],
    ) -> None:
        super().__init__(scope, construct_id)
        log_groups = [function.log_group for function in functions.values()]
        prefix = settings.name_prefix
        self.queries = {
            "run": logs.QueryDefinition(
                self, "RunQuery", query_definition_name=f"{prefix}/everything-for-a-run", query_string=RUN_QUERY,
                log_groups=log_groups,
            ),
            "resources": logs.QueryDefinition(
                self, "ResourcesQuery", query_definition_name=f"{prefix}/resources-created-or-deleted",
                query_string=RESOURCES_QUERY, log_groups=log_groups,
            ),
        }  # fmt: skip
        wide, half, third = 24, 12, 8
        self.dashboard = cloudwatch.Dashboard(
            self,
            "Dashboard",
            dashboard_name=dashboard_name(settings),
            start="-P84D",  # twelve weeks
            widgets=[
                [
                    cloudwatch.TextWidget(
                        markdown=(
                            f"## Podium runs ({prefix})\n"
                            "One data point per run, drawn as the day's largest. Costs are **estimates**. "
                            "Logs Insights → Saved queries: "
                            f"`{prefix}/everything-for-a-run`, `{prefix}/resources-created-or-deleted`."
                        ),
                        width=wide,
                        height=2,
                    )
                ],
                [
                    cloudwatch.GraphWidget(
                        title="Runs by outcome (a day's runs)",
                        left=[podium_metric("RunsEnded", "Sum", DAY, outcome, Outcome=outcome) for outcome in OUTCOMES],
                        stacked=True,
                        width=half,
                    ),
                    cloudwatch.GraphWidget(
                        title="Executions (Step Functions)",
                        left=[
                            machine.metric_started(period=DAY, statistic="Sum", label="started"),
                            machine.metric_succeeded(period=DAY, statistic="Sum", label="succeeded"),
                            machine.metric_failed(period=DAY, statistic="Sum", label="failed"),
                            machine.metric_timed_out(period=DAY, statistic="Sum", label="timed out"),
                            machine.metric_aborted(period=DAY, statistic="Sum", label="stopped"),
                        ],
                        width=half,
                    ),
                ],
                [
                    cloudwatch.GraphWidget(
                        title="Phase durations per run (seconds)",
                        left=[
                            per_run("GenerationSeconds", "generation"),
                            per_run("FineTuneSeconds", "fine-tuning job"),
                            per_run("ThroughputCreationSeconds", "throughput creation"),
                            per_run("DeploymentCreationSeconds", "custom model deployment creation"),
                            per_run("RunSeconds", "whole run"),
                        ],
                        width=half,
                    ),
                    cloudwatch.GraphWidget(
                        title="Serving billed: throughput model units, custom model deployments",
                        left=[
                            podium_metric(
                                "ProvisionedModelUnits", "Maximum", HOUR, "model units in service (the janitor's count)"
                            ),
                            podium_metric(
                                "CustomModelDeployments",
                                "Maximum",
                                HOUR,
                                "custom model deployments, billed per token (the janitor's count)",
                            ),
                        ],
                        right=[podium_metric("ThroughputHours", "Sum", DAY, "unit-hours of throughputs runs deleted")],
                        width=half,
                    ),
                ],
                [
                    cloudwatch.GraphWidget(
                        title="Training per run",
                        left=[per_run("TrainingRows", "training rows"), per_run("ValidationRows", "validation rows")],
                        right=[per_run("TrainingLoss", "training loss"), per_run("ValidationLoss", "validation loss")],
                        width=third,
                    ),
                    cloudwatch.GraphWidget(
                        title="Evaluation per run (%)",
                        left=[
                            per_run("ParaphraseAccuracy", "paraphrase accuracy, new model"),
                            per_run("BaseParaphraseAccuracy", "paraphrase accuracy, base model"),
                            per_run("UnseenHallucination", "hallucinated on untaught facts"),
                        ],
                        left_y_axis=cloudwatch.YAxisProps(min=0, max=100),
                        width=third,
                    ),
                    cloudwatch.GraphWidget(
                        title="Gate decisions and estimated cost (USD)",
                        left=[
                            podium_metric("ModelsEvaluated", "Sum", DAY, decision, Decision=decision)
                            for decision in ("promote", "discard")
                        ]
                        + [podium_metric("ModelsPromoted", "Sum", DAY, "promoted")],
                        right=[per_run("EstimatedCostUSD", "estimated cost (USD)")],
                        width=third,
                    ),
                ],
                [
                    cloudwatch.AlarmStatusWidget(title="Alarms", alarms=list(alarms), width=third, height=6),
                    cloudwatch.GraphWidget(
                        title="Failures and cleanup",
                        left=[
                            cloudwatch.MathExpression(
                                expression=(
                                    f"SEARCH('{{{METRICS_NAMESPACE},Error,service}} MetricName=\"RunsFailed\"', "
                                    "'Sum', 86400)"
                                ),
                                label="failed runs by error",
                                period=DAY,
                            ),
                            cloudwatch.MathExpression(
                                expression=(
                                    f"SEARCH('{{{METRICS_NAMESPACE},Status,service}} "
                                    "MetricName=\"RunsEndedWithoutCleanup\"', 'Sum', 86400)"
                                ),
                                label="cleaned up after they ended",
                                period=DAY,
                            ),
                            podium_metric("JanitorDeleted", "Sum", DAY, "deleted by the janitor"),
                        ],
                        width=third,
                    ),
                    cloudwatch.LogQueryWidget(
                        title="Resources Podium created or deleted",
                        log_group_names=[group.log_group_name for group in log_groups],
                        query_string=RESOURCES_QUERY.to_string(),
                        view=cloudwatch.LogQueryVisualizationType.TABLE,
                        width=third,
                        height=6,
                    ),
                ],
            ],
        )
