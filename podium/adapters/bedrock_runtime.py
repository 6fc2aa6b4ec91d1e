"""Asker on Amazon Bedrock Runtime: one question per call, temperature 0, framed as in training.

- InvokeModel (prompt/completion models, Llama 3.1): the raw training prompt text in Meta
  Llama's native request body {"prompt", "max_gen_len", "temperature"}; the answer is the
  response body's "generation" (model-parameters-meta.html), as AWS's Llama 3.1
  customization sample invokes its custom model.
- Converse (conversation models): the training system prompt and the question as the user
  turn.

Throttling and transient errors are retried by the client (adapters.factory.asker); what
is still throttled then becomes `Throttled`; any other refusal is `BedrockRejected` with
Bedrock's own message. An emulator says that it is one — `podium_simulated` in Converse's
`additionalModelResponseFields`, or beside InvokeModel's generation — so every score
computed from its answers is labelled SIMULATED.
"""

from __future__ import annotations

import json
from typing import Any

from botocore.exceptions import ClientError

from podium.adapters.errors import BedrockRejected
from podium.dataset.formats import MAX_ANSWER_TOKENS, Prompt
from podium.evaluation.runner import Reply, Throttled

_RETRYABLE_CODES = {
    "ThrottlingException",
    "TooManyRequestsException",
    "ServiceUnavailableException",
    "InternalServerException",
    "ModelNotReadyException",
    "RequestTimeout",
}
SIMULATED_FIELD = "podium_simulated"  # what the rehearsal's emulator adds to every answer


def llama_request(prompt: Prompt) -> dict[str, Any]:
    """Meta Llama's InvokeModel request body for a raw prompt (model-parameters-meta.html)."""
    return {"prompt": prompt.text, "max_gen_len": MAX_ANSWER_TOKENS, "temperature": 0.0}


class BedrockRuntimeAsker:
    def __init__(self, client: Any) -> None:
        self._runtime = client

    def ask(self, model_id: str, prompt: Prompt) -> Reply:
        try:
            if prompt.api == "InvokeModel":
                return self._invoke(model_id, prompt)
            return self._converse(model_id, prompt)
        except ClientError as error:
            code = str(error.response.get("Error", {}).get("Code", ""))
            message = str(error.response.get("Error", {}).get("Message", ""))
            if code in _RETRYABLE_CODES or error.response.get("ResponseMetadata", {}).get("HTTPStatusCode") == 429:
                raise Throttled(f"{code}: {message}") from None
            raise BedrockRejected(f"ask {model_id} a question ({prompt.api})", code, message) from None

    def _invoke(self, model_id: str, prompt: Prompt) -> Reply:
        response = self._runtime.invoke_model(
            modelId=model_id,
            body=json.dumps(llama_request(prompt)),
            contentType="application/json",
            accept="application/json",
        )
        body = json.loads(response["body"].read() or b"{}")
        if not isinstance(body, dict) or not isinstance(body.get("generation"), str):
            raise BedrockRejected(
                f"ask {model_id} a question (InvokeModel)",
                "UnexpectedResponse",
                f"the response body has no 'generation' text: {str(body)[:200]}",
            )
        return Reply(
            body["generation"].strip(), bool(body.get(SIMULATED_FIELD)), _simulation(body.get(SIMULATED_FIELD))
        )

    def _converse(self, model_id: str, prompt: Prompt) -> Reply:
        request: dict[str, Any] = {
            "modelId": model_id,
            "messages": [{"role": "user", "content": [{"text": prompt.text}]}],
            "inferenceConfig": {"temperature": 0.0, "maxTokens": MAX_ANSWER_TOKENS},
        }
        if prompt.system:
            request["system"] = [{"text": prompt.system}]
        response = self._runtime.converse(**request)
        content = response.get("output", {}).get("message", {}).get("content", [])
        text = "".join(block.get("text", "") for block in content if isinstance(block, dict))
        extra = response.get("additionalModelResponseFields") or {}
        label = extra.get(SIMULATED_FIELD) if isinstance(extra, dict) else None
        return Reply(text.strip(), bool(label), _simulation(label))


def _simulation(label: Any) -> dict[str, Any] | None:
    """The emulator's description of how its answers come about, when it gives one."""
    described = label.get("simulation") if isinstance(label, dict) else None
    return described if isinstance(described, dict) else None


__all__ = ["MAX_ANSWER_TOKENS", "BedrockRuntimeAsker", "llama_request"]
