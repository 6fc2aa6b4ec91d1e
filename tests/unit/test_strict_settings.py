"""Settings are strict and speak in their own words: "yes" is not true, "5" is not 5, and a
message names the setting, what it must be and what it got — never pydantic's internals."""

from __future__ import annotations

import json

import pytest

from podium.config import parse_run_settings, parse_stack_settings
from podium.errors import ConfigError


@pytest.mark.parametrize(
    ("values", "words"),
    [
        (
            {"throughput": {"enabled": "yes"}},
            "throughput.enabled: must be true or false (a JSON boolean, without quotes), got 'yes'",
        ),
        ({"dry_run": 1}, "dry_run: must be true or false"),
        ({"budget_usd": "5"}, "budget_usd: must be a number (a JSON number, without quotes), got '5'"),
        ({"throughput": {"model_units": 1.5}}, "throughput.model_units: must be a whole number"),
        ({"hyperparameters": {"epochCount": [1]}}, "hyperparameters.epochCount: must be a number or text, got [1]"),
        (
            {"throughput": {"commitment": "TwoYears"}},
            "throughput.commitment: must be one of 'OneMonth' or 'SixMonths', got 'TwoYears'",
        ),
        ({"poll": {"min_seconds": 0}}, "poll.min_seconds: must be at least 1, got 0"),
        ({"throughput": {"ttl_hours": 0}}, "throughput.ttl_hours: must be more than 0, got 0"),
    ],
)  # fmt: skip
def test_wrong_types_are_refused_in_the_settings_own_words(values, words):
    with pytest.raises(ConfigError) as caught:
        parse_run_settings(values)
    assert str(caught.value) == words or str(caught.value).startswith(words)
    assert ".str" not in str(caught.value) and "Input should be" not in str(caught.value)


def test_whole_numbers_are_numbers():
    assert parse_run_settings({"budget_usd": 5}).budget_usd == 5.0


def test_a_deployed_commitment_or_many_units_need_the_confirmation_setting():
    with pytest.raises(ConfigError, match="throughput_commitment: a OneMonth commitment .* confirm_costly_throughput"):
        parse_stack_settings({"defaults": {"throughput": {"commitment": "OneMonth"}}})
    with pytest.raises(ConfigError, match=r"throughput_model_units: 3 is above throughput_max_model_units \(2\)"):
        parse_stack_settings({"defaults": {"throughput": {"model_units": 3}}})
    confirmed = parse_stack_settings(
        {"confirm_costly_throughput": True, "defaults": {"throughput": {"commitment": "OneMonth", "model_units": 3}}}
    )
    assert confirmed.defaults.throughput.commitment == "OneMonth"


def test_a_byte_order_mark_is_named_and_how_to_fix_it_said():
    from podium.dataset.validate import validate_text

    line = json.dumps({"prompt": "Who won Event X?", "completion": "A won it."})
    result = validate_text("\ufeff" + line + "\n" + line + "\n", "meta.llama3-1-8b-instruct-v1:0:128k")
    (problem,) = result.problems
    assert problem.line == 1 and "remove the byte-order mark" in problem.message


def test_the_cli_names_a_byte_order_mark_in_its_json_options(tmp_path):
    from typer.testing import CliRunner

    from podium.cli import app

    arguments = ["rehearse", "--data", str(tmp_path), "--out", str(tmp_path / "out"), "--input", '\ufeff{"dry_run": 1}']
    result = CliRunner().invoke(app, arguments, env={"COLUMNS": "200"})
    assert result.exit_code == 2
    assert "--input is not valid JSON (it starts with a byte-order mark: remove the byte-order mark)" in result.output


@pytest.mark.parametrize("command", ["rehearse", "generate"])
def test_out_is_checked_before_any_work(tmp_path, command):
    from typer.testing import CliRunner

    from podium.cli import app

    blocker = tmp_path / "report.txt"
    blocker.write_text("not a folder")
    data = tmp_path / "data"
    data.mkdir()
    (data / "medals.csv").write_text("medal_type\n")
    for out, words in ((blocker, "is a file; give a folder"), (blocker / "runs", "cannot be made: ")):
        arguments = [command, "--data", str(data), "--out", str(out)]
        result = CliRunner().invoke(app, arguments, env={"COLUMNS": "200"})
        assert result.exit_code == 2, result.output
        assert f"--out {out}" in result.output and words in result.output
        assert "Traceback" not in result.output
