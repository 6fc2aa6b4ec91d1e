"""Cross-checks between the source tables, run before facts are made.

The Kaggle tables restate each other and sometimes disagree (medals_total.csv gives
Indonesia 2 medals and no bronze; medals.csv lists 3, one of them bronze). Facts are
derived from the most detailed table; each check here lists every disagreement with the
table, the key, both values and which one the facts use, for report.json and the CLI.

Checks: medal counts (medals.csv vs medals_total.csv); each medal's countries
(medals.csv vs medallists.csv); each medallist's country (athletes.csv vs medallists.csv);
medal events (events.csv vs the schedule's medal sessions); schedule venues (after the
venue_names mapping) vs venues.csv. They run on DuckDB over the loaded tables.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the BuildDataset Lambda and the summaries read reports without DuckDB
    import duckdb

CHECK_TABLES = ("athletes", "medallists", "medals", "medals_total", "events", "schedules", "venues")


@dataclass(frozen=True)
class Disagreement:
    check: str  # which cross-check found it
    table: str  # the table the facts do not follow
    key: str  # what disagrees, e.g. "INA|bronze"
    values: dict[str, str]  # table → its value
    used: str  # the table whose value the facts use

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _describe(disagreement: Mapping[str, Any]) -> str:
    """One line for a disagreement as report.json stores it (Disagreement.to_dict)."""
    shown = ", ".join(f"{table} {value}" for table, value in disagreement["values"].items())
    return f"{disagreement['check']} {disagreement['key']}: {shown} (used {disagreement['used']})"


_MEDAL_COUNTS = """
WITH detailed AS (
  SELECT country_code,
    sum(CASE WHEN medal_type = 'Gold Medal' THEN 1 ELSE 0 END) AS gold,
    sum(CASE WHEN medal_type = 'Silver Medal' THEN 1 ELSE 0 END) AS silver,
    sum(CASE WHEN medal_type = 'Bronze Medal' THEN 1 ELSE 0 END) AS bronze,
    count(*) AS total
  FROM medals
  WHERE medal_type IN ('Gold Medal', 'Silver Medal', 'Bronze Medal') AND country_code IS NOT NULL
  GROUP BY country_code
),
summary AS (
  SELECT country_code,
    CAST(try_cast("Gold Medal" AS DOUBLE) AS INT) AS gold,
    CAST(try_cast("Silver Medal" AS DOUBLE) AS INT) AS silver,
    CAST(try_cast("Bronze Medal" AS DOUBLE) AS INT) AS bronze,
    CAST(try_cast("Total" AS DOUBLE) AS INT) AS total
  FROM medals_total
  WHERE country_code IS NOT NULL
)
SELECT coalesce(d.country_code, s.country_code) AS code,
  d.gold, d.silver, d.bronze, d.total, s.gold, s.silver, s.bronze, s.total
FROM detailed AS d FULL JOIN summary AS s ON s.country_code = d.country_code
ORDER BY code
"""

# Medals both tables list (medallists.csv may lack a team's members: a sample does).
_MEDAL_COUNTRIES = """
WITH m AS (
  SELECT discipline, event, medal_type, list_sort(list(DISTINCT country_code)) AS countries
  FROM medals WHERE medal_type IN ('Gold Medal', 'Silver Medal', 'Bronze Medal') GROUP BY ALL
),
d AS (
  SELECT discipline, event, medal_type, list_sort(list(DISTINCT country_code)) AS countries
  FROM medallists
  WHERE lower(CAST(is_medallist AS VARCHAR)) = 'true' AND medal_type IN ('Gold Medal', 'Silver Medal', 'Bronze Medal')
  GROUP BY ALL
)
SELECT discipline, event, medal_type, array_to_string(m.countries, ', '), array_to_string(d.countries, ', ')
FROM m JOIN d USING (discipline, event, medal_type)
WHERE m.countries <> d.countries
ORDER BY ALL
"""

_ATHLETE_COUNTRIES = """
SELECT DISTINCT m.code_athlete, a.country_code, m.country_code
FROM medallists AS m JOIN athletes AS a ON a.code = m.code_athlete
WHERE a.country_code IS DISTINCT FROM m.country_code
ORDER BY ALL
"""

# A medal session for an event events.csv lacks, or a medalled event (medals.csv) with no
# medal session or not in events.csv. (events.csv may list events the schedule leaves out:
# a sample does.)
_EVENTS = """
WITH listed AS (SELECT DISTINCT sport AS discipline, event FROM events WHERE sport IS NOT NULL AND event IS NOT NULL),
scheduled AS (
  SELECT DISTINCT discipline, event FROM schedules
  WHERE CAST(try_cast(event_medal AS DOUBLE) AS INT) = 1 AND discipline IS NOT NULL AND event IS NOT NULL
),
medalled AS (SELECT DISTINCT discipline, event FROM medals WHERE discipline IS NOT NULL AND event IS NOT NULL),
everything AS (SELECT * FROM listed UNION SELECT * FROM scheduled UNION SELECT * FROM medalled)
SELECT e.discipline, e.event, l.event IS NOT NULL, s.event IS NOT NULL
FROM everything AS e
LEFT JOIN listed AS l ON l.discipline = e.discipline AND l.event = e.event
LEFT JOIN scheduled AS s ON s.discipline = e.discipline AND s.event = e.event
LEFT JOIN medalled AS m ON m.discipline = e.discipline AND m.event = e.event
WHERE (s.event IS NOT NULL AND l.event IS NULL) OR (m.event IS NOT NULL AND (s.event IS NULL OR l.event IS NULL))
ORDER BY ALL
"""

_VENUES = """
SELECT DISTINCT s.venue FROM schedules AS s
LEFT JOIN venue_names AS n ON n.schedule_venue = s.venue
WHERE s.venue IS NOT NULL AND coalesce(n.venue, s.venue) NOT IN (SELECT venue FROM venues WHERE venue IS NOT NULL)
ORDER BY 1
"""

_KINDS = ("gold", "silver", "bronze", "total")


def _number(value: object) -> str:
    return "absent" if value is None else str(value)


def reconcile(con: duckdb.DuckDBPyConnection) -> list[Disagreement]:
    """Every disagreement between the loaded tables (CHECK_TABLES and the venue_names view)."""
    found: list[Disagreement] = []
    for row in con.execute(_MEDAL_COUNTS).fetchall():
        code, detailed, summary = row[0], row[1:5], row[5:9]
        for kind, ours, theirs in zip(_KINDS, detailed, summary, strict=True):
            if ours != theirs:
                found.append(
                    Disagreement(
                        "medal count",
                        "medals_total.csv",
                        f"{code}|{kind}",
                        {"medals.csv": _number(ours), "medals_total.csv": _number(theirs)},
                        "medals.csv",
                    )
                )
    for discipline, event, medal, ours, theirs in con.execute(_MEDAL_COUNTRIES).fetchall():
        found.append(
            Disagreement(
                "medal winners' countries",
                "medallists.csv",
                f"{discipline}|{event}|{medal}",
                {"medals.csv": ours or "absent", "medallists.csv": theirs or "absent"},
                "medals.csv",
            )
        )
    for code, ours, theirs in con.execute(_ATHLETE_COUNTRIES).fetchall():
        found.append(
            Disagreement(
                "athlete's country",
                "medallists.csv",
                str(code),
                {"athletes.csv": _number(ours), "medallists.csv": _number(theirs)},
                "athletes.csv",
            )
        )
    for discipline, event, listed, scheduled in con.execute(_EVENTS).fetchall():
        found.append(
            Disagreement(
                "medal event",
                "schedules.csv" if listed else "events.csv",
                f"{discipline}|{event}",
                {
                    "events.csv": "listed" if listed else "absent",
                    "schedules.csv": "medal session" if scheduled else "no medal session",
                },
                "events.csv for the event's sport, schedules.csv for its venue",
            )
        )
    for (venue,) in con.execute(_VENUES).fetchall():
        found.append(
            Disagreement(
                "venue name",
                "schedules.csv",
                str(venue),
                {"schedules.csv": str(venue), "venues.csv": "absent (add it to sql/facts/_venue_names.sql)"},
                "schedules.csv",
            )
        )
    return found


def not_run_note(generator: str) -> str:
    """report.json's "reconciliation" when a generator does not cross-check the tables."""
    return (
        f"not run: the {generator} generator does not cross-check the source tables; "
        "run `podium generate` on the same CSVs to list their disagreements"
    )


def report_summary(report: Mapping[str, Any], shown: int = 5) -> tuple[str, str] | None:
    """(label, text) for a CLI summary of report.json's disagreements; None for a report
    that predates them."""
    disagreements = report.get("disagreements")
    if disagreements:
        text = "; ".join(_describe(d) for d in disagreements[:shown])
        more = (
            f"; {len(disagreements) - shown:,} more (report.json lists them all)" if len(disagreements) > shown else ""
        )
        return f"Source tables disagree ({len(disagreements):,}): ", text + more
    if disagreements is not None:
        return "Source tables: ", "no disagreement found"
    if report.get("reconciliation"):
        return "Source tables: ", str(report["reconciliation"])
    return None


__all__ = ["CHECK_TABLES", "Disagreement", "not_run_note", "reconcile", "report_summary"]
