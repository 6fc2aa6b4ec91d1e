"""The JSONL rows Bedrock reads, one writer per data format (the evaluation files: evalset.py),
and the framing a question is put in — one Framing for the training rows and for every
question asked of a model afterwards (evaluation, `podium ask`), so a model is asked the
way it was taught.

- prompt-completion (Llama 3.1): {"prompt": q, "completion": a}; asked with InvokeModel
  and the same raw prompt text, as AWS's Llama 3.1 customization sample does
- bedrock-conversation-2024 (Llama 3.2/3.3, Nova): schemaVersion, one system element,
  a user turn then an assistant turn, content as [{"text": ...}]; asked with Converse,
  the same system prompt and the question as the user turn
- anthropic-messages (Claude 3 Haiku): {"system": s, "messages": [{"role": "user",
  "content": q}, {"role": "assistant", "content": a}]}, contents as plain strings
  (model-customization-prepare.html, "Anthropic Claude 3 Haiku: Single-turn conversations");
  asked with Converse like the conversation models
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal

from podium.dataset.records import QAPair
from podium.models import DataFormat

CONVERSATION_SCHEMA = "bedrock-conversation-2024"
DEFAULT_SYSTEM_PROMPT = "You are a concise assistant that answers questions about the Paris 2024 Olympic Games."
# The longest answer a model is asked for (InvokeModel's max_gen_len, Converse's maxTokens): a fact's
# answer is one sentence. The on-demand estimate counts every answer this long.
MAX_ANSWER_TOKENS = 200


@dataclass(frozen=True)
class Prompt:
    """A question framed for a model: the API that asks it, the text the model reads, and the
    system prompt (Converse only)."""

    api: Literal["InvokeModel", "Converse"]
    text: str
    system: str | None = None


@dataclass(frozen=True)
class Framing:
    """How questions are put to a model of `data_format`, in training and when asked."""

    data_format: DataFormat
    system_prompt: str = DEFAULT_SYSTEM_PROMPT

    def __post_init__(self) -> None:
        if self.data_format not in (
            DataFormat.PROMPT_COMPLETION,
            DataFormat.CONVERSATION,
            DataFormat.ANTHROPIC_MESSAGES,
        ):
            raise ValueError(f"no framing for data format {self.data_format!r}")

    def prompt(self, question: str) -> Prompt:
        """The question as the model was taught it: the prompt/completion rows' raw prompt
        text, or the conversation rows' user turn under their system prompt."""
        if self.data_format is DataFormat.PROMPT_COMPLETION:
            return Prompt("InvokeModel", question)
        return Prompt("Converse", question, self.system_prompt)

    def row(self, question: str, answer: str) -> dict[str, Any]:
        """The training/validation row teaching `answer` to `question`."""
        prompt = self.prompt(question)
        if prompt.api == "InvokeModel":
            return {"prompt": prompt.text, "completion": answer}
        if self.data_format is DataFormat.ANTHROPIC_MESSAGES:
            return {
                "system": prompt.system,
                "messages": [{"role": "user", "content": prompt.text}, {"role": "assistant", "content": answer}],
            }
        return {
            "schemaVersion": CONVERSATION_SCHEMA,
            "system": [{"text": prompt.system}],
            "messages": [
                {"role": "user", "content": [{"text": prompt.text}]},
                {"role": "assistant", "content": [{"text": answer}]},
            ],
        }


def training_row(pair: QAPair, data_format: DataFormat, system_prompt: str | None = None) -> dict[str, Any]:
    """The training/validation row for `pair` in the model's format."""
    return Framing(data_format, system_prompt or DEFAULT_SYSTEM_PROMPT).row(pair.question, pair.answer)


def to_jsonl(rows: Iterable[dict[str, Any]]) -> str:
    """One compact JSON object a line, UTF-8 kept as is, newline-terminated."""
    return "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows)


def render_training_jsonl(pairs: Iterable[QAPair], data_format: DataFormat, system_prompt: str | None = None) -> str:
    framing = Framing(data_format, system_prompt or DEFAULT_SYSTEM_PROMPT)
    return to_jsonl(framing.row(p.question, p.answer) for p in pairs)


__all__ = [
    "CONVERSATION_SCHEMA",
    "DEFAULT_SYSTEM_PROMPT",
    "Framing",
    "Prompt",
    "render_training_jsonl",
    "to_jsonl",
    "training_row",
]
