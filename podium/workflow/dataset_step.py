"""BuildDataset's use of the dataset builder: pairs in, the files and the facts the
workflow decides on out. Kept apart so logic.py depends on one small shape."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from podium.config import RunSettings
from podium.dataset.records import QAPair
from podium.models import BaseModel


@dataclass(frozen=True)
class RunFiles:
    files: dict[str, str]  # file name → text, written under runs/<run_id>/
    valid: bool
    problems: list[str]  # the first problems, each naming the file and line
    dataset_hash: str
    estimated_cost_usd: float
    train_rows: int
    validation_rows: int
    train_name: str = "train.jsonl"
    validation_name: str = "validation.jsonl"
    eval_name: str = "eval.jsonl"
    report_name: str = "report.json"


def build_run_files(pairs: Iterable[QAPair], model: BaseModel, settings: RunSettings) -> RunFiles:
    raise NotImplementedError("waiting for podium.dataset.build")
