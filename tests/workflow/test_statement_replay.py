"""Every statement earns its place (issue 15, item 2): a tour of rehearsals, with IAM enforced, that
makes every call the deployed roles are granted for, then a replay of those calls against each role
with one action of one statement taken away (podium.rehearsal.iam.replay). Each action must be needed
by some call — without it that call is AccessDenied — or its statement says in `unreachable` why no
rehearsal makes the call.

The tour is this module's own (its fixture runs it), so the replay does not depend on which other
tests ran before it. Each scenario checks it did what it is in the tour for.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import responses

from podium.rehearsal.bedrock_emulator.script import Script
from podium.rehearsal.harness import Rehearsal, RehearsalOptions, RunResult
from podium.rehearsal.iam.account import Record, Role
from podium.rehearsal.iam.replay import needless
from podium.rehearsal.lambda_server import Fault
from tests.conftest import OPEN_GATE

DATABRICKS_HOST = "https://dbc-tour.cloud.databricks.com"
DATABRICKS_SECRET = "podium/databricks"
OUTPUT_TABLE = "podium.default.qa_pairs"
DATABRICKS = {
    "generator": "databricks",
    "databricks": {"secret_name": DATABRICKS_SECRET, "job_id": 42, "warehouse_id": "wh-1"},
}
THROUGHPUT = {"throughput": {"enabled": True}}
LOST_ANSWER = "Lambda.ServiceException"  # the function ran; Lambda lost its answer (the state machine retries)


@dataclass
class Tour:
    roles: dict[str, Role]  # caller → the role the tour's calls were judged by
    records: list[Record]
    results: dict[str, RunResult]


def _wait_for_state(rehearsal: Rehearsal, arn: str, state: str) -> None:
    deadline = time.monotonic() + 60
    while state not in [
        e["stateEnteredEventDetails"]["name"] for e in rehearsal.history(arn) if "stateEnteredEventDetails" in e
    ]:
        assert time.monotonic() < deadline, f"never reached {state}"
        time.sleep(0.2)


def _of_run(rehearsal: Rehearsal, result: RunResult, resources: dict) -> list:
    """The run's own resources (by their podium:execution tag): earlier scenarios' stay in the emulator."""
    tags = rehearsal.bedrock.tags
    return [r for arn, r in resources.items() if tags.get(arn, {}).get("podium:execution") == result.execution_arn]


def _job_statuses(rehearsal: Rehearsal, result: RunResult) -> set[str]:
    return {job.status for job in _of_run(rehearsal, result, rehearsal.bedrock.jobs)}


def _throughputs_of(rehearsal: Rehearsal, result: RunResult) -> list[str]:
    return [t.arn for t in _of_run(rehearsal, result, rehearsal.bedrock.throughputs)]


# -- the Databricks workspace, stubbed at the HTTP level ------------------------------------------


def _fact_rows(count: int) -> list[list[str]]:
    rows = []
    for n in range(1, count + 1):
        country, code = f"Freedonia {n}", f"F{n:02d}"
        slots = {"country": country, "country_code": code, "kind": "gold", "count_noun": "gold medals",
                 "tally_noun": "gold medal count"}  # fmt: skip
        answer = f"At Paris 2024, {country} won {n} gold medals."
        rows.append(["country_medal_count", f"{code}|gold", country, f"{n} gold medals", answer, json.dumps(slots)])
    return rows


def _workspace(http: responses.RequestsMock, *, life_cycle: str, result: str | None = None) -> None:
    http.add_passthru("http://127.0.0.1")
    http.get(f"{DATABRICKS_HOST}/.well-known/databricks-config", status=404, json={"error_code": "NOT_FOUND"})
    http.post(f"{DATABRICKS_HOST}/api/2.2/jobs/run-now", json={"run_id": 1234, "number_in_job": 1})
    state = {"life_cycle_state": life_cycle, **({"result_state": result} if result else {})}
    http.get(f"{DATABRICKS_HOST}/api/2.2/jobs/runs/get", json={"job_id": 42, "run_id": 1234, "state": state})
    http.post(f"{DATABRICKS_HOST}/api/2.2/jobs/runs/cancel", json={})
    facts, pairs = _fact_rows(40), []
    for name, rows in (("facts", facts), ("pairs", pairs)):
        url = f"https://dbstorage-tour.s3.amazonaws.com/{name}?X-Amz-Signature={name}"
        http.get(url, json=rows)

    def answer(request):  # type: ignore[no-untyped-def]
        name = "facts" if f"FROM {OUTPUT_TABLE}_facts " in json.loads(request.body)["statement"] else "pairs"
        rows = facts if name == "facts" else pairs
        link = {"chunk_index": 0, "row_count": len(rows), "row_offset": 0,
                "external_link": f"https://dbstorage-tour.s3.amazonaws.com/{name}?X-Amz-Signature={name}"}  # fmt: skip
        body = {"statement_id": name, "status": {"state": "SUCCEEDED"}, "manifest": {"total_row_count": len(rows)},
                "result": {"chunk_index": 0, "external_links": [link]}}  # fmt: skip
        return 200, {}, json.dumps(body)

    http.add_callback(
        responses.POST, f"{DATABRICKS_HOST}/api/2.0/sql/statements", callback=answer, content_type="application/json"
    )


# -- the tour ----------------------------------------------------------------------------------------


def _retried_work_is_adopted_and_files_are_read(rehearsal: Rehearsal) -> RunResult:
    """The first run: its serving throughput, an answer lost after StartFineTune, CreateThroughput and
    Promote did their work (each retry adopts what the first call made, or reads back what it wrote),
    a Bedrock that does not hold the job's client token, and a job answered without its losses (read
    from the metrics files). The qa recipe, so the next run's dataset differs."""
    rehearsal.bedrock.script = Script(
        job_ticks=1, throughput_ticks=1, honour_client_tokens=False, losses_in_response=False
    )
    for step in ("StartFineTune", "CreateThroughput", "Promote"):
        rehearsal.lambdas.inject(Fault(step, LOST_ANSWER, "the answer was lost", after=True))
    result = rehearsal.run({**THROUGHPUT, "recipe": "qa"})
    assert result.status == "SUCCEEDED", (result.error, result.cause)
    assert [c.injected for c in rehearsal.lambdas.calls("StartFineTune")] == [True, False]
    assert len(rehearsal.bedrock.jobs) == 1 and len(rehearsal.bedrock.throughputs) == 1
    assert result.output["finetune"]["training_loss"] is not None  # from the metrics file
    return result


def _an_upload_starts_a_run_that_replaces_the_model(rehearsal: Rehearsal) -> RunResult:
    """An object under incoming/ (StartOnUpload); the run takes over the first run's lock, evaluates
    through a throughput made for that (ScoreEvaluation deletes it) and retires the first run's."""
    served = rehearsal.active_model()["throughput_arn"]
    rehearsal.notifications()
    started = rehearsal.invoke(
        "StartOnUpload", {"time": "2024-08-11T20:00:00Z", "detail": {"object": {"key": "incoming/medals.csv"}}}
    )
    result = rehearsal.wait(started["execution_arn"])
    assert result.status == "SUCCEEDED", (result.error, result.cause)
    assert result.notification["status"] == "promoted" and result.notification["retired_throughput_arn"] == served
    assert result.throughputs == []
    return result


def _a_failed_throughput_is_deleted_by_cleanup(rehearsal: Rehearsal) -> RunResult:
    rehearsal.bedrock.script = Script(job_ticks=1, throughput_ticks=1, throughput_failure="Insufficient capacity")
    result = rehearsal.run({**THROUGHPUT, "force": True})
    assert result.status == "FAILED" and _throughputs_of(rehearsal, result) == []
    return result


def _cleanup_stops_a_running_job(rehearsal: Rehearsal) -> RunResult:
    rehearsal.bedrock.script = Script(job_ticks=10_000)
    rehearsal.lambdas.inject(Fault("CheckFineTune", "BedrockRejected", "refused", times=100))
    result = rehearsal.run({"force": True})
    assert result.status == "FAILED" and _job_statuses(rehearsal, result) <= {"Stopping", "Stopped"}
    return result


def _a_stopped_run_stops_its_job(rehearsal: Rehearsal) -> RunResult:
    rehearsal.bedrock.script = Script(job_ticks=10_000)
    arn = rehearsal.start_execution({"force": True})
    _wait_for_state(rehearsal, arn, "CheckFineTune")
    result = rehearsal.stop_execution(arn)
    assert result.status == "ABORTED" and _job_statuses(rehearsal, result) <= {"Stopping", "Stopped"}
    return result


def _a_stopped_run_deletes_its_throughput(rehearsal: Rehearsal) -> RunResult:
    rehearsal.bedrock.script = Script(job_ticks=1, throughput_ticks=10_000)
    arn = rehearsal.start_execution({**THROUGHPUT, "force": True})
    _wait_for_state(rehearsal, arn, "CheckThroughput")
    result = rehearsal.stop_execution(arn)
    assert result.status == "ABORTED" and _throughputs_of(rehearsal, result) == []
    return result


def _the_janitor_deletes_what_broken_cleanups_left(rehearsal: Rehearsal) -> RunResult:
    rehearsal.bedrock.script = Script(job_ticks=1, throughput_ticks=1, throughput_failure="Insufficient capacity")
    rehearsal.lambdas.inject(Fault("Cleanup", "KeyError", "'throughput'", times=100))
    rehearsal.lambdas.inject(Fault("ExecutionEnded", "KeyError", "'throughput'", times=100))  # its cleanup too
    result = rehearsal.run({"throughput": {"enabled": True, "ttl_hours": 0.0001}, "force": True})
    (left,) = _throughputs_of(rehearsal, result)
    assert result.status == "FAILED"
    time.sleep(0.5)
    report = rehearsal.invoke("Janitor", {})
    assert any(left in line for line in report["deleted"]) and _throughputs_of(rehearsal, result) == []
    return result


def _databricks_generates_and_the_dataset_is_built(rehearsal: Rehearsal) -> RunResult:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as http:
        _workspace(http, life_cycle="TERMINATED", result="SUCCESS")
        result = rehearsal.run({**DATABRICKS, "dry_run": True})
    assert "BuildDataset" in result.states, (result.error, result.cause)
    return result


def _a_stopped_run_cancels_its_databricks_generation(rehearsal: Rehearsal) -> RunResult:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as http:
        _workspace(http, life_cycle="RUNNING")
        arn = rehearsal.start_execution(DATABRICKS)
        _wait_for_state(rehearsal, arn, "CheckGeneration")
        result = rehearsal.stop_execution(arn)
        cancels = [c for c in http.calls if c.request.url.endswith("/jobs/runs/cancel")]
    assert result.status == "ABORTED" and cancels
    return result


def _cleanup_cancels_a_databricks_generation(rehearsal: Rehearsal) -> RunResult:
    rehearsal.lambdas.inject(Fault("CheckGeneration", "DatabricksRejected", "refused", times=100))
    with responses.RequestsMock(assert_all_requests_are_fired=False) as http:
        _workspace(http, life_cycle="RUNNING")
        result = rehearsal.run(DATABRICKS)
        cancels = [c for c in http.calls if c.request.url.endswith("/jobs/runs/cancel")]
    assert result.status == "FAILED" and cancels
    return result


# In order: the first two build on each other (the second replaces the first's model); the others
# start from whatever the previous ones left, each making its own resources.
SCENARIOS: tuple[Callable[[Rehearsal], RunResult], ...] = (
    _retried_work_is_adopted_and_files_are_read,
    _an_upload_starts_a_run_that_replaces_the_model,
    _a_failed_throughput_is_deleted_by_cleanup,
    _cleanup_stops_a_running_job,
    _a_stopped_run_stops_its_job,
    _a_stopped_run_deletes_its_throughput,
    _the_janitor_deletes_what_broken_cleanups_left,
    _databricks_generates_and_the_dataset_is_built,
    _a_stopped_run_cancels_its_databricks_generation,
    _cleanup_cancels_a_databricks_generation,
)


@pytest.fixture(scope="module")
def tour(sample_dir: Path) -> Iterator[Tour]:
    options = RehearsalOptions(
        data_dir=sample_dir,
        secrets={DATABRICKS_SECRET: json.dumps({"host": DATABRICKS_HOST, "token": "dapi-tour-token"})},
        timeout_seconds=180,
        publish_metrics=False,
        defaults={"gate": OPEN_GATE, "databricks": {"secret_name": DATABRICKS_SECRET}},
    )
    with Rehearsal(options) as rehearsal:
        records: list[Record] = []
        results = {}
        for scenario in SCENARIOS:
            rehearsal.lambdas.clear()
            rehearsal.bedrock.script = Script(job_ticks=1, throughput_ticks=1)
            rehearsal.authorizer.clear_records()
            results[scenario.__name__.strip("_")] = scenario(rehearsal)
            records += rehearsal.authorizer.clear_records()
        assert rehearsal.account is not None
        yield Tour(dict(rehearsal.account.roles), records, results)


def test_the_tour_is_judged_and_nothing_it_needs_is_refused(tour: Tour):
    assert tour.records and all(record.allowed for record in tour.records), [
        f"{r.caller}: {r.request.describe()}" for r in tour.records if not r.allowed
    ]


def test_every_action_of_every_statement_is_needed_by_a_call_of_the_tour(tour: Tour):
    found = [str(n) for n in needless(tour.roles, tour.records)]
    advice = "remove it, add the scenario that needs it, or say in `unreachable` why no rehearsal can"
    assert not found, f"needed by no call of the tour ({advice}):\n" + "\n".join(found)
