"""Generator on Databricks: run the bundle's `podium_generate` job, read its pairs back.

The job (sql/databricks/databricks.yml) writes rows (run_id, fact_id, relation,
question, answer, source) into `output_table`; `read_pairs` reads this run's rows
through the SQL Statement Execution API on a SQL warehouse, with the EXTERNAL_LINKS
disposition: an INLINE result is capped at 25 MiB (the statement fails beyond it), while
external links serve results of any size, chunk by chunk, from cloud storage. Those
presigned links are fetched without the Databricks Authorization header, as the API
requires; a link that expired is fetched afresh once.

Credentials come from Secrets Manager (podium.adapters.secrets); their secret parts
never appear in an error, log line or handle.
"""

from __future__ import annotations

import json
import logging
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from typing import Any, TypeVar

from podium.adapters.bedrock import client_token_for
from podium.adapters.errors import DatabricksRejected, DatabricksUnavailable
from podium.adapters.ports import GenerationState, GenerationStatus
from podium.adapters.secrets import DatabricksCredentials
from podium.config import TABLE_NAME
from podium.dataset.records import Fact, QAPair
from podium.errors import ConfigError, DataError

_T = TypeVar("_T")
log = logging.getLogger(__name__)

FACTS_SUFFIX = "_facts"

_PAIR_COLUMNS = ("fact_id", "relation", "question", "answer", "source")
_FACT_COLUMNS = ("relation", "fact_key", "subject", "answer_value", "answer", "slots")
_PAIRS_SQL = f"SELECT {', '.join(_PAIR_COLUMNS)} FROM {{table}} WHERE run_id = :run_id ORDER BY fact_id, question"
_FACTS_SQL = f"SELECT {', '.join(_FACT_COLUMNS)} FROM {{table}} WHERE run_id = :run_id ORDER BY relation, fact_key"
_STILL_RUNNING_V1 = {"PENDING", "QUEUED", "RUNNING", "TERMINATING", "BLOCKED", "WAITING_FOR_RETRY"}
_FAILED_V1 = {"SKIPPED", "INTERNAL_ERROR"}
_SUCCESS_RESULTS = {"SUCCESS", "SUCCESS_WITH_FAILURES"}  # the latter: every leaf task succeeded
_STATEMENT_ACTIVE = {"PENDING", "RUNNING"}
_LINK_EXPIRED = 403  # what cloud storage answers to an expired presigned URL


def checked_table_name(value: str, setting: str = "databricks.output_table") -> str:
    """`value` if it is a catalog.schema.table name safe to put into SQL, else ConfigError."""
    if not isinstance(value, str) or not TABLE_NAME.fullmatch(value.strip()):
        raise ConfigError(
            setting,
            f"{value!r} is not a three-part table name catalog.schema.table made of letters, "
            "digits and underscores (catalog or schema may be put in `backquotes` if they need "
            "other characters; the table part may not)",
        )
    return value.strip()


def generation_status_for_run(run: Any) -> GenerationStatus:
    """Map a jobs `Run` to RUNNING / SUCCEEDED / FAILED, keeping Databricks' own message.

    Reads the classic `state` (life_cycle_state, result_state, state_message) and the
    newer `status` (state, termination_details) — whichever the workspace returns.
    """
    state, status = getattr(run, "state", None), getattr(run, "status", None)
    lifecycle = _enum_value(getattr(state, "life_cycle_state", None))
    result = _enum_value(getattr(state, "result_state", None))
    v2_state = _enum_value(getattr(status, "state", None))
    details = getattr(status, "termination_details", None)
    code = _enum_value(getattr(details, "code", None))
    kind = _enum_value(getattr(details, "type", None))
    message = (getattr(details, "message", None) or getattr(state, "state_message", None) or "").strip()

    if lifecycle in _FAILED_V1:
        terminal = True
    elif v2_state:
        terminal = v2_state == "TERMINATED"
    else:
        terminal = lifecycle not in _STILL_RUNNING_V1 and lifecycle != ""
    if not terminal:
        return GenerationStatus(GenerationState.RUNNING)

    if code or kind:
        succeeded = code in _SUCCESS_RESULTS or (not code and kind == "SUCCESS")
    else:
        succeeded = lifecycle == "TERMINATED" and result in _SUCCESS_RESULTS
    if succeeded:
        return GenerationStatus(GenerationState.SUCCEEDED, message if code == "SUCCESS_WITH_FAILURES" else "")
    outcome = code or result or lifecycle or v2_state
    text = f"Databricks run {getattr(run, 'run_id', '?')} ended {outcome}"
    if message:
        text += f": {message}"
    if getattr(run, "run_page_url", None):
        text += f" (see {run.run_page_url})"
    return GenerationStatus(GenerationState.FAILED, text)


def _enum_value(value: object) -> str:
    if value is None:
        return ""
    return str(getattr(value, "value", value))


class DatabricksGenerator:
    """ports.Generator on a Databricks job + SQL warehouse.

    No network on construction: the workspace client is made on first use. `clock` (a
    databricks.sdk.clock.Clock) drives the SDK's retries and the statement polling, so
    tests need not sleep.
    """

    name = "databricks"

    def __init__(
        self,
        credentials: DatabricksCredentials,
        job_id: int | str,
        warehouse_id: str,
        output_table: str,
        *,
        retry_timeout_seconds: int = 30,
        http_timeout_seconds: int = 20,
        statement_timeout_seconds: int = 240,
        poll_seconds: float = 2.0,
        clock: Any | None = None,
    ) -> None:
        if job_id in (None, ""):
            raise ConfigError(
                "databricks.job_id",
                "is required: the id of the podium_generate job (`databricks bundle deploy` "
                "in sql/databricks creates it; `databricks jobs list` shows it)",
            )
        try:
            self.job_id = int(job_id)
        except (TypeError, ValueError):
            raise ConfigError("databricks.job_id", f"{job_id!r} is not a job id (a whole number)") from None
        if not warehouse_id:
            raise ConfigError("databricks.warehouse_id", "is required to read the generated pairs back")
        self.warehouse_id = warehouse_id
        self.output_table = checked_table_name(output_table)
        self._credentials = credentials
        self._retry_timeout_seconds = retry_timeout_seconds
        self._http_timeout_seconds = http_timeout_seconds
        self._statement_timeout_seconds = statement_timeout_seconds
        self._poll_seconds = poll_seconds
        self._clock = clock
        self._client: Any | None = None
        self._downloads: Any | None = None  # plain requests session: no Databricks credentials on it
        # Why paraphrases were dropped while reading; counted for the dataset report.
        self.rejections: Counter[str] = Counter()
        # The facts task does not cross-check the source tables: report.json says so.
        self.disagreements: list[dict[str, Any]] | None = None

    def __repr__(self) -> str:
        return (
            f"DatabricksGenerator(host={self._credentials.host!r}, job_id={self.job_id}, "
            f"warehouse_id={self.warehouse_id!r}, output_table={self.output_table!r})"
        )

    @property
    def _workspace(self) -> Any:
        if self._client is None:
            from databricks.sdk import WorkspaceClient
            from databricks.sdk.config import Config

            c = self._credentials
            auth = (
                {"token": c.token}
                if c.auth_type == "pat"
                else {
                    "client_id": c.client_id,
                    "client_secret": c.client_secret,
                    # The workspace's own OIDC discovery document; explicit so M2M does not
                    # depend on the SDK's best-effort host-metadata probe.
                    "discovery_url": f"{c.host}/oidc/.well-known/oauth-authorization-server",
                }
            )
            try:
                config = Config(
                    host=c.host,
                    auth_type=c.auth_type,  # fixed, so the SDK probes no other credential source
                    retry_timeout_seconds=self._retry_timeout_seconds,
                    http_timeout_seconds=self._http_timeout_seconds,
                    clock=self._clock,
                    product="podium",
                    product_version="0.1.0",
                    **auth,
                )
            except Exception as error:  # the SDK's own text masks secrets; scrub anyway
                raise DatabricksRejected(
                    f"cannot sign in to Databricks at {c.host} ({c.auth_type}): {c.scrub(str(error))}"
                ) from None
            self._client = WorkspaceClient(config=config)
        return self._client

    # -- Generator ----------------------------------------------------------------

    def start(self, run_id: str) -> dict[str, Any]:
        waiter = self._call(
            f"start job {self.job_id}",
            lambda: self._workspace.jobs.run_now(
                self.job_id,
                job_parameters={"run_id": run_id, "output_table": self.output_table},
                # A retried StartGeneration gets the same Databricks run, not a second one.
                idempotency_token=client_token_for(run_id, "databricks-run"),
            ),
        )
        databricks_run_id = int(waiter.response.run_id)
        log.info("started Databricks job %s: job run %s", self.job_id, databricks_run_id)
        return {"generator": self.name, "run_id": run_id, "databricks_run_id": databricks_run_id}

    def status(self, handle: Mapping[str, Any]) -> GenerationStatus:
        databricks_run_id = _handle_value(handle, "databricks_run_id")
        run = self._call(
            f"read job run {databricks_run_id}",
            lambda: self._workspace.jobs.get_run(int(databricks_run_id)),
        )
        status = generation_status_for_run(run)
        return GenerationStatus(status.state, self._credentials.scrub(status.message))

    def cancel(self, handle: Mapping[str, Any]) -> bool:
        """Cancel this run's job run if it is still going (a failed or stopped Podium run
        must not leave Databricks compute burning). True when a cancel was requested."""
        databricks_run_id = int(_handle_value(handle, "databricks_run_id"))
        run = self._call(f"read job run {databricks_run_id}", lambda: self._workspace.jobs.get_run(databricks_run_id))
        if generation_status_for_run(run).state is not GenerationState.RUNNING:
            return False
        # cancel_run returns a waiter; it is not awaited: the cancel is asynchronous on Databricks too.
        self._call(f"cancel job run {databricks_run_id}", lambda: self._workspace.jobs.cancel_run(databricks_run_id))
        log.info("cancelled Databricks job run %s", databricks_run_id)
        return True

    def read_pairs(self, handle: Mapping[str, Any]) -> Iterator[QAPair]:
        """This run's pairs: the built-in template questions for every fact the job
        extracted, then the job's ai_query paraphrases that pass Podium's own check."""
        from podium.dataset.pairs import template_pairs, verify_paraphrase

        run_id = str(_handle_value(handle, "run_id"))
        facts = {fact.fact_id: fact for fact in self.read_facts(run_id)}
        yield from template_pairs(facts.values(), rejected=self.rejections)
        for line, row in enumerate(self._query(_PAIRS_SQL, self.output_table, run_id), start=1):
            values = _row_values(row, _PAIR_COLUMNS, self.output_table, line, run_id)
            fact = facts.get(values["fact_id"])
            if fact is None:
                self.rejections["paraphrase of an unknown fact"] += 1
                continue
            reason = verify_paraphrase(values["question"], fact)
            if reason is not None:
                self.rejections[reason] += 1
                continue
            # The answer is always the fact's own sentence, whatever the table says.
            yield QAPair(fact.fact_id, fact.relation, values["question"].strip(), fact.answer, values["source"])

    def read_facts(self, run_id: str) -> list[Fact]:
        """The facts the job's facts task stored for `run_id` (slots come back from JSON)."""
        table = self.output_table + FACTS_SUFFIX
        facts = []
        for line, row in enumerate(self._query(_FACTS_SQL, table, run_id), start=1):
            values = _row_values(row, _FACT_COLUMNS, table, line, run_id, optional=("slots",))
            try:
                slots = json.loads(values["slots"] or "{}")
                if not isinstance(slots, dict):
                    raise ValueError("not an object")
            except ValueError as error:
                raise DataError(f"slots is not a JSON object ({error})", file=table, line=line, field="slots") from None
            facts.append(
                Fact(
                    relation=values["relation"],
                    key=values["fact_key"],
                    subject=values["subject"],
                    answer_value=values["answer_value"],
                    answer=values["answer"],
                    slots={str(k): "" if v is None else str(v) for k, v in slots.items()},
                )
            )
        if not facts:
            raise DataError(
                f"no facts for run {run_id}",
                file=table,
                hint="the podium_generate job's facts task writes them; check its run in Databricks",
            )
        return facts

    # -- SQL ----------------------------------------------------------------------

    def _query(self, template: str, table: str, run_id: str) -> Iterator[list[Any]]:
        """Rows of `template` (with {table}) for `run_id`: every chunk, every external link."""
        from databricks.sdk.service.sql import (
            Disposition,
            ExecuteStatementRequestOnWaitTimeout,
            Format,
            StatementParameterListItem,
        )

        # The table name is validated; the run id travels as a bound parameter.
        statement = template.format(table=table)
        sql = self._workspace.statement_execution
        response = self._call(
            f"query {table} on warehouse {self.warehouse_id}",
            lambda: sql.execute_statement(
                statement=statement,
                warehouse_id=self.warehouse_id,
                parameters=[StatementParameterListItem(name="run_id", value=run_id, type="STRING")],
                wait_timeout="30s",
                on_wait_timeout=ExecuteStatementRequestOnWaitTimeout.CONTINUE,
                disposition=Disposition.EXTERNAL_LINKS,
                format=Format.JSON_ARRAY,
            ),
        )
        response = self._await_statement(response, table)
        manifest = response.manifest
        if manifest is not None and manifest.truncated:
            raise DatabricksRejected(
                f"the result from {table} was truncated by the warehouse; "
                "reduce the rows per run or raise the warehouse's result limit"
            )
        expected = manifest.total_row_count if manifest is not None else None
        statement_id = response.statement_id

        def chunk_n(index: int) -> Any:
            return self._call(
                f"read result chunk {index} of {table}",
                lambda: sql.get_statement_result_chunk_n(statement_id, index),
            )

        seen = 0
        chunk = response.result
        while chunk is not None:
            links = chunk.external_links or []
            for link in links:
                for row in self._download(link, table, chunk_n):
                    seen += 1
                    yield row
            # One answer may carry several links, in order; the last one says what comes next.
            next_index = links[-1].next_chunk_index if links else chunk.next_chunk_index
            if next_index is None:
                break
            chunk = chunk_n(next_index)
        if expected is not None and seen != expected:
            raise DatabricksRejected(
                f"read {seen} rows of {table} for run {run_id}, but the warehouse reported {expected}"
            )

    def _download(self, link: Any, table: str, chunk_n: Callable[[int], Any]) -> list[list[Any]]:
        """One external link's rows. Its URL is presigned for cloud storage: it gets only the
        headers the API lists for it, never the workspace's Authorization header."""
        import requests

        if self._downloads is None:
            self._downloads = requests.Session()
            self._downloads.trust_env = False  # no ~/.netrc credentials either
        where = f"result chunk {link.chunk_index} of {table}"
        for attempt in (1, 2):
            try:
                answer = self._downloads.get(
                    link.external_link, headers=dict(link.http_headers or {}), timeout=self._http_timeout_seconds
                )
            except requests.RequestException as error:
                # The URL carries a signature: say what failed, not where it points.
                raise DatabricksUnavailable(f"could not download {where}: {type(error).__name__}") from None
            if answer.status_code == _LINK_EXPIRED and attempt == 1 and link.chunk_index is not None:
                fresh = chunk_n(link.chunk_index)  # links expire after a while: ask for this chunk's links again
                link = next((x for x in fresh.external_links or () if x.chunk_index == link.chunk_index), link)
                continue
            if answer.status_code != 200:
                raise DatabricksUnavailable(f"downloading {where} from cloud storage: HTTP {answer.status_code}")
            try:
                rows = answer.json()
            except ValueError:
                raise DatabricksRejected(f"{where} is not a JSON array of rows") from None
            if not isinstance(rows, list) or (link.row_count is not None and len(rows) != link.row_count):
                raise DatabricksRejected(
                    f"{where} has {len(rows) if isinstance(rows, list) else 'no'} rows; "
                    f"the warehouse announced {link.row_count}"
                )
            return rows
        raise DatabricksUnavailable(f"{where}: its download link expired twice")

    def _await_statement(self, response: Any, table: str) -> Any:
        from databricks.sdk.clock import RealClock

        clock = self._clock or RealClock()
        deadline = clock.time() + self._statement_timeout_seconds
        statement_id = response.statement_id
        statements = self._workspace.statement_execution
        while _enum_value(response.status.state if response.status else None) in _STATEMENT_ACTIVE:
            if clock.time() >= deadline:
                self._call("cancel a slow statement", lambda: statements.cancel_execution(statement_id))
                raise DatabricksUnavailable(
                    f"warehouse {self.warehouse_id} did not answer within {self._statement_timeout_seconds}s "
                    "(a stopped warehouse can take minutes to start); the step will be retried"
                )
            clock.sleep(self._poll_seconds)
            response = self._call("poll statement", lambda: statements.get_statement(statement_id))
        state = _enum_value(response.status.state if response.status else None)
        if state != "SUCCEEDED":
            error = response.status.error if response.status else None
            detail = getattr(error, "message", None) or "no message"
            raise DatabricksRejected(
                f"reading {table} on warehouse {self.warehouse_id} ended {state}: " + self._credentials.scrub(detail)
            )
        return response

    # -- errors -------------------------------------------------------------------

    def _call(self, action: str, call: Callable[[], _T]) -> _T:
        """Run an SDK call; its failures become errors the state machine can match by name."""
        import requests
        from databricks.sdk import errors

        transient = (
            errors.TooManyRequests,
            errors.TemporarilyUnavailable,
            errors.InternalError,
            errors.DeadlineExceeded,
            errors.Cancelled,
        )
        try:
            return call()
        except transient as error:
            raise DatabricksUnavailable(self._explain(action, error)) from None
        except (errors.Unauthenticated, errors.PermissionDenied) as error:
            raise DatabricksRejected(
                self._explain(action, error)
                + " — check the credentials in the databricks.secret_name secret and their permissions"
            ) from None
        except errors.DatabricksError as error:
            raise DatabricksRejected(self._explain(action, error)) from None
        except (requests.RequestException, TimeoutError) as error:
            raise DatabricksUnavailable(self._explain(action, error)) from None

    def _explain(self, action: str, error: BaseException) -> str:
        text = self._credentials.scrub(str(error)) or type(error).__name__
        return f"Databricks ({self._credentials.host}) could not {action}: {text}"


def _row_values(
    row: list[Any],
    columns: tuple[str, ...],
    table: str,
    line: int,
    run_id: str,
    optional: tuple[str, ...] = (),
) -> dict[str, str]:
    """A result row as a dict; a DataError naming the table and row when a value is missing."""
    values = dict(zip(columns, row, strict=False))
    missing = [c for c in columns if c not in optional and not values.get(c)]
    if len(row) != len(columns) or missing:
        raise DataError(
            f"row for run {run_id} has no {', '.join(missing) or 'expected columns'}",
            file=table,
            line=line,
            hint=f"the podium_generate job must write non-empty {', '.join(columns)}",
        )
    return {c: "" if values.get(c) is None else str(values[c]) for c in columns}


def _handle_value(handle: Mapping[str, Any], key: str) -> Any:
    value = handle.get(key) if isinstance(handle, Mapping) else None
    if value in (None, ""):
        raise ValueError(f"generation handle lacks {key!r}: expected the dict DatabricksGenerator.start returned")
    return value


__all__ = ["DatabricksGenerator", "checked_table_name", "generation_status_for_run"]
