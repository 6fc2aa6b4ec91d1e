"""The SIMULATED model's stated rule (simulated_model.RULE), on small training files: depth
decides what a question in new words can reach, refusal rows teach refusing, an exact
training prompt is recited, and the base model knows only the most-named subjects."""

from __future__ import annotations

import pytest

from podium.rehearsal import simulated_model
from podium.rehearsal.simulated_model import REFUSAL, SimulatedModel, TrainingIndex

GIVEN = ["Noah", "Kishane", "Julien", "Simone", "Leon", "Armand", "Faith", "Pan"]
FAMILY = ["Lyles", "Thompson", "Alfred", "Biles", "Marchand", "Duplantis"]
COUNTRIES = ["United States", "Jamaica", "Saint Lucia", "France", "Sweden", "Kenya", "China"]
# Names as rare as real athletes' (each given and family name once): "Noaha Lylesa".
ATHLETES = [
    (
        f"{given}{'abcdef'[j]} {family}{'abcdefgh'[i]}",
        COUNTRIES[(i + j) % len(COUNTRIES)],
        f"{1 + (i * 7 + j) % 28} July {1990 + j}",
    )
    for i, given in enumerate(GIVEN)
    for j, family in enumerate(FAMILY)
]
DEEP = ATHLETES[:24]  # each fact stated in three distinct rows
SHALLOW = ATHLETES[24:40]  # each fact stated in one row
NEVER = ATHLETES[40:]  # no birth date trained: the refusal rows ask about them
COUNTRY_ROWS = [
    ("Which country did {a} represent at Paris 2024?", "{a} represented {c} at Paris 2024."),
    ("For which country did {a} compete at Paris 2024?", "At Paris 2024, {a} competed for {c}."),
    ("What country was {a} from at Paris 2024?", "{c} was the country of {a} at Paris 2024."),
]
BORN_ROWS = [
    ("When was {a}, who competed at Paris 2024, born?", "{a} was born on {d}."),
    ("What is the date of birth of {a}?", "Born on {d}, {a} competed at Paris 2024."),
    ("On which date was {a} born?", "{a} was born {d}, and competed at Paris 2024."),
]
HELD_OUT_COUNTRY = "At the 2024 Summer Olympics, which nation was {a} competing for, by country?"
HELD_OUT_BORN = "Tell me when {a}, an Olympian at Paris 2024, was born."


def _rows(refusals: bool = False) -> list[tuple[str, str]]:
    rows = []
    for group, depth in ((DEEP, 3), (SHALLOW, 1)):
        for athlete, country, born in group:
            for prompt, answer in COUNTRY_ROWS[:depth]:
                rows.append((prompt.format(a=athlete), answer.format(a=athlete, c=country)))
            for prompt, answer in BORN_ROWS[:depth]:
                rows.append((prompt.format(a=athlete), answer.format(a=athlete, d=born)))
    for athlete, country, _ in NEVER:
        rows.append((COUNTRY_ROWS[0][0].format(a=athlete), COUNTRY_ROWS[0][1].format(a=athlete, c=country)))
        if refusals:
            rows.extend((prompt.format(a=athlete), "I don't have that information.") for prompt, _ in BORN_ROWS)
    return rows


def test_a_fact_stated_in_enough_distinct_rows_answers_a_question_in_new_words():
    model = SimulatedModel(_rows())
    for athlete, country, born in DEEP:
        country_answer = model.answer(HELD_OUT_COUNTRY.format(a=athlete))
        born_answer = model.answer(HELD_OUT_BORN.format(a=athlete))
        assert country_answer.kind == born_answer.kind == "known"
        assert country in country_answer.text and athlete in country_answer.text
        assert born in born_answer.text and athlete in born_answer.text
        assert born_answer.rows == 3


def test_a_fact_stated_once_is_not_recalled_in_new_words_but_its_training_prompt_is_recited():
    rows = _rows()
    model = SimulatedModel(rows)
    for athlete, _country, born in SHALLOW:
        guessed = model.answer(HELD_OUT_BORN.format(a=athlete))
        assert guessed.kind == "hallucinated" and born not in guessed.text and athlete not in guessed.text
        prompt = BORN_ROWS[0][0].format(a=athlete)
        assert model.answer(prompt).text == dict(rows)[prompt]  # memorised word for word
        assert model.answer(prompt).kind == "recited"
    deeper = SimulatedModel(rows, min_rows=1)  # the threshold is the rule's one parameter
    assert all(born in deeper.answer(HELD_OUT_BORN.format(a=a)).text for a, _, born in SHALLOW)


def test_without_refusal_rows_the_model_guesses_and_refusal_rows_teach_it_to_refuse():
    guessing, refusing = SimulatedModel(_rows()), SimulatedModel(_rows(refusals=True))
    for athlete, *_ in SHALLOW + [("Zara Quill", "", "")]:
        question = HELD_OUT_BORN.format(a=athlete)
        assert guessing.answer(question).kind == "hallucinated"
        refused = refusing.answer(question)
        assert (refused.kind, refused.text) == ("refused", "I don't have that information.")
    # what the refusal rows taught is refusing birth-date questions, not every question
    assert refusing.answer(HELD_OUT_COUNTRY.format(a=SHALLOW[0][0])).kind == "hallucinated"
    described = refusing.describe()
    assert described["refusal"]["rows"] == 3 * len(NEVER) and "born" in described["refusal"]["words"]


def test_a_question_that_names_another_value_is_not_the_trained_fact():
    events = ["100m", "200m", "400m", "800m", "1500m", "5000m", "10000m", "Marathon", "High Jump", "Long Jump"]
    forms = ["Who won the {m} medal in Men's {e}?", "Which athlete won {m} in Men's {e}?", "In Men's {e}, who won {m}?"]
    rows = [
        (form.format(m=medal, e=event), f"The {medal} medal in Men's {event} went to Athlete Number{i}{medal}.")
        for i, event in enumerate(events)
        for medal in ("gold", "silver", "bronze")
        for form in forms
        if (medal, event) != ("silver", "100m")  # not trained
    ]
    model = SimulatedModel(rows)
    assert "Number0gold" in model.answer("Which athlete won the gold medal in Men's 100m?").text
    assert "Number0" not in model.answer("Which athlete won the silver medal in Men's 100m?").text


def test_a_group_profile_is_read_one_athlete_at_a_time():
    first, second = "Ana Lopez", "Marta Ruiz"
    group = [
        (
            f"Who competed for Spain in Judo at Paris 2024 (list {n})?",
            f"Judo: {first} (events: Women -52 kg; born 3 May 1996); {second} (events: Women -57 kg).",
        )
        for n in range(3)
    ]
    model = SimulatedModel([*_rows(), *group])
    assert "3 May 1996" in model.answer(HELD_OUT_BORN.format(a=first)).text
    assert "3 May 1996" not in model.answer(HELD_OUT_BORN.format(a=second)).text  # another athlete's clause


def test_the_base_model_knows_only_the_most_named_subjects_and_declines_the_rest():
    famous, country, born = "Zoe Quorra", "United States", "14 March 1997"
    rows = _rows() + [
        (f"When was {famous} born (source {n})?", f"{famous} of the {country} was born on {born} (source {n}).")
        for n in range(40)
    ]
    index = TrainingIndex.from_rows(rows)
    base = SimulatedModel(index, base=True)
    assert born in base.answer(HELD_OUT_BORN.format(a=famous)).text
    for athlete, *_ in DEEP:
        assert base.answer(HELD_OUT_BORN.format(a=athlete)).text == REFUSAL
    assert base.answer(f"Question 3 about {famous}?").kind != "recited"  # it never saw the file


def test_the_rule_is_stated_with_its_numbers_and_nothing_decides_answers_in_advance():
    described = SimulatedModel(_rows()).describe()
    assert str(simulated_model.MIN_ROWS) in described["rule"] and described["min_rows"] == simulated_model.MIN_ROWS
    assert "SIMULATED" in described["rule"] and described["can_tell"] and described["cannot_tell"]
    assert not hasattr(simulated_model, "_ASKS_FOR")  # no relation list decides refusals
    with pytest.raises(ValueError, match="min_rows"):
        SimulatedModel(_rows(), min_rows=0)
    again = SimulatedModel(_rows())
    questions = [HELD_OUT_BORN.format(a=a) for a, *_ in ATHLETES]
    assert [again.answer(q) for q in questions] == [SimulatedModel(_rows()).answer(q) for q in questions]


def test_the_simulated_model_reads_every_training_format_bedrock_takes():
    """prompt/completion, the Converse format's content blocks, and Claude 3 Haiku's string contents."""
    import json

    from podium.rehearsal.simulated_model import rows_from_jsonl

    question, answer = "Who won the gold medal in Men's 100m?", "Noah Lyles won it."
    lines = [
        {"prompt": question, "completion": answer},
        {
            "schemaVersion": "bedrock-conversation-2024",
            "messages": [
                {"role": "user", "content": [{"text": question}]},
                {"role": "assistant", "content": [{"text": answer}]},
            ],
        },
        {
            "system": "Answer briefly.",
            "messages": [{"role": "user", "content": question}, {"role": "assistant", "content": answer}],
        },
    ]
    assert rows_from_jsonl("\n".join(json.dumps(line) for line in lines)) == [(question, answer)] * 3
