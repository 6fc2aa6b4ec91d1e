from __future__ import annotations

import json
from pathlib import Path

import boto3
import pytest

from podium.adapters.builtin import BuiltinGenerator
from podium.adapters.ports import GenerationState
from podium.adapters.s3 import SCRATCH_TAG, S3ObjectStore
from podium.errors import DataError


def _upload(store: S3ObjectStore, folder: Path, prefix: str = "data/") -> None:
    csvs = sorted(folder.glob("*.csv"))
    if not csvs:
        pytest.skip(f"no sample CSVs in {folder}")
    for path in csvs:
        store.write_text(prefix + path.name, path.read_text(encoding="utf-8"), content_type="text/csv")


def test_builtin_generates_pairs_from_the_bucket(bucket: str, sample_dir: Path, tmp_path: Path) -> None:
    store = S3ObjectStore(bucket)
    _upload(store, sample_dir)
    generator = BuiltinGenerator(store, workdir=str(tmp_path))

    handle = generator.start("exec-1")

    assert handle == {"generator": "builtin", "run_id": "exec-1", "pairs_key": "runs/exec-1/pairs.jsonl"}
    assert generator.status(handle).state is GenerationState.SUCCEEDED
    pairs = list(generator.read_pairs(handle))
    assert pairs, "the sample must yield pairs"
    assert all(p.source.startswith(("template:", "heldout:", "profile:", "text:")) for p in pairs)
    assert {p.source.split(":")[0] for p in pairs} == {"template", "heldout", "profile", "text"}  # every recipe's kinds
    assert any(p.covers for p in pairs)  # packed rows travel with their covered facts
    summary = json.loads(store.read_text("runs/exec-1/generation.json"))
    # Every pair made is written: BuildDataset drops duplicates and conflicts, whatever the generator
    assert summary["pairs_made"] == len(pairs) and summary["facts"] > 0
    assert dict(generator.rejections) == summary["rejections"]
    # The tables' cross-checks travel beside the pairs, for BuildDataset's report.json.
    assert generator.disagreements == summary["disagreements"]
    assert any(d["key"] == "BEL|bronze" for d in summary["disagreements"])
    assert list(tmp_path.iterdir()) == []  # scratch copy removed (Lambda reuses /tmp)
    # The intermediate pairs carry the tag the bucket's lifecycle rule expires early.
    client = boto3.client("s3")
    tags = client.get_object_tagging(Bucket=bucket, Key="runs/exec-1/pairs.jsonl")["TagSet"]
    assert tags == [{"Key": SCRATCH_TAG[0], "Value": SCRATCH_TAG[1]}]
    assert client.get_object_tagging(Bucket=bucket, Key="runs/exec-1/generation.json")["TagSet"] == []


def test_builtin_is_deterministic_across_retries(bucket: str, sample_dir: Path) -> None:
    store = S3ObjectStore(bucket)
    _upload(store, sample_dir)
    generator = BuiltinGenerator(store)
    generator.start("exec-1")
    first = store.read_text("runs/exec-1/pairs.jsonl")
    generator.start("exec-1")
    assert store.read_text("runs/exec-1/pairs.jsonl") == first


def test_empty_data_prefix_says_how_to_upload(bucket: str) -> None:
    with pytest.raises(DataError, match=rf"no CSV files under s3://{bucket}/data/ .* `aws s3 sync"):
        BuiltinGenerator(S3ObjectStore(bucket)).start("exec-1")


def test_bad_csv_is_reported_by_its_bucket_location(bucket: str, sample_dir: Path) -> None:
    store = S3ObjectStore(bucket)
    _upload(store, sample_dir)
    store.write_text("data/medals.csv", "medal_type,name\nGold Medal,A\n", content_type="text/csv")
    with pytest.raises(DataError) as caught:
        BuiltinGenerator(store).start("exec-1")
    assert f"s3://{bucket}/data/medals.csv" in str(caught.value)
    assert "podium-data-" not in str(caught.value)  # not the scratch path


def test_status_fails_with_a_message_when_pairs_are_missing(bucket: str) -> None:
    status = BuiltinGenerator(S3ObjectStore(bucket)).status({"pairs_key": "runs/x/pairs.jsonl"})
    assert status.state is GenerationState.FAILED
    assert f"s3://{bucket}/runs/x/pairs.jsonl is missing" in status.message


def test_read_pairs_names_a_corrupt_line(bucket: str) -> None:
    store = S3ObjectStore(bucket)
    good = {"fact_id": "r:k", "relation": "r", "question": "Q?", "answer": "A.", "source": "template:0"}
    store.write_text("runs/x/pairs.jsonl", json.dumps(good) + "\n{not json\n")
    with pytest.raises(DataError, match=rf"s3://{bucket}/runs/x/pairs.jsonl:2"):
        list(BuiltinGenerator(store).read_pairs({"pairs_key": "runs/x/pairs.jsonl"}))


def test_missing_fact_sql_is_reported_as_a_packaging_fault(
    bucket: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    import podium.dataset.facts as facts

    monkeypatch.setattr(facts, "relation_names", lambda: [])
    with pytest.raises(DataError, match="no fact SQL files found .*podium/dataset/sql/"):
        BuiltinGenerator(S3ObjectStore(bucket)).start("exec-1")
