"""A rehearsal's output folder is its memory: `podium rehearse --out DIR` run again on the
same DIR starts from what the earlier runs left, as the next run of a deployed stack would.

DIR/<run id>/                 every file the run wrote under runs/<run id>/ in the bucket,
                              and execution.json (the execution: name, status, dates, state)
DIR/rehearsal-state.json      the active-model record (SSM) and, from the Bedrock emulator,
                              the active model's job, custom model, throughputs and deployments

Before a run, the active model's run folder goes back into the emulated bucket (its training
file, so the emulator serves the same SIMULATED model; its answers, so the new run compares
with it without asking again), the record back into SSM and the model back into the
emulator. After the run, both are written again. Nothing else carries over: like a fresh
account, apart from the model a later run must not be worse than.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from podium.dataset.files import REPORT_FILE
from podium.io import write_text_atomic

if TYPE_CHECKING:
    from podium.rehearsal.harness import Rehearsal, RunResult

STATE_FILE = "rehearsal-state.json"
EXECUTION_FILE = "execution.json"
_NOTE = (
    "Written by `podium rehearse`: what the next rehearsal into this folder starts from (the active model). "
    "Delete this file to start from an empty account."
)


def _read(path: Path) -> dict[str, Any]:
    try:
        value = json.loads(path.read_text(encoding="utf-8"))
    except (FileNotFoundError, ValueError):
        return {}
    return value if isinstance(value, dict) else {}


def rehearsed_place(out_dir: Path) -> tuple[str, str]:
    """(region, name_prefix) the folder's last rehearsal ran with."""
    state = _read(Path(out_dir) / STATE_FILE)
    return str(state.get("region") or "us-west-2"), str(state.get("name_prefix") or "podium")


def active_record(out_dir: Path) -> dict[str, Any] | None:
    """The active-model record the folder's last rehearsal left (None: no model is active)."""
    record = _read(Path(out_dir) / STATE_FILE).get("active_model")
    return record if isinstance(record, dict) and record.get("model_arn") else None


def served_on_demand(out_dir: Path, run_id: str) -> bool:
    """Did the folder's run `run_id` serve its evaluation through a custom model deployment
    (deployment on_demand, as its report.json's estimate says)?"""
    estimate = _read(Path(out_dir) / run_id / REPORT_FILE).get("estimate")
    return isinstance(estimate, dict) and estimate.get("deployment") == "on_demand"


# What a later run reads of the active model's run: the training file the emulator serves the
# model from, its questions and answers (and those asked of it later), the facts it was taught,
# its promotion record.
_NEEDED_LATER = ("train.jsonl", "eval.jsonl", "eval/answers.jsonl", "taught_facts.txt", "promotion.json", "report.json")


def _needed_later(relative: Path) -> bool:
    name = relative.as_posix()
    return name in _NEEDED_LATER or name.startswith("eval/asked-later/")


def restore(rehearsal: Rehearsal, out_dir: Path) -> str | None:
    """Put the folder's active model back into the local cloud; returns its run id."""
    import boto3

    state = _read(Path(out_dir) / STATE_FILE)
    active = state.get("active_model")
    if not isinstance(active, dict) or not active.get("model_arn"):
        return None
    run_dir = Path(out_dir) / str(active["run_id"])
    if not run_dir.is_dir():
        return None  # its files were deleted: start from an empty account
    s3 = boto3.client("s3")
    for path in sorted(p for p in run_dir.rglob("*") if p.is_file() and _needed_later(p.relative_to(run_dir))):
        key = f"runs/{active['run_id']}/{path.relative_to(run_dir).as_posix()}"
        s3.put_object(Bucket=rehearsal.bucket, Key=key, Body=path.read_bytes())
    boto3.client("ssm").put_parameter(
        Name=rehearsal.parameter, Value=json.dumps(active, sort_keys=True), Type="String", Overwrite=True
    )
    if state.get("bedrock") and rehearsal.bedrock is not None:
        rehearsal.bedrock.import_model(state["bedrock"])
    return str(active["run_id"])


def save(rehearsal: Rehearsal, out_dir: Path, result: RunResult) -> list[Path]:
    """Write the run's execution.json, refresh the active model's folder and the state file;
    returns the files written besides the run's own."""
    written: list[Path] = []
    if result.run_id:
        path = Path(out_dir) / result.run_id / EXECUTION_FILE
        write_text_atomic(path, json.dumps(execution_record(rehearsal, result), indent=2, default=str) + "\n")
        written.append(path)
    active = rehearsal.active_model()
    bedrock = None
    if active is not None:
        if active["run_id"] != result.run_id:  # answers later runs asked it live are filed under its run
            written += rehearsal.download_run(active["run_id"], Path(out_dir) / active["run_id"])
        if rehearsal.bedrock is not None and active["model_arn"] in rehearsal.bedrock.custom_models:
            bedrock = rehearsal.bedrock.export_model(active["model_arn"])
    state_path = Path(out_dir) / STATE_FILE
    place = {"region": rehearsal.options.region, "name_prefix": rehearsal.options.name_prefix}
    write_text_atomic(
        state_path, json.dumps({"note": _NOTE, **place, "active_model": active, "bedrock": bedrock}, indent=2)
    )
    written.append(state_path)
    return written


def execution_record(rehearsal: Rehearsal, result: RunResult) -> dict[str, Any]:
    """What `podium runs` shows of a rehearsed execution, as DescribeExecution would say it."""
    import boto3

    described = boto3.client("stepfunctions").describe_execution(executionArn=result.execution_arn)
    keep = ("run", "dataset", "finetune", "throughput", "gate", "outcome", "failure", "notice")
    return {
        "name": described["name"],
        "executionArn": result.execution_arn,
        "status": result.status,
        "startDate": described.get("startDate"),
        "stopDate": described.get("stopDate"),
        "error": result.error,
        "states": result.states,
        "state": {key: value for key, value in result.final_state.items() if key in keep},
    }


@dataclass(frozen=True)
class RecordedExecution:
    """One execution.json of a rehearsal folder."""

    folder: Path
    name: str
    arn: str
    status: str
    started: datetime
    state: Mapping[str, Any]
    error: str | None = None


def recorded_executions(out_dir: Path) -> list[RecordedExecution]:
    """Every rehearsed execution recorded in the folder, newest first."""
    found = []
    for path in Path(out_dir).glob(f"*/{EXECUTION_FILE}"):
        record = _read(path)
        try:
            started = datetime.fromisoformat(str(record["startDate"]))
        except (KeyError, ValueError):
            continue
        found.append(
            RecordedExecution(
                folder=path.parent,
                name=str(record.get("name", path.parent.name)),
                arn=str(record.get("executionArn", "")),
                status=str(record.get("status", "")),
                started=started,
                state=record.get("state") or {},
                error=record.get("error"),
            )
        )
    return sorted(found, key=lambda e: e.started, reverse=True)


def is_rehearsal_folder(path: Path) -> bool:
    return (Path(path) / STATE_FILE).is_file() or any(Path(path).glob(f"*/{EXECUTION_FILE}"))


__all__ = [
    "EXECUTION_FILE",
    "STATE_FILE",
    "RecordedExecution",
    "active_record",
    "execution_record",
    "is_rehearsal_folder",
    "rehearsed_place",
    "recorded_executions",
    "restore",
    "save",
]
