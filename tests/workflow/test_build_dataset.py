"""The BuildDataset step with in-memory adapters."""

from __future__ import annotations

import json

import pytest

from podium.adapters.ports import ActiveModel
from podium.config import RunSettings
from tests.workflow.runs import built_run


def test_build_dataset_writes_the_run_files_and_decides():
    run, outcome, store = built_run()
    assert outcome.valid and not outcome.over_budget and not outcome.unchanged and not outcome.dry_run
    for name in ("train.jsonl", "validation.jsonl", "eval.jsonl", "report.json"):
        assert run.run_prefix + name in store.files
    assert outcome.report_uri == f"s3://bucket/{run.run_prefix}report.json"
    assert json.loads(store.files[run.run_prefix + "report.json"])["dataset_hash"] == outcome.dataset_hash
    assert outcome.train_rows == len(store.files[run.run_prefix + "train.jsonl"].splitlines())
    assert outcome.output_uri == f"s3://bucket/{run.run_prefix}output/"


def test_build_dataset_reports_what_the_generator_dropped():
    dropped = {"paraphrase leaks the answer": 3}
    run, _, store = built_run(rejections=dropped)
    report = json.loads(store.files[run.run_prefix + "report.json"])
    assert report["rejections"]["paraphrase leaks the answer"] == 3


def test_build_dataset_lists_the_generators_disagreements_or_says_none_were_checked():
    found = {"check": "medal count", "table": "medals_total.csv", "key": "ZED|bronze"}
    found |= {"values": {"medals.csv": "3", "medals_total.csv": "2"}, "used": "medals.csv"}
    run, _, store = built_run(disagreements=[found])
    report = json.loads(store.files[run.run_prefix + "report.json"])
    assert report["disagreements"] == [found]
    assert report["reconciliation"] == "checked by the memory generator"
    run, _, store = built_run()  # a generator that does not cross-check the tables
    report = json.loads(store.files[run.run_prefix + "report.json"])
    assert report["disagreements"] is None
    assert report["reconciliation"].startswith("not run: the memory generator does not cross-check")


def test_build_dataset_stops_as_unchanged_unless_forced():
    _, first, _ = built_run()
    active = ActiveModel("old", "arn:model/old", RunSettings().base_model, first.dataset_hash)
    _, again, _ = built_run(active=active)
    assert again.unchanged and "identical" in again.message and '"force": true' in again.message
    _, forced, _ = built_run({"force": True}, active=active)
    assert not forced.unchanged


def test_build_dataset_flags_over_budget_with_the_numbers():
    _, outcome, _ = built_run({"budget_usd": 0.0, "evaluate": False})
    assert outcome.over_budget
    assert "exceeds budget_usd $0.00" in outcome.message and outcome.report_uri in outcome.message


def test_build_dataset_reports_an_invalid_dataset_with_its_report():
    _, outcome, _store = built_run(pairs=[])
    assert not outcome.valid
    assert outcome.report_uri in outcome.message and "Nothing was trained" in outcome.message


def test_the_dataset_budget_counts_the_throughput_for_its_lifetime():
    _, within, _ = built_run({"budget_usd": 50})
    assert not within.over_budget
    # The throughput alone (4 h × 1 unit at the placeholder $24/unit-hour = $96) passes Prepare;
    # with training and a month of storage on top, the whole run does not fit.
    _, outcome, store = built_run({"budget_usd": 97, "throughput": {"enabled": True}})
    assert outcome.over_budget
    assert "provisioned throughput for 4 h $96.00" in outcome.message and "exceeds budget_usd $97.00" in outcome.message
    estimate = json.loads(next(v for k, v in store.files.items() if k.endswith("report.json")))["estimate"]
    assert estimate["throughput_hours"] == 4 and estimate["run_usd"] > 97


def test_build_dataset_uploads_both_evaluation_files_and_follows_the_recipe(sample_dir):
    from podium.dataset.evalset import parse_eval_questions
    from podium.dataset.facts import extract_facts
    from podium.dataset.pairs import template_pairs

    pairs = template_pairs(extract_facts(sample_dir))
    run, outcome, store = built_run(pairs=pairs)
    questions = list(parse_eval_questions(store.files[run.run_prefix + "eval.jsonl"]))
    bedrock_rows = [json.loads(line) for line in store.files[run.run_prefix + "eval_bedrock.jsonl"].splitlines()]
    assert questions and len(bedrock_rows) == len(questions)
    assert bedrock_rows[0] == {
        "prompt": questions[0].question,
        "referenceResponse": questions[0].reference,
        "category": questions[0].relation,
    }
    assert outcome.eval_uri == f"s3://bucket/{run.run_prefix}eval.jsonl"
    report = json.loads(store.files[run.run_prefix + "report.json"])
    assert report["recipe"] == "deep" and any(r["relation"].startswith("text_") for r in report["coverage"])
    assert not [r for r in report["coverage"] if r["relation"].startswith("profile_")]
    mixed_run, _, mixed_store = built_run({"recipe": "mixed"}, pairs=pairs)
    mixed_report = json.loads(mixed_store.files[mixed_run.run_prefix + "report.json"])
    assert mixed_report["recipe"] == "mixed" and any(
        r["relation"].startswith("profile_") for r in mixed_report["coverage"]
    )
    qa_run, _, qa_store = built_run({"recipe": "qa"}, pairs=pairs)
    qa_report = json.loads(qa_store.files[qa_run.run_prefix + "report.json"])
    assert qa_report["recipe"] == "qa" and not [
        r for r in qa_report["coverage"] if r["relation"].startswith("profile_")
    ]


def test_the_budget_counts_the_evaluation_only_throughput_for_its_own_ttl():
    # The default run (evaluate on, serving throughput off) creates a throughput for the evaluation:
    # its whole time-to-live is a line of the estimate the budget is compared with.
    run, outcome, store = built_run({})
    estimate = json.loads(next(v for k, v in store.files.items() if k.endswith("report.json")))["estimate"]
    (line,) = estimate["extra"]
    hours = run.settings.throughput.evaluation_ttl_hours
    assert line["name"] == "evaluation" and line["usd"] == pytest.approx(estimate["throughput_usd_per_hour"] * hours)
    assert f"for {hours:g} h (its time-to-live)" in line["text"]
    assert estimate["run_usd"] == pytest.approx(
        estimate["training_usd"] + estimate["storage_usd_per_month"] + line["usd"], abs=1e-3
    )
    # a budget just under it refuses the run before anything is spent
    tight = round(estimate["run_usd"] - 0.01, 2)
    _, over, _ = built_run({"budget_usd": tight})
    assert over.over_budget and "evaluation $" in over.message
