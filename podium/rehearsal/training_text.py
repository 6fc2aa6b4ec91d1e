"""The text a simulated model reads: a training file's (prompt, completion) rows, and the
question of a Converse request."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence


def rows_from_jsonl(text: str) -> list[tuple[str, str]]:
    """(prompt, completion) of every readable row: prompt/completion rows, or messages rows
    (bedrock-conversation-2024's content blocks, or Claude 3 Haiku's plain-string contents):
    the user turns and the assistant turns. Unreadable lines are skipped: the job's
    validation phase has already judged the file."""
    rows: list[tuple[str, str]] = []
    for line in text.splitlines():
        try:
            row = json.loads(line)
        except ValueError:
            continue
        if not isinstance(row, dict):
            continue
        if isinstance(row.get("prompt"), str) and isinstance(row.get("completion"), str):
            rows.append((row["prompt"], row["completion"]))
            continue
        messages = row.get("messages")
        if isinstance(messages, list):
            user = _texts(m for m in messages if isinstance(m, dict) and m.get("role") == "user")
            assistant = _texts(m for m in messages if isinstance(m, dict) and m.get("role") == "assistant")
            if user and assistant:
                rows.append((user, assistant))
    return rows


def _texts(messages: Iterable[dict]) -> str:
    parts: list[str] = []
    for message in messages:
        content = message.get("content")
        if isinstance(content, str):  # Claude 3 Haiku's training rows
            parts.append(content)
        elif isinstance(content, list):
            parts.extend(
                item["text"] for item in content if isinstance(item, dict) and isinstance(item.get("text"), str)
            )
    return "\n".join(parts)


def question_text(messages: Sequence[object]) -> str:
    """The text of the last user message of a Converse request."""
    for message in reversed(messages):
        if isinstance(message, dict) and message.get("role") == "user":
            return _texts([message])
    return ""
