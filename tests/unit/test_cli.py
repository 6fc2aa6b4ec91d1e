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


def test_validate_with_an_unsupported_model_is_a_usage_error(good_file: Path):
    result = run("validate", good_file, "--model", "meta.llama3-8b-instruct-v1:0")
    assert result.exit_code == 2
    assert "cannot be fine-tuned" in result.stderr


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
        "eval_bedrock.jsonl",
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


def test_generate_with_a_table_missing_exits_1_and_writes_nothing(tmp_path: Path):
    out = tmp_path / "out"
    (tmp_path / "partial").mkdir()
    (tmp_path / "partial" / "venues.csv").write_text("venue,sports\n", encoding="utf-8")
    result = run("generate", "--data", tmp_path / "partial", "--out", out)
    assert result.exit_code == 1
    assert "medals.csv" in result.stderr
    assert not out.exists()


def _invalid_file(tmp_path: Path) -> Path:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"prompt": "", "completion": "x"}\n', encoding="utf-8")
    return bad


# One convention for every command: 0 ok, 1 invalid input/data or a failed run, 2 usage.
@pytest.mark.parametrize(
    "case, code",
    [
        ("validate a missing file", 2),
        ("validate with an unknown model", 2),
        ("validate with bad --hyperparameters JSON", 2),
        ("generate from a missing folder", 2),
        ("generate from a folder without CSVs", 2),
        ("generate with an unknown model", 2),
        ("generate with bad --prices", 2),
        ("rehearse from a missing folder", 2),
        ("rehearse with bad --input JSON", 2),
        ("models with an unknown option", 2),
        ("validate an invalid file", 1),
    ],
)
def test_exit_codes_follow_one_convention_across_commands(case: str, code: int, good_file: Path, tmp_path: Path):
    (tmp_path / "empty").mkdir()
    args = {
        "validate a missing file": ["validate", tmp_path / "absent.jsonl"],
        "validate with an unknown model": ["validate", good_file, "--model", "meta.llama3-8b-instruct-v1:0"],
        "validate with bad --hyperparameters JSON": ["validate", good_file, "--hyperparameters", "{"],
        "generate from a missing folder": ["generate", "--data", tmp_path / "absent", "--out", tmp_path / "o"],
        "generate from a folder without CSVs": ["generate", "--data", tmp_path / "empty", "--out", tmp_path / "o"],
        "generate with an unknown model": ["generate", "--data", tmp_path, "--out", tmp_path / "o", "--model", "x"],
        "generate with bad --prices": ["generate", "--data", tmp_path, "--out", tmp_path / "o", "--prices", '{"x": 1}'],
        "rehearse from a missing folder": ["rehearse", "--data", tmp_path / "absent", "--out", tmp_path / "o"],
        "rehearse with bad --input JSON": ["rehearse", "--data", tmp_path, "--out", tmp_path / "o", "--input", "{"],
        "models with an unknown option": ["models", "--wide"],
        "validate an invalid file": ["validate", _invalid_file(tmp_path)],
    }[case]
    result = run(*args)
    assert result.exit_code == code, result.output
    assert not (tmp_path / "o").exists()


def test_json_errors_say_the_status_and_the_problem(tmp_path: Path):
    result = run("generate", "--data", tmp_path / "absent", "--out", tmp_path / "o", "--json")
    assert result.exit_code == 2
    value = json.loads(result.stdout)
    assert value["status"] == "usage_error" and value["exit_code"] == 2
    assert "no such folder" in value["problems"][0]


def test_models_json_lists_every_model_with_its_limits():
    from podium.models import MODELS

    result = run("models", "--json")
    assert result.exit_code == 0
    value = json.loads(result.stdout)
    assert value["status"] == "ok" and value["warnings"] == [] and value["problems"] == []
    records = value["models"]
    assert [r["model_id"] for r in records] == list(MODELS)
    llama = records[0]
    assert llama["regions"] == ["us-west-2"] and llama["max_train_rows"] == 10_000
    assert llama["format"] == "prompt-completion" and llama["needs_provisioned_throughput"] is True


@pytest.mark.parametrize("columns", ["80", "100", "120", "130", "139", "160"])
def test_models_is_readable_at_any_width(columns: str):
    from podium.models import MODELS

    result = runner.invoke(app, ["models"], env={"COLUMNS": columns})
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert max(len(line) for line in lines) <= int(columns)
    assert "…" not in result.stdout  # nothing cut short
    for model in MODELS.values():
        assert model.model_id in result.stdout and model.display_name in result.stdout
        assert f"{model.max_train_rows:,} train" in result.stdout


def test_generate_json_names_the_files_and_counts(sample_dir: Path, tmp_path: Path):
    out = tmp_path / "out"
    result = run("generate", "--data", sample_dir, "--out", out, "--json")
    assert result.exit_code == 0, result.output
    value = json.loads(result.stdout)
    assert value["status"] == "ok" and value["problems"] == []
    # the bundled sample's planted quirks are warnings that say they are planted, not a fix to make
    assert value["warnings"] and all("planted on purpose in the bundled sample" in w for w in value["warnings"])
    assert not any("write it as" in w for w in value["warnings"])
    assert sorted(Path(f).name for f in value["files"]) == [
        "eval.jsonl",
        "eval_bedrock.jsonl",
        "report.json",
        "train.jsonl",
        "validation.jsonl",
    ]
    assert all(Path(f).is_file() for f in value["files"])
    assert value["report"]["counts"]["train_rows"] == len((out / "train.jsonl").read_text().splitlines())


def test_generate_prices_override_the_estimate(sample_dir: Path, tmp_path: Path):
    result = run(
        "generate", "--data", sample_dir, "--out", tmp_path / "o", "--json", "--prices", '{"storage_per_month": 7.5}'
    )
    assert result.exit_code == 0, result.output
    estimate = json.loads(result.stdout)["report"]["estimate"]
    assert "7.50" in json.dumps(estimate)


def test_validate_json_lists_each_problem_with_its_line(good_file: Path, tmp_path: Path):
    ok = json.loads(run("validate", good_file, "--json").stdout)
    assert ok["status"] == "ok" and ok["valid"] is True and ok["exit_code"] == 0 and ok["problems"] == []
    result = run("validate", _invalid_file(tmp_path), "--json")
    assert result.exit_code == 1
    value = json.loads(result.stdout)
    assert value["status"] == "invalid" and value["valid"] is False and value["problems"][0]["line"] == 1
    assert value["problem_count"] == len(value["problems"]) and value["counts"]


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
    monkeypatch.setattr("podium.cli.dataset._quota_client", lambda region: None)
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
    monkeypatch.setattr("podium.cli.dataset._quota_client", lambda region: client)
    train, validation = _rows(tmp_path / "train.jsonl", 3, "T"), _rows(tmp_path / "validation.jsonl", 2, "V")
    with stubber:
        result = run("validate", train, "--model", LLAMA31, "--region", "us-west-2", "--validation", validation)
    assert result.exit_code == 1, result.output
    assert "too_many_records" in result.stdout and "3 training + 2 validation rows = 5" in result.stdout
    assert "L-12345678" in result.stderr


def test_generate_estimates_with_what_cdk_json_deploys_and_says_when_there_is_none(
    sample_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    cdk_json = tmp_path / "deployment" / "cdk.json"
    cdk_json.parent.mkdir()
    cdk_json.write_text(
        json.dumps({"context": {"hyperparameters": {"epochCount": 3}, "prices": {"storage_per_month": 9.25}}}),
        encoding="utf-8",
    )
    monkeypatch.chdir(tmp_path)  # a folder without cdk.json
    deployed = run("generate", "--data", sample_dir, "--out", tmp_path / "a", "--json", "--cdk-json", cdk_json)
    built_in = run("generate", "--data", sample_dir, "--out", tmp_path / "b", "--json")
    assert deployed.exit_code == 0 and built_in.exit_code == 0, deployed.output + built_in.output
    assert any("no cdk.json in" in w and "built-in defaults" in w for w in json.loads(built_in.stdout)["warnings"])
    assert not any("cdk.json" in w for w in json.loads(deployed.stdout)["warnings"])
    missing = run("generate", "--data", sample_dir, "--out", tmp_path / "c", "--json", "--cdk-json", tmp_path / "no")
    assert missing.exit_code == 2 and json.loads(missing.stdout)["status"] == "usage_error"
    assert "--cdk-json" in missing.stderr and "no such file" in missing.stderr
    deployed_lines = " ".join(json.loads(deployed.stdout)["report"]["estimate"]["lines"])
    built_in_lines = " ".join(json.loads(built_in.stdout)["report"]["estimate"]["lines"])
    assert "× 3 epochs" in deployed_lines and "$9.25 a month" in deployed_lines
    assert "× 3 epochs" not in built_in_lines and "$9.25" not in built_in_lines


# ---- the --json contract: one object, the same status words, warnings and problems -----------


def test_every_command_speaks_the_same_json(good_file: Path, sample_dir: Path, tmp_path: Path):
    from podium.cli.output import STATUSES

    eval_file = tmp_path / "eval.jsonl"
    eval_file.write_text(
        json.dumps({"id": "q1", "kind": "paraphrase", "question": "Who?", "answers": ["A"]}) + "\n", encoding="utf-8"
    )
    cases = [
        (("models",), "ok", 0),
        (("validate", good_file), "ok", 0),
        (("validate", _invalid_file(tmp_path)), "invalid", 1),
        (("validate", eval_file, "--split", "eval"), "usage_error", 2),
        (("validate", tmp_path / "missing.jsonl"), "usage_error", 2),
        (("generate", "--data", tmp_path / "nowhere", "--out", tmp_path / "o"), "usage_error", 2),
        (("runs", "--rehearsal", tmp_path), "failed", 1),
        (("report", "--rehearsal", tmp_path), "failed", 1),
        (("ask", "Who?", "--rehearsal", tmp_path), "failed", 1),
    ]
    for args, status, code in cases:
        result = run(*args, "--json")
        assert result.exit_code == code, (args, result.output)
        value = json.loads(result.stdout)  # stdout holds the one JSON object, whatever happened
        assert value["status"] == status and value["status"] in STATUSES, args
        assert value["exit_code"] == code and isinstance(value["warnings"], list), args
        assert isinstance(value["problems"], list) and (code == 0) == (value["problems"] == []), args


def test_validate_names_the_file_split_eval_wants(tmp_path: Path):
    podium_questions = tmp_path / "eval.jsonl"
    podium_questions.write_text(
        json.dumps({"id": "q1", "kind": "paraphrase", "question": "Who?", "answers": ["A"]}) + "\n", encoding="utf-8"
    )
    result = run("validate", podium_questions, "--split", "eval")
    assert result.exit_code == 2 and "give eval_bedrock.jsonl" in result.stderr
    bedrock_rows = tmp_path / "eval_bedrock.jsonl"
    bedrock_rows.write_text(
        json.dumps({"prompt": "Who won?", "referenceResponse": "A won.", "category": "event_medal"}) + "\n",
        encoding="utf-8",
    )
    assert run("validate", bedrock_rows, "--split", "eval").exit_code == 0
    assert "eval_bedrock.jsonl" in run("validate", "--help").stdout


def test_validate_takes_the_model_from_cdk_json(good_file: Path, tmp_path: Path):
    cdk_json = tmp_path / "cdk.json"
    cdk_json.write_text(
        json.dumps({"context": {"region": "us-east-1", "base_model": "amazon.nova-lite-v1:0:300k"}}), encoding="utf-8"
    )
    result = run("validate", good_file, "--cdk-json", cdk_json, "--json")
    assert json.loads(result.stdout)["model"] == "amazon.nova-lite-v1:0:300k"
    assert "cdk.json's base_model" in result.stderr


def test_generate_takes_the_recipe_and_its_priorities_from_cdk_json_as_its_help_says(
    sample_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    words = "".join(" " if ch in "│╭╮╰╯─" else ch for ch in run("generate", "--help").stdout).split()
    assert "(default: cdk.json's recipe; deep without one)" in " ".join(words)
    cdk_json = tmp_path / "cdk.json"
    cdk_json.write_text(
        json.dumps({"context": {"recipe": "deep", "teach_priorities": ["country_medal_count"]}}), encoding="utf-8"
    )
    deployed = run("generate", "--data", sample_dir, "--out", tmp_path / "a", "--json", "--cdk-json", cdk_json)
    monkeypatch.chdir(tmp_path / "a")  # a folder without cdk.json: the built-in defaults
    built_in = run("generate", "--data", sample_dir, "--out", tmp_path / "b", "--json")
    monkeypatch.undo()
    chosen = run("generate", "--data", sample_dir, "--out", tmp_path / "c", "--json", "--recipe", "qa")
    assert deployed.exit_code == built_in.exit_code == chosen.exit_code == 0, deployed.output + built_in.output
    deployed_plan = json.loads(deployed.stdout)["report"]["plan"]
    assert deployed_plan["recipe"] == "deep" and deployed_plan["teach_priorities"] == ["country_medal_count"]
    assert json.loads(built_in.stdout)["report"]["recipe"] == "deep"
    assert json.loads(chosen.stdout)["report"]["recipe"] == "qa"
    summary = run("generate", "--data", sample_dir, "--out", tmp_path / "d", "--cdk-json", cdk_json).stdout
    assert "left out (row budget or priorities)" in summary and "Refusal rows:" in summary
