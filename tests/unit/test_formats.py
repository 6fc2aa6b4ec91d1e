from __future__ import annotations

import json

from podium.dataset.evalset import EvalQuestion, bedrock_evaluation_row
from podium.dataset.formats import (
    CONVERSATION_SCHEMA,
    DEFAULT_SYSTEM_PROMPT,
    Framing,
    Prompt,
    render_training_jsonl,
    to_jsonl,
)
from podium.dataset.records import QAPair
from podium.dataset.validate import validate_text
from podium.models import DataFormat

PAIRS = [
    QAPair(
        "event_medal:x",
        "event_medal",
        "Who won the gold medal in Épée Équipe?",
        "Team Ñ won it.",
        "template:0",
    ),
    QAPair(
        "athlete_country:y",
        "athlete_country",
        'Which country does "Q" BLOGGS represent?',
        "Q BLOGGS represents Z.",
        "template:1",
    ),
]
# The same facts as evaluation questions (eval_bedrock.jsonl is written from these).
QUESTIONS = [
    EvalQuestion(f"q{n:04d}", "paraphrase", p.relation, p.fact_id, p.question, ("Z",), p.answer)
    for n, p in enumerate(PAIRS, 1)
]


def _eval_bedrock_jsonl(questions: list[EvalQuestion]) -> str:
    return to_jsonl(bedrock_evaluation_row(q) for q in questions)


def test_prompt_completion_rows_are_exactly_prompt_and_completion():
    lines = render_training_jsonl(PAIRS, DataFormat.PROMPT_COMPLETION).splitlines()
    assert [json.loads(line) for line in lines] == [
        {"prompt": PAIRS[0].question, "completion": PAIRS[0].answer},
        {"prompt": PAIRS[1].question, "completion": PAIRS[1].answer},
    ]
    assert "Épée" in lines[0]  # UTF-8 kept, not \u-escaped


def test_conversation_rows_follow_bedrock_conversation_2024():
    text = render_training_jsonl(PAIRS[:1], DataFormat.CONVERSATION, "Answer briefly.")
    assert json.loads(text) == {
        "schemaVersion": CONVERSATION_SCHEMA,
        "system": [{"text": "Answer briefly."}],
        "messages": [
            {"role": "user", "content": [{"text": PAIRS[0].question}]},
            {"role": "assistant", "content": [{"text": PAIRS[0].answer}]},
        ],
    }
    default = json.loads(render_training_jsonl(PAIRS[:1], DataFormat.CONVERSATION))
    assert default["system"] == [{"text": DEFAULT_SYSTEM_PROMPT}]


def test_claude_3_haiku_rows_are_system_and_messages_with_string_contents():
    """model-customization-prepare.html, "Anthropic Claude 3 Haiku: Single-turn conversations":
    {"system": "<system message>", "messages": [{"role": "user", "content": "<user query>"}, ...]}."""
    text = render_training_jsonl(PAIRS[:1], DataFormat.ANTHROPIC_MESSAGES, "Answer briefly.")
    assert json.loads(text) == {
        "system": "Answer briefly.",
        "messages": [
            {"role": "user", "content": PAIRS[0].question},
            {"role": "assistant", "content": PAIRS[0].answer},
        ],
    }
    assert (
        json.loads(render_training_jsonl(PAIRS[:1], DataFormat.ANTHROPIC_MESSAGES))["system"] == DEFAULT_SYSTEM_PROMPT
    )
    # asked as taught: Converse, with the training rows' system prompt
    framing = Framing(DataFormat.ANTHROPIC_MESSAGES)
    assert framing.prompt("Who won?") == Prompt("Converse", "Who won?", DEFAULT_SYSTEM_PROMPT)


def test_eval_rows_use_the_evaluation_custom_dataset_keys_with_relation_as_category():
    rows = [json.loads(line) for line in _eval_bedrock_jsonl(QUESTIONS).splitlines()]
    assert rows[1] == {
        "prompt": PAIRS[1].question,
        "referenceResponse": PAIRS[1].answer,
        "category": "athlete_country",
    }


def test_each_format_passes_the_validator_for_a_model_that_takes_it():
    pc = render_training_jsonl(PAIRS, DataFormat.PROMPT_COMPLETION)
    conversation = render_training_jsonl(PAIRS, DataFormat.CONVERSATION)
    assert validate_text(pc, "meta.llama3-1-8b-instruct-v1:0:128k").ok
    assert validate_text(conversation, "meta.llama3-2-3b-instruct-v1:0:128k").ok
    assert validate_text(_eval_bedrock_jsonl(QUESTIONS), "meta.llama3-1-8b-instruct-v1:0:128k", split="eval").ok
    many = [QAPair(f"f:{n}", "event_medal", f"Who won event {n}?", f"A{n} won it.", "template:0") for n in range(32)]
    messages = render_training_jsonl(many, DataFormat.ANTHROPIC_MESSAGES)  # Claude 3 Haiku: 32 rows at least
    haiku = "anthropic.claude-3-haiku-20240307-v1:0:200k"
    assert validate_text(messages, haiku).ok
    # and fails for a model that takes another one
    assert not validate_text(conversation, "meta.llama3-1-8b-instruct-v1:0:128k").ok
    assert not validate_text(pc, "meta.llama3-2-3b-instruct-v1:0:128k").ok
    assert not validate_text(messages, "meta.llama3-2-3b-instruct-v1:0:128k").ok
    for other in (pc, conversation):
        assert "wrong_format" in validate_text(other, haiku).counts
