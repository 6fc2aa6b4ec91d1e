"""Issue 6 §5: every training and validation row's answer is re-derived from the CSVs by
code that shares nothing with the fact SQL or the templates: it reads the CSVs with the
csv module, finds the claims in the answer text (athlete names, dates, heights, medal
counts, medals, sports, countries) and looks each one up. Precision must be 100% on the
claims it parses, and it must parse at least one claim in 95% of the rows."""

from __future__ import annotations

import ast
import csv
import re
from collections import Counter, defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from name_checks import abbreviated

from podium.dataset import build
from podium.dataset.facts import extract_facts
from podium.dataset.pairs import template_pairs
from podium.models import get_model

LLAMA31 = get_model("meta.llama3-1-8b-instruct-v1:0:128k")
MONTHS = "January February March April May June July August September October November December".split()
DATE = re.compile(r"\b(\d{1,2}) (" + "|".join(MONTHS) + r") (\d{4})\b")
HEIGHT = re.compile(r"\b(\d{2,3}) cm\b")
COUNT = re.compile(r"\b(\d+) (gold |silver |bronze )?medals?\b(?! (?:in|to) (?!total))")
MEDAL_IN = re.compile(r"\b((?i:gold|silver|bronze)) in ([^():]+?) \(([^()]+)\)")
MEDAL_IN_TEAM = re.compile(r"\b((?i:gold|silver|bronze)) in (Men|Women)'s ([A-Z][\w ]+?)(?= on | at |, | and |\.|:|$)")
# A list claim: "competed in A, B and C", "events: A and B", "took part in A".
LIST_CLAIM = re.compile(
    r"(?:competed in |took part in |entered in |events: |sports: |'s (?:sport|events?) at (?:the )?[\w ]+?: )"
    r"(?:the event |these events: )?((?:[^;().]|\.(?=\d))+)"
)
# The same, value first: "A and B: Ann Quill's events at the Paris 2024 Olympics."
VALUE_FIRST_LIST = re.compile(r"^((?:[^;():.]|\.(?=\d))+)(?=: [^:]*'s? (?:sports?|events?) at )")
# The `deep` recipe's texts (podium/dataset/texts.py) make the claims of these row kinds.
CHECKED_AS = {
    "text_event": "profile_event",
    "text_country": "country_medal_count",
    "text_athlete": "profile_medallist",
    "text_team": "profile_team",
    "text_venue": "profile_venue",
    "text_sport_of_event": "event_sport",
}
MEDAL_WORD_IN = re.compile(r"\b(gold|silver|bronze)\b", re.IGNORECASE)
PARTICLES = {"da", "de", "del", "della", "der", "di", "do", "dos", "du", "la", "le", "van", "von", "den", "ten", "ter"}
# Entries: sentences (not after an initial like "R.") and parenthesised athlete details.
ENTRY_END = re.compile(r"(?<![A-Z])\. (?=\w)|\); |\)\. ")


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _items(text: str) -> list[str]:
    try:
        value = ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return []
    return [str(v).strip() for v in value] if isinstance(value, list) else []


def _key(name: str) -> str:
    return " ".join(sorted(name.casefold().replace("-", " ").split()))


def _iso_to_text(iso: str) -> str:
    year, month, day = iso[:10].split("-")
    return f"{int(day)} {MONTHS[int(month) - 1]} {year}"


def _country(row: dict[str, str]) -> str:
    if row["country_code"] == "AIN":
        return "Individual Neutral Athletes"
    return row["country_long"] if row["country"] == row["country_code"] else row["country"]


@dataclass
class Truth:
    names: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))  # name key → codes
    country: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    dates: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))  # birth and medal dates
    height: dict[str, str] = field(default_factory=dict)
    entered: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))  # sports and events
    medals: set[tuple[str, str, str, str]] = field(default_factory=set)  # code, medal, discipline, event
    counts: Counter[tuple[str, str]] = field(default_factory=Counter)  # country name, kind
    countries: set[str] = field(default_factory=set)
    event_sports: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    events_of: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))  # sport → events
    event_countries: dict[tuple[str, str], set[str]] = field(default_factory=lambda: defaultdict(set))
    event_dates: dict[tuple[str, str], set[str]] = field(default_factory=lambda: defaultdict(set))
    medallists: dict[tuple[str, str], set[str]] = field(default_factory=lambda: defaultdict(set))
    medal_sports: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))  # code → disciplines
    event_medal_countries: dict[tuple[str, str], set[tuple[str, str]]] = field(
        default_factory=lambda: defaultdict(set)
    )  # (discipline, event) → (country, medal)
    birth: dict[str, str] = field(default_factory=dict)  # code → birth date as written
    name_columns: dict[str, tuple[str, str]] = field(default_factory=dict)  # code → (name, name_tv)
    venue_sports: dict[str, set[str]] = field(default_factory=dict)
    sports: set[str] = field(default_factory=set)
    # Technical officials and coaches: name key → each namesake's birth date as written
    staff_births: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))


def _truth(folder: Path) -> Truth:
    truth = Truth()
    for row in _rows(folder / "athletes.csv"):
        code = row["code"]
        truth.name_columns[code] = (row["name"], row["name_tv"])
        for name in (row["name"], row["name_tv"]):
            if name:
                truth.names[_key(name)].add(code)
        truth.country[code].update({row["country"], row["country_long"], _country(row)})
        truth.countries.add(_country(row))
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", row["birth_date"] or ""):
            truth.dates[code].add(_iso_to_text(row["birth_date"]))
            truth.birth[code] = _iso_to_text(row["birth_date"])
        sports = _items(row["disciplines"])
        truth.entered[code].update(sports)
        for event in _items(row["events"]):
            truth.entered[code].update({event} if event not in ("Men", "Women") else {f"{event}'s {s}" for s in sports})
        if (row["height"] or "0") not in ("0", "0.0"):
            truth.height[code] = f"{round(float(row['height']))}"
    word = {"Gold Medal": "gold", "Silver Medal": "silver", "Bronze Medal": "bronze"}
    for row in _rows(folder / "medallists.csv"):
        if row["medal_type"] in word and row["medal_date"]:
            code = row["code_athlete"]
            truth.dates[code].add(_iso_to_text(row["medal_date"]))
            truth.medals.add((code, word[row["medal_type"]], row["discipline"], row["event"]))
            truth.medallists[(row["discipline"], row["event"])].add(code)
            truth.medal_sports[code].add(row["discipline"])
    for row in _rows(folder / "medals.csv"):
        if row["medal_type"] in word:
            country = _country(row)
            truth.countries.add(country)
            truth.counts[(country, word[row["medal_type"]])] += 1
            truth.counts[(country, "total")] += 1
            event = (row["discipline"], row["event"])
            truth.event_countries[event].add(country)
            truth.event_medal_countries[event].add((country, word[row["medal_type"]]))
            truth.event_dates[event].add(_iso_to_text(row["medal_date"]))
            if row["code"] and row["event_type"] in ("ATH", "HATH"):  # else the name is a team's
                truth.medallists[event].add(row["code"])
                truth.names[_key(row["name"])].add(row["code"])
    for row in _rows(folder / "events.csv"):
        truth.event_sports[row["event"]].add(row["sport"])
        truth.events_of[row["sport"]].add(row["event"])
        truth.sports.add(row["sport"])
    for row in _rows(folder / "venues.csv"):
        truth.venue_sports[row["venue"]] = set(_items(row["sports"]))
    for table in ("technical_officials.csv", "coaches.csv"):
        for row in _rows(folder / table):
            truth.staff_births[_key(row["name"])].append(row["birth_date"] or "")
    return truth


def _names_in(
    text: str, truth: Truth, spans: dict[str, str] | None = None, names: Mapping[str, object] | None = None
) -> dict[str, object]:
    """Athlete names in `text` (runs of capitalised words and name particles), longest first;
    `spans` receives each name as written. `names`: another index of name keys to look in
    (the officials' and coaches')."""
    names = truth.names if names is None else names
    words = re.findall(r"[\w'.\-]+", text)
    found: dict[str, set[str]] = {}
    i = 0
    while i < len(words):
        best = 0
        for length in range(min(6, len(words) - i), 1, -1):
            span = words[i : i + length]
            if not (span[0][:1].isupper() and span[-1][:1].isupper()):
                continue
            if not all(w[:1].isupper() or w in PARTICLES for w in span):
                continue
            key = _key(" ".join(re.sub(r"'s?$", "", w.rstrip(".") if len(w) > 2 else w) for w in span))
            if key in names:
                found[key] = names[key]
                if spans is not None:
                    spans[key] = " ".join(w.rstrip(".") if len(w) > 3 else w for w in span)
                best = length
                break
        i += best or 1
    return found


def _event_label(text: str, truth: Truth) -> tuple[str, str] | None:
    """The first event named as "<event> (<sport>)" or "Men's <sport>" in `text`."""
    for match in re.finditer(r"\(([^()]+)\)", text):
        sport, before = match.group(1), text[: match.start()].rstrip()
        events = [e for e in truth.events_of.get(sport, ()) if before.endswith(" " + e) or before == e]
        if events:
            return sport, max(events, key=len)
    for match in re.finditer(r"\b(Men|Women)'s ([A-Z][\w ]*)", text):
        for sport in truth.sports:
            if match.group(2).startswith(sport) and match.group(1) in truth.events_of[sport]:
                return sport, match.group(1)
    return None


def _countries_in(text: str, truth: Truth) -> set[str]:
    for venue in truth.venue_sports:  # "Stade de France" names no country
        text = text.replace(venue, " ")
    # Not followed by a capitalised word: "Jordan Conroy" and "Georgia Taylor-Brown" are people.
    found = {c for c in truth.countries if c and re.search(rf"(?<![\w-]){re.escape(c)}(?![\w-]| [A-Z])", text)}
    return {c for c in found if not any(c != other and c in other for other in found)}  # "Congo" in "DR Congo"


def _first_country(text: str, truth: Truth) -> str | None:
    hits = [(text.find(c), -len(c), c) for c in _countries_in(text, truth)]
    return min(hits)[2] if hits else None


def _check(answer: str, relation: str, truth: Truth, subject: str = "") -> tuple[int, list[str]]:
    """(claims checked, wrong claims) for one answer; `subject`: a packed row's subject key."""
    checked, wrong = 0, []
    row_country = subject.split("|")[0] if relation.startswith("profile_") else _first_country(answer, truth)
    relation = CHECKED_AS.get(relation, relation)
    spans: dict[str, str] = {}
    all_names = _names_in(answer, truth, spans)
    for key, codes in all_names.items():
        written = re.sub(r"'s$", "", spans[key])
        if codes <= truth.name_columns.keys() and all(abbreviated(written, *truth.name_columns[c]) for c in codes):
            checked += 1
            wrong.append(f"{written}: abbreviated, athletes.csv names {truth.name_columns[min(codes)][0]}")
    if relation == "profile_country":
        listed = re.search(r"(?:[Mm]edallists by sport|Medallists): (.*)$", answer)
        for section in listed.group(1).rstrip(".").split("; ") if listed else ():
            sport, _, names = section.partition(": ")
            for key, codes in _names_in(names, truth).items():
                checked += 1
                if not any(sport in truth.medal_sports[c] for c in codes):
                    wrong.append(f"{key} won no medal in {sport}")
    if relation in ("profile_athletes", "profile_team", "team_roster") and row_country:
        for key, codes in all_names.items():
            checked += 1
            if not any(row_country in truth.country[c] for c in codes):
                wrong.append(f"{key} not of {row_country}")
    if relation in ("country_medal_count", "profile_country") and row_country:
        for number, kind in COUNT.findall(answer.split(" medallists")[0].split(" Medallists")[0]):
            checked += 1
            if truth.counts[(row_country, kind.strip() or "total")] != int(number):
                wrong.append(f"{row_country} {number} {kind}medals")
    for entry in ENTRY_END.split(answer):
        names = _names_in(entry, truth)
        if len(names) != 1:
            continue
        (codes,) = names.values()
        if relation in ("athlete_country", "profile_medallist"):
            for country in _countries_in(entry, truth):
                checked += 1
                if not any(country in truth.country[c] for c in codes):
                    wrong.append(f"{entry[:60]}: {country}")
        for day, month, year in DATE.findall(entry):
            checked += 1
            if not any(f"{day} {month} {year}" in truth.dates[c] for c in codes):
                wrong.append(f"{entry[:60]}: {day} {month} {year}")
        for height in HEIGHT.findall(entry):
            checked += 1
            if not any(truth.height.get(c) == height for c in codes):
                wrong.append(f"{entry[:60]}: {height} cm")
        medals = MEDAL_IN.findall(entry) + [(m, e, d) for m, e, d in MEDAL_IN_TEAM.findall(entry)]
        for medal, event, discipline in ((m.lower(), e, d) for m, e, d in medals):
            checked += 1
            if not any((c, medal, discipline, event) in truth.medals for c in codes):
                wrong.append(f"{entry[:60]}: {medal} in {event} ({discipline})")
        if relation in ("athlete_events", "athlete_disciplines", "profile_athletes", "profile_medallist"):
            for listed in LIST_CLAIM.findall(entry) + VALUE_FIRST_LIST.findall(entry):
                listed = re.split(r"(?:,| and) (?:took|won|was|is|competed)\b", listed)[0]  # the next clause
                items = [re.sub(r" at the .*| at Paris 2024.*", "", i).strip() for i in re.split(r", | and ", listed)]
                for item in items:
                    if not item:
                        continue
                    checked += 1
                    known = set().union(*(truth.entered[c] for c in codes))
                    if item not in known:
                        wrong.append(f"{entry[:60]}: entered {item}")
    label = _event_label(answer, truth)
    if label and relation in ("event_medal", "profile_event"):
        for key, codes in all_names.items():
            checked += 1
            if not codes & truth.medallists[label]:
                wrong.append(f"{key} won no medal in {label}")
        for country in _countries_in(answer, truth):
            checked += 1
            if country not in truth.event_countries[label]:
                wrong.append(f"{country} won no medal in {label}")
    if label and relation in ("event_medal", "profile_event"):
        # Each sentence naming one medal: its athletes (else its countries) won that medal there.
        for sentence in re.split(r"(?<=\.) (?=[A-Z])", answer):
            medals = {m.lower() for m in MEDAL_WORD_IN.findall(sentence)}
            if len(medals) != 1:
                continue
            (medal,) = medals
            names = _names_in(sentence, truth)
            for key, codes in names.items():
                checked += 1
                if not any((c, medal, *label) in truth.medals for c in codes):
                    wrong.append(f"{key} won no {medal} in {label}")
            for country in _countries_in(sentence, truth) if not names else ():
                checked += 1
                if (country, medal) not in truth.event_medal_countries[label]:
                    wrong.append(f"{country} won no {medal} in {label}")
    if label and relation in ("event_medal_day", "profile_event"):
        for day, month, year in DATE.findall(answer):
            checked += 1
            if f"{day} {month} {year}" not in truth.event_dates[label]:
                wrong.append(f"{label}: no medal on {day} {month} {year}")
    if label and relation in ("event_venue", "profile_event"):
        for venue, sports in truth.venue_sports.items():
            if venue and venue in answer:
                checked += 1
                # venues.csv abbreviates a few sports ("Trampoline" for Trampoline Gymnastics)
                if not any(label[0].startswith(sport.strip()) for sport in sports):
                    wrong.append(f"{label} not at {venue}")
    if relation == "event_sport":
        claim = re.search(
            r"^(?:.*(?:, |: |\. ))?(?:The event )?(.+?) (?:was (?:an event in|the name of an event in each of|"
            r"contested in)|belonged to) (.+?)(?: at the .*| at Paris 2024)?\.$",
            answer,
        )
        if claim:
            event = claim.group(1)
            named = set(re.split(r", | and ", claim.group(2)))
            checked += 1
            if not named <= truth.event_sports.get(event, set()):
                wrong.append(f"{event}: {named}")
    if relation in ("venue_sports", "profile_venue"):
        for venue, sports in truth.venue_sports.items():
            if venue and venue in answer:
                hosted = next(s for s in answer.split(". ") if venue in s).replace(venue, " ")
                named = {s for s in truth.sports if s and s.strip() in hosted}
                for sport in named:
                    checked += 1
                    if sport.strip() not in {s.strip() for s in sports} and not any(sport.strip() in s for s in sports):
                        wrong.append(f"{sport} not at {venue}")
    return checked, wrong


def _check_refusal(question: str, relation: str, truth: Truth) -> tuple[int, list[str]]:
    """A refusal row asks about a value athletes.csv does not hold for the athlete it names;
    a staff one, about an official or coach whom no namesake (among them or the athletes)
    makes ambiguous and whose row holds no birth date."""
    if relation == "unknown_staff_birth_date":
        staff = _names_in(question, truth, names=truth.staff_births)
        if len(staff) != 1:
            return 0, []
        ((key, births),) = staff.items()
        if len(births) > 1 or key in truth.names:
            return 1, [
                f"{key}: a name {len(births)} officials or coaches and {len(truth.names.get(key, ()))} athletes share"
            ]
        return 1, [f"{key}: refused, but the tables hold {births[0]}"] if re.fullmatch(
            r"\d{4}-\d{2}-\d{2}", births[0]
        ) else []
    names = _names_in(question, truth)
    if len(names) != 1:
        return 0, []
    ((key, codes),) = names.items()
    known = truth.birth if relation == "unknown_birth_date" else truth.height
    return 1, [f"{key}: refused, but athletes.csv holds it"] if all(c in known for c in codes) else []


@pytest.fixture(scope="module", params=["sample-deep", "sample-mixed", "full-deep", "full-mixed"])
def rederived(request) -> tuple[int, int, list[str], Counter[str]]:
    data, recipe = request.param.split("-")
    folder: Path = request.getfixturevalue("sample_dir" if data == "sample" else "paris2024_dir")
    built = build.build_dataset(template_pairs(extract_facts(folder)), LLAMA31, recipe=recipe)
    truth = _truth(folder)
    parsed = 0
    wrong: list[str] = []
    unparsed: Counter[str] = Counter()
    rows = built.train + built.validation
    for pair in rows:
        subject = pair.fact_id.split(":", 1)[1] if pair.covers else ""
        if pair.relation.startswith("unknown_"):
            checked, errors = _check_refusal(pair.question, pair.relation, truth)
        else:
            checked, errors = _check(pair.answer, pair.relation, truth, subject)
        if checked:
            parsed += 1
        else:
            unparsed[pair.relation] += 1
        wrong.extend(f"{pair.fact_id}: {e}" for e in errors)
    return len(rows), parsed, wrong, unparsed


def test_every_parsed_claim_is_true(rederived) -> None:
    _rows_total, _parsed, wrong, _unparsed = rederived
    assert wrong == []


def test_at_least_95_percent_of_rows_are_parsed(rederived) -> None:
    total, parsed, _wrong, unparsed = rederived
    assert parsed / total >= 0.95, (parsed, total, unparsed.most_common())


def test_the_checker_catches_a_wrong_claim(sample_dir: Path) -> None:
    truth = _truth(sample_dir)
    swapped = "Noah Lyles of the United States won the silver medal in Men's 100m (Athletics) at Paris 2024."
    checked, wrong = _check(swapped, "text_event", truth)
    assert wrong == ["lyles noah won no silver in ('Athletics', \"Men's 100m\")"]
    assert _check_refusal("How tall is Adam Peaty, who competed at Paris 2024?", "unknown_height", truth)[1]  # 191 cm
    # officials and coaches: one whose birth date the tables hold, one who shares an athlete's name
    staff = "When was {}, a {} at Paris 2024, born?"
    assert _check_refusal(staff.format("Anna Lindqvist", "Swimming referee"), "unknown_staff_birth_date", truth)[1]
    assert _check_refusal(staff.format("Maria Perez", "Athletics judge"), "unknown_staff_birth_date", truth)[1]
    assert _check_refusal(staff.format("Claire Moreau", "Judo referee"), "unknown_staff_birth_date", truth) == (1, [])
    right = "Noah Lyles was born on 18 July 1997."
    assert _check(right, "athlete_birth_date", truth) == (1, [])
    checked, wrong = _check("Noah Lyles was born on 19 July 1997.", "athlete_birth_date", truth)
    assert checked == 1 and wrong
    checked, wrong = _check("United States won 7 gold medals at Paris 2024.", "country_medal_count", truth)
    assert checked == 1 and wrong
