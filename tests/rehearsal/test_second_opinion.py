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

from podium.dataset.validate import validate_text
from podium.rehearsal import bedrock_rules

REHEARSAL = Path(__file__).resolve().parents[2] / "podium" / "rehearsal"
# every module of the emulator package (new ones included) and the siblings it imports
EMULATOR_FILES = (
    *sorted((REHEARSAL / "bedrock_emulator").glob("*.py")),
    *(
        REHEARSAL / f"{name}.py"
        for name in ("bedrock_rules", "service_model", "simulated_model", "training_text", "local_http")
    ),
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


def _rows(make, count: int) -> list[dict]:
    return [make(f"Who won event number {i}?", f"Athlete {i} won it.") for i in range(count)]


def _jsonl(rows: list[dict | str]) -> str:
    return "".join((row if isinstance(row, str) else json.dumps(row)) + "\n" for row in rows)


# name → (model, split, JSONL text, hyperparameters)
CORPUS: dict[str, tuple[str, str, str, dict]] = {
    "valid prompt/completion (control)": (LLAMA31, "train", _jsonl(_rows(_pc, 20)), {}),
    "valid conversation (control)": (NOVA, "train", _jsonl(_rows(_conv, 20)), {}),
    "conversation rows for Llama 3.1": (LLAMA31, "train", _jsonl(_rows(_conv, 20)), {}),
    "prompt/completion rows for Llama 3.2": (LLAMA32, "train", _jsonl(_rows(_pc, 20)), {}),
    "prompt/completion rows for Nova": (NOVA, "train", _jsonl(_rows(_pc, 20)), {}),
    "the original system's chat rows": (
        LLAMA31,
        "train",
        _jsonl([{"messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello"}]}]),
        {},
    ),
    "an empty completion": (LLAMA31, "train", _jsonl([*_rows(_pc, 5), _pc(completion="  ")]), {}),
    "an empty assistant turn": (HAIKU, "train", _jsonl([*_rows(_conv, 40), _conv(answer="")]), {}),
    "not JSON": (LLAMA31, "train", _jsonl([*_rows(_pc, 5), '{"prompt": "Who won?", "completion": ']), {}),
    "a JSON array": (LLAMA31, "train", _jsonl([*_rows(_pc, 5), "[1, 2]"]), {}),
    "an empty file": (LLAMA31, "train", "", {}),
    "10,001 training rows for Llama 3.1": (LLAMA31, "train", _jsonl(_rows(_pc, 10_001)), {}),
    "1,001 validation rows for Llama 3.1": (LLAMA31, "validation", _jsonl(_rows(_pc, 1_001)), {}),
    "7 training rows for Nova": (NOVA, "train", _jsonl(_rows(_conv, 7)), {}),
    "31 training rows for Claude 3 Haiku": (HAIKU, "train", _jsonl(_rows(_conv, 31)), {}),
    "a 100,000-character row (≈25K tokens)": (LLAMA31, "train", _jsonl([_pc(prompt="word " * 20_000)]), {}),
    "a 56,000-character row (≈14K tokens)": (LLAMA31, "train", _jsonl([_pc(prompt="word " * 11_200)]), {}),
    "batchSize 2 for Llama 3.1": (LLAMA31, "train", _jsonl(_rows(_pc, 5)), {"batchSize": "2"}),
    "epochCount 11 for Llama 3.1": (LLAMA31, "train", _jsonl(_rows(_pc, 5)), {"epochCount": "11"}),
    "learningRate 0.5 for Llama 3.1": (LLAMA31, "train", _jsonl(_rows(_pc, 5)), {"learningRate": "0.5"}),
    "lrScheduler for Llama 3.1": (LLAMA31, "train", _jsonl(_rows(_pc, 5)), {"lrScheduler": "linear"}),
    "epochCount 6 for Nova": (NOVA, "train", _jsonl(_rows(_conv, 20)), {"epochCount": "6"}),
    "a Llama special token": (LLAMA31, "train", _jsonl([*_rows(_pc, 5), _pc(completion="Noah LYLES <|eot_id|>")]), {}),
    "Nova's reserved word User:": (NOVA, "train", _jsonl([*_rows(_conv, 20), _conv(user="User: who won?")]), {}),
    "another schemaVersion for Nova": (NOVA, "train", _jsonl([_conv(schemaVersion="v2") for _ in range(20)]), {}),
    "two system prompts": (
        NOVA,
        "train",
        _jsonl([*_rows(_conv, 20), _conv(system=[{"text": "Be brief."}, {"text": "Be kind."}])]),
        {},
    ),
    "a two-turn conversation for Llama 3.2": (
        LLAMA32,
        "train",
        _jsonl(
            [
                {
                    "schemaVersion": "bedrock-conversation-2024",
                    "messages": [
                        {"role": role, "content": [{"text": f"turn {i}"}]}
                        for i, role in enumerate(("user", "assistant", "user", "assistant"))
                    ],
                }
            ]
        ),
        {},
    ),
    "a duplicated row": (LLAMA31, "train", _jsonl([*_rows(_pc, 5), _pc(), _pc()]), {}),
    "an extra field": (LLAMA31, "train", _jsonl([*_rows(_pc, 5), {**_pc(), "source": "template:1"}]), {}),
    "a blank line": (LLAMA31, "train", _jsonl(_rows(_pc, 3)) + "\n" + _jsonl(_rows(_pc, 3)[:1]), {}),
}

# Where the two disagree, and why that is right (or what it reveals).
DOCUMENTED = {
    "a 56,000-character row (≈14K tokens)": (
        "Podium counts 1 token per 3 bytes to stay under the 16K cap whatever the tokenizer; Bedrock "
        "counts real tokens (≈4 characters each). Podium refusing a row Bedrock might take is the safe side."
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
    "a two-turn conversation for Llama 3.2": (
        "FINDING: Bedrock's guide gives Meta models single-turn records (reference/bedrock.md); Podium's "
        "validator accepts several turns. Podium only writes single-turn rows, so no run is affected today."
    ),
}


def _podium_refuses(model: str, split: str, text: str, hyperparameters: dict) -> bool:
    return not validate_text(text, model, split=split, hyperparameters=hyperparameters or None).ok


def _emulator_refuses(model: str, split: str, text: str, hyperparameters: dict) -> bool:
    if bedrock_rules.model_problem(model, bedrock_rules.MODELS[model][1][0]):
        return True
    if bedrock_rules.hyperparameter_problems(model, hyperparameters):
        return True
    return bool(bedrock_rules.data_problems(text, model, split)[1])


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
    assert not validate_text(_jsonl(_rows(_pc, 5)), "meta.llama3-8b-instruct-v1:0").ok
