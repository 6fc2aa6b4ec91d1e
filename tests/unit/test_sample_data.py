"""The committed sample: Kaggle schema, consistent across tables, written by the team."""

from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path

import pytest

from podium.dataset.facts import relation_names
from podium.dataset.records import Fact
from podium.dataset.tables import TABLES, read_header

SAMPLE_TABLES = sorted(TABLES)


def rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def test_sample_has_every_table_and_a_readme(sample_dir: Path) -> None:
    for name in SAMPLE_TABLES:
        assert 3 <= len(rows(sample_dir / f"{name}.csv")) <= 80, name
    assert "written by the Podium team" in (sample_dir / "README.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("name", SAMPLE_TABLES)
def test_sample_header_is_the_kaggle_header(name: str, sample_dir: Path, paris2024_dir: Path) -> None:
    assert read_header(sample_dir / f"{name}.csv") == read_header(paris2024_dir / f"{name}.csv")


@pytest.mark.parametrize("name", SAMPLE_TABLES)
def test_no_line_is_copied_from_the_kaggle_data(name: str, sample_dir: Path, paris2024_dir: Path) -> None:
    mine = set((sample_dir / f"{name}.csv").read_text(encoding="utf-8").splitlines()[1:])
    theirs = set((paris2024_dir / f"{name}.csv").read_text(encoding="utf-8").splitlines()[1:])
    assert not mine & theirs


def test_medals_total_counts_the_sample_medals_but_one_on_purpose(sample_dir: Path) -> None:
    """The summary table agrees with medals.csv except for one planted disagreement (as the
    real medals_total.csv has for Indonesia): Belgium's bronze is missing from it."""
    counted: Counter[tuple[str, str]] = Counter(
        (m["country_code"], m["medal_type"]) for m in rows(sample_dir / "medals.csv")
    )
    totals = rows(sample_dir / "medals_total.csv")
    assert {t["country_code"] for t in totals} == {code for code, _ in counted}
    differing = set()
    for total in totals:
        code = total["country_code"]
        for kind in ("Gold Medal", "Silver Medal", "Bronze Medal"):
            if int(total[kind]) != counted[(code, kind)]:
                differing.add((code, kind, int(total[kind]), counted[(code, kind)]))
        kinds = ("Gold Medal", "Silver Medal", "Bronze Medal")
        assert int(total["Total"]) == sum(int(total[k]) for k in kinds)
    assert differing == {("BEL", "Bronze Medal", 0, 1)}


def test_tables_refer_to_each_other(sample_dir: Path) -> None:
    athletes = {a["code"] for a in rows(sample_dir / "athletes.csv")}
    events = {(e["sport"], e["event"]) for e in rows(sample_dir / "events.csv")}
    medals = rows(sample_dir / "medals.csv")
    for medal in medals:
        assert (medal["discipline"], medal["event"]) in events
        if medal["event_type"] in ("ATH", "HATH"):
            assert medal["code"] in athletes
    for medallist in rows(sample_dir / "medallists.csv"):
        assert medallist["code_athlete"] in athletes
    medal_sessions = {
        (s["discipline"], s["event"]) for s in rows(sample_dir / "schedules.csv") if s["event_medal"] == "1"
    }
    assert medal_sessions == {(m["discipline"], m["event"]) for m in medals}
    # Schedule venues as the real schedule writes them: some abbreviated, which the
    # venue_names view maps (test_names checks every one resolves to a venues.csv name).
    venues = {v["venue"] for v in rows(sample_dir / "venues.csv")}
    abbreviated = {s["venue"] for s in rows(sample_dir / "schedules.csv")} - venues
    assert abbreviated == {"Roland-Garros Stadium", "Champ-de-Mars Arena", "Le Golf National"}


def test_every_relation_yields_facts_on_the_sample(sample_facts: list[Fact]) -> None:
    counts = Counter(f.relation for f in sample_facts)
    assert set(counts) == set(relation_names())
    assert min(counts.values()) >= 2
