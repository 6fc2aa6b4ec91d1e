from __future__ import annotations

import json
from pathlib import Path

import pytest

from podium.dataset.validate import MAX_LISTED_PROBLEMS, validate_file, validate_text
from podium.errors import ConfigError, DataError

LLAMA31 = "meta.llama3-1-8b-instruct-v1:0:128k"
LLAMA32 = "meta.llama3-2-3b-instruct-v1:0:128k"


def row(prompt="Who won the gold medal in Event X at Paris 2024?", completion="A won it.") -> str:
    return json.dumps({"prompt": prompt, "completion": completion})


def conversation(*messages, system=("Be brief.",), **extra) -> str:
    value: dict = {"schemaVersion": "bedrock-conversation-2024"}
    if system:
        value["system"] = [{"text": t} for t in system]
    value["messages"] = [{"role": role, "content": [{"text": text}]} for role, text in messages]
    value.update(extra)
    return json.dumps(value)


def jsonl(*lines: str) -> str:
    return "".join(line + "\n" for line in lines)


def kinds(result) -> list[tuple[int | None, str]]:
    return [(p.line, p.kind) for p in result.problems]


def test_a_valid_file_has_rows_tokens_and_no_problems(tmp_path: Path):
    path = tmp_path / "train.jsonl"
    path.write_text(jsonl(row(), row("Who won Event Y?", "B won it.")), encoding="utf-8")
    result = validate_file(path, LLAMA31)
    assert result.ok and result.problems == [] and not result.counts
    assert result.rows == 2
    assert result.tokens > 0 and result.max_row_tokens > 0


def test_lines_that_are_not_objects_are_each_reported_with_their_line():
    result = validate_text(jsonl(row(), "[1, 2]", '"text"', "5", "null", row("Q2?", "A2.")), LLAMA31)
    assert kinds(result) == [(2, "not_object"), (3, "not_object"), (4, "not_object"), (5, "not_object")]
    assert "array" in result.problems[0].message and "string" in result.problems[1].message


def test_invalid_json_and_blank_lines_are_reported_and_checking_continues():
    result = validate_text(jsonl('{"prompt": "Q?",', "", row(), "{} extra", "[" * 100_000), LLAMA31)
    assert kinds(result) == [(1, "invalid_json"), (2, "blank_line"), (4, "invalid_json"), (5, "invalid_json")]
    assert result.rows == 4  # the blank line is not a record
    assert "column 17" in result.problems[0].message
    assert "nested too deeply" in result.problems[3].message


def test_the_original_systems_chat_rows_get_a_specific_message_for_llama31():
    chat = json.dumps({"messages": [{"role": "user", "content": "Who won?"}, {"role": "assistant", "content": "A."}]})
    result = validate_text(jsonl(chat, chat.replace("Who won?", "Who lost?")), LLAMA31)
    assert kinds(result) == [(1, "chat_format"), (2, "chat_format")]
    message = result.problems[0].message
    assert "prompt" in message and "completion" in message and "podium generate" in message


def test_missing_empty_wrongly_typed_and_extra_fields_are_named():
    lines = jsonl(
        json.dumps({"prompt": "Q?"}),
        json.dumps({"prompt": "  ", "completion": "A."}),
        json.dumps({"prompt": 5, "completion": "A."}),
        json.dumps({"prompt": "Q3?", "completion": "A.", "answer": "A."}),
    )
    result = validate_text(lines, LLAMA31)
    assert kinds(result) == [
        (1, "missing_field"),
        (2, "empty_field"),
        (3, "not_string"),
        (4, "unexpected_field"),
    ]
    assert '"completion"' in result.problems[0].message
    assert '"answer"' in result.problems[3].message


def test_a_row_over_the_models_token_cap_is_reported_with_its_estimate():
    long_text = "word " * 20_000  # 100,000 bytes ≈ 33,334 tokens by the conservative estimate
    result = validate_text(jsonl(row(), row(long_text, "A.")), LLAMA31)
    assert kinds(result) == [(2, "too_many_tokens")]
    assert "16,000" in result.problems[0].message
    assert result.max_row_tokens > 16_000


def test_llama_special_tokens_are_found_even_behind_json_escapes():
    escaped = '{"prompt": "\\u003c|eot_id|> Q?", "completion": "A."}'
    result = validate_text(jsonl(row("<|begin_of_text|>Q?", "A."), row("Q?", "A<|start_header_id|>"), escaped), LLAMA31)
    assert kinds(result) == [(1, "special_token"), (2, "special_token"), (3, "special_token")]
    assert "<|begin_of_text|>" in result.problems[0].message
    assert "<|eot_id|>" in result.problems[2].message


def test_duplicate_rows_name_the_first_occurrence():
    result = validate_text(jsonl(row(), row("Other?", "B."), row(), row()), LLAMA31)
    assert kinds(result) == [(3, "duplicate_row"), (4, "duplicate_row")]
    assert result.problems[0].message == "duplicates line 1"


def test_original_hyperparameters_are_rejected_for_llama31_each_one_reported():
    result = validate_text(
        jsonl(row()),
        LLAMA31,
        hyperparameters={
            "epochCount": "2",
            "batchSize": "2",
            "learningRate": "0.00002",
            "lrScheduler": "linear",
        },
    )
    messages = [p.message for p in result.problems if p.kind == "hyperparameter"]
    assert len(messages) == 2
    assert any("batchSize" in m and "1–1" in m for m in messages)
    assert any("lrScheduler" in m and "not a hyperparameter" in m for m in messages)


def test_the_original_systems_model_rows_and_hyperparameters_are_all_reported_at_once():
    chat = json.dumps({"messages": [{"role": "user", "content": "Who won?"}, {"role": "assistant", "content": "A."}]})
    result = validate_text(
        jsonl(chat, "[]", row(), row()),
        "meta.llama3-8b-instruct-v1:0",
        hyperparameters={
            "epochCount": "2",
            "batchSize": "2",
            "learningRate": "0.00002",
            "lrScheduler": "linear",
        },
    )
    assert kinds(result) == [
        (None, "unsupported_model"),
        (None, "hyperparameter"),
        (None, "hyperparameter"),
        (1, "chat_format"),
        (2, "not_object"),
        (4, "duplicate_row"),
    ]
    assert "Llama 3 8B cannot be fine-tuned" in result.problems[0].message
    assert "checked as for meta.llama3-1-8b-instruct-v1:0:128k" in result.problems[0].message


def test_an_unknown_model_id_still_gets_its_rows_checked_as_json_objects():
    result = validate_text(jsonl(row(), "[]", row()), "acme.not-a-model-v1")
    assert kinds(result) == [(None, "unsupported_model"), (2, "not_object"), (3, "duplicate_row")]
    assert "not a Bedrock model that can be fine-tuned" in result.problems[0].message


def test_a_llama31_job_in_us_east_1_is_a_problem_and_the_rows_are_checked_as_llama31():
    chat = json.dumps({"messages": [{"role": "user", "content": "Q?"}]})
    result = validate_text(jsonl(chat), LLAMA31, region="us-east-1")
    assert kinds(result) == [(None, "unsupported_model"), (1, "chat_format")]
    assert "us-west-2" in result.problems[0].message


def test_non_utf8_bytes_are_reported_on_their_line_and_the_rest_is_checked(tmp_path: Path):
    path = tmp_path / "train.jsonl"
    good = row().encode()
    path.write_bytes(
        good + b"\n" + b'{"prompt": "caf\xe9?", "completion": "A."}\n' + b"[]\n" + row("Q?", "B.").encode() + b"\n"
    )
    result = validate_file(path, LLAMA31)
    assert kinds(result) == [(2, "not_utf8"), (3, "not_object")]
    assert "0xe9" in result.problems[0].message
    assert result.rows == 4


def test_every_problem_is_counted_but_only_the_first_ones_are_listed():
    result = validate_text(jsonl(*(["[]"] * 120)), LLAMA31)
    assert len(result.problems) == MAX_LISTED_PROBLEMS
    assert result.counts["not_object"] == 120 and result.total_problems == 120
    assert result.problems[-1].line == MAX_LISTED_PROBLEMS


def test_row_caps_apply_per_split():
    lines = jsonl(*(row(f"Question {i}?", f"Answer {i}.") for i in range(1_001)))
    assert validate_text(lines, LLAMA31, split="train").ok
    over = validate_text(lines, LLAMA31, split="validation")
    assert kinds(over) == [(None, "too_many_rows")]
    assert "1,000" in over.problems[0].message


def test_an_empty_file_is_a_problem():
    assert kinds(validate_text("", LLAMA31)) == [(None, "empty_file")]


def test_a_valid_conversation_row_passes_for_llama32():
    assert validate_text(jsonl(conversation(("user", "Q?"), ("assistant", "A."))), LLAMA32).ok


def test_conversation_schema_violations_are_each_reported():
    lines = jsonl(
        conversation(("user", "Q?"), ("assistant", "A."), system=("one", "two")),
        conversation(("assistant", "A."), ("user", "Q?")),
        json.dumps(
            {
                "messages": [
                    {"role": "user", "content": [{"text": "Q?"}]},
                    {"role": "assistant", "content": [{"text": "A."}]},
                ]
            }
        ),
        json.dumps(
            {
                "schemaVersion": "bedrock-conversation-2024",
                "messages": [
                    {"role": "user", "content": "Q?"},
                    {"role": "assistant", "content": [{"text": "A."}]},
                ],
            }
        ),
        conversation(("user", "Q?")),
        conversation(("user", "Q?"), ("assistant", "")),
        json.dumps({"prompt": "Q?", "completion": "A."}),
    )
    result = validate_text(lines, LLAMA32)
    assert kinds(result) == [
        (1, "conversation_schema"),  # two system elements
        (2, "conversation_schema"),  # starts with assistant
        (2, "conversation_schema"),  # then user
        (3, "conversation_schema"),  # no schemaVersion
        (4, "chat_format"),  # content is a string
        (5, "conversation_schema"),  # ends with the user
        (6, "empty_field"),
        (7, "wrong_format"),
    ]


def test_eval_files_use_the_evaluation_dataset_keys_and_the_1000_prompt_cap():
    good = json.dumps({"prompt": "Q?", "referenceResponse": "A.", "category": "event_medal"})
    bad = json.dumps({"prompt": "Q?", "completion": "A."})
    result = validate_text(jsonl(good, bad), LLAMA31, split="eval")
    assert kinds(result) == [(2, "missing_field"), (2, "unexpected_field")]


def test_an_unknown_split_and_a_missing_file_are_errors(tmp_path: Path):
    with pytest.raises(ConfigError, match="split"):
        validate_text(jsonl(row()), LLAMA31, split="test")
    with pytest.raises(DataError, match="not found"):
        validate_file(tmp_path / "absent.jsonl", LLAMA31)


def test_multi_turn_conversations_and_several_text_items_pass():
    two_turns = conversation(("user", "Q1?"), ("assistant", "A1."), ("user", "Q2?"), ("assistant", "A2."), system=())
    several_items = json.dumps(
        {
            "schemaVersion": "bedrock-conversation-2024",
            "messages": [
                {"role": "user", "content": [{"text": "Part one."}, {"text": "Part two?"}]},
                {"role": "assistant", "content": [{"text": "A."}], "note": "ignored by Bedrock"},
            ],
        }
    )
    result = validate_text(jsonl(two_turns, several_items), LLAMA32)
    assert result.ok, result.problems


def test_conversation_rows_for_llama31_are_named_as_the_wrong_format():
    rows = jsonl(
        conversation(("user", "Q?"), ("assistant", "A.")),
        json.dumps({"messages": [{"role": "user", "content": [{"text": "Q?"}]}]}),
    )
    result = validate_text(rows, LLAMA31)
    assert kinds(result) == [(1, "wrong_format"), (2, "wrong_format")]
    assert '"prompt"' in result.problems[0].message


def test_the_on_demand_id_is_refused_and_the_rows_are_checked_as_its_fine_tuning_id():
    chat = json.dumps({"messages": [{"role": "user", "content": "Q?"}]})
    result = validate_text(jsonl(chat), "meta.llama3-1-8b-instruct-v1:0")
    assert kinds(result) == [(None, "unsupported_model"), (1, "chat_format")]
    assert "on-demand invocation id" in result.problems[0].message


# ---- Nova reserved words (fine-tune-prepare-data-understanding.html) --------------------------

NOVA_MICRO = "amazon.nova-micro-v1:0:128k"


def _nova_rows(*special: str, count: int = 8) -> str:
    """`count` distinct valid Nova rows (Nova needs 8), then the `special` lines."""
    plain = [conversation(("user", f"Who won event {i}?"), ("assistant", f"Team {i}.")) for i in range(count)]
    return jsonl(*plain, *special)


@pytest.mark.parametrize("word", ["User:", "Bot:", "Assistant:", "System:", "<image>", "<video>", "[EOS]"])
def test_each_nova_reserved_word_is_refused_naming_line_and_field(word):
    bad = conversation(("user", f"Quote: {word} who won?"), ("assistant", "Nobody."))
    result = validate_text(_nova_rows(bad), NOVA_MICRO)
    assert kinds(result) == [(9, "reserved_word")]
    assert result.problems[0].message.startswith(f"messages[0].content[0].text contains {word!r}")


def test_reserved_words_are_found_in_the_system_prompt_case_insensitively_and_behind_escapes():
    system = conversation(("user", "Who won?"), ("assistant", "A."), system=("SYSTEM: be brief",))
    escaped = '{"schemaVersion": "bedrock-conversation-2024", "messages": [{"role": "user", "content": [{"text": "x \\u003cvideo\\u003e"}]}, {"role": "assistant", "content": [{"text": "y"}]}]}'  # noqa: E501
    result = validate_text(_nova_rows(system, escaped), NOVA_MICRO)
    assert kinds(result) == [(9, "reserved_word"), (10, "reserved_word")]
    assert result.problems[0].message.startswith("system[0].text contains 'SYSTEM:'")
    assert "'<video>'" in result.problems[1].message


def test_reserved_words_are_nova_rules_only_and_key_names_do_not_count():
    llama = conversation(("user", "User: who won?"), ("assistant", "A."))
    assert validate_text(jsonl(llama), LLAMA32).ok  # Llama has no such rule
    # "system" and "assistant" appear as keys and roles in every Nova row: never a problem.
    assert validate_text(_nova_rows(), NOVA_MICRO).ok


HAIKU = "anthropic.claude-3-haiku-20240307-v1:0:200k"


def messages_row(*turns, system: object = "Be brief.", **extra) -> str:
    value: dict = {} if system is None else {"system": system}
    value["messages"] = [{"role": role, "content": content} for role, content in turns]
    value.update(extra)
    return json.dumps(value)


def test_claude_3_haiku_rows_are_checked_as_its_own_format():
    """{"system": str, "messages": [{"role", "content": str}]}, alternating from the user's turn to the
    assistant's (model-customization-prepare.html); each problem named with its line."""
    good = [messages_row(("user", f"Who won event {n}?"), ("assistant", f"A{n}.")) for n in range(32)]
    assert validate_text(jsonl(*good), HAIKU).ok
    two_turns = messages_row(("user", "Q1?"), ("assistant", "A1."), ("user", "Q2?"), ("assistant", "A2."))
    no_system = messages_row(("user", "Q3?"), ("assistant", "A3."), system=None)
    assert validate_text(jsonl(*good, two_turns, no_system), HAIKU).ok  # multi-turn and no system are fine
    bad = [
        conversation(("user", "Q?"), ("assistant", "A.")),  # the Converse format
        row(),  # prompt/completion
        json.dumps(
            {
                "system": "S",
                "messages": [{"role": "user", "content": [{"text": "Q?"}]}, {"role": "assistant", "content": "A."}],
            }
        ),
        messages_row(("assistant", "A."), ("user", "Q?")),
        messages_row(("user", "Q?"), ("assistant", "  ")),
        messages_row(("user", "Q?")),
        messages_row(("user", "Q?"), ("assistant", "A."), system=["S"]),
        messages_row(("user", "Q?"), ("assistant", "A."), source="x"),
    ]
    result = validate_text(jsonl(*good, *bad), HAIKU)
    assert kinds(result) == [
        (33, "wrong_format"),
        (34, "wrong_format"),
        (35, "wrong_format"),  # content as a list of blocks
        (36, "messages_schema"),
        (36, "messages_schema"),
        (37, "empty_field"),
        (38, "messages_schema"),  # ends with the user
        (39, "messages_schema"),  # system not a string
        (40, "unexpected_field"),
    ]
    assert "plain-string contents" in result.problems[0].message
    assert "Claude 3 Haiku" in result.problems[1].message


def test_claude_3_haiku_needs_32_training_records():
    rows = [messages_row(("user", f"Q{n}?"), ("assistant", f"A{n}.")) for n in range(31)]
    assert kinds(validate_text(jsonl(*rows), HAIKU)) == [(None, "too_few_rows")]
    assert validate_text(jsonl(*rows), HAIKU, split="validation").ok  # the minimum is the training file's
