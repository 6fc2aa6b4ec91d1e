"""The JSONL rows Bedrock reads, one writer per data format (the evaluation files: evalset.py).

- prompt-completion (Llama 3.1): {"prompt": q, "completion": a}
- bedrock-conversation-2024 (Llama 3.2/3.3, Nova): schemaVersion, one system element,
  a user turn then an assistant turn, content as [{"text": ...}]
- anthropic-messages (Claude 3 Haiku): {"system": s, "messages": [{"role": "user",
  "content": q}, {"role": "assistant", "content": a}]}, contents as plain strings
  (model-customization-prepare.html, "Anthropic Claude 3 Haiku: Single-turn conversations")
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from podium.dataset.records import QAPair
from podium.models import DataFormat

CONVERSATION_SCHEMA = "bedrock-conversation-2024"
DEFAULT_SYSTEM_PROMPT = "You are a concise assistant that answers questions about the Paris 2024 Olympic Games."


def prompt_completion_row(pair: QAPair) -> dict[str, str]:
    return {"prompt": pair.question, "completion": pair.answer}


def conversation_row(pair: QAPair, system_prompt: str = DEFAULT_SYSTEM_PROMPT) -> dict[str, Any]:
    return {
        "schemaVersion": CONVERSATION_SCHEMA,
        "system": [{"text": system_prompt}],
        "messages": [
            {"role": "user", "content": [{"text": pair.question}]},
            {"role": "assistant", "content": [{"text": pair.answer}]},
        ],
    }


def anthropic_messages_row(pair: QAPair, system_prompt: str = DEFAULT_SYSTEM_PROMPT) -> dict[str, Any]:
    return {
        "system": system_prompt,
        "messages": [
            {"role": "user", "content": pair.question},
            {"role": "assistant", "content": pair.answer},
        ],
    }


def training_row(pair: QAPair, data_format: DataFormat, system_prompt: str | None = None) -> dict[str, Any]:
    """The training/validation row for `pair` in the model's format."""
    if data_format is DataFormat.PROMPT_COMPLETION:
        return prompt_completion_row(pair)
    if data_format is DataFormat.CONVERSATION:
        return conversation_row(pair, system_prompt or DEFAULT_SYSTEM_PROMPT)
    if data_format is DataFormat.ANTHROPIC_MESSAGES:
        return anthropic_messages_row(pair, system_prompt or DEFAULT_SYSTEM_PROMPT)
    raise ValueError(f"no writer for data format {data_format!r}")


def to_jsonl(rows: Iterable[dict[str, Any]]) -> str:
    """One compact JSON object a line, UTF-8 kept as is, newline-terminated."""
    return "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows)


def render_training_jsonl(pairs: Iterable[QAPair], data_format: DataFormat, system_prompt: str | None = None) -> str:
    return to_jsonl(training_row(p, data_format, system_prompt) for p in pairs)


__all__ = [
    "CONVERSATION_SCHEMA",
    "anthropic_messages_row",
    "DEFAULT_SYSTEM_PROMPT",
    "conversation_row",
    "prompt_completion_row",
    "render_training_jsonl",
    "to_jsonl",
    "training_row",
]
