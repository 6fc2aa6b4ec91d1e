"""The largest execution state statemachine/finetune.asl.json can hold, added up from the bound of
every part it keeps. Step Functions fails an execution whose state outgrows 256 KB (of UTF-8 JSON)
with States.DataLimitExceeded, which no Catch sees, so Cleanup would not run: the largest state
must stay well under that.

Every string the steps put into the state is bounded (podium.workflow.events, podium.config):
free text by bytes of JSON (`maxJsonBytes`), identifiers by length and printable ASCII (one byte a
character), anything else by length at the worst JSON escape (6 bytes a character). A caught
error ($.error and the like) carries a step's error as Lambda reports it, its message cut by
lambdas/bounded.py (podium.workflow.errors.bounded).
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from podium.config import PRINTABLE_ASCII
from podium.rehearsal.harness import ASL_PATH
from podium.workflow.errors import ERROR_MESSAGE_BYTES, bounded
from podium.workflow.events import (
    DatasetOutcome,
    EvaluationProgress,
    FailureSummary,
    FineTuneProgress,
    GateOutcome,
    GenerationProgress,
    Notice,
    RunContext,
    RunOutcome,
    ThroughputProgress,
)

STATE_LIMIT = 256 * 1024  # Step Functions' quota on a state's input or output, UTF-8 encoded
WELL_UNDER = STATE_LIMIT // 2
STATES = json.loads(ASL_PATH.read_text())["States"]

# Where the definition keeps what: every top-level path some state writes, and its model.
MODELS = {
    "run": RunContext,
    "generation": GenerationProgress,
    "dataset": DatasetOutcome,
    "finetune": FineTuneProgress,
    "throughput": ThroughputProgress,
    "evaluation": EvaluationProgress,
    "gate": GateOutcome,
    "outcome": RunOutcome,
    "failure": FailureSummary,
    "notice": Notice,
}
CAUGHT_ERRORS = ("error", "cleanup_error")  # {"Error", "Cause"} as a Catch stores it


def _paths_written() -> set[str]:
    """Every top-level path a state writes, but the raw input: Start wraps it, and Prepare's result
    replaces the whole state (test_the_raw_input_is_not_carried_past_prepare)."""
    paths = set()
    for name, state in STATES.items():
        if name == "Start":
            continue
        if state.get("ResultPath") == "$":
            paths |= set(state["ResultSelector"])
        elif state.get("ResultPath"):
            paths.add(state["ResultPath"].removeprefix("$."))
        paths |= {catcher["ResultPath"].removeprefix("$.") for catcher in state.get("Catch", [])}
    return {path.split(".")[0] for path in paths}


def max_json_bytes(schema: dict[str, Any], defs: dict[str, Any], where: str) -> int:
    """The most bytes of UTF-8 JSON a value valid for `schema` can take."""
    if "maxJsonBytes" in schema:  # a bound a validator keeps (on the field, whatever its type's union)
        return max(schema["maxJsonBytes"], 4)
    if "$ref" in schema:
        return max_json_bytes(defs[schema["$ref"].rsplit("/", 1)[-1]], defs, where)
    for union in ("anyOf", "oneOf"):
        if union in schema:
            return max(max_json_bytes(option, defs, where) for option in schema[union])
    if "enum" in schema or "const" in schema:
        return max(len(json.dumps(value)) for value in schema.get("enum", [schema.get("const")]))
    kind = schema.get("type")
    if kind == "string":
        assert "maxLength" in schema, f"{where}: a string with no bound"
        per_char = 1 if schema.get("pattern") == PRINTABLE_ASCII else 6  # 6: "\u001f"
        return 2 + per_char * schema["maxLength"]
    if kind == "integer":
        return 20
    if kind == "number":
        return 24  # the longest float repr, e.g. -1.2345678901234567e-300
    if kind == "boolean":
        return 5
    if kind == "null":
        return 4
    if kind == "array":
        assert "maxItems" in schema, f"{where}: a list with no bound"
        return 2 + schema["maxItems"] * (max_json_bytes(schema["items"], defs, where + "[]") + 1)
    if kind == "object":
        if "properties" in schema:
            fields = schema["properties"].items()
            return 2 + sum(len(json.dumps(k)) + 2 + max_json_bytes(v, defs, f"{where}.{k}") for k, v in fields)
        assert "maxProperties" in schema, f"{where}: a mapping with no bound"
        key_schema = {"type": "string", **schema.get("propertyNames", {})}
        if "patternProperties" in schema:  # keys constrained by a pattern
            ((pattern, value_schema),) = schema["patternProperties"].items()
            key_schema["pattern"] = pattern
        else:
            value_schema = schema["additionalProperties"]
        key = max_json_bytes(key_schema, defs, where + ".<key>")
        value = max_json_bytes(value_schema, defs, where + ".<value>")
        return 2 + schema["maxProperties"] * (key + 2 + value)
    raise AssertionError(f"{where}: cannot bound {schema}")


def model_bytes(model: type) -> int:
    schema = model.model_json_schema(mode="serialization")
    return max_json_bytes(schema, schema.get("$defs", {}), model.__name__)


def caught_error_bytes() -> int:
    """A Catch's {"Error", "Cause"}: the Cause is the error Lambda reports for a handler (lambdas/
    bounded.py cuts its message; the stack trace is the wrapper's frame), in the state as a JSON
    string, each of its quotes escaped. Step Functions' own causes (States.*, Lambda.*) are short."""
    worst = bounded(RuntimeError('"' * 10 * ERROR_MESSAGE_BYTES))  # every character needs an escape
    cause = json.dumps(
        {
            "errorMessage": str(worst),
            "errorType": "E" * 256,
            "requestId": "0" * 36,
            "stackTrace": ['  File "/var/task/lambdas/bounded.py", line 99, in wrapper\n' + "x" * 400],
        }
    )
    return len(json.dumps({"Error": "E" * 256, "Cause": cause}).encode())


def test_the_raw_input_is_not_carried_past_prepare():
    # The input may be as large as Step Functions accepts (256 KB); Prepare refuses more than 16 KB
    # and its result, not the input, is the state from then on.
    assert STATES["Start"]["Parameters"] == {"input.$": "$"} and STATES["Start"]["Next"] == "Prepare"
    assert STATES["Prepare"]["ResultPath"] == "$" and list(STATES["Prepare"]["ResultSelector"]) == ["run"]
    assert not any("$.input" in json.dumps(state) for name, state in STATES.items() if name != "Prepare")


def test_every_path_the_definition_writes_is_bounded_here():
    assert _paths_written() == set(MODELS) | set(CAUGHT_ERRORS)


@pytest.mark.parametrize("model", list(MODELS.values()), ids=list(MODELS))
def test_every_string_of_every_part_is_bounded(model):
    assert model_bytes(model) > 0


def test_the_largest_state_the_definition_can_carry_is_well_under_256_kb():
    parts = {path: model_bytes(model) for path, model in MODELS.items()}
    parts |= {path: caught_error_bytes() for path in CAUGHT_ERRORS}
    largest = 2 + sum(len(json.dumps(path)) + 2 + size for path, size in parts.items())
    print(f"largest state: {largest:,} bytes", {k: f"{v:,}" for k, v in parts.items()})
    assert largest < WELL_UNDER, f"{largest:,} bytes; parts: {parts}"


def test_the_cut_keeps_a_long_message_within_its_bytes_whatever_its_characters():
    for text in ('"' * 50_000, "é" * 50_000, "\x01" * 50_000, "🙂" * 50_000):
        outcome = GateOutcome(decision="discard", message=text)
        assert len(json.dumps(outcome.message, ensure_ascii=False).encode()) <= 4_000
        assert len(str(bounded(ValueError(text)))) <= ERROR_MESSAGE_BYTES
