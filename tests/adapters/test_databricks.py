"""DatabricksGenerator against the workspace REST API, stubbed at the HTTP level."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator

import pytest
import responses
from databricks.sdk.clock import Clock
from responses import matchers

from podium.adapters.bedrock import client_token_for
from podium.adapters.databricks import DatabricksGenerator, checked_table_name
from podium.adapters.errors import DatabricksRejected, DatabricksUnavailable
from podium.adapters.ports import GenerationState
from podium.adapters.secrets import DatabricksCredentials
from podium.errors import ConfigError, DataError

HOST = "https://dbc-test.cloud.databricks.com"
TOKEN = "dapi-0123456789abcdef-never-show-me"
TABLE = "podium.default.qa_pairs"
STATEMENT_ID = "01ef-statement"


class InstantClock(Clock):
    """Sleeps advance a counter instead of waiting, so SDK retries and polling cost nothing."""

    def __init__(self) -> None:
        self.now = 1_000_000.0
        self.slept: list[float] = []

    def time(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


@pytest.fixture
def http() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        # databricks-sdk probes this once per client; a 404 makes it use the explicit config.
        mock.get(f"{HOST}/.well-known/databricks-config", status=404, json={"error_code": "NOT_FOUND"})
        yield mock


@pytest.fixture
def clock() -> InstantClock:
    return InstantClock()


@pytest.fixture
def generator(clock: InstantClock) -> DatabricksGenerator:
    credentials = DatabricksCredentials(host=HOST, token=TOKEN)
    return DatabricksGenerator(credentials, "42", "wh-1", TABLE, clock=clock, retry_timeout_seconds=5)


def _run(**fields: object) -> dict:
    return {"job_id": 42, "run_id": 1234, "run_page_url": f"{HOST}/#job/42/run/1234", **fields}


def _bodies(http: responses.RequestsMock, path: str) -> list[dict]:
    return [
        json.loads(c.request.body) for c in http.calls if c.request.method == "POST" and c.request.url == HOST + path
    ]


def test_construction_makes_no_request(clock: InstantClock) -> None:
    with responses.RequestsMock() as mock:  # any request would raise ConnectionError
        DatabricksGenerator(DatabricksCredentials(host=HOST, token=TOKEN), 42, "wh-1", TABLE, clock=clock)
        assert len(mock.calls) == 0


def test_start_runs_the_job_with_run_parameters_and_an_idempotency_token(
    http: responses.RequestsMock, generator: DatabricksGenerator
) -> None:
    http.post(
        f"{HOST}/api/2.2/jobs/run-now",
        json={"run_id": 1234, "number_in_job": 1},
        match=[matchers.header_matcher({"Authorization": f"Bearer {TOKEN}"})],
    )
    handle = generator.start("exec-1")

    assert handle == {"generator": "databricks", "run_id": "exec-1", "databricks_run_id": 1234}
    assert TOKEN not in json.dumps(handle)
    (body,) = _bodies(http, "/api/2.2/jobs/run-now")
    assert body == {
        "job_id": 42,
        "job_parameters": {"run_id": "exec-1", "output_table": TABLE},
        "idempotency_token": client_token_for("exec-1", "databricks-run"),
    }


@pytest.mark.parametrize(
    ("run", "expected", "message_part"),
    [
        (_run(state={"life_cycle_state": "PENDING"}), GenerationState.RUNNING, ""),
        (_run(state={"life_cycle_state": "QUEUED"}), GenerationState.RUNNING, ""),
        (_run(state={"life_cycle_state": "WAITING_FOR_RETRY"}), GenerationState.RUNNING, ""),
        (_run(state={"life_cycle_state": "TERMINATING"}), GenerationState.RUNNING, ""),
        (
            _run(state={"life_cycle_state": "TERMINATED", "result_state": "SUCCESS"}),
            GenerationState.SUCCEEDED,
            "",
        ),
        (
            _run(
                state={
                    "life_cycle_state": "TERMINATED",
                    "result_state": "TIMEDOUT",
                    "state_message": "Run timed out",
                }
            ),
            GenerationState.FAILED,
            "TIMEDOUT: Run timed out",
        ),
        (
            _run(
                state={
                    "life_cycle_state": "TERMINATED",
                    "result_state": "CANCELED",
                    "state_message": "by user",
                }
            ),
            GenerationState.FAILED,
            "CANCELED: by user",
        ),
        (
            _run(state={"life_cycle_state": "SKIPPED", "state_message": "An active run exists"}),
            GenerationState.FAILED,
            "SKIPPED: An active run exists",
        ),
        (
            _run(state={"life_cycle_state": "INTERNAL_ERROR", "state_message": "Cluster lost"}),
            GenerationState.FAILED,
            "Cluster lost",
        ),
        (_run(status={"state": "BLOCKED"}), GenerationState.RUNNING, ""),
        (
            _run(status={"state": "TERMINATED", "termination_details": {"code": "SUCCESS", "type": "SUCCESS"}}),
            GenerationState.SUCCEEDED,
            "",
        ),
    ],
)
def test_status_maps_run_states(
    http: responses.RequestsMock,
    generator: DatabricksGenerator,
    run: dict,
    expected: GenerationState,
    message_part: str,
) -> None:
    http.get(f"{HOST}/api/2.2/jobs/runs/get", json=run, match=[matchers.query_param_matcher({"run_id": "1234"})])
    status = generator.status({"generator": "databricks", "run_id": "exec-1", "databricks_run_id": 1234})
    assert status.state is expected
    assert message_part in status.message
    if expected is GenerationState.FAILED:
        assert "/run/1234" in status.message  # the run page, for the notification


def test_failed_run_carries_databricks_message_from_the_newer_status(
    http: responses.RequestsMock, generator: DatabricksGenerator
) -> None:
    failure = "[TABLE_OR_VIEW_NOT_FOUND] The table or view `paris.raw.medals` cannot be found."
    http.get(
        f"{HOST}/api/2.2/jobs/runs/get",
        json=_run(
            state={
                "life_cycle_state": "TERMINATED",
                "result_state": "FAILED",
                "state_message": "Task failed",
            },
            status={
                "state": "TERMINATED",
                "termination_details": {
                    "code": "RUN_EXECUTION_ERROR",
                    "type": "CLIENT_ERROR",
                    "message": failure,
                },
            },
        ),
    )
    status = generator.status({"run_id": "exec-1", "databricks_run_id": 1234})
    assert status.state is GenerationState.FAILED
    assert failure in status.message and "RUN_EXECUTION_ERROR" in status.message


FACTS_TABLE = TABLE + "_facts"
FRANCE_SLOTS = {
    "country": "France",
    "country_code": "FRA",
    "kind": "gold",
    "count_noun": "gold medals",
    "tally_noun": "gold medal count",
}


def _fact_row(code: str = "FRA", country: str = "France", count: str = "16") -> list[str | None]:
    slots = {**FRANCE_SLOTS, "country": country, "country_code": code}
    return [
        "country_medal_count",
        f"{code}|gold",
        country,
        f"{count} gold medals",
        f"At Paris 2024, {country} won {count} gold medals.",
        json.dumps(slots),
    ]


def _pair_row(question: str, fact_id: str = "country_medal_count:FRA|gold") -> list[str]:
    return [fact_id, "country_medal_count", question, "an answer the job wrote", "ai_query"]


STORAGE = "https://dbstorage-test.s3.amazonaws.com/results"  # where external links point (presigned)


def _link(http: responses.RequestsMock, name: str, rows: list, chunk: int, next_chunk: int | None = None) -> dict:
    """An EXTERNAL_LINKS entry whose URL serves `rows` (JSON_ARRAY) from fake cloud storage."""
    url = f"{STORAGE}/{name}/chunk-{chunk}?X-Amz-Signature=sig-{name}-{chunk}"
    http.get(url, json=rows, match=[matchers.query_param_matcher({"X-Amz-Signature": f"sig-{name}-{chunk}"})])
    link = {"chunk_index": chunk, "row_count": len(rows), "row_offset": 0, "external_link": url}
    if next_chunk is not None:
        link["next_chunk_index"] = next_chunk
    return link


def _statements(http: responses.RequestsMock, results: dict[str, dict]) -> None:
    """POST /sql/statements answers by the table the statement reads; rows are served
    through one external link each (the EXTERNAL_LINKS disposition)."""
    for body in results.values():
        rows = body["result"].pop("data_array")
        body["result"]["external_links"] = [_link(http, body["statement_id"], rows, 0)]

    def answer(request):  # type: ignore[no-untyped-def]
        statement = json.loads(request.body)["statement"]
        table = FACTS_TABLE if f"FROM {FACTS_TABLE} " in statement else TABLE
        return 200, {}, json.dumps(results[table])

    http.add_callback(
        responses.POST, f"{HOST}/api/2.0/sql/statements", callback=answer, content_type="application/json"
    )


def _done(statement_id: str, rows: list, **result: object) -> dict:
    return {
        "statement_id": statement_id,
        "status": {"state": "SUCCEEDED"},
        "manifest": {"total_row_count": len(rows)},
        "result": {"chunk_index": 0, "data_array": rows, **result},
    }


def test_read_pairs_unions_templates_with_verified_paraphrases(
    http: responses.RequestsMock, generator: DatabricksGenerator
) -> None:
    kept = "How many gold medals did France take home at the 2024 Summer Games in Paris?"
    _statements(
        http,
        {
            FACTS_TABLE: _done("facts-1", [_fact_row()]),
            TABLE: _done(
                "pairs-1",
                [
                    _pair_row(kept),
                    _pair_row("Did France win 16 gold medals at Paris 2024?"),  # leaks the answer
                    _pair_row("How many gold medals did the hosts win?"),  # lost the subject
                    _pair_row("Who won?", fact_id="event_medal:unknown"),
                ],
            ),
        },
    )

    pairs = list(generator.read_pairs({"generator": "databricks", "run_id": "exec-1", "databricks_run_id": 1234}))

    templates = [p for p in pairs if p.source.startswith("template:")]
    paraphrases = [p for p in pairs if p.source == "ai_query"]
    assert len(templates) >= 3 and all("France" in p.question for p in templates)
    assert [p.question for p in paraphrases] == [kept]
    # The answer is built from the fact (the fact's sentence, or one of the relation's answer
    # forms for template questions), never what the table (or an LLM) wrote.
    assert {p.answer for p in paraphrases} == {"At Paris 2024, France won 16 gold medals."}
    assert all("France" in p.answer and "16 gold medals" in p.answer for p in templates)
    assert sum(generator.rejections.values()) == 3
    statements = [json.loads(c.request.body) for c in http.calls if c.request.url == f"{HOST}/api/2.0/sql/statements"]
    assert statements[0]["statement"].startswith(
        f"SELECT relation, fact_key, subject, answer_value, answer, slots FROM {FACTS_TABLE} WHERE run_id = :run_id"
    )
    assert statements[1]["statement"].startswith(
        f"SELECT fact_id, relation, question, answer, source FROM {TABLE} WHERE run_id = :run_id"
    )
    for body in statements:
        assert body["parameters"] == [{"name": "run_id", "value": "exec-1", "type": "STRING"}]
        assert (body["warehouse_id"], body["disposition"], body["format"]) == ("wh-1", "EXTERNAL_LINKS", "JSON_ARRAY")


def test_read_facts_polls_then_reads_every_row_of_a_large_multi_chunk_multi_link_result(
    http: responses.RequestsMock, generator: DatabricksGenerator, clock: InstantClock
) -> None:
    # 12,000 facts in 6 chunks of 2,000: the first answer carries the links of chunks 0 and 1,
    # chunks/2 those of chunks 2, 3 and 4, chunks/5 the last one. Nothing travels inline.
    rows = [_fact_row(f"C{n:05d}", f"Country {n}", str(n + 1)) for n in range(12_000)]
    chunks = [rows[i : i + 2_000] for i in range(0, len(rows), 2_000)]
    links = [_link(http, STATEMENT_ID, chunk, i, i + 1 if i < 5 else None) for i, chunk in enumerate(chunks)]
    http.post(f"{HOST}/api/2.0/sql/statements", json={"statement_id": STATEMENT_ID, "status": {"state": "PENDING"}})
    http.get(
        f"{HOST}/api/2.0/sql/statements/{STATEMENT_ID}",
        json={"statement_id": STATEMENT_ID, "status": {"state": "RUNNING"}},
    )
    http.get(
        f"{HOST}/api/2.0/sql/statements/{STATEMENT_ID}",
        json={
            "statement_id": STATEMENT_ID,
            "status": {"state": "SUCCEEDED"},
            "manifest": {"format": "JSON_ARRAY", "total_chunk_count": 6, "total_row_count": 12_000},
            "result": {"external_links": links[0:2]},
        },
    )
    http.get(f"{HOST}/api/2.0/sql/statements/{STATEMENT_ID}/result/chunks/2", json={"external_links": links[2:5]})
    http.get(f"{HOST}/api/2.0/sql/statements/{STATEMENT_ID}/result/chunks/5", json={"external_links": links[5:]})

    facts = generator.read_facts("exec-1")

    assert len(facts) == 12_000 and len({f.fact_id for f in facts}) == 12_000
    assert [f.subject for f in facts] == [f"Country {n}" for n in range(12_000)]
    assert len(clock.slept) == 2  # polled twice, without really sleeping
    (statement,) = _bodies(http, "/api/2.0/sql/statements")
    assert (statement["disposition"], statement["format"]) == ("EXTERNAL_LINKS", "JSON_ARRAY")
    downloads = [c.request for c in http.calls if c.request.url.startswith(STORAGE)]
    assert len(downloads) == 6  # each link once
    # Presigned storage URLs must not get the workspace token (the API documents this).
    assert all("Authorization" not in request.headers for request in downloads)
    api_calls = [c.request for c in http.calls if c.request.url.startswith(HOST + "/api/")]
    assert all(request.headers["Authorization"] == f"Bearer {TOKEN}" for request in api_calls)


def test_an_expired_link_is_asked_for_again_and_its_headers_are_sent(
    http: responses.RequestsMock, generator: DatabricksGenerator
) -> None:
    expired = {"chunk_index": 0, "row_count": 1, "external_link": f"{STORAGE}/old/chunk-0?X-Amz-Signature=old"}
    http.get(expired["external_link"], status=403, body="<Error><Code>AccessDenied</Code></Error>")
    fresh = _link(http, "new", [_fact_row()], 0)
    fresh["http_headers"] = {"x-amz-server-side-encryption-customer-algorithm": "AES256"}
    http.post(
        f"{HOST}/api/2.0/sql/statements",
        json={
            "statement_id": STATEMENT_ID,
            "status": {"state": "SUCCEEDED"},
            "manifest": {"total_row_count": 1},
            "result": {"external_links": [expired]},
        },
    )
    http.get(f"{HOST}/api/2.0/sql/statements/{STATEMENT_ID}/result/chunks/0", json={"external_links": [fresh]})

    facts = generator.read_facts("exec-1")

    assert [f.subject for f in facts] == ["France"]
    (download,) = [c.request for c in http.calls if c.request.url == fresh["external_link"]]
    assert download.headers["x-amz-server-side-encryption-customer-algorithm"] == "AES256"
    assert "Authorization" not in download.headers


def test_a_download_that_keeps_failing_is_retryable_and_does_not_show_the_signed_url(
    http: responses.RequestsMock, generator: DatabricksGenerator
) -> None:
    link = {"chunk_index": 0, "row_count": 1, "external_link": f"{STORAGE}/x/chunk-0?X-Amz-Signature=secret-sig"}
    http.get(link["external_link"], status=500)
    http.post(
        f"{HOST}/api/2.0/sql/statements",
        json={"statement_id": STATEMENT_ID, "status": {"state": "SUCCEEDED"}, "result": {"external_links": [link]}},
    )
    with pytest.raises(DatabricksUnavailable, match="result chunk 0 of .*HTTP 500") as error:
        generator.read_facts("exec-1")
    assert "secret-sig" not in str(error.value)


def test_read_pairs_refuses_a_short_read(http: responses.RequestsMock, generator: DatabricksGenerator) -> None:
    short = _done("facts-1", [_fact_row()])
    short["manifest"]["total_row_count"] = 3
    _statements(http, {FACTS_TABLE: short, TABLE: _done("pairs-1", [])})
    with pytest.raises(DatabricksRejected, match="read 1 rows .* reported 3"):
        list(generator.read_pairs({"run_id": "exec-1"}))


def test_read_pairs_without_facts_points_at_the_facts_task(
    http: responses.RequestsMock, generator: DatabricksGenerator
) -> None:
    _statements(http, {FACTS_TABLE: _done("facts-1", []), TABLE: _done("pairs-1", [])})
    with pytest.raises(DataError, match=rf"{FACTS_TABLE}: no facts for run exec-1 .*facts task"):
        list(generator.read_pairs({"run_id": "exec-1"}))


def test_read_pairs_reports_an_empty_field_with_its_row(
    http: responses.RequestsMock, generator: DatabricksGenerator
) -> None:
    bad = _pair_row("How many gold medals did France win at Paris 2024?")
    bad[2] = None  # type: ignore[call-overload]
    _statements(
        http,
        {
            FACTS_TABLE: _done("facts-1", [_fact_row()]),
            TABLE: _done("pairs-1", [_pair_row("How many gold medals did France win in 2024?"), bad]),
        },
    )
    with pytest.raises(DataError, match=rf"{TABLE}:2: row for run exec-1 has no question"):
        list(generator.read_pairs({"run_id": "exec-1"}))


def test_failed_statement_carries_the_warehouse_message(
    http: responses.RequestsMock, generator: DatabricksGenerator
) -> None:
    http.post(
        f"{HOST}/api/2.0/sql/statements",
        json={
            "statement_id": STATEMENT_ID,
            "status": {
                "state": "FAILED",
                "error": {"error_code": "BAD_REQUEST", "message": "[TABLE_OR_VIEW_NOT_FOUND] qa_pairs_facts"},
            },
        },
    )
    with pytest.raises(DatabricksRejected, match=r"ended FAILED: \[TABLE_OR_VIEW_NOT_FOUND\]"):
        list(generator.read_pairs({"run_id": "exec-1"}))


def test_slow_warehouse_is_cancelled_and_retryable(http: responses.RequestsMock, clock: InstantClock) -> None:
    generator = DatabricksGenerator(
        DatabricksCredentials(host=HOST, token=TOKEN),
        42,
        "wh-1",
        TABLE,
        clock=clock,
        statement_timeout_seconds=10,
    )
    http.post(f"{HOST}/api/2.0/sql/statements", json={"statement_id": STATEMENT_ID, "status": {"state": "PENDING"}})
    http.get(
        f"{HOST}/api/2.0/sql/statements/{STATEMENT_ID}",
        json={"statement_id": STATEMENT_ID, "status": {"state": "PENDING"}},
    )
    http.post(f"{HOST}/api/2.0/sql/statements/{STATEMENT_ID}/cancel", json={})
    with pytest.raises(DatabricksUnavailable, match="did not answer within 10s"):
        list(generator.read_pairs({"run_id": "exec-1"}))
    assert any(c.request.url.endswith("/cancel") for c in http.calls)


def test_bad_token_is_rejected_without_showing_it(http: responses.RequestsMock, generator: DatabricksGenerator) -> None:
    http.post(
        f"{HOST}/api/2.2/jobs/run-now",
        status=401,
        json={"error_code": "UNAUTHENTICATED", "message": f"Invalid access token {TOKEN}"},
    )
    with pytest.raises(DatabricksRejected) as caught:
        generator.start("exec-1")
    text = str(caught.value)
    assert "databricks.secret_name" in text and "Invalid access token" in text
    assert TOKEN not in text and TOKEN not in repr(caught.value)
    assert caught.value.__cause__ is None and caught.value.__suppress_context__
    assert TOKEN not in repr(generator)


def test_rate_limit_is_retryable(
    http: responses.RequestsMock, generator: DatabricksGenerator, clock: InstantClock
) -> None:
    http.get(
        f"{HOST}/api/2.2/jobs/runs/get",
        status=429,
        json={"error_code": "REQUEST_LIMIT_EXCEEDED", "message": "Too many requests"},
    )
    with pytest.raises(DatabricksUnavailable):
        generator.status({"run_id": "exec-1", "databricks_run_id": 1234})
    assert clock.slept  # the SDK retried on its own first, on the instant clock


def test_unknown_job_is_rejected(http: responses.RequestsMock, generator: DatabricksGenerator) -> None:
    http.post(
        f"{HOST}/api/2.2/jobs/run-now",
        status=400,
        json={"error_code": "INVALID_PARAMETER_VALUE", "message": "Job 42 does not exist."},
    )
    with pytest.raises(DatabricksRejected, match="Job 42 does not exist"):
        generator.start("exec-1")


@pytest.mark.parametrize(
    "name",
    ["qa_pairs", "a.b", "a.b.c.d", "a.b.c; DROP TABLE x", "a.b.c--", "a.`b.c", "1a.b.c", "a.b.`c-d`", ""],
)
def test_output_table_must_be_a_plain_three_part_name(name: str) -> None:
    with pytest.raises(ConfigError, match="databricks.output_table"):
        checked_table_name(name)


@pytest.mark.parametrize("name", ["podium.default.qa_pairs", "main.`my-schema`.pairs_2024", "_c._s._t"])
def test_output_table_accepts_valid_names(name: str) -> None:
    assert checked_table_name(name) == name


def test_settings_errors_name_the_setting() -> None:
    credentials = DatabricksCredentials(host=HOST, token=TOKEN)
    with pytest.raises(ConfigError, match="databricks.job_id"):
        DatabricksGenerator(credentials, "not-a-number", "wh", TABLE)
    with pytest.raises(ConfigError, match="databricks.warehouse_id"):
        DatabricksGenerator(credentials, 1, "", TABLE)


def test_oauth_m2m_credentials_sign_in_with_the_workspace_oidc(
    http: responses.RequestsMock, clock: InstantClock
) -> None:
    http.get(
        f"{HOST}/oidc/.well-known/oauth-authorization-server",
        json={
            "authorization_endpoint": f"{HOST}/oidc/v1/authorize",
            "token_endpoint": f"{HOST}/oidc/v1/token",
        },
    )
    http.post(
        f"{HOST}/oidc/v1/token",
        json={"access_token": "short-lived", "token_type": "Bearer", "expires_in": 3600},
    )
    http.post(
        f"{HOST}/api/2.2/jobs/run-now",
        json={"run_id": 77},
        match=[matchers.header_matcher({"Authorization": "Bearer short-lived"})],
    )
    credentials = DatabricksCredentials(host=HOST, client_id="sp-1", client_secret="m2m-secret")
    generator = DatabricksGenerator(credentials, 42, "wh-1", TABLE, clock=clock)
    assert generator.start("exec-2")["databricks_run_id"] == 77


def test_token_never_reaches_the_logs_even_at_debug_level(
    http: responses.RequestsMock, generator: DatabricksGenerator, caplog: pytest.LogCaptureFixture
) -> None:
    http.post(f"{HOST}/api/2.2/jobs/run-now", json={"run_id": 1234})
    http.get(f"{HOST}/api/2.2/jobs/runs/get", status=401, json={"error_code": "UNAUTHENTICATED", "message": "expired"})
    # The databricks logger too: lambdas.observability caps it at WARNING once a handler ran in this process.
    with caplog.at_level(logging.DEBUG), caplog.at_level(logging.DEBUG, logger="databricks"):
        handle = generator.start("exec-1")
        with pytest.raises(DatabricksRejected) as caught:
            generator.status(handle)
    assert "jobs/run-now" in caplog.text  # the SDK did log its requests
    assert TOKEN not in caplog.text and TOKEN not in str(caught.value)
