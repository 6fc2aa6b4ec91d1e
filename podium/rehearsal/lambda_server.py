"""A local stand-in for AWS Lambda's Invoke API that runs the real handlers in-process.

Step Functions (moto's executor in rehearsal) invokes `arn:aws:states:::lambda:invoke`
through boto3; with AWS_ENDPOINT_URL_LAMBDA pointing here, each call reaches
`POST /2015-03-31/functions/{name or ARN}/invocations`, is mapped to its Step
(podium.workflow.steps) and runs `lambdas.<module>.handler`. A handler exception is
answered the way Lambda answers it — HTTP 200, `X-Amz-Function-Error: Unhandled`, body
{"errorType": <class name>, "errorMessage": ...} — so Retry/Catch match on the class name.

Faults can be injected per step (e.g. throttle its first call) to rehearse retries.

What the functions log goes to `LambdaServer.logs` (FunctionLogs), as Lambda's runtime sends
it to CloudWatch Logs: one JSON object a line, never onto the terminal that shows the
rehearsal's progress. One invocation runs at a time: the functions share this process, and
with it the keys (run id, step) their Logger puts on every line of an invocation.
"""

from __future__ import annotations

import importlib
import json
import logging
import sys
import threading
import time
import traceback
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from podium.rehearsal.iam.session import calling_as
from podium.rehearsal.local_http import LocalHTTPServer
from podium.workflow.steps import STEPS, Step

REPO_ROOT = Path(__file__).resolve().parents[2]
PODIUM_LOGGER = "podium"  # podium's modules log under it; the functions' Logger gives it its handler
OBSERVABILITY = "lambdas.observability"  # the handlers' Logger and Metrics
_INVOKE_PREFIX = "/2015-03-31/functions/"
_INVOKE_SUFFIX = "/invocations"

Handler = Callable[[dict[str, Any], Any], Any]


# Failures Step Functions raises itself, which no Retry or Catch handles (States.ALL does not
# match them): a Fault with one of these runs the step's handler (its work is done, e.g. a
# throughput created) and then answers a result that makes the executor fail the execution that
# way — a result the execution state cannot hold (its 256 KB), or without a field the state's
# ResultSelector reads (a path that does not exist).
UNCATCHABLE = ("States.DataLimitExceeded", "States.Runtime")
STATE_LIMIT_BYTES = 256 * 1024  # Step Functions' quota on a state, as UTF-8 JSON


@dataclass
class Fault:
    """Make the first `times` invocations of `step` fail with `error_type` (the Lambda
    errorType, which is what the state machine's Retry/Catch match), or, for an error of
    UNCATCHABLE, run and then return a result the executor fails the execution on."""

    step: str
    error_type: str = "TransientError"
    message: str = "fault injected by podium rehearsal"
    times: int = 1
    # True: the handler runs to the end (what it did is done) and its answer is lost: Lambda reports
    # `error_type` instead (e.g. Sandbox.Timedout), so the state machine retries work already done.
    after: bool = False

    def __post_init__(self) -> None:
        if self.step not in {s.name for s in STEPS}:
            names = ", ".join(s.name for s in STEPS)
            raise ValueError(f"Fault.step={self.step!r} is not a workflow step; use one of {names}")


@dataclass(frozen=True)
class Invocation:
    step: str
    payload: Any
    error_type: str | None  # None when the handler returned normally
    injected: bool = False


@dataclass
class LocalContext:
    """The attributes of Lambda's context object that handlers read."""

    function_name: str
    invoked_function_arn: str
    memory_limit_in_mb: int
    timeout_seconds: int
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    function_version: str = "$LATEST"
    log_group_name: str = ""
    log_stream_name: str = "local"
    _deadline: float = field(default=0.0, repr=False)

    def __post_init__(self) -> None:
        self.log_group_name = self.log_group_name or f"/aws/lambda/{self.function_name}"
        self._deadline = time.monotonic() + self.timeout_seconds

    @classmethod
    def for_step(
        cls, step: Step, *, name_prefix: str = "podium", region: str = "us-west-2", account: str = "123456789012"
    ) -> LocalContext:
        """The context of one invocation of `step`'s function, named as rehearsal names it."""
        return cls(
            function_name=function_name(name_prefix, step),
            invoked_function_arn=function_arn(region, account, name_prefix, step),
            memory_limit_in_mb=step.memory_mb,
            timeout_seconds=step.timeout_seconds,
        )

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


def _breaking(result: Any, error_type: str, payload: Any) -> Any:
    """`result` made into one Step Functions fails the execution on with `error_type`."""
    if not isinstance(result, dict) or not result:
        raise ValueError(f"a {error_type} fault needs a step whose result is a JSON object, got {result!r}")
    if error_type == "States.Runtime":  # a field its ResultSelector reads is missing
        return dict(list(result.items())[1:])
    # A result just under the quota, as a Lambda result may be, that the state — which holds at
    # least what the step was sent, besides this result — cannot: the state's own overflow, which
    # no Catch sees (an oversized result itself would be a Task failure a Catch could see).
    sent = len(json.dumps(payload).encode("utf-8"))
    key = next((k for k, v in result.items() if isinstance(v, str)), next(iter(result)))
    return {**result, key: f"{result[key] or ''}{'x' * (STATE_LIMIT_BYTES - sent // 2)}"}


class FunctionLogs:
    """The functions' log lines, kept here instead of CloudWatch Logs. A file-like sink for the
    log handler that Powertools' Logger (lambdas/observability.py) gives the `podium` logger."""

    def __init__(self) -> None:
        self._lines: list[str] = []
        self._partial = ""
        self._lock = threading.Lock()

    def attach(self) -> None:
        """Point the functions' log handler here (it stays pointed here after the rehearsal
        ends). Importing the handlers' observability module creates that handler."""
        _repository_on_path()
        importlib.import_module(OBSERVABILITY)
        for handler in logging.getLogger(PODIUM_LOGGER).handlers:
            if isinstance(handler, logging.StreamHandler) and handler.stream is not self:
                handler.setStream(self)

    def write(self, text: str) -> int:
        with self._lock:
            *complete, self._partial = (self._partial + text).split("\n")
            self._lines.extend(line for line in complete if line.strip())
        return len(text)

    def flush(self) -> None:
        pass

    def lines(self) -> list[str]:
        with self._lock:
            return list(self._lines)

    def records(self) -> list[dict[str, Any]]:
        """Every line as the JSON object it is (a line that is not one: {"message": line})."""
        records = []
        for line in self.lines():
            try:
                record = json.loads(line)
            except ValueError:
                record = None
            records.append(record if isinstance(record, dict) else {"message": line})
        return records

    def clear(self) -> None:
        with self._lock:
            self._lines.clear()


def function_name(name_prefix: str, step: Step) -> str:
    """The function name rehearsal gives a step (the deployed stack's names may differ)."""
    return f"{name_prefix}-{step.name}"


def function_arn(region: str, account: str, name_prefix: str, step: Step) -> str:
    return f"arn:aws:lambda:{region}:{account}:function:{function_name(name_prefix, step)}"


def _name_from_identifier(identifier: str) -> str:
    """Lambda accepts a name, a full ARN or a partial ARN, optionally with a qualifier."""
    identifier = unquote(identifier)
    if identifier.startswith("arn:"):
        parts = identifier.split(":")
        return parts[6] if len(parts) > 6 else identifier
    if ":function:" in identifier or identifier.count(":") >= 2:  # partial ARN "acct:function:name"
        parts = identifier.split(":")
        return parts[2]
    return identifier.split(":", 1)[0]


def _repository_on_path() -> None:
    if str(REPO_ROOT) not in sys.path:
        sys.path.insert(0, str(REPO_ROOT))


def load_handler(step: Step) -> Handler:
    """Import `lambdas.<module>.handler` from the repository (lambdas/ is not installed)."""
    _repository_on_path()
    module = importlib.import_module(f"lambdas.{step.module}")
    return module.handler  # type: ignore[no-any-return]


class LambdaServer(LocalHTTPServer):
    """Serve the workflow's handlers on 127.0.0.1. Use as a context manager or start()/stop()."""

    thread_name = "podium-lambda"

    def __init__(
        self,
        *,
        name_prefix: str = "podium",
        region: str = "us-west-2",
        account: str = "123456789012",
        faults: Iterable[Fault] = (),
        handlers: Mapping[str, Handler] | None = None,
        port: int = 0,
    ) -> None:
        self.region, self.account, self.name_prefix = region, account, name_prefix
        self._steps = {function_name(name_prefix, step): step for step in STEPS}
        self._handlers: dict[str, Handler] = dict(handlers or {})  # step name → handler override
        self._faults: dict[str, Fault] = {}
        self._fault_counts: dict[str, int] = {}
        for fault in faults:
            self.inject(fault)
        self._lock = threading.Lock()
        self._one_at_a_time = threading.Lock()
        self.invocations: list[Invocation] = []
        self.logs = FunctionLogs()
        # step name → botocore Credentials of its role (podium.rehearsal.iam): the clients a handler
        # makes sign with them, as a function's clients sign with its role's on AWS
        self.credentials: dict[str, Any] = {}
        super().__init__(port)

    # -- configuration ---------------------------------------------------------------

    def arn(self, step: Step) -> str:
        return function_arn(self.region, self.account, self.name_prefix, step)

    def substitutions(self) -> dict[str, str]:
        """definition_substitutions for the ASL's Lambda placeholders."""
        return {step.substitution: self.arn(step) for step in STEPS}

    def inject(self, fault: Fault) -> None:
        self._faults[fault.step] = fault
        self._fault_counts[fault.step] = 0

    def clear(self) -> None:
        """Forget injected faults, recorded invocations and log lines."""
        with self._lock:
            self._faults.clear()
            self._fault_counts.clear()
            self.invocations.clear()
        self.logs.clear()

    def calls(self, step: str) -> list[Invocation]:
        with self._lock:
            return [call for call in self.invocations if call.step == step]

    # -- invocation ------------------------------------------------------------------------

    def invoke(self, identifier: str, payload: Any) -> tuple[int, dict[str, str], Any]:
        """Run one invocation: (HTTP status, extra headers, JSON body)."""
        name = _name_from_identifier(identifier)
        step = self._steps.get(name)
        if step is None:
            return (
                404,
                {"x-amzn-ErrorType": "ResourceNotFoundException"},
                {
                    "Type": "User",
                    "message": f"Function not found: {name} (rehearsal serves {', '.join(sorted(self._steps))})",
                },
            )
        fault = self._take_fault(step.name)
        if fault is not None and not fault.after and fault.error_type not in UNCATCHABLE:
            return self._injected(step.name, payload, fault)
        handler = self._handlers.get(step.name) or load_handler(step)
        context = LocalContext.for_step(step, name_prefix=self.name_prefix, region=self.region, account=self.account)
        try:
            with self._one_at_a_time, calling_as(self.credentials.get(step.name)):
                self.logs.attach()
                result = handler(payload, context)
        except Exception as error:  # noqa: BLE001 - every handler error becomes Lambda's error payload
            self._record(Invocation(step.name, payload, type(error).__name__))
            return (
                200,
                {"X-Amz-Function-Error": "Unhandled"},
                {
                    "errorType": type(error).__name__,
                    "errorMessage": str(error),
                    "stackTrace": traceback.format_tb(error.__traceback__),
                },
            )
        if fault is not None and fault.error_type in UNCATCHABLE:
            # the work is done; the answer is what breaks the execution
            self._record(Invocation(step.name, payload, fault.error_type, injected=True))
            return 200, {"X-Amz-Executed-Version": "$LATEST"}, _breaking(result, fault.error_type, payload)
        if fault is not None:  # after: the work is done, the answer lost
            return self._injected(step.name, payload, fault)
        self._record(Invocation(step.name, payload, None))
        return 200, {"X-Amz-Executed-Version": "$LATEST"}, result

    def _injected(self, step: str, payload: Any, fault: Fault) -> tuple[int, dict[str, str], Any]:
        self._record(Invocation(step, payload, fault.error_type, injected=True))
        body = {"errorType": fault.error_type, "errorMessage": fault.message, "stackTrace": []}
        return 200, {"X-Amz-Function-Error": "Unhandled"}, body

    def _take_fault(self, step: str) -> Fault | None:
        with self._lock:
            fault = self._faults.get(step)
            if fault is None or self._fault_counts[step] >= fault.times:
                return None
            self._fault_counts[step] += 1
            return fault

    def _record(self, invocation: Invocation) -> None:
        with self._lock:
            self.invocations.append(invocation)

    def _request_handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class _Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                path = self.path.split("?", 1)[0]
                if not (path.startswith(_INVOKE_PREFIX) and path.endswith(_INVOKE_SUFFIX)):
                    self._send(404, {"x-amzn-ErrorType": "UnknownOperationException"}, {"message": path})
                    return
                identifier = path[len(_INVOKE_PREFIX) : -len(_INVOKE_SUFFIX)]
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                try:
                    payload = json.loads(raw) if raw else {}
                except ValueError:
                    self._send(
                        400,
                        {"x-amzn-ErrorType": "InvalidRequestContentException"},
                        {"Type": "User", "message": "Could not parse request body into json"},
                    )
                    return
                status, headers, body = server.invoke(identifier, payload)
                self._send(status, headers, body)

            def _send(self, status: int, headers: Mapping[str, str], body: Any) -> None:
                data = json.dumps(body).encode("utf-8")
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.send_header("x-amzn-RequestId", str(uuid.uuid4()))
                for key, value in headers.items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: Any) -> None:
                pass  # the harness reports progress; per-request lines are noise

        return _Handler
