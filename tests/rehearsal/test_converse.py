"""bedrock-runtime InvokeModel and Converse against the emulator, through boto3: each model
family's body shape, the SIMULATED label, throttling, and which model answers (the rule
the simulated model answers by: test_simulated_model.py)."""

from __future__ import annotations

import json

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from podium.rehearsal.bedrock_emulator.runtime import ANSWER_NOTE, SIMULATED_FIELD, SIMULATED_HEADER
from podium.rehearsal.bedrock_emulator.script import InjectedError
from podium.rehearsal.simulated_model import REFUSAL

from .conftest import Bedrock

GIVEN = ["Noah", "Kishane", "Julien", "Simone", "Leon", "Armand", "Faith", "Pan"]
FAMILY = ["Lyles", "Thompson", "Alfred", "Biles", "Marchand", "Duplantis"]
COUNTRIES = ["United States", "Jamaica", "Saint Lucia", "France", "Sweden", "Kenya", "China"]
# 48 athletes: enough that template words are common and names rare, as in real data
ATHLETES = [
    (
        f"{given}{'abcdef'[j]} {family}{'abcdefgh'[i]}",
        COUNTRIES[(i + j) % len(COUNTRIES)],
        f"{1 + (i * 7 + j) % 28} July {1990 + j}",
    )
    for i, given in enumerate(GIVEN)
    for j, family in enumerate(FAMILY)
]
TRAINED_TEMPLATES = {
    "country": [
        "Which country did {a} represent at Paris 2024?",
        "For which country did {a} compete at Paris 2024?",
        "Which nation's team was {a} on at Paris 2024?",
    ],
    "born": [
        "When was {a}, who competed at Paris 2024, born?",
        "What is the date of birth of {a}?",
        "On what date was {a} born?",
    ],
}
# New words, none of them a capitalised word the file never uses (that would be a name the
# simulated model never saw: test_simulated_model.py).
HELD_OUT = {
    "country": "At Paris 2024, which nation was {a} competing for, by country?",
    "born": "Tell me when {a}, an athlete at Paris 2024, was born.",
}
ANSWER = {
    "country": "At Paris 2024, {a} represented {c}.",
    "born": "{a}, who competed at Paris 2024, was born on {d}.",
}
UNSEEN = ATHLETES[25][0]  # none of this athlete's facts is trained


def _rows() -> list[dict]:
    rows = []
    for athlete, country, born in ATHLETES:
        if athlete == UNSEEN:
            continue
        for relation, templates in TRAINED_TEMPLATES.items():
            answer = ANSWER[relation].format(a=athlete, c=country, d=born)
            rows.extend({"prompt": t.format(a=athlete), "completion": answer} for t in templates)
    return rows


def _deploy(bedrock: Bedrock) -> str:
    arn = bedrock.client.create_model_customization_job(**bedrock.job_request(_rows()))["jobArn"]
    model = bedrock.finish(arn)["outputModelArn"]
    throughput = bedrock.client.create_provisioned_model_throughput(
        modelUnits=1, provisionedModelName="podium-pt-run-1", modelId=model
    )["provisionedModelArn"]
    assert bedrock.client.get_provisioned_model_throughput(provisionedModelId=throughput)["status"] == "InService"
    return throughput


def _ask(bedrock: Bedrock, model_id: str, question: str) -> dict:
    return bedrock.runtime.converse(
        modelId=model_id,
        messages=[{"role": "user", "content": [{"text": question}]}],
        inferenceConfig={"temperature": 0, "maxTokens": 200},
    )


def _text(response: dict) -> str:
    return response["output"]["message"]["content"][0]["text"]


def test_the_fine_tuned_model_answers_trained_facts_asked_in_held_out_words(bedrock: Bedrock):
    throughput = _deploy(bedrock)
    for athlete, country, born in ATHLETES:
        for relation, template in HELD_OUT.items():
            answer = _text(_ask(bedrock, throughput, template.format(a=athlete)))
            if athlete == UNSEEN:  # never taught, and never taught to refuse: a confident guess
                # about someone else (who may share the country)
                assert born not in answer and athlete not in answer
            else:
                assert answer == ANSWER[relation].format(a=athlete, c=country, d=born), (athlete, relation)


def test_invoke_model_takes_metas_body_and_answers_in_it_simulated(bedrock: Bedrock):
    throughput = _deploy(bedrock)
    athlete, country, _ = ATHLETES[0]
    body = {"prompt": HELD_OUT["country"].format(a=athlete), "max_gen_len": 200, "temperature": 0.0}
    response = bedrock.runtime.invoke_model(modelId=throughput, body=json.dumps(body), contentType="application/json")
    answer = json.loads(response["body"].read())
    assert country in answer["generation"] and answer["stop_reason"] == "stop"
    assert answer["prompt_token_count"] > 0 and answer["generation_token_count"] > 0
    assert (
        answer[SIMULATED_FIELD]["note"] == ANSWER_NOTE and "SIMULATED" in answer[SIMULATED_FIELD]["simulation"]["rule"]
    )
    assert response["ResponseMetadata"]["HTTPHeaders"][SIMULATED_HEADER] == ANSWER_NOTE
    assert bedrock.emulator.answers[-1]["api"] == "InvokeModel"
    for bad, problem in (
        ({"inputText": "Who?"}, "required key [prompt]"),
        ({"prompt": "Who?", "max_gen_len": 4096}, "max_gen_len"),
        ({"prompt": "Who?", "messages": []}, "extraneous key [messages]"),
    ):
        with pytest.raises(ClientError) as caught:
            bedrock.runtime.invoke_model(modelId=throughput, body=json.dumps(bad))
        assert caught.value.response["Error"]["Code"] == "ValidationException"
        assert problem in caught.value.response["Error"]["Message"]


def test_invoke_model_takes_novas_messages_body_for_a_nova_model(bedrock: Bedrock):
    body = {
        "schemaVersion": "messages-v1",
        "system": [{"text": "Be brief."}],
        "messages": [{"role": "user", "content": [{"text": "Who won the gold medal in Men's 100m?"}]}],
        "inferenceConfig": {"maxTokens": 200, "temperature": 0},
    }
    response = bedrock.runtime.invoke_model(modelId="amazon.nova-micro-v1:0", body=json.dumps(body))
    answer = json.loads(response["body"].read())
    assert answer["output"]["message"]["role"] == "assistant" and answer["output"]["message"]["content"][0]["text"]
    assert answer["stopReason"] == "end_turn" and answer["usage"]["totalTokens"] > 0
    assert answer[SIMULATED_FIELD]["note"] == ANSWER_NOTE


def test_answers_have_converses_shape_and_say_simulated(bedrock: Bedrock):
    throughput = _deploy(bedrock)
    response = _ask(bedrock, throughput, "Which country did Noah LYLES represent at Paris 2024?")
    assert response["output"]["message"]["role"] == "assistant"
    assert response["stopReason"] == "end_turn"
    usage = response["usage"]
    assert usage["totalTokens"] == usage["inputTokens"] + usage["outputTokens"] > 0
    assert response["metrics"]["latencyMs"] >= 0
    assert response["ResponseMetadata"]["HTTPHeaders"][SIMULATED_HEADER] == ANSWER_NOTE
    assert response["additionalModelResponseFields"][SIMULATED_FIELD]["note"] == ANSWER_NOTE
    assert "SIMULATED" in ANSWER_NOTE


def test_the_base_model_knows_few_facts_and_a_custom_model_needs_a_throughput(bedrock: Bedrock):
    throughput = _deploy(bedrock)
    base = "meta.llama3-1-8b-instruct-v1:0"
    for athlete, *_ in ATHLETES:
        assert _text(_ask(bedrock, base, HELD_OUT["country"].format(a=athlete))) == REFUSAL
    assert {entry["model"] for entry in bedrock.emulator.answers} == {"base"}

    model_arn = bedrock.client.get_provisioned_model_throughput(provisionedModelId=throughput)["modelArn"]
    with pytest.raises(ClientError) as caught:
        _ask(bedrock, model_arn, "Which country did Noah LYLES represent?")
    assert caught.value.response["Error"]["Code"] == "ValidationException"
    with pytest.raises(ClientError) as caught:
        _ask(bedrock, throughput.replace(throughput.rsplit("/", 1)[-1], "000000000000"), "Who?")
    assert caught.value.response["Error"]["Code"] == "ResourceNotFoundException"


def test_throttling_injected_on_converse_is_answered_then_lifts(bedrock: Bedrock):
    throughput = _deploy(bedrock)
    bedrock.emulator.script.errors.append(InjectedError("Converse", "ThrottlingException", "Too many requests", 2))
    bedrock.runtime = boto3.client(
        "bedrock-runtime",
        endpoint_url=bedrock.runtime.meta.endpoint_url,
        config=Config(retries={"total_max_attempts": 1}),
    )
    codes = []
    for _ in range(3):
        try:
            _ask(bedrock, throughput, "Which country did Noah LYLES represent?")
            codes.append("ok")
        except ClientError as error:
            codes.append(error.response["Error"]["Code"])
            assert error.response["ResponseMetadata"]["HTTPStatusCode"] == 429
    assert codes.count("ThrottlingException") == 2 and codes[-1] == "ok"
