"""BedrockRuntimeAsker against botocore's Stubber: the request it sends for each framing
(InvokeModel with Meta's body, Converse), throttling, refusals."""

from __future__ import annotations

import io
import json

import boto3
import pytest
from botocore.response import StreamingBody
from botocore.stub import ANY, Stubber

from podium.adapters.bedrock_runtime import BedrockRuntimeAsker
from podium.adapters.errors import BedrockRejected
from podium.dataset.formats import Framing, Prompt
from podium.evaluation.runner import Throttled
from podium.models import DataFormat

MODEL = "arn:aws:bedrock:us-west-2:123456789012:provisioned-model/abc"
CONVERSE = Prompt("Converse", "Who won?", "Be concise.")


def _asker():
    client = boto3.client("bedrock-runtime", region_name="us-west-2", aws_access_key_id="x", aws_secret_access_key="x")
    return BedrockRuntimeAsker(client), Stubber(client)


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


def _body(payload: dict) -> dict:
    raw = json.dumps(payload).encode()
    return {"body": StreamingBody(io.BytesIO(raw), len(raw)), "contentType": "application/json"}


def test_a_prompt_completion_model_is_invoked_with_the_raw_training_prompt_in_metas_body():
    asker, stub = _asker()
    question = "Who won the gold medal in Women's 50kg (Boxing) at Paris 2024?"
    prompt = Framing(DataFormat.PROMPT_COMPLETION).prompt(question)
    row = Framing(DataFormat.PROMPT_COMPLETION).row(question, "Wu Yu of China won it.")
    sent: list[dict] = []
    stub.add_response(
        "invoke_model",
        _body({"generation": " Wu Yu. ", "prompt_token_count": 20, "generation_token_count": 4, "stop_reason": "stop"}),
        {"modelId": MODEL, "body": ANY, "contentType": "application/json", "accept": "application/json"},
    )
    asker._runtime.meta.events.register(
        "before-parameter-build.bedrock-runtime.InvokeModel", lambda params, **_: sent.append(dict(params))
    )
    with stub:
        reply = asker.ask(MODEL, prompt)
    assert reply.text == "Wu Yu." and not reply.simulated
    body = json.loads(sent[0]["body"])
    assert body == {"prompt": row["prompt"], "max_gen_len": 200, "temperature": 0.0}
    assert body["prompt"] == question  # exactly the training row's prompt text, no chat template added
    stub.assert_no_pending_responses()


def test_an_emulated_invoke_model_answer_is_marked_simulated_and_a_body_without_generation_is_refused():
    asker, stub = _asker()
    prompt = Prompt("InvokeModel", "q")
    stub.add_response("invoke_model", _body({"generation": "x", "podium_simulated": {"note": "SIMULATED"}}))
    stub.add_response("invoke_model", _body({"outputs": []}))
    with stub:
        assert asker.ask(MODEL, prompt).simulated
        with pytest.raises(BedrockRejected, match="no 'generation'"):
            asker.ask(MODEL, prompt)


def test_a_conversation_model_is_asked_through_converse_with_the_training_system_prompt():
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
        reply = asker.ask(MODEL, CONVERSE)
    assert reply.text == "Léon Marchand." and not reply.simulated
    stub.assert_no_pending_responses()


def test_an_emulated_converse_answer_is_marked_simulated():
    asker, stub = _asker()
    stub.add_response("converse", _response("x", {"podium_simulated": {"note": "SIMULATED"}}))
    with stub:
        assert asker.ask(MODEL, CONVERSE).simulated


def test_throttling_is_retryable_and_a_refusal_carries_bedrocks_words():
    asker, stub = _asker()
    stub.add_client_error("converse", "ThrottlingException", "Too many requests", http_status_code=429)
    stub.add_client_error("invoke_model", "AccessDeniedException", "not authorized to invoke", http_status_code=403)
    with stub:
        with pytest.raises(Throttled):
            asker.ask(MODEL, CONVERSE)
        with pytest.raises(BedrockRejected, match="not authorized to invoke"):
            asker.ask(MODEL, Prompt("InvokeModel", "q"))
