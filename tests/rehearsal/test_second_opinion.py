"""The emulator is a second opinion on Bedrock's rules, not a copy of Podium's: it imports
none of Podium's rule modules, and where its verdict on a bad file differs from Podium's
validator, the difference is listed here with the reason it is right (or a finding)."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

from podium.dataset.validate import check_total_rows, validate_text
from podium.models import get_model
from podium.rehearsal import bedrock_rules

REHEARSAL = Path(__file__).resolve().parents[2] / "podium" / "rehearsal"
# every module of the emulator package (new ones included) and the siblings it imports
EMULATOR_FILES = (
    *sorted((REHEARSAL / "bedrock_emulator").glob("*.py")),
    *(REHEARSAL / f"{name}.py" for name in ("bedrock_rules", "service_model", "simulated_model", "local_http")),
)
RULE_MODULES = ("podium.dataset", "podium.models", "podium.config", "podium.workflow")

LLAMA31 = "meta.llama3-1-8b-instruct-v1:0:128k"
LLAMA32 = "meta.llama3-2-3b-instruct-v1:0:128k"
HAIKU = "anthropic.claude-3-haiku-20240307-v1:0:200k"
NOVA = "amazon.nova-lite-v1:0:300k"


def test_the_emulator_imports_none_of_podiums_rule_modules():
    assert (REHEARSAL / "bedrock_emulator" / "emulator.py") in EMULATOR_FILES  # the glob found the package
    for path in EMULATOR_FILES:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        imported = [
            node.module if isinstance(node, ast.ImportFrom) else alias.name
            for node in ast.walk(tree)
            if isinstance(node, ast.Import | ast.ImportFrom)
            for alias in (node.names if isinstance(node, ast.Import) else [None])
        ]
        assert not [m for m in imported if m and m.startswith(RULE_MODULES)], path.name
    # …nor through anything it imports
    modules = [".".join(path.relative_to(REHEARSAL.parents[1]).with_suffix("").parts) for path in EMULATOR_FILES]
    imports = "; ".join(f"import {module.removesuffix('.__init__')}" for module in modules)
    probe = f"import sys; {imports}; print([m for m in sys.modules if m.startswith({RULE_MODULES!r})])"
    loaded = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    assert loaded.strip() == "[]"


def _pc(prompt: str = "Who won the gold medal in Men's 100m?", completion: str = "Noah LYLES won it.") -> dict:
    return {"prompt": prompt, "completion": completion}


def _conv(user: str = "Who won the gold medal in Men's 100m?", answer: str = "Noah LYLES won it.", **extra) -> dict:
    return {
        "schemaVersion": "bedrock-conversation-2024",
        "messages": [
            {"role": "user", "content": [{"text": user}]},
            {"role": "assistant", "content": [{"text": answer}]},
        ],
        **extra,
    }


def _msgs(user: str = "Who won the gold medal in Men's 100m?", answer: str = "Noah LYLES won it.", **extra) -> dict:
    """Claude 3 Haiku's rows (model-customization-prepare.html): string contents, a string system."""
    return {
        "system": "Answer briefly.",
        "messages": [{"role": "user", "content": user}, {"role": "assistant", "content": answer}],
        **extra,
    }


def _rows(make, count: int) -> list[dict]:
    return [make(f"Who won event number {i}?", f"Athlete {i} won it.") for i in range(count)]


def _jsonl(rows: list[dict | str]) -> str:
    return "".join((row if isinstance(row, str) else json.dumps(row)) + "\n" for row in rows)


# name → (model, split, JSONL text, hyperparameters)
CORPUS: dict[str, tuple[str, str, str, dict]] = {
    "valid prompt/completion (control)": (LLAMA31, "train", _jsonl(_rows(_pc, 100)), {}),
    "valid conversation (control)": (NOVA, "train", _jsonl(_rows(_conv, 20)), {}),
    "conversation rows for Llama 3.1": (LLAMA31, "train", _jsonl(_rows(_conv, 20)), {}),
    "prompt/completion rows for Llama 3.2": (LLAMA32, "train", _jsonl(_rows(_pc, 100)), {}),
    "prompt/completion rows for Nova": (NOVA, "train", _jsonl(_rows(_pc, 100)), {}),
    "the original system's chat rows": (
        LLAMA31,
        "train",
        _jsonl([{"messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello"}]}]),
        {},
    ),
    "an empty completion": (LLAMA31, "train", _jsonl([*_rows(_pc, 100), _pc(completion="  ")]), {}),
    "valid Claude 3 Haiku rows (control)": (HAIKU, "train", _jsonl(_rows(_msgs, 40)), {}),
    "conversation rows for Claude 3 Haiku": (HAIKU, "train", _jsonl(_rows(_conv, 40)), {}),
    "prompt/completion rows for Claude 3 Haiku": (HAIKU, "train", _jsonl(_rows(_pc, 40)), {}),
    "content blocks in Claude 3 Haiku's rows": (
        HAIKU,
        "train",
        _jsonl([*_rows(_msgs, 40), {"system": "S", "messages": _conv()["messages"]}]),
        {},
    ),
    "an empty assistant turn": (HAIKU, "train", _jsonl([*_rows(_msgs, 40), _msgs(answer="")]), {}),
    "an empty assistant turn in a conversation": (NOVA, "train", _jsonl([*_rows(_conv, 20), _conv(answer="")]), {}),
    "not JSON": (LLAMA31, "train", _jsonl([*_rows(_pc, 100), '{"prompt": "Who won?", "completion": ']), {}),
    "a JSON array": (LLAMA31, "train", _jsonl([*_rows(_pc, 100), "[1, 2]"]), {}),
    "an empty file": (LLAMA31, "train", "", {}),
    "10,001 training rows for Llama 3.1": (LLAMA31, "train", _jsonl(_rows(_pc, 10_001)), {}),
    "1,001 validation rows for Llama 3.1": (LLAMA31, "validation", _jsonl(_rows(_pc, 1_001)), {}),
    "7 training rows for Nova": (NOVA, "train", _jsonl(_rows(_conv, 7)), {}),
    "31 training rows for Claude 3 Haiku": (HAIKU, "train", _jsonl(_rows(_msgs, 31)), {}),
    "1,001 validation rows for Claude 3 Haiku": (HAIKU, "validation", _jsonl(_rows(_msgs, 1_001)), {}),
    "a 120,000-character row (≈20K tokens)": (
        LLAMA31,
        "train",
        _jsonl([*_rows(_pc, 100), _pc(prompt="word " * 24_000)]),
        {},
    ),
    "a 56,000-character row (≈9K-19K tokens)": (
        LLAMA31,
        "train",
        _jsonl([*_rows(_pc, 100), _pc(prompt="word " * 11_200)]),
        {},
    ),
    "batchSize 2 for Llama 3.1": (LLAMA31, "train", _jsonl(_rows(_pc, 100)), {"batchSize": "2"}),
    "epochCount 11 for Llama 3.1": (LLAMA31, "train", _jsonl(_rows(_pc, 100)), {"epochCount": "11"}),
    "learningRate 0.5 for Llama 3.1": (LLAMA31, "train", _jsonl(_rows(_pc, 100)), {"learningRate": "0.5"}),
    "lrScheduler for Llama 3.1": (LLAMA31, "train", _jsonl(_rows(_pc, 100)), {"lrScheduler": "linear"}),
    "epochCount 6 for Nova": (NOVA, "train", _jsonl(_rows(_conv, 20)), {"epochCount": "6"}),
    "a Llama special token": (
        LLAMA31,
        "train",
        _jsonl([*_rows(_pc, 100), _pc(completion="Noah LYLES <|eot_id|>")]),
        {},
    ),
    "Nova's reserved word User:": (NOVA, "train", _jsonl([*_rows(_conv, 20), _conv(user="User: who won?")]), {}),
    "another schemaVersion for Nova": (NOVA, "train", _jsonl([_conv(schemaVersion="v2") for _ in range(20)]), {}),
    "two system prompts for Llama 3.2": (
        LLAMA32,
        "train",
        _jsonl([*_rows(_conv, 20), _conv(system=[{"text": "Be brief."}, {"text": "Be kind."}])]),
        {},
    ),
    "1,001 validation rows for Nova": (NOVA, "validation", _jsonl(_rows(_conv, 1_001)), {}),
    "1,001 validation rows for Llama 3.3": (
        "meta.llama3-3-70b-instruct-v1:0:128k",
        "validation",
        _jsonl(_rows(_conv, 1_001)),
        {},
    ),
    "two system prompts for Nova": (
        NOVA,
        "train",
        _jsonl([*_rows(_conv, 20), _conv(system=[{"text": "Be brief."}, {"text": "Be kind."}])]),
        {},
    ),
    "a two-turn conversation for Llama 3.2 (control)": (
        LLAMA32,
        "train",
        _jsonl(
            [
                {
                    "schemaVersion": "bedrock-conversation-2024",
                    "messages": [
                        {"role": role, "content": [{"text": f"turn {i} of conversation {n}"}]}
                        for i, role in enumerate(("user", "assistant", "user", "assistant"))
                    ],
                }
                for n in range(100)  # Llama 3.x: 100 records at least
            ]
        ),
        {},
    ),
    "a duplicated row": (LLAMA31, "train", _jsonl([*_rows(_pc, 100), _pc(), _pc()]), {}),
    "an extra field": (LLAMA31, "train", _jsonl([*_rows(_pc, 100), {**_pc(), "source": "template:1"}]), {}),
    "a blank line": (LLAMA31, "train", _jsonl(_rows(_pc, 100)) + "\n" + _jsonl(_rows(_pc, 100)[:1]), {}),
}

# Where the two disagree, and why that is right (or what it reveals).
DOCUMENTED = {
    "a 56,000-character row (≈9K-19K tokens)": (
        "Podium counts 1 token per 3 bytes to stay under the 16K cap whatever the tokenizer; the emulator "
        "estimates as AWS's page says to (about 6 characters a token). Podium refusing a row Bedrock might "
        "take is the safe side."
    ),
    "a Llama special token": (
        "Bedrock does not document refusing <|eot_id|>; Podium refuses it because Bedrock adds the chat "
        "template itself and the token would be trained as text. Stricter than Bedrock, on purpose."
    ),
    "a duplicated row": "Bedrock accepts duplicates; Podium refuses them so no fact is over-weighted. Stricter.",
    "an extra field": (
        "Bedrock's documented record has prompt and completion; it does not say other keys fail the job. "
        "Podium refuses them so a generator bug cannot pass unnoticed. Stricter."
    ),
    "a blank line": "The emulator skips blank lines; Podium refuses them (AWS's own sample validator does). Stricter.",
    "another schemaVersion for Nova": (
        'The Nova user guide says "schemaVersion can be any string value"; Podium requires '
        "bedrock-conversation-2024 (which it writes). Stricter."
    ),
    "two system prompts for Nova": (
        "AWS's Llama dataset validator refuses a second system block; no source says so for Nova, so the "
        "emulator does not apply it there. Podium refuses it for every model (it writes one). Stricter."
    ),
    "1,001 validation rows for Nova": (
        "UNCONFIRMED: no AWS source states a validation cap for Nova (AWS's Nova validator checks 8–20,000 "
        "samples a file); Podium's registry assumes 1,000, the emulator applies none."
    ),
    "1,001 validation rows for Llama 3.3": (
        "UNCONFIRMED: the per-file caps (10,000 / 1,000) come from AWS's Llama validator, which lists Llama "
        "3.1 and 3.2 only; Podium assumes them for 3.3, the emulator applies only the page's sum rule."
    ),
}


def _podium_refuses(model: str, split: str, text: str, hyperparameters: dict) -> bool:
    """A training file is judged as the job's only data (no validation file), with the sum rules too."""
    result = validate_text(text, model, split=split, hyperparameters=hyperparameters or None)
    if split == "train":
        check_total_rows(result, None, get_model(model).documented_caps())
    return not result.ok


def _emulator_refuses(model: str, split: str, text: str, hyperparameters: dict) -> bool:
    if bedrock_rules.model_problem(model, bedrock_rules.MODELS[model][1][0]):
        return True
    if bedrock_rules.hyperparameter_problems(model, hyperparameters):
        return True
    records, problems = bedrock_rules.data_problems(text, model, split)
    return bool(problems) or (split == "train" and bedrock_rules.total_problem(model, records) is not None)


def test_every_disagreement_with_podiums_validator_is_documented():
    disagreements = {}
    for name, (model, split, text, hyperparameters) in CORPUS.items():
        podium = _podium_refuses(model, split, text, hyperparameters)
        emulator = _emulator_refuses(model, split, text, hyperparameters)
        if "(control)" in name:
            assert not podium and not emulator, name
        elif podium != emulator:
            disagreements[name] = (
                f"Podium {'refuses' if podium else 'accepts'}, the emulator {'refuses' if emulator else 'accepts'}"
            )
    listing = "\n".join(f"- {name}: {verdict}" for name, verdict in disagreements.items())
    print(f"\nDisagreements between Podium's validator and the Bedrock emulator:\n{listing or '(none)'}")
    undocumented = sorted(set(disagreements) - set(DOCUMENTED))
    assert not undocumented, f"undocumented disagreements:\n{listing}"


@pytest.mark.parametrize("name", sorted(n for n in CORPUS if "(control)" not in n and n not in DOCUMENTED))
def test_both_refuse_the_plainly_bad_files(name):
    model, split, text, hyperparameters = CORPUS[name]
    assert _emulator_refuses(model, split, text, hyperparameters), name
    assert _podium_refuses(model, split, text, hyperparameters), name


def test_an_unsupported_model_is_refused_by_both():
    assert bedrock_rules.model_problem("meta.llama3-8b-instruct-v1:0", "us-west-2")
    assert bedrock_rules.model_problem(NOVA, "us-west-2")  # Nova is fine-tuned in us-east-1
    assert not validate_text(_jsonl(_rows(_pc, 100)), "meta.llama3-8b-instruct-v1:0").ok


@pytest.mark.parametrize(
    ("train", "validation", "refused"), [(90, 9, True), (90, 10, False), (9_500, 501, True), (9_500, 500, False)]
)
def test_both_count_llama_training_and_validation_records_together(train, validation, refused):
    """model-customization-prepare.html, Model requirements: Llama 3.x takes 100 to 10,000 training and
    validation records together. Both readings of the page agree on the edges."""
    train_result = validate_text(_jsonl(_rows(_pc, train)), LLAMA31)
    validation_result = validate_text(_jsonl(_rows(_pc, validation)), LLAMA31, split="validation")
    check_total_rows(train_result, validation_result, get_model(LLAMA31).documented_caps())
    podium = "too_few_records" in train_result.counts or "too_many_records" in train_result.counts
    emulator = bedrock_rules.total_problem(LLAMA31, train + validation) is not None
    assert podium == emulator == refused


def test_every_rule_of_the_emulator_names_its_source():
    source = (REHEARSAL / "bedrock_rules.py").read_text(encoding="utf-8")
    for page in bedrock_rules.SOURCES:
        assert page in source
    for model_id, (rules, regions) in bedrock_rules.MODELS.items():
        assert regions, model_id
        assert rules.max_tokens is not None or rules.data_format == bedrock_rules.CONVERSATION, model_id
    # what no source states is not applied (Podium's registry may still assume it)
    nova = bedrock_rules.MODELS[NOVA][0]
    assert nova.max_validation is None and nova.max_tokens is None
    assert bedrock_rules.MODELS["meta.llama3-3-70b-instruct-v1:0:128k"][0].hyperparameters is None
