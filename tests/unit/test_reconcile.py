"""Source tables are cross-checked: every disagreement is listed with both values and the
table the facts follow; counts come from the detailed table."""

from __future__ import annotations

from pathlib import Path

from podium.dataset import build
from podium.dataset.facts import extract_facts_and_disagreements
from podium.models import get_model

LLAMA31 = get_model("meta.llama3-1-8b-instruct-v1:0:128k")


def _keys(disagreements) -> set[tuple[str, str]]:
    return {(d.check, d.key) for d in disagreements}


def test_the_samples_planted_disagreement_is_found_and_medals_csv_is_used(sample_dir: Path) -> None:
    facts, disagreements = extract_facts_and_disagreements(sample_dir)
    assert _keys(disagreements) == {("medal count", "BEL|bronze"), ("medal count", "BEL|total")}
    bronze = next(d for d in disagreements if d.key == "BEL|bronze")
    assert bronze.values == {"medals.csv": "1", "medals_total.csv": "0"}
    assert bronze.used == "medals.csv" and bronze.table == "medals_total.csv"
    counts = {f.key: f.answer_value for f in facts if f.relation == "country_medal_count"}
    assert counts["BEL|bronze"] == "1 bronze medal" and counts["BEL|total"] == "2 medals"


def test_the_full_data_disagrees_only_on_indonesia(paris2024_dir: Path) -> None:
    facts, disagreements = extract_facts_and_disagreements(paris2024_dir)
    assert _keys(disagreements) == {("medal count", "INA|bronze"), ("medal count", "INA|total")}
    counts = {f.key: f.answer_value for f in facts if f.relation == "country_medal_count"}
    assert counts["INA|bronze"] == "1 bronze medal" and counts["INA|total"] == "3 medals"


def test_other_checks_find_planted_disagreements(sample_dir: Path, tmp_path: Path) -> None:
    for csv in sample_dir.glob("*.csv"):
        (tmp_path / csv.name).write_bytes(csv.read_bytes())
    # A medallist listed under another country than athletes.csv gives, and a schedule venue nobody maps.
    medallists = (tmp_path / "medallists.csv").read_text(encoding="utf-8").splitlines()
    header = medallists[0].split(",")
    first = medallists[1].split(",")
    code_column = header.index("country_code")
    athlete = first[header.index("code_athlete")]
    first[code_column] = "ZZZ"
    medallists[1] = ",".join(first)
    (tmp_path / "medallists.csv").write_text("\n".join(medallists) + "\n", encoding="utf-8")
    schedules = (tmp_path / "schedules.csv").read_text(encoding="utf-8").replace("Invalides", "Invalides Annex")
    (tmp_path / "schedules.csv").write_text(schedules, encoding="utf-8")
    _facts, disagreements = extract_facts_and_disagreements(tmp_path)
    keys = _keys(disagreements)
    assert ("athlete's country", athlete) in keys
    assert ("venue name", "Invalides Annex") in keys
    assert any(check == "medal winners' countries" for check, _ in keys)


def test_generate_reports_disagreements(sample_dir: Path, tmp_path: Path) -> None:
    report = build.generate(sample_dir, LLAMA31.model_id, tmp_path / "out")
    assert {d["key"] for d in report["disagreements"]} == {"BEL|bronze", "BEL|total"}
    assert set(report["disagreements"][0]) == {"check", "table", "key", "values", "used"}
