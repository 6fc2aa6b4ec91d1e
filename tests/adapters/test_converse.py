"""BedrockConverseAsker against botocore's Stubber: the request it sends, throttling, refusals."""

from __future__ import annotations

import boto3
import pytest
from botocore.stub import Stubber

from podium.adapters.converse import BedrockConverseAsker
from podium.adapters.errors import BedrockRejected
from podium.evaluation.runner import Throttled

MODEL = "arn:aws:bedrock:us-west-2:123456789012:provisioned-model/abc"


def _asker():
    client = boto3.client("bedrock-runtime", region_name="us-west-2", aws_access_key_id="x", aws_secret_access_key="x")
    return BedrockConverseAsker(client), Stubber(client)


def _response(text: str, extra=None):
    response = {
        "output": {"message": {"role": "assistant", "content": [{"text": text}]}},
        "stopReason": "end_turn",
        "usage": {"inputTokens": 10, "outputTokens": 5, "totalTokens": 15},
        "metrics": {"latencyMs": 12},
    }
    if extra is not None:
        response["additionalModelResponseFields"] = extra
    return response


def test_asks_at_temperature_zero_with_the_training_framing():
    asker, stub = _asker()
    stub.add_response(
        "converse",
        _response(" Léon Marchand. "),
        {
            "modelId": MODEL,
            "messages": [{"role": "user", "content": [{"text": "Who won?"}]}],
            "inferenceConfig": {"temperature": 0.0, "maxTokens": 200},
            "system": [{"text": "Be concise."}],
        },
    )
    with stub:
        reply = asker.ask(MODEL, "Who won?", "Be concise.")
    assert reply.text == "Léon Marchand." and not reply.simulated
    stub.assert_no_pending_responses()


def test_an_emulated_answer_is_marked_simulated():
    asker, stub = _asker()
    stub.add_response("converse", _response("x", {"podium_simulated": {"note": "SIMULATED"}}))
    with stub:
        assert asker.ask(MODEL, "q", None).simulated


def test_throttling_is_retryable_and_a_refusal_carries_bedrocks_words():
    asker, stub = _asker()
    stub.add_client_error("converse", "ThrottlingException", "Too many requests", http_status_code=429)
    stub.add_client_error("converse", "AccessDeniedException", "not authorized to invoke", http_status_code=403)
    with stub:
        with pytest.raises(Throttled):
            asker.ask(MODEL, "q", None)
        with pytest.raises(BedrockRejected, match="not authorized to invoke"):
            asker.ask(MODEL, "q", None)
