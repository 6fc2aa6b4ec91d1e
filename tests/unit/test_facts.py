"""Fact extraction on the committed sample: each relation against hand-checked values."""

from __future__ import annotations

import re
import shutil
from collections import Counter
from pathlib import Path

import duckdb
import pytest
import sqlglot
from sqlglot import exp

from podium.dataset.facts import (
    FACT_COLUMNS,
    FACT_SQL_DIR,
    create_views,
    extract_facts,
    extract_facts_from_connection,
    relation_names,
    relation_sql,
    tables_for,
    transpile_to_duckdb,
    view_names,
    view_sql,
    views_for,
)
from podium.dataset.records import Fact
from podium.dataset.tables import load_tables
from podium.errors import DataError

EXPECTED_VIEWS = ["athlete_display", "athlete_named", "staff_named", "venue_names"]
ATHLETE_RELATIONS = [
    "athlete_birth_date",
    "athlete_country",
    "athlete_disciplines",
    "athlete_events",
    "athlete_height",
    "athlete_medals",
    "unknown_birth_date",
    "unknown_height",
]
EXPECTED_RELATIONS = {
    "athlete_birth_date",
    "athlete_country",
    "athlete_disciplines",
    "athlete_events",
    "athlete_height",
    "athlete_medals",
    "country_medal_count",
    "event_medal",
    "event_medal_day",
    "event_sport",
    "event_venue",
    "team_roster",
    "unknown_birth_date",
    "unknown_height",
    "unknown_staff_birth_date",
    "venue_sports",
}


def by_key(facts: list[Fact], relation: str) -> dict[str, Fact]:
    return {f.key: f for f in facts if f.relation == relation}


def by_subject(facts: list[Fact], relation: str) -> dict[str, Fact]:
    return {f.subject: f for f in facts if f.relation == relation}


def test_relation_files() -> None:
    assert set(relation_names()) == EXPECTED_RELATIONS
    assert relation_names() == sorted(relation_names())
    assert all((FACT_SQL_DIR / f"{r}.sql").is_file() for r in relation_names())


def test_view_files_are_not_relations(sample_dir: Path) -> None:
    assert view_names() == EXPECTED_VIEWS
    assert (FACT_SQL_DIR / "_athlete_named.sql").is_file()
    assert not [r for r in relation_names() if r.startswith("_")]
    assert "athlete_named" not in relation_names()
    with pytest.raises(DataError, match="unknown relation"):
        relation_sql("_athlete_named")
    with pytest.raises(DataError, match="unknown relation"):
        extract_facts(sample_dir, ["_athlete_named"])


def test_athlete_naming_is_written_once() -> None:
    """The naming rules live in the view only: a copy in a relation would drift from it."""
    assert views_for(ATHLETE_RELATIONS) == ["athlete_display", "athlete_named"]
    for relation in ATHLETE_RELATIONS:
        sql = relation_sql(relation)
        assert "athlete_named" in sql, relation
        for rule in ("name_tv", "PARTITION BY lower(name)", "display_name"):
            assert rule not in sql, (relation, rule)
    # Medal winners and rosters name athletes the same way, through athlete_display.
    assert views_for(["event_medal"]) == views_for(["team_roster"]) == ["athlete_display"]
    assert views_for(["event_venue"]) == ["venue_names"]
    # Officials and coaches: their own view, which leaves out athletes' names.
    assert views_for(["unknown_staff_birth_date"]) == ["athlete_display", "staff_named"]
    others = {"event_medal", "team_roster", "event_venue", "unknown_staff_birth_date"}
    for relation in sorted(EXPECTED_RELATIONS - set(ATHLETE_RELATIONS) - others):
        assert views_for([relation]) == [], relation


def test_staff_are_named_by_the_athletes_rules() -> None:
    """staff_named reads "FAMILY Given" and re-cases capitals with athlete_display's own
    expressions (a view cannot call another's): a change to one must be made to both."""
    athletes, staff = view_sql("athlete_display"), view_sql("staff_named")
    family_given = re.findall(r"RLIKE '\^\(\?:\(\?:da\|[^']*'", athletes)
    assert family_given and all(rule in staff for rule in family_given)
    recase = athletes[athletes.index("array_join(") : athletes.index("AS display_name")].split()
    assert " ".join(recase).replace("given_family", "X") in " ".join(staff.split()).replace("given_family", "X")


@pytest.mark.parametrize("view", EXPECTED_VIEWS)
def test_view_is_one_temporary_view_that_transpiles_and_runs_on_duckdb(view: str, sample_dir: Path) -> None:
    statements = [s for s in sqlglot.parse(view_sql(view), read="databricks") if s]
    assert len(statements) == 1
    create = statements[0]
    assert isinstance(create, exp.Create) and create.args["kind"] == "VIEW" and create.args.get("replace")
    assert create.find(exp.TemporaryProperty) is not None
    assert create.this.name == view
    duckdb_sql = transpile_to_duckdb(view_sql(view))
    assert "CREATE OR REPLACE TEMPORARY VIEW " + view + " AS" in duckdb_sql
    readers = [r for r in relation_names() if views_for([r])[-1:] == [view]]
    con = load_tables(sample_dir, tables_for(readers)).connection
    assert create_views(con, readers)[-1] == view  # after the views it reads
    # on DuckDB a temporary table, computed once for every relation reading it
    assert con.execute("SELECT temporary FROM duckdb_tables() WHERE table_name = ?", [view]).fetchall() == [(True,)]
    assert con.execute(f"SELECT count(*) FROM {view}").fetchone()[0] > 0


@pytest.mark.parametrize("relation", sorted(EXPECTED_RELATIONS))
def test_sql_is_databricks_sql_that_transpiles_and_runs_on_duckdb(relation: str, sample_dir: Path) -> None:
    sql = relation_sql(relation)
    # It parses as Databricks SQL, and the files hold no DuckDB-only syntax.
    sqlglot.parse_one(sql, read="databricks")
    for duckdb_only in ("list_transform", "strftime", "::", "regexp_matches", "str_split"):
        assert duckdb_only not in sql.lower(), duckdb_only
    con = load_tables(sample_dir, tables_for([relation])).connection
    create_views(con, [relation])
    cursor = con.execute(transpile_to_duckdb(sql))
    columns = [d[0] for d in cursor.description]
    assert columns[: len(FACT_COLUMNS)] == list(FACT_COLUMNS)
    rows = cursor.fetchall()
    assert rows, f"{relation} yields no fact on the sample"
    assert {row[0] for row in rows} == {relation}


def test_transpile_rejects_two_statements() -> None:
    with pytest.raises(ValueError, match="one SQL statement"):
        transpile_to_duckdb("SELECT 1; SELECT 2")


def test_tables_for_reads_the_sql() -> None:
    assert tables_for(["country_medal_count"]) == ["medals"]
    assert tables_for(["event_medal", "venue_sports"]) == ["medals", "athletes", "venues"]


def test_tables_for_reads_through_the_views() -> None:
    # athlete_country reads only the athlete_named view; the view reads athletes.
    read = sqlglot.parse_one(relation_sql("athlete_country"), read="databricks").find_all(exp.Table)
    assert {t.name for t in read} == {"athlete_named"}
    assert tables_for(["athlete_country"]) == ["athletes"]
    assert tables_for(["athlete_medals"]) == ["medallists", "athletes"]
    assert tables_for(["athlete_events", "venue_sports"]) == ["athletes", "events", "venues"]
    for relation in ATHLETE_RELATIONS:
        assert "athlete_named" not in tables_for([relation])


def test_a_relation_with_a_view_extracts_alone(sample_dir: Path, sample_facts: list[Fact]) -> None:
    """Only its own tables are loaded (athletes), and the view is created for it."""
    facts = extract_facts(sample_dir, ["athlete_height"])
    assert facts == [f for f in sample_facts if f.relation == "athlete_height"]


def test_extracting_twice_on_one_connection_replaces_the_views(sample_dir: Path) -> None:
    con = load_tables(sample_dir, tables_for(["athlete_country"])).connection
    first = extract_facts_from_connection(con, ["athlete_country"])
    assert first and extract_facts_from_connection(con, ["athlete_country"]) == first


def test_unknown_relation_is_a_clear_error(sample_dir: Path) -> None:
    with pytest.raises(DataError, match="unknown relation"):
        extract_facts(sample_dir, ["athlete_shoe_size"])


def test_facts_are_complete_unique_and_ordered(sample_facts: list[Fact]) -> None:
    assert {f.relation for f in sample_facts} == EXPECTED_RELATIONS
    ids = [f.fact_id for f in sample_facts]
    assert len(ids) == len(set(ids))
    for fact in sample_facts:
        assert fact.subject and fact.answer_value and fact.answer.endswith(".")
        assert all(isinstance(v, str) for v in fact.slots.values())
        assert fact.answer_value in fact.answer or fact.relation.startswith("unknown_")  # a refusal
    order = [(relation_names().index(f.relation), f.key) for f in sample_facts]
    assert order == sorted(order)


def test_extraction_is_deterministic(sample_dir: Path, sample_facts: list[Fact]) -> None:
    assert extract_facts(sample_dir) == sample_facts


def test_relations_subset_in_the_order_asked(sample_dir: Path) -> None:
    facts = extract_facts(sample_dir, ["venue_sports", "country_medal_count"])
    relations = [f.relation for f in facts]
    assert relations == sorted(relations, key=["venue_sports", "country_medal_count"].index)
    assert set(relations) == {"venue_sports", "country_medal_count"}


def test_event_medal_single_winner(sample_facts: list[Fact]) -> None:
    fact = by_key(sample_facts, "event_medal")["Cycling Road|Men's Individual Time Trial|gold"]
    assert fact.subject == "gold medal in Men's Individual Time Trial (Cycling Road)"
    assert fact.answer_value == "Remco Evenepoel of Belgium"
    assert fact.answer == (
        "The gold medal in Men's Individual Time Trial (Cycling Road) at Paris 2024 "
        "was won by Remco Evenepoel of Belgium."
    )
    assert fact.slots["medal_phrase"] == "gold medal"
    assert fact.slots["event_label"] == "Men's Individual Time Trial (Cycling Road)"


def test_event_medal_double_bronze_and_tie_are_aggregated(sample_facts: list[Fact]) -> None:
    facts = by_key(sample_facts, "event_medal")
    judo = facts["Judo|Men -60 kg|bronze"]
    assert judo.answer_value == "Francisco Garrigos of Spain and Nagayama Ryuju of Japan"
    assert judo.slots["medal_phrase"] == "bronze medals"
    assert " were won by " in judo.answer
    tie = facts["Swimming|Men's 100m Breaststroke|silver"]
    assert tie.answer_value == "Adam Peaty of Great Britain and Nic Fink of United States"
    assert "Swimming|Men's 100m Breaststroke|bronze" not in facts  # no bronze after a tied silver
    high_jump = facts["Athletics|Women's High Jump|bronze"]
    assert high_jump.answer_value == "Eleanor Patterson of Australia and Iryna Gerashchenko of Ukraine"


def test_event_medal_names_the_discipline_of_repeated_event_names(sample_facts: list[Fact]) -> None:
    facts = by_key(sample_facts, "event_medal")
    archery = facts["Archery|Men's Individual|gold"]
    golf = facts["Golf|Men's Individual|gold"]
    assert archery.subject == "gold medal in Men's Individual (Archery)"
    assert golf.subject == "gold medal in Men's Individual (Golf)"
    assert archery.answer_value == "Kim Woojin of Korea"
    assert golf.answer_value == "Scottie Scheffler of United States"


def test_event_medal_team_events_name_the_country(sample_facts: list[Fact]) -> None:
    facts = by_key(sample_facts, "event_medal")
    assert facts["Basketball|Men|gold"].subject == "gold medal in Men's Basketball"
    assert facts["Basketball|Men|gold"].answer_value == "United States"
    assert facts["Swimming|Men's 4 x 100m Freestyle Relay|silver"].answer_value == "Australia"


def test_event_medal_covers_every_sample_medal(sample_dir: Path, sample_facts: list[Fact]) -> None:
    rows = (sample_dir / "medals.csv").read_text(encoding="utf-8").splitlines()[1:]
    covered = sum(int(f.slots["medal_count"]) for f in sample_facts if f.relation == "event_medal")
    assert covered == len(rows)


def test_country_medal_count(sample_facts: list[Fact]) -> None:
    facts = by_key(sample_facts, "country_medal_count")
    assert facts["USA|gold"].answer_value == "6 gold medals"
    assert facts["USA|total"].answer_value == "14 medals"
    assert facts["USA|total"].answer == "At Paris 2024, United States won 14 medals in total."
    assert facts["LCA|gold"].answer_value == "1 gold medal"
    assert facts["LCA|silver"].answer == "At Paris 2024, Saint Lucia won 0 silver medals."
    assert facts["LCA|gold"].slots["count_noun"] == "gold medals"
    assert len(facts) == 4 * 22


def test_athlete_medals(sample_facts: list[Fact]) -> None:
    facts = by_subject(sample_facts, "athlete_medals")
    biles = facts["Simone Biles"]
    # Medal order: gold before silver before bronze, then by date: the team final came first.
    assert biles.answer_value == (
        "gold in Women's Team (Artistic Gymnastics) and gold in Women's All-Around (Artistic Gymnastics)"
    )
    assert biles.answer.startswith("At Paris 2024, Simone Biles won 2 medals: ")
    assert facts["LeBron James"].answer_value == "gold in Men's Basketball"
    assert "Maria Perez of Spain" not in facts  # no medal in the sample


def test_athlete_country_leaves_out_shared_names(sample_facts: list[Fact]) -> None:
    facts = by_subject(sample_facts, "athlete_country")
    assert facts["Julien Alfred"].answer_value == "Saint Lucia"
    richardson = facts["Sha'Carri Richardson"]
    assert richardson.answer == "At Paris 2024, Sha'Carri Richardson represented United States."
    assert not [s for s in facts if "Maria Perez" in s]


def test_shared_names_get_the_country_elsewhere(sample_facts: list[Fact]) -> None:
    facts = by_subject(sample_facts, "athlete_disciplines")
    assert facts["Maria Perez of Spain"].answer_value == "Athletics"
    assert facts["Maria Perez of Puerto Rico"].answer_value == "Judo"
    assert "Maria Perez" not in facts


def test_athlete_events_drop_stray_items_and_unquoted_lists(sample_facts: list[Fact]) -> None:
    facts = by_subject(sample_facts, "athlete_events")
    assert facts["Simone Biles"].answer_value == (
        "Women's All-Around, Women's Balance Beam, Women's Floor Exercise, Women's Team and Women's Vault"
    )
    assert facts["LeBron James"].answer_value == "Men's Basketball"
    assert facts["Noah Lyles"].answer_value == "Men's 100m, Men's 200m and Men's 4 x 100m Relay"
    # The row with an unquoted list and no TV name yields nothing.
    assert not [f for f in sample_facts if "BAILEY" in f.answer]


def test_athlete_disciplines_two_disciplines(sample_facts: list[Fact]) -> None:
    facts = by_subject(sample_facts, "athlete_disciplines")
    assert facts["Filippo Ganna"].answer_value == "Cycling Road and Cycling Track"


def test_athlete_birth_date_only_when_known(sample_facts: list[Fact]) -> None:
    facts = by_subject(sample_facts, "athlete_birth_date")
    assert facts["Noah Lyles"].answer_value == "18 July 1997"
    assert facts["Remco Evenepoel"].answer_value == "25 January 2000"
    assert "Ilya Kharun" not in facts  # empty birth_date


def test_athlete_height_only_when_known(sample_facts: list[Fact]) -> None:
    facts = by_subject(sample_facts, "athlete_height")
    assert facts["Victor Wembanyama"].answer_value == "224 cm"
    assert facts["Simone Biles"].answer == "At Paris 2024, Simone Biles's listed height was 142 cm."
    assert "Kishane Thompson" not in facts  # height 0.0


def test_event_sport(sample_facts: list[Fact]) -> None:
    facts = by_subject(sample_facts, "event_sport")
    assert facts["Men's Individual"].answer_value == "Archery and Golf"
    assert facts["Men -60 kg"].answer_value == "Judo"
    assert "Men" not in facts and "Women" not in facts


def test_event_venue_uses_the_gold_medal_session(sample_facts: list[Fact]) -> None:
    facts = by_key(sample_facts, "event_venue")
    assert facts["Athletics|Men's 100m"].answer_value == "Stade de France"
    assert facts["Tennis|Women's Singles"].answer == (
        "The gold medal in Women's Singles (Tennis) at Paris 2024 was decided at Stade Roland-Garros."
    )
    assert len(facts) == 16


def test_event_medal_day_one_day_and_two_days(sample_facts: list[Fact]) -> None:
    facts = by_key(sample_facts, "event_medal_day")
    assert facts["Judo|Men -60 kg"].answer_value == "27 July 2024"
    tennis = facts["Tennis|Women's Singles"]
    assert tennis.answer_value == "2 August 2024 (bronze) and 3 August 2024 (gold and silver)"
    assert tennis.answer == (
        "The medals in Women's Singles (Tennis) at Paris 2024 were awarded on "
        "2 August 2024 (bronze) and 3 August 2024 (gold and silver)."
    )


def test_venue_sports_leaves_out_self_naming_venues(sample_facts: list[Fact]) -> None:
    facts = by_subject(sample_facts, "venue_sports")
    assert facts["Champ de Mars Arena"].answer_value == "Judo and Wrestling"
    assert facts["Bercy Arena"].answer_value == "Artistic Gymnastics, Basketball and Trampoline Gymnastics"
    assert "Golf National" not in facts


def test_team_roster_needs_a_complete_roster(sample_facts: list[Fact]) -> None:
    facts = by_key(sample_facts, "team_roster")
    basketball = facts["BKBMTEAM-USA01"]
    assert basketball.subject == "United States team in Men's Basketball"
    assert basketball.answer_value == "Kevin Durant, LeBron James and Stephen Curry"
    assert basketball.answer == (
        "At Paris 2024, the United States team in Men's Basketball was Kevin Durant, LeBron James and Stephen Curry."
    )
    # One-member and empty rosters in the sample make no fact.
    assert set(facts) == {"BKBMTEAM-USA01", "GARWTEAM-USA01"}


def test_broken_sql_result_is_refused(sample_dir: Path, tmp_path: Path, monkeypatch) -> None:
    """A relation whose SQL returns a duplicate key must fail, not yield a two-answer question."""
    sql_dir = tmp_path / "facts"
    sql_dir.mkdir()
    (sql_dir / "dup.sql").write_text(
        "SELECT 'dup' AS relation, 'k' AS fact_key, country AS subject, country AS answer_value, "
        "concat(country, '.') AS answer FROM medals_total",
        encoding="utf-8",
    )
    monkeypatch.setattr("podium.dataset.facts.FACT_SQL_DIR", sql_dir)
    con = duckdb.connect()
    load_tables(sample_dir, ["medals_total"], connection=con)
    with pytest.raises(DataError, match="occurs twice"):
        extract_facts_from_connection(con, ["dup"])


def test_bad_data_stops_extraction_before_any_fact(sample_dir: Path, tmp_path: Path) -> None:
    data = tmp_path / "data"
    shutil.copytree(sample_dir, data)
    (data / "events.csv").write_text("event,tag\n", encoding="utf-8")
    with pytest.raises(DataError) as caught:
        extract_facts(data, ["event_sport"])
    assert caught.value.field == "sport"


def test_sample_relation_counts(sample_facts: list[Fact]) -> None:
    counts = Counter(f.relation for f in sample_facts)
    assert counts["event_medal"] == 47
    assert counts["event_medal_day"] == counts["event_venue"] == 16


def _fact_sql(folder: Path, files: dict[str, str]) -> Path:
    folder.mkdir()
    for name, sql in files.items():
        (folder / name).write_text(sql, encoding="utf-8")
    return folder


RELATION_ON_VIEW = (
    "SELECT 'r' AS relation, country_code AS fact_key, country AS subject, country AS answer_value, "
    "concat(country, '.') AS answer FROM {view}"
)


def test_views_read_views_and_resolve_to_tables(sample_dir: Path, tmp_path: Path, monkeypatch) -> None:
    sql_dir = _fact_sql(
        tmp_path / "facts",
        {
            "_a_countries.sql": "CREATE OR REPLACE TEMPORARY VIEW a_countries AS "
            "SELECT country_code, country FROM medals_total WHERE country IS NOT NULL",
            "_b_golden.sql": "-- reads the view above\nCREATE OR REPLACE TEMPORARY VIEW b_golden AS "
            "WITH c AS (SELECT * FROM a_countries) SELECT * FROM c WHERE country_code = 'USA'",
            "r.sql": RELATION_ON_VIEW.format(view="b_golden"),
        },
    )
    monkeypatch.setattr("podium.dataset.facts.FACT_SQL_DIR", sql_dir)
    assert relation_names() == ["r"]
    assert view_names() == ["a_countries", "b_golden"]
    assert views_for(["r"]) == ["a_countries", "b_golden"]
    assert tables_for(["r"]) == ["medals_total"]
    facts = extract_facts(sample_dir, ["r"])
    assert [(f.key, f.subject) for f in facts] == [("USA", "United States")]


def test_a_view_reading_an_unknown_table_is_the_usual_error(tmp_path: Path, monkeypatch) -> None:
    sql_dir = _fact_sql(
        tmp_path / "facts",
        {
            "_v.sql": "CREATE OR REPLACE TEMPORARY VIEW v AS SELECT * FROM shoe_sizes",
            "r.sql": RELATION_ON_VIEW.format(view="v"),
        },
    )
    monkeypatch.setattr("podium.dataset.facts.FACT_SQL_DIR", sql_dir)
    with pytest.raises(DataError, match="fact SQL reads table.s. with no TableSpec: shoe_sizes"):
        tables_for(["r"])


@pytest.mark.parametrize(
    ("files", "message"),
    [
        ({"_v.sql": "SELECT * FROM medals_total"}, "one CREATE OR REPLACE TEMPORARY VIEW"),
        ({"_v.sql": "CREATE OR REPLACE VIEW v AS SELECT * FROM medals_total"}, "TEMPORARY VIEW"),
        ({"_v.sql": "CREATE TEMPORARY VIEW v AS SELECT * FROM medals_total"}, "OR REPLACE"),
        ({"_v.sql": "CREATE OR REPLACE TEMPORARY VIEW v AS SELECT 1; SELECT 2"}, "one CREATE"),
        ({"_v.sql": "CREATE OR REPLACE TEMPORARY VIEW w AS SELECT * FROM medals_total"}, "creates 'w'"),
        (
            {
                "_a.sql": "CREATE OR REPLACE TEMPORARY VIEW a AS SELECT * FROM v",
                "_v.sql": "CREATE OR REPLACE TEMPORARY VIEW v AS SELECT * FROM medals_total",
            },
            "created after it",
        ),
    ],
)
def test_bad_view_files_are_refused(files: dict[str, str], message: str, tmp_path: Path, monkeypatch) -> None:
    view = "a" if "_a.sql" in files else "v"
    sql_dir = _fact_sql(tmp_path / "facts", {**files, "r.sql": RELATION_ON_VIEW.format(view=view)})
    monkeypatch.setattr("podium.dataset.facts.FACT_SQL_DIR", sql_dir)
    with pytest.raises(DataError, match=message):
        tables_for(["r"])


def test_missing_sql_folder_is_an_error_not_zero_facts(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr("podium.dataset.facts.FACT_SQL_DIR", tmp_path / "nowhere")
    with pytest.raises(DataError, match="no fact SQL files found"):
        relation_names()
