"""The built-in generator: facts from the bucket's CSVs on DuckDB, questions from templates.

It runs inside the StartGeneration Lambda: download the CSVs to local scratch space
(/tmp on Lambda), extract facts, make pairs (BuildDataset cleans them), write them to
runs/<run_id>/pairs.jsonl. No cluster, no LLM, nothing billed beyond the Lambda.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections import Counter
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from podium.adapters.ports import GenerationState, GenerationStatus, ObjectStore
from podium.adapters.s3 import require_csv_keys
from podium.dataset.files import run_prefix
from podium.dataset.records import QAPair
from podium.errors import DataError

PAIRS_FILE = "pairs.jsonl"
SUMMARY_FILE = "generation.json"


class BuiltinGenerator:
    """ports.Generator that does all its work in `start`; `status` then only checks the output."""

    name = "builtin"

    def __init__(self, store: ObjectStore, data_prefix: str = "data/", workdir: str | None = None) -> None:
        self.store = store
        self.data_prefix = data_prefix if data_prefix.endswith("/") else data_prefix + "/"
        self.workdir = workdir  # None: the system temp folder (/tmp on Lambda)
        # Why candidate pairs were dropped (from generation.json once read_pairs runs),
        # so the dataset report can show them; same attribute as DatabricksGenerator's.
        self.rejections: Counter[str] = Counter()
        # The source tables' disagreements, from generation.json once read_pairs runs.
        self.disagreements: list[dict[str, Any]] | None = None

    def start(self, run_id: str) -> dict[str, Any]:
        from podium.dataset.facts import FACT_SQL_DIR, extract_facts_and_disagreements, relation_names
        from podium.dataset.pairs import template_pairs

        if not relation_names():
            # A packaging fault, not a data fault: say so before downloading anything.
            raise DataError(
                "no fact SQL files found",
                file=str(FACT_SQL_DIR),
                hint="the Lambda code asset must include podium/dataset/sql/*.sql (stacks/bundling.py copies them)",
            )
        require_csv_keys(self.store, self.data_prefix)
        scratch = tempfile.mkdtemp(prefix="podium-data-", dir=self.workdir)
        try:
            self.store.download_prefix(self.data_prefix, scratch)
            try:
                facts, disagreements = extract_facts_and_disagreements(Path(scratch))
            except DataError as error:
                raise self._in_bucket_terms(error, scratch) from None
        finally:
            # Lambda reuses /tmp between invocations: leave nothing behind.
            shutil.rmtree(scratch, ignore_errors=True)
        if not facts:
            raise DataError(
                "no facts could be read from the tables",
                file=self.store.uri(self.data_prefix),
                hint="check that the CSVs are the Kaggle Paris 2024 files",
            )
        rejected: Counter[str] = Counter()
        # Duplicates and conflicts are dropped by BuildDataset, which cleans every generator's
        # pairs (the full data's make none: cleaning here too cost ~2 s of CPU for nothing).
        made = template_pairs(facts, rejected=rejected)

        prefix = run_prefix(run_id)
        pairs_key, summary_key = prefix + PAIRS_FILE, prefix + SUMMARY_FILE
        summary = {
            "generator": self.name,
            "run_id": run_id,
            "source": self.store.uri(self.data_prefix),
            "facts": len(facts),
            "facts_by_relation": dict(sorted(Counter(f.relation for f in facts).items())),
            "pairs_made": len(made),
            "rejections": dict(sorted(rejected.items())),
            # Cross-checks between the tables (reconcile.py), for BuildDataset's report.json.
            "disagreements": [d.to_dict() for d in disagreements],
        }
        self.store.write_text(summary_key, json.dumps(summary, indent=2, sort_keys=True) + "\n")
        # Written last: its presence is what `status` reports as success.
        encode = json.JSONEncoder(ensure_ascii=False).encode  # one encoder for ~220,000 rows
        text = "".join(encode(p.to_json()) + "\n" for p in made)
        # Intermediate: the dataset files written from it are what a run keeps.
        self.store.write_text(pairs_key, text, content_type="application/x-ndjson", scratch=True)
        return {"generator": self.name, "run_id": run_id, "pairs_key": pairs_key}

    def cancel(self, handle: Mapping[str, Any]) -> bool:
        """Nothing to cancel: the built-in generator finishes inside StartGeneration."""
        return False

    def status(self, handle: Mapping[str, Any]) -> GenerationStatus:
        pairs_key = _pairs_key(handle)
        if pairs_key in self.store.list_keys(pairs_key):
            return GenerationStatus(GenerationState.SUCCEEDED)
        return GenerationStatus(
            GenerationState.FAILED,
            f"{self.store.uri(pairs_key)} is missing: the built-in generator did not finish "
            "(see the StartGeneration step's log)",
        )

    def read_pairs(self, handle: Mapping[str, Any]) -> Iterator[QAPair]:
        pairs_key = _pairs_key(handle)
        uri = self.store.uri(pairs_key)
        summary_key = pairs_key.rsplit("/", 1)[0] + "/" + SUMMARY_FILE
        if summary_key in self.store.list_keys(summary_key):
            summary = json.loads(self.store.read_text(summary_key))
            self.rejections.update({str(k): int(v) for k, v in summary.get("rejections", {}).items()})
            if isinstance(summary.get("disagreements"), list):
                self.disagreements = summary["disagreements"]
        for line_number, line in enumerate(self.store.read_text(pairs_key).splitlines(), start=1):
            if not line.strip():
                continue
            try:
                yield QAPair.from_json(json.loads(line))
            except (ValueError, KeyError, TypeError) as error:
                raise DataError(f"not a pair record ({error})", file=uri, line=line_number) from None

    def _in_bucket_terms(self, error: DataError, scratch: str) -> DataError:
        """The same error, naming the object in the bucket rather than the scratch copy."""
        file = error.file
        if file and file.startswith(scratch):
            relative = os.path.relpath(file, scratch).replace(os.sep, "/")
            file = self.store.uri(self.data_prefix + relative)
        message = str(error.args[0]) if error.args else str(error)
        # DataError formats file/line/field into its text; rebuild from the parts.
        base = _strip_location(message, error)
        return DataError(base, file=file, line=error.line, field=error.field, hint=error.hint)


def _strip_location(text: str, error: DataError) -> str:
    """The bare message of a DataError whose text already carries file/line/field/hint."""
    where = ":".join(str(p) for p in (error.file, error.line) if p is not None)
    if where and text.startswith(where + ": "):
        text = text[len(where) + 2 :]
    if error.field and text.startswith(f"column {error.field!r}: "):
        text = text[len(f"column {error.field!r}: ") :]
    if error.hint and text.endswith(f" ({error.hint})"):
        text = text[: -len(f" ({error.hint})")]
    return text


def _pairs_key(handle: Mapping[str, Any]) -> str:
    key = handle.get("pairs_key") if isinstance(handle, Mapping) else None
    if not key:
        raise ValueError("generation handle lacks 'pairs_key': expected the dict BuiltinGenerator.start returned")
    return str(key)


__all__ = ["PAIRS_FILE", "SUMMARY_FILE", "BuiltinGenerator"]
