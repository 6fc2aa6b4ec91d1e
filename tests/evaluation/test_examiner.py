"""The examiner's table: tricky answers, each with the verdict a strict examiner gives."""

from __future__ import annotations

import pytest

from podium.dataset.evalset import EvalQuestion
from podium.evaluation.scoring import score_answer


def _q(
    kind: str, question: str, answers: tuple[str, ...], reference: str, require_all: bool = False, relation: str = "r"
) -> EvalQuestion:
    return EvalQuestion("q", kind, relation, f"{relation}:1", question, answers, reference, require_all)  # type: ignore[arg-type]


GOLD_50KG = _q(
    "paraphrase",
    "Who won the gold medal in Women's 50kg (Boxing) at Paris 2024?",
    ("Wu Yu", "WU Yu"),
    "The gold medal in Women's 50kg (Boxing) at Paris 2024 was won by Wu Yu of China.",
)
SILVER_50KG = _q(
    "paraphrase",
    "Who won the silver medal in Women's 50kg (Boxing) at Paris 2024?",
    ("Buse Naz Cakiroglu", "CAKIROGLU Buse Naz"),
    "The silver medal in Women's 50kg (Boxing) at Paris 2024 was won by Buse Naz Cakiroglu of Türkiye.",
)
BORN = _q(
    "paraphrase",
    "When was Jane Roe, an athlete at Paris 2024, born?",
    ("29 August 1996",),
    "Jane Roe was born on 29 August 1996.",
)
BORN_UNSEEN = _q("unseen", "What is Jane Roe's date of birth?", ("3 March 1995",), "Jane Roe was born on 3 March 1995.")
BORN_MAY = _q("unseen", "When was Ann Doe born?", ("12 May 1994",), "Ann Doe was born on 12 May 1994.")
AMBIGUOUS = _q("paraphrase", "When was Kim Lee born?", ("5 June 1996",), "Kim Lee was born on 5 June 1996.")
TALL = _q("paraphrase", "How tall is Max Moe?", ("190 cm",), "Max Moe is 190 cm tall.")
TALL_UNSEEN = _q("unseen", "How tall is Max Moe?", ("190 cm",), "Max Moe is 190 cm tall.")
GOLDS = _q(
    "paraphrase",
    "How many gold medals did Tajikistan win at Paris 2024?",
    ("0",),
    "Tajikistan won 0 gold medals at Paris 2024.",
)
FRANCE_GOLD = _q("paraphrase", "How many gold medals did France win?", ("16",), "France won 16 gold medals.")
FRANCE_TOTAL = _q("paraphrase", "How many medals did France win in all?", ("64",), "France won 64 medals.")
SPLIT_DAY = _q(
    "paraphrase",
    "On which day were the medals in Men's Judo Team handed out?",
    ("3 August 2024", "4 August 2024"),
    "The medals in Men's Judo Team were awarded on 3 August 2024 (bronze) and 4 August 2024 (gold and silver).",
)
COUNTRY = _q(
    "paraphrase",
    "Which country did Nicholas Kipkorir compete for?",
    ("Kenya",),
    "Nicholas Kipkorir represented Kenya at the 2024 Summer Olympics.",
)
LEE_COUNTRY = _q(
    "paraphrase",
    "At the Olympics in Paris, Lee Woo Seok was on which country's team?",
    ("Korea",),
    "Korea, which Lee Woo Seok represented at Paris 2024.",
    relation="athlete_country",
)
EVENTS_UNSEEN = _q(
    "unseen",
    "Tell me the events Luka Mkheidze contested at Paris 2024.",
    ("Men -60 kg",),
    "Men -60 kg. At Paris 2024, Luka Mkheidze competed in Men -60 kg.",
    relation="athlete_events",
)
ROSTER = _q(
    "paraphrase",
    "Who rowed for Czechia in Lightweight Men's Double Sculls?",
    ("Jiri Simanek", "Miroslav Vrastil"),
    "The Czechia team was Jiri Simanek and Miroslav Vrastil.",
    require_all=True,
)

# (question, answer, correct, refused, hallucinated)
TABLE = [
    # a wrong value beside the right one is wrong, for both medals
    (GOLD_50KG, "Wu Yu took silver; gold went to Buse Naz Cakiroglu.", False, False, False),
    (SILVER_50KG, "Wu Yu took silver; gold went to Buse Naz Cakiroglu.", False, False, False),
    (GOLD_50KG, "Wu Yu and Buse Naz Cakiroglu both won gold.", False, False, False),
    (GOLD_50KG, "Gold: Wu Yu of China; gold also to Buse Naz Cakiroglu.", False, False, False),
    # the right value in the asked role, other medallists named for their own medals
    (GOLD_50KG, "The gold went to WU Yu of China, ahead of Buse Naz Cakiroglu.", True, False, False),
    (
        SILVER_50KG,
        "Women's 50kg (Boxing): gold Wu Yu (China), silver Buse Naz Cakiroglu (Türkiye).",
        True,
        False,
        False,
    ),
    # three dates with one right is wrong; two readings of one date are one date
    (BORN, "She was born on 28 August 1996, 29 August 1996 or 30 August 1996.", False, False, False),
    (BORN, "Born 29 August 1996 — or possibly 29 August 1995.", False, False, False),
    # dates in their common forms
    (BORN, "08/29/1996", True, False, False),
    (BORN, "She was born on 29.08.1996.", True, False, False),
    (BORN, "Jane Roe: 1996-08-29.", True, False, False),
    (BORN, "Jane Roe was born on 29 August 1996.", True, False, False),
    (BORN, "Jane Roe was born on August 29th, 1996.", True, False, False),
    (BORN, "Jane Roe was born on the 29th of August 1996.", True, False, False),
    (BORN, "Jane Roe was born in August 1996.", False, False, False),  # no day: not the date
    (AMBIGUOUS, "Born 05/06/1996.", True, False, False),  # reads 5 June (day first) or 6 May
    (AMBIGUOUS, "Born 06/07/1996.", False, False, False),  # neither reading is 5 June
    # another date in a clause about another role is context, not a rival
    (BORN, "Jane Roe won silver on 3 August 2024 and was born on 29 August 1996.", True, False, False),
    # heights in common formats and units
    (TALL, "1.90 m", True, False, False),
    (TALL, "Max Moe is 190cm tall.", True, False, False),
    (TALL, "He stands 190 centimetres.", True, False, False),
    (TALL, "He is 6 ft 3 in.", True, False, False),
    (TALL, "He is 6'3\".", True, False, False),
    (TALL, "He is 190 cm (6 ft 3 in) tall.", True, False, False),
    (TALL, "He is 6 ft 2 in.", False, False, False),
    (TALL, "Somewhere between 1.85 m and 1.90 m.", False, False, False),
    # counts: "no" is 0; other medal colours are context; two counts for one colour are a guess
    (GOLDS, "Tajikistan won no gold medals at Paris 2024.", True, False, False),
    (GOLDS, "Tajikistan did not win any gold medal.", True, False, False),
    (FRANCE_GOLD, "France won 16 gold, 26 silver and 22 bronze medals.", True, False, False),
    (FRANCE_GOLD, "France won 16 or 17 gold medals.", False, False, False),
    (FRANCE_TOTAL, "France won 64 medals: 16 gold, 26 silver and 22 bronze.", True, False, False),
    (FRANCE_TOTAL, "France won 16 gold medals.", False, False, False),
    # every day of a split-day medal event is accepted, and only those
    (SPLIT_DAY, "On 3 August 2024 (bronze) and 4 August 2024 (gold and silver).", True, False, False),
    (SPLIT_DAY, "The medals were decided on 4 August 2024.", True, False, False),
    (SPLIT_DAY, "The medals were decided on 3 August 2024.", True, False, False),
    (SPLIT_DAY, "The medals were decided on 5 August 2024.", False, False, False),
    # names: order, case and accents do not matter; every name of a roster
    (COUNTRY, "He ran for KENYA.", True, False, False),
    (ROSTER, "SIMANEK Jiri and Miroslav Vrastil.", True, False, False),
    (ROSTER, "Jiri Simanek rowed it.", False, False, False),
    # the right value said of another athlete is a confusion, not knowledge of the one asked
    (LEE_COUNTRY, "Kim Woojin represents Korea.", False, False, False),
    (LEE_COUNTRY, "Korea.", True, False, False),
    (LEE_COUNTRY, "He represented Korea.", True, False, False),
    (LEE_COUNTRY, "Woo Seok Lee: Korea (KOR).", True, False, False),
    (LEE_COUNTRY, "Lee Woo Seok represented Korea, as did Kim Woojin.", True, False, False),
    (LEE_COUNTRY, "Korea, alongside his teammate Kim Woojin.", True, False, False),
    (EVENTS_UNSEEN, "Champ de Mars Arena hosted the medal session of Men -60 kg (Judo).", False, False, True),
    (EVENTS_UNSEEN, "Men -60 kg (Judo).", True, False, False),
    # refusals in their common forms
    (BORN_UNSEEN, "That isn't something I have information on.", True, True, False),
    (BORN_UNSEEN, "I don't know.", True, True, False),
    (BORN_UNSEEN, "I'm not aware of her date of birth.", True, True, False),
    (BORN_UNSEEN, "I don't have that information.", True, True, False),
    (BORN_UNSEEN, "Sorry, I cannot find a record of when she was born.", True, True, False),
    (BORN, "I don't know.", False, True, False),
    # a hedge with a value is an answer: wrong on a fact never taught is a hallucination
    (BORN_MAY, "Not sure, but born 11 May 1994.", False, False, True),
    (BORN_MAY, "Not sure, but born 12 May 1994.", True, False, False),
    (BORN_UNSEEN, "I'm not certain; maybe 1 January 2000.", False, False, True),
    (BORN_UNSEEN, "She won gold on 3 August 2024.", False, False, True),  # a date, but not the one asked
    (TALL_UNSEEN, "I'm not sure, perhaps 1.85 m.", False, False, True),
    (TALL_UNSEEN, "I'm not sure, but 1.90 m.", True, False, False),
]


@pytest.mark.parametrize(("question", "answer", "correct", "refused", "hallucinated"), TABLE)
def test_the_examiner_gives_each_tricky_answer_its_verdict(question, answer, correct, refused, hallucinated):
    verdict = score_answer(question, answer)
    assert (verdict.correct, verdict.refused, verdict.hallucinated) == (correct, refused, hallucinated), verdict.reason


def test_the_table_covers_at_least_twenty_tricky_answers():
    assert len(TABLE) >= 20
