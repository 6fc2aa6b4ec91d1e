from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from podium.cli import app

LLAMA31 = "meta.llama3-1-8b-instruct-v1:0:128k"
runner = CliRunner()


def run(*args: str):
    return runner.invoke(app, [str(a) for a in args], env={"COLUMNS": "200"})


@pytest.fixture
def good_file(tmp_path: Path) -> Path:
    path = tmp_path / "train.jsonl"
    path.write_text(json.dumps({"prompt": "Who won X?", "completion": "A won X."}) + "\n", encoding="utf-8")
    return path


def test_validate_exits_0_for_a_valid_file(good_file: Path):
    result = run("validate", good_file, "--model", LLAMA31)
    assert result.exit_code == 0, result.output
    assert "Valid" in result.stdout


def test_validate_exits_1_and_lists_problems_with_line_numbers(tmp_path: Path):
    path = tmp_path / "chat.jsonl"
    chat = json.dumps({"messages": [{"role": "user", "content": "Who won?"}]})
    path.write_text(chat + "\n[]\n", encoding="utf-8")
    result = run("validate", path, "--model", LLAMA31, "--hyperparameters", '{"batchSize": "2"}')
    assert result.exit_code == 1
    assert "chat_format" in result.stdout and "not_object" in result.stdout and "hyperparameter" in result.stdout
    assert "3 problem(s)" in result.stdout
    assert "podium generate" in result.stdout


@pytest.mark.parametrize(
    "extra",
    [
        ["--hyperparameters", "{not json"],
        ["--hyperparameters", "[1, 2]"],
        ["--split", "test"],
    ],
)
def test_validate_usage_errors_exit_2(good_file: Path, extra: list[str]):
    assert run("validate", good_file, "--model", LLAMA31, *extra).exit_code == 2


def test_validate_a_missing_file_exits_2_and_says_so(tmp_path: Path):
    result = run("validate", tmp_path / "absent.jsonl")
    assert result.exit_code == 2
    assert "file not found" in result.stderr


def test_validate_reports_an_unsupported_model_as_invalid(good_file: Path):
    result = run("validate", good_file, "--model", "meta.llama3-8b-instruct-v1:0")
    assert result.exit_code == 1
    assert "unsupported_model" in result.stdout


def test_models_lists_the_registry():
    result = run("models")
    assert result.exit_code == 0
    assert LLAMA31 in result.stdout and "amazon.nova-pro-v1:0:300k" in result.stdout


def test_generate_writes_the_dataset_and_prints_a_summary(sample_dir: Path, tmp_path: Path):
    out = tmp_path / "out"
    result = run("generate", "--data", sample_dir, "--model", LLAMA31, "--out", out)
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.iterdir()) == [
        "eval.jsonl",
        "report.json",
        "train.jsonl",
        "validation.jsonl",
    ]
    assert "event_medal" in result.stdout and "ESTIMATE" in result.stdout and "train" in result.stdout


def test_generate_with_an_unsupported_model_exits_2_and_writes_nothing(sample_dir: Path, tmp_path: Path):
    out = tmp_path / "out"
    result = run("generate", "--data", sample_dir, "--model", "meta.llama3-8b-instruct-v1:0", "--out", out)
    assert result.exit_code == 2
    assert "cannot be fine-tuned" in result.stderr and "nothing was written" in result.stderr
    assert not out.exists()


def test_generate_with_missing_data_exits_1_and_writes_nothing(tmp_path: Path):
    out = tmp_path / "out"
    (tmp_path / "empty").mkdir()
    result = run("generate", "--data", tmp_path / "empty", "--out", out)
    assert result.exit_code == 1
    assert "medals.csv" in result.stderr
    assert not out.exists()


def test_version_is_printed_by_the_command_and_by_python_m_podium():
    import subprocess
    import sys

    import podium

    result = run("--version")
    assert result.exit_code == 0 and result.stdout.strip() == f"podium {podium.__version__}"
    module = subprocess.run([sys.executable, "-m", "podium", "--version"], capture_output=True, text=True, check=False)
    assert module.returncode == 0 and module.stdout.strip() == f"podium {podium.__version__}"


# ---- --region reads the account's quotas; --validation checks train + validation together ----


def _rows(path: Path, count: int, prefix: str) -> Path:
    lines = [json.dumps({"prompt": f"{prefix} question {i}?", "completion": f"Answer {i}."}) for i in range(count)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_validate_with_region_and_no_credentials_says_it_uses_the_documented_caps(good_file: Path, monkeypatch):
    monkeypatch.setattr("podium.cli._quota_client", lambda region: None)
    result = run("validate", good_file, "--model", LLAMA31, "--region", "us-west-2")
    assert result.exit_code == 0, result.output
    assert "10,000 together" in result.stderr and "no AWS credentials" in result.stderr


def test_validate_with_region_checks_the_pair_against_the_accounts_sum(tmp_path: Path, monkeypatch):
    import boto3
    from botocore.stub import Stubber

    client = boto3.client("service-quotas", region_name="us-west-2", aws_access_key_id="x", aws_secret_access_key="x")
    name = (
        "(Model customization) Sum of training and validation records for a Meta Llama 3.1 8B Instruct Fine-tuning job"
    )
    stubber = Stubber(client)
    stubber.add_response(
        "list_aws_default_service_quotas",
        {"Quotas": [{"QuotaCode": "L-12345678", "QuotaName": name, "Value": 4.0}]},
        {"ServiceCode": "bedrock"},
    )
    stubber.add_response("list_service_quotas", {"Quotas": []}, {"ServiceCode": "bedrock"})
    monkeypatch.setattr("podium.cli._quota_client", lambda region: client)
    train, validation = _rows(tmp_path / "train.jsonl", 3, "T"), _rows(tmp_path / "validation.jsonl", 2, "V")
    with stubber:
        result = run("validate", train, "--model", LLAMA31, "--region", "us-west-2", "--validation", validation)
    assert result.exit_code == 1, result.output
    assert "too_many_records" in result.stdout and "3 training + 2 validation rows = 5" in result.stdout
    assert "L-12345678" in result.stderr
