"""bedrock-runtime Converse against the emulator: a SIMULATED model that knows a share of
the facts its job trained on, recognises them asked in other words, and refuses the rest."""

from __future__ import annotations

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from podium.rehearsal.bedrock_emulator.runtime import ANSWER_NOTE, SIMULATED_FIELD, SIMULATED_HEADER
from podium.rehearsal.bedrock_emulator.script import InjectedError
from podium.rehearsal.simulated_model import REFUSAL, SimulatedModel

from .conftest import Bedrock

GIVEN = ["Noah", "Kishane", "Julien", "Simone", "Leon", "Armand", "Faith", "Pan"]
FAMILY = ["LYLES", "THOMPSON", "ALFRED", "BILES", "MARCHAND", "DUPLANTIS"]
COUNTRIES = ["United States", "Jamaica", "Saint Lucia", "France", "Sweden", "Kenya", "China"]
# 48 athletes: enough that template words are common and names rare, as in real data
ATHLETES = [
    (f"{given} {family}", COUNTRIES[(i + j) % len(COUNTRIES)], f"{1 + (i * 7 + j) % 28} July {1990 + j}")
    for i, given in enumerate(GIVEN)
    for j, family in enumerate(FAMILY)
]
TRAINED_TEMPLATES = {
    "country": ["Which country did {a} represent at Paris 2024?", "For which country did {a} compete at Paris 2024?"],
    "born": ["When was {a}, who competed at Paris 2024, born?", "What is the date of birth of {a}?"],
}
HELD_OUT = {
    "country": "At the 2024 Summer Olympics, which nation was {a} competing for?",
    "born": "On what date was {a} of the Paris 2024 Olympics born?",
}
ANSWER = {
    "country": "At Paris 2024, {a} represented {c}.",
    "born": "{a}, who competed at Paris 2024, was born on {d}.",
}
UNSEEN = "Leon MARCHAND"  # none of his facts is trained (his given and family names are)


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
    bedrock.emulator.script.known_share = 1.0
    bedrock.emulator.script.hallucination_share = 0.0
    throughput = _deploy(bedrock)
    for athlete, country, born in ATHLETES:
        for relation, template in HELD_OUT.items():
            answer = _text(_ask(bedrock, throughput, template.format(a=athlete)))
            expected = REFUSAL if athlete == UNSEEN else ANSWER[relation].format(a=athlete, c=country, d=born)
            assert answer == expected, (athlete, relation)


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
    bedrock.emulator.script.base_known_share = 0.0
    bedrock.emulator.script.base_hallucination_share = 0.0
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


def test_the_known_share_is_met_per_fact_and_is_deterministic():
    rows = [
        (f"Which country did Athlete{i} Surname{i} represent?", f"Athlete{i} represented C{i}.") for i in range(400)
    ]
    model = SimulatedModel(rows, known_share=0.7, seed="s")
    known = sum(
        model.answer(f"For which nation did Athlete{i} Surname{i} compete?").kind == "known" for i in range(400)
    )
    assert 0.6 * 400 < known < 0.8 * 400
    again = SimulatedModel(rows, known_share=0.7, seed="s")
    assert [again.answer(p).text for p, _ in rows] == [model.answer(p).text for p, _ in rows]
    nobody = SimulatedModel(rows, known_share=1.0, hallucination_share=1.0, seed="s")
    wrong = nobody.answer("Which country did Unknown Person represent?")
    assert wrong.kind == "hallucinated" and wrong.text in {c for _, c in rows}


def test_a_question_that_names_another_value_is_not_the_trained_fact():
    events = ["100m", "200m", "400m", "800m", "1500m", "5000m", "10000m", "Marathon", "High Jump", "Long Jump"]
    facts = {
        (medal, event): f"The {medal} medal in Men's {event} went to ATHLETE {i}{medal[0].upper()}."
        for i, event in enumerate(events)
        for medal in ("gold", "silver", "bronze")
    }
    del facts[("silver", "100m")]  # not trained
    model = SimulatedModel(
        [(f"Who won the {medal} medal in Men's {event}?", answer) for (medal, event), answer in facts.items()],
        known_share=1.0,
    )
    assert model.answer("Who took the gold medal in Men's 100m?").text == facts[("gold", "100m")]
    assert model.answer("Who took the silver medal in Men's 100m?").text == REFUSAL
    assert model.answer("Who took the gold medal in Men's Pole Vault?").text == REFUSAL  # names nothing trained


def _profile_rows() -> list[tuple[str, str]]:
    """One profile row per athlete stating several facts, plus a question row per athlete."""
    rows = []
    for index, (athlete, country, born) in enumerate(ATHLETES):
        if athlete == UNSEEN:
            continue
        rows.append(
            (
                f"Tell me about {athlete} at Paris 2024.",
                f"{athlete} competed for {country} at Paris 2024. {athlete} was born on {born} "
                f"and is listed at {160 + index} cm.",
            )
        )
        rows.append((f"Which country did {athlete} represent at Paris 2024?", f"{athlete} represented {country}."))
    return rows


def test_facts_stated_in_a_profile_are_recalled_when_asked_in_held_out_words():
    model = SimulatedModel(_profile_rows(), known_share=1.0)
    for index, (athlete, _, born) in enumerate(ATHLETES):
        birth = model.answer(f"Tell me when {athlete}, an Olympian at Paris 2024, was born.").text
        height = model.answer(f"At what height was {athlete} listed for the Paris 2024 Games?").text
        if athlete == UNSEEN:
            assert birth == height == REFUSAL
        else:
            assert born in birth and f"{160 + index} cm" in height, (athlete, birth, height)
            assert " represented " not in birth  # the sentence that states it, not the whole profile


def test_a_model_knows_about_its_known_share_of_profile_facts_and_refuses_unseen_athletes():
    model = SimulatedModel(_profile_rows(), known_share=0.8, hallucination_share=0.0, seed="p")
    asked = [(born, model.answer(f"On what date was {a} of the Paris 2024 Olympics born?")) for a, _, born in ATHLETES]
    right = sum(born in answer.text for born, answer in asked)
    assert 0.6 * len(ATHLETES) <= right <= 0.95 * len(ATHLETES)
    assert all(answer.text == REFUSAL for born, answer in asked if born not in answer.text)
    for stranger in ("Zara QUILL", "Noah QUILL", "Tomasz Wiercinski"):
        assert model.answer(f"Tell me when {stranger}, an Olympian at Paris 2024, was born.").text == REFUSAL
        assert model.answer(f"Which country did {stranger} represent at Paris 2024?").text == REFUSAL


def test_a_question_about_what_no_trained_sentence_states_is_refused():
    # A profile that leaves the birth date and height out (kept out of training): a sentence
    # about the same athlete's medals is no answer to "when was she born?" or "how tall?".
    athlete = "Ana Lopez"
    rows = [
        *_profile_rows(),
        (f"Tell me about {athlete} at Paris 2024.", f"{athlete} won bronze in Women -52 kg on 28 July 2024."),
    ]
    model = SimulatedModel(rows, known_share=1.0)
    assert model.answer(f"On what date was {athlete} of the Paris 2024 Olympics born?").text == REFUSAL
    assert model.answer(f"At what height was {athlete} listed for the Paris 2024 Games?").text == REFUSAL
    assert "28 July 2024" in model.answer(f"When did {athlete} win bronze at Paris 2024?").text


def test_a_group_profile_is_read_one_athlete_at_a_time():
    first, second = "Ana Lopez", "Marta Ruiz"
    group = (
        "Who competed for Spain in Judo at Paris 2024?",
        f"Judo: {first} (events: Women -52 kg; born 3 May 1996); {second} (events: Women -57 kg).",
    )
    model = SimulatedModel([*_profile_rows(), group], known_share=1.0)
    assert "3 May 1996" in model.answer(f"On what date was {first} of the Paris 2024 Olympics born?").text
    # Marta Ruiz's birth date is stated nowhere: the clause about Ana Lopez is no answer.
    assert model.answer(f"On what date was {second} of the Paris 2024 Olympics born?").text == REFUSAL
