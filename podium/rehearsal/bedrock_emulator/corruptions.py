"""Corrupting the training file after upload (Script.corrupt_training): data that Podium's
own checks never saw, for Bedrock's validation phase to refuse."""

from __future__ import annotations

import json
from typing import Any

from podium.rehearsal.bedrock_emulator.state import S3_URI


def _first_record(lines: list[str]) -> tuple[int, dict[str, Any]]:
    for index, line in enumerate(lines):
        try:
            record = json.loads(line)
        except ValueError:
            continue
        if isinstance(record, dict):
            return index, record
    raise ValueError("the training file has no JSON record to corrupt")


def _blank_answer(record: dict[str, Any]) -> dict[str, Any]:
    if "completion" in record:
        return {**record, "completion": ""}
    messages = [dict(m) for m in record.get("messages") or []]
    if messages:  # in the record's own content shape: blocks, or Claude's plain string
        messages[-1]["content"] = "" if isinstance(messages[-1].get("content"), str) else [{"text": ""}]
    return {**record, "messages": messages}


def _content_text(content: Any) -> str:
    if isinstance(content, list):
        return " ".join(str(block.get("text", "")) for block in content if isinstance(block, dict))
    return str(content or "")


def _wrong_format(record: dict[str, Any]) -> dict[str, Any]:
    """The record in a format another model takes, not this one: a prompt/completion record becomes the
    original system's chat row (role/content strings: Claude 3 Haiku's shape, which no Llama takes); a
    messages record (Converse or Claude's) becomes prompt/completion."""
    if "prompt" in record:
        turns = (("user", record.get("prompt")), ("assistant", record.get("completion")))
        return {"messages": [{"role": role, "content": str(text or "")} for role, text in turns]}
    messages = [m for m in record.get("messages") or [] if isinstance(m, dict)]
    said = {m.get("role"): _content_text(m.get("content")) for m in messages}
    return {"prompt": said.get("user", ""), "completion": said.get("assistant", "")}


def _too_long(record: dict[str, Any]) -> dict[str, Any]:
    long_text = "word " * 200_000  # ≈ 167,000 tokens (6 characters each): over every documented per-record limit
    if "prompt" in record:
        return {**record, "prompt": long_text}
    messages = [dict(m) for m in record.get("messages") or []]
    if messages:
        messages[0]["content"] = long_text if isinstance(messages[0].get("content"), str) else [{"text": long_text}]
    return {**record, "messages": messages}


_RECORD_CORRUPTIONS = {"empty-answer": _blank_answer, "wrong-format": _wrong_format, "too-long": _too_long}
CORRUPTIONS = ("truncated", *_RECORD_CORRUPTIONS)  # what --fail-step BedrockData can do to the file


def corrupt(s3: Any, uri: str, kind: str) -> None:
    """Rewrite the training file at `uri` with one defect of `kind` (see CORRUPTIONS)."""
    if kind not in CORRUPTIONS:
        raise ValueError(f"unknown corruption {kind!r}; use one of {', '.join(CORRUPTIONS)}")
    match = S3_URI.match(uri)
    if not match:
        return
    bucket, key = match.group(1), match.group(2)
    lines = s3.get_object(Bucket=bucket, Key=key)["Body"].read().decode("utf-8").split("\n")
    if kind == "truncated":  # an upload cut short: the last record ends mid-way
        last = max(i for i, line in enumerate(lines) if line.strip())
        lines[last] = lines[last][: len(lines[last]) // 2]
    else:
        index, record = _first_record(lines)
        lines[index] = json.dumps(_RECORD_CORRUPTIONS[kind](record), ensure_ascii=False)
    s3.put_object(Bucket=bucket, Key=key, Body="\n".join(lines).encode("utf-8"))
