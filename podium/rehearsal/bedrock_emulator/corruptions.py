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
    if messages:
        messages[-1]["content"] = [{"text": ""}]
    return {**record, "messages": messages}


def _chat_row(record: dict[str, Any]) -> dict[str, Any]:
    """The original system's rows: role/content strings, a format no Bedrock model takes."""
    return {"messages": [{"role": "user", "content": "Who won?"}, {"role": "assistant", "content": "Nobody."}]}


def _too_long(record: dict[str, Any]) -> dict[str, Any]:
    long_text = "word " * 200_000  # ≈ 250,000 tokens: over every model's per-record limit
    if "prompt" in record:
        return {**record, "prompt": long_text}
    messages = [dict(m) for m in record.get("messages") or []]
    if messages:
        messages[0]["content"] = [{"text": long_text}]
    return {**record, "messages": messages}


_RECORD_CORRUPTIONS = {"empty-answer": _blank_answer, "chat-row": _chat_row, "too-long": _too_long}
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
