"""Token estimates that err on the high side.

Podium cannot run each model's tokenizer (they are not shipped with Bedrock, and Llama's
is gated), so it estimates. Two different questions get two different answers:

* Per-row cap (`row_tokens`): a row over the model's limit makes Bedrock fail the job
  after it started, so this must never under-count. Byte-level BPE tokenizers (Llama 3's
  tiktoken-style vocabulary, Nova, Claude) average about 4 characters a token on English
  and fewer bytes per token on other scripts. Counting one token per 3 UTF-8 bytes
  over-counts English by roughly a third and weighs non-Latin text (2–4 bytes a
  character) more heavily, which is where real tokenizers also spend more tokens.
* Cost (`cost_tokens`): AWS's own rule of thumb is ~6 characters a token. Llama 3 averages
  closer to 4 on short English Q&A, so 6 would under-estimate the bill; Podium uses 4 so
  the estimate is more likely to be high than low.
"""

from __future__ import annotations

BYTES_PER_TOKEN_FOR_CAP = 3
CHARS_PER_TOKEN_FOR_COST = 4


def utf8_length(text: str) -> int:
    """len(text.encode()) without encoding ASCII text (the common case)."""
    return len(text) if text.isascii() else len(text.encode("utf-8", "surrogatepass"))


def tokens_from_bytes(byte_count: int) -> int:
    """Conservative token count for `byte_count` UTF-8 bytes (ceil(bytes / 3))."""
    return -(-byte_count // BYTES_PER_TOKEN_FOR_CAP)


def row_tokens(*texts: str) -> int:
    """Conservative token count of a row's texts, for the model's per-row cap."""
    return tokens_from_bytes(sum(utf8_length(t) for t in texts))


def cost_tokens(*texts: str) -> int:
    """Token count used for cost estimates (ceil(chars / 4); see the module docstring)."""
    return -(-sum(len(t) for t in texts) // CHARS_PER_TOKEN_FOR_COST)


__all__ = [
    "BYTES_PER_TOKEN_FOR_CAP",
    "CHARS_PER_TOKEN_FOR_COST",
    "cost_tokens",
    "row_tokens",
    "tokens_from_bytes",
    "utf8_length",
]
