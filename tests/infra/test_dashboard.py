"""The runs dashboard, its URL output and the saved Logs Insights queries (stacks/dashboard.py)."""

from __future__ import annotations

import json
from typing import Any

from podium.workflow.steps import STEPS
from stacks.dashboard import OUTCOMES
from tests.infra.conftest import Synthesized
from tests.published_metrics import published_metrics

TOKEN = "<token>"


def _render(value: Any) -> str:
    """CloudFormation's Fn::Join of strings and references, with every reference as TOKEN."""
    if isinstance(value, str):
        return value
    (function, arguments), *_ = value.items()
    if function == "Fn::Join":
        separator, parts = arguments
        return separator.join(_render(part) for part in parts)
    return TOKEN


def _dashboard(s: Synthesized) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    (dashboard,) = s.of_type("AWS::CloudWatch::Dashboard").values()
    body = json.loads(_render(dashboard["Properties"]["DashboardBody"]))
    return dashboard["Properties"], body["widgets"]


def _podium_metrics(widgets: list[dict[str, Any]]) -> dict[str, set[tuple[str, str]]]:
    """Metric name → the (dimension, value) pairs it is drawn with, for the Podium namespace."""
    drawn: dict[str, set[tuple[str, str]]] = {}
    for widget in widgets:
        for line in widget["properties"].get("metrics", []):
            if line[0] != "Podium":
                continue
            fields = [part for part in line[2:] if isinstance(part, str)]
            drawn.setdefault(line[1], set()).update(zip(fields[::2], fields[1::2], strict=True))
    return drawn


def test_the_dashboard_draws_every_metric_the_handlers_publish_and_no_other(synthesized: Synthesized) -> None:
    properties, widgets = _dashboard(synthesized)
    assert properties["DashboardName"] == "podium-runs"
    drawn = _podium_metrics(widgets)
    searched = " ".join(
        str(line[0].get("expression", ""))
        for widget in widgets
        for line in widget["properties"].get("metrics", [])
        if isinstance(line[0], dict)
    )
    published = published_metrics()
    # RunsFailed and RunsEndedWithoutCleanup come through SEARCH: their dimension values are open
    assert set(drawn) | {"RunsFailed", "RunsEndedWithoutCleanup"} == set(published)
    assert 'MetricName="RunsFailed"' in searched and 'MetricName="RunsEndedWithoutCleanup"' in searched
    for name, pairs in drawn.items():
        assert ("service", "podium") in pairs, name  # as POWERTOOLS_SERVICE_NAME is deployed
        assert {dimension for dimension, _ in pairs} - {"service"} == published[name], name
    assert {value for dimension, value in drawn["RunsEnded"] if dimension == "Outcome"} == set(OUTCOMES)


def test_the_dashboard_shows_the_executions_every_alarm_and_the_resources_from_the_logs(
    synthesized: Synthesized,
) -> None:
    _, widgets = _dashboard(synthesized)
    executions = {
        line[1] for widget in widgets for line in widget["properties"].get("metrics", []) if line[0] == "AWS/States"
    }
    assert executions == {
        "ExecutionsStarted",
        "ExecutionsSucceeded",
        "ExecutionsFailed",
        "ExecutionsTimedOut",
        "ExecutionsAborted",
    }
    (alarm_widget,) = [w for w in widgets if "alarms" in w["properties"]]
    assert len(alarm_widget["properties"]["alarms"]) == len(synthesized.of_type("AWS::CloudWatch::Alarm"))
    (logs_widget,) = [w for w in widgets if w["type"] == "log"]
    query = logs_widget["properties"]["query"]
    assert query.count("SOURCE") == len(STEPS)  # every function's log group
    assert 'filter resource_action in ["created", "deleted"]' in query


def test_the_dashboards_url_is_an_output(synthesized: Synthesized) -> None:
    url = _render(synthesized.outputs["DashboardUrl"]["Value"])
    assert url.endswith("#dashboards:name=podium-runs") and "console.aws.amazon.com/cloudwatch" in url


def test_the_readme_queries_are_saved_over_every_functions_log_group(synthesized: Synthesized) -> None:
    queries = {
        q["Properties"]["Name"]: q["Properties"] for q in synthesized.of_type("AWS::Logs::QueryDefinition").values()
    }
    assert set(queries) == {"podium/everything-for-a-run", "podium/resources-created-or-deleted"}
    function_groups = [
        f["Properties"]["LoggingConfig"]["LogGroup"] for f in synthesized.of_type("AWS::Lambda::Function").values()
    ]
    for query in queries.values():
        assert sorted(map(json.dumps, query["LogGroupNames"])) == sorted(map(json.dumps, function_groups))
    assert 'filter run_id = "RUN_ID"' in queries["podium/everything-for-a-run"]["QueryString"]
    assert 'resource_action in ["created", "deleted"]' in queries["podium/resources-created-or-deleted"]["QueryString"]
