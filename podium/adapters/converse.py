"""Asker on Amazon Bedrock Runtime: one Converse turn per question, temperature 0.

Throttling and transient errors become `Throttled` (the evaluation runner retries them
with backoff); any other refusal is `BedrockRejected` with Bedrock's own message. An
emulator says that it is one in `additionalModelResponseFields` (`podium_simulated`), so
every score computed from its answers is labelled SIMULATED.
"""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from podium.adapters.errors import BedrockRejected
from podium.evaluation.runner import Reply, Throttled

_RETRYABLE_CODES = {
    "ThrottlingException",
    "TooManyRequestsException",
    "ServiceUnavailableException",
    "InternalServerException",
    "ModelNotReadyException",
    "RequestTimeout",
}
MAX_ANSWER_TOKENS = 200  # a fact's answer is one sentence
SIMULATED_FIELD = "podium_simulated"  # what the rehearsal's emulator adds to every answer


class BedrockConverseAsker:
    def __init__(self, client: Any) -> None:
        self._runtime = client

    def ask(self, model_id: str, question: str, system: str | None) -> Reply:
        request: dict[str, Any] = {
            "modelId": model_id,
            "messages": [{"role": "user", "content": [{"text": question}]}],
            "inferenceConfig": {"temperature": 0.0, "maxTokens": MAX_ANSWER_TOKENS},
        }
        if system:
            request["system"] = [{"text": system}]
        try:
            response = self._runtime.converse(**request)
        except ClientError as error:
            code = str(error.response.get("Error", {}).get("Code", ""))
            message = str(error.response.get("Error", {}).get("Message", ""))
            if code in _RETRYABLE_CODES or error.response.get("ResponseMetadata", {}).get("HTTPStatusCode") == 429:
                raise Throttled(f"{code}: {message}") from None
            raise BedrockRejected(f"ask {model_id} a question (Converse)", code, message) from None
        content = response.get("output", {}).get("message", {}).get("content", [])
        text = "".join(block.get("text", "") for block in content if isinstance(block, dict))
        extra = response.get("additionalModelResponseFields") or {}
        simulated = isinstance(extra, dict) and bool(extra.get(SIMULATED_FIELD))
        return Reply(text=text.strip(), simulated=simulated)


def runtime_asker(client: Any) -> BedrockConverseAsker:
    """The one place that picks how a model is asked over a bedrock-runtime client: the
    evaluation (podium.adapters.factory.asker) and `podium ask` both come here."""
    return BedrockConverseAsker(client)


__all__ = ["MAX_ANSWER_TOKENS", "BedrockConverseAsker", "runtime_asker"]
