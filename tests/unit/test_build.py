from __future__ import annotations

import contextlib
import hashlib
import json
from collections import Counter
from pathlib import Path

import pytest
from dataset_helpers import PRIORITIES, make_facts, make_pairs_for

from podium.dataset import build
from podium.dataset.evalset import parse_eval_questions
from podium.dataset.records import QAPair
from podium.dataset.validate import check_total_rows, validate_file, validate_text
from podium.errors import ConfigError, DataError
from podium.models import RowCaps, get_model

LLAMA31 = get_model("meta.llama3-1-8b-instruct-v1:0:128k")
NOVA = get_model("amazon.nova-micro-v1:0:128k")


def built(model=LLAMA31, seed=0, **kwargs):
    # Synthetic pairs have no texts: the `mixed` recipe plans them (test_deep.py covers `deep`).
    kwargs.setdefault("recipe", "mixed")
    return build.build_dataset(make_pairs_for(make_facts()), model, seed=seed, priorities=PRIORITIES, **kwargs)


def test_the_built_dataset_is_valid_and_its_report_has_every_section():
    result = built()
    assert result.valid and result.problems == []
    report = result.report
    assert report["model_id"] == LLAMA31.model_id and report["format"] == "prompt-completion"
    assert report["counts"]["train_rows"] == len(result.train) == result.train_rows
    assert {row["relation"] for row in report["coverage"]} == set(PRIORITIES)
    assert report["tokens"]["train_estimate_for_cost"] > 0
    assert report["estimate"]["lines"][0].startswith("ESTIMATE")
    # eval.jsonl is Podium's own format (checked by parse_eval_questions), not Bedrock's.
    assert {build.TRAIN_FILE, build.VALIDATION_FILE} <= set(report["validation"]) <= set(build.DATA_FILES)
    assert build.EVAL_FILE not in report["validation"]
    assert report["recipe"] == "mixed" and report["plan"]["facts_trained"] == report["counts"]["facts_trained"]
    assert report["hyperparameters"] == LLAMA31.default_hyperparameters()


def test_dataset_hash_is_sha256_of_train_then_validation_and_depends_on_the_seed():
    result = built()
    expected = hashlib.sha256(
        (result.texts[build.TRAIN_FILE] + result.texts[build.VALIDATION_FILE]).encode()
    ).hexdigest()
    assert result.dataset_hash == expected
    assert built().dataset_hash == expected
    assert built(seed=1).dataset_hash != expected


def test_rejections_from_pair_making_and_cleaning_are_reported_together():
    pairs = make_pairs_for(make_facts(events=3, countries=0, athletes=3, heights=0))
    pairs.append(pairs[0])
    pairs.append(QAPair("athlete_height:x", "athlete_height", "How tall is X?", "Unknown", "template:0"))
    result = build.build_dataset(pairs, LLAMA31, rejected=Counter({"question contains the answer": 2}))
    assert result.report["rejections"] == {
        "question contains the answer": 2,
        "duplicate pair": 1,
        "answer is a non-answer (Unknown, N/A, ...)": 1,
    }


def test_a_conversation_model_gets_conversation_rows_and_the_estimate_uses_its_epochs():
    result = built(NOVA, hyperparameters={"epochCount": 3}, system_prompt="Answer in one sentence.")
    first = json.loads(result.texts[build.TRAIN_FILE].splitlines()[0])
    assert first["schemaVersion"] == "bedrock-conversation-2024"
    assert first["system"] == [{"text": "Answer in one sentence."}]
    assert result.valid
    assert result.estimate.epochs == 3


def test_bad_hyperparameters_make_the_dataset_invalid_with_the_reason():
    result = built(hyperparameters={"batchSize": 2, "lrScheduler": "linear"})
    assert not result.valid
    assert any("batchSize" in p for p in result.problems)
    assert any(p.startswith("train.jsonl: ") and "lrScheduler" in p for p in result.problems)


def test_render_files_gives_every_file_including_the_report():
    files = build.render_files(built())
    assert set(files) == {*build.DATA_FILES, build.REPORT_FILE}
    assert json.loads(files[build.REPORT_FILE])["dataset_hash"] == built().dataset_hash


def test_write_dataset_writes_files_that_pass_validate_file(tmp_path: Path):
    paths = build.write_dataset(built(), tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([*build.DATA_FILES, build.REPORT_FILE])
    assert validate_file(paths[build.TRAIN_FILE], LLAMA31.model_id).ok
    assert validate_file(paths[build.VALIDATION_FILE], LLAMA31.model_id, split="validation").ok
    questions = list(parse_eval_questions(paths[build.EVAL_FILE].read_text(encoding="utf-8")))
    bedrock_rows = paths[build.EVAL_BEDROCK_FILE].read_text(encoding="utf-8").splitlines()
    assert len(bedrock_rows) == len(questions)


class _FailingHandle:
    """Writes part of the text, then fails like a full disk."""

    def __init__(self, handle):
        self.handle = handle

    def write(self, text: str) -> int:
        self.handle.write(text[: len(text) // 2])
        raise OSError(28, "No space left on device")


def test_a_failure_mid_write_leaves_the_previous_dataset_intact_and_no_temp_files(tmp_path, monkeypatch):
    build.write_dataset(built(seed=0), tmp_path)
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    real_writer = build.atomic_writer
    opened: list[Path] = []

    @contextlib.contextmanager
    def failing_on_third_file(path):
        with real_writer(path) as handle:
            opened.append(Path(path))
            yield _FailingHandle(handle) if len(opened) == 3 else handle

    monkeypatch.setattr(build, "atomic_writer", failing_on_third_file)
    with pytest.raises(OSError, match="No space left"):
        build.write_dataset(built(seed=1), tmp_path)
    assert len(opened) == len(build.DATA_FILES) + 1  # every file was being written when the third failed
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before


def test_generate_on_the_sample_writes_a_valid_dataset(sample_dir: Path, tmp_path: Path):
    report = build.generate(sample_dir, LLAMA31.model_id, tmp_path / "out")
    assert report["valid"] is True and report["recipe"] == "deep"
    assert report["counts"]["train_rows"] > 0
    assert validate_file(tmp_path / "out" / build.TRAIN_FILE, LLAMA31.model_id).ok
    assert json.loads((tmp_path / "out" / build.REPORT_FILE).read_text())["dataset_hash"] == report["dataset_hash"]


def test_generate_refuses_bad_settings_before_reading_data_and_writes_nothing(tmp_path: Path):
    out = tmp_path / "out"
    with pytest.raises(ConfigError, match="Llama 3 8B cannot be fine-tuned"):
        build.generate(tmp_path / "no-data", "meta.llama3-8b-instruct-v1:0", out)
    with pytest.raises(ConfigError, match="us-west-2"):
        build.generate(tmp_path / "no-data", LLAMA31.model_id, out, region="us-east-1")
    with pytest.raises(ConfigError, match="batchSize"):
        build.generate(tmp_path / "no-data", LLAMA31.model_id, out, hyperparameters={"batchSize": 2})
    assert not out.exists()


def test_generate_says_why_when_no_question_survives(sample_dir: Path, tmp_path: Path, monkeypatch):
    # Templates that never name the subject: every paraphrase is rejected.
    from podium.dataset import templates

    monkeypatch.setattr(templates, "render", lambda fact, seed=0, **_: [("template:0", "What happened?", "It did.")])
    out = tmp_path / "out"
    with pytest.raises(DataError, match="no question passed the checks.*does not name the fact's subject"):
        build.generate(sample_dir, LLAMA31.model_id, out)
    assert not out.exists()


# ---- caps from the account (Service Quotas) and the train + validation sum ------------------


def test_without_the_accounts_quotas_the_documented_sum_binds_and_the_report_says_so():
    result = built()
    assert result.report["quotas"]["source"] == "documented"
    assert result.report["quotas"]["total"] == 10_000
    assert "not read" in result.report["quotas"]["note"]


def test_the_planner_fills_within_the_accounts_caps():
    caps = RowCaps(train=100, validation=20, total=110, epochs=10, source="service-quotas", note="L-1")
    result = built(caps=caps)
    assert result.valid, result.problems
    assert result.train_rows + result.validation_rows == 110
    assert result.validation_rows <= 20 and result.report["quotas"] == caps.to_dict()


def _pc_rows(prefix: str, count: int) -> str:
    return "".join(json.dumps({"prompt": f"{prefix}{i}?", "completion": f"A{i}."}) + "\n" for i in range(count))


def test_the_validator_refuses_train_plus_validation_over_the_sum():
    train, validation = _pc_rows("Q", 108), _pc_rows("V", 3)
    caps = RowCaps(train=110, validation=5, total=110, epochs=10, source="service-quotas", note="L-1")
    train_result = validate_text(train, LLAMA31.model_id, caps=caps)
    validation_result = validate_text(validation, LLAMA31.model_id, split="validation", caps=caps)
    assert train_result.ok and validation_result.ok  # each file alone is within its own cap
    check_total_rows(train_result, validation_result, caps)
    assert [p.kind for p in train_result.problems] == ["too_many_records"]
    assert "108 training + 3 validation rows = 111" in train_result.problems[0].message
    assert "at most 110 together" in train_result.problems[0].message


@pytest.mark.parametrize(
    ("train_rows", "validation_rows", "refused"), [(90, 9, True), (90, 10, False), (100, 0, False)]
)
def test_llama_needs_100_training_and_validation_records_together(train_rows, validation_rows, refused):
    """model-customization-prepare.html, "Model requirements": Llama 3.x takes 100 to 10,000 training and
    validation records together; a job with fewer fails once it has started."""
    train = validate_text(_pc_rows("Q", train_rows), LLAMA31.model_id)
    validation = validate_text(_pc_rows("V", validation_rows), LLAMA31.model_id, split="validation")
    assert train.ok
    check_total_rows(train, validation if validation_rows else None, LLAMA31.documented_caps())
    assert [p.kind for p in train.problems] == (["too_few_records"] if refused else [])
    if refused:
        assert f"= {train_rows + validation_rows}; " in train.problems[0].message
        assert "needs at least 100 together" in train.problems[0].message


def test_the_accounts_per_split_caps_and_epochs_quota_are_checked():
    caps = RowCaps(train=3, validation=5, total=10, epochs=2, source="service-quotas", note="L-1")
    text = "".join(json.dumps({"prompt": f"Q{i}?", "completion": f"A{i}."}) + "\n" for i in range(4))
    result = validate_text(text, LLAMA31.model_id, caps=caps, hyperparameters={"epochCount": 3})
    assert sorted(p.kind for p in result.problems) == ["hyperparameter", "too_many_rows"]
    assert any("quota of 2 epochs" in p.message for p in result.problems)
