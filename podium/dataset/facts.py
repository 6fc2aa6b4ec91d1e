"""Facts from tables: run sql/facts/<relation>.sql over the loaded CSVs.

The SQL is written once in Databricks SQL (the Databricks job runs it as is) and run
locally on DuckDB through sqlglot's transpiler, so both generators produce the same
facts. Each file returns the columns relation, fact_key, subject, answer_value, answer
and any number of slot columns that the question templates interpolate.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache
from pathlib import Path

import duckdb
import sqlglot
from sqlglot import exp

from podium.dataset.records import Fact
from podium.dataset.tables import TABLES, load_tables
from podium.errors import DataError

FACT_SQL_DIR: Path = Path(__file__).resolve().parents[2] / "sql" / "facts"
FACT_COLUMNS: tuple[str, ...] = ("relation", "fact_key", "subject", "answer_value", "answer")


def relation_names() -> list[str]:
    """Every relation with a SQL file, in name order."""
    names = sorted(path.stem for path in FACT_SQL_DIR.glob("*.sql"))
    if not names:
        # Without this, a package shipped without sql/ would silently produce no facts.
        raise DataError(
            "no fact SQL files found",
            file=str(FACT_SQL_DIR),
            hint="ship the repository's sql/facts/ folder next to podium/ (the Lambda asset needs it too)",
        )
    return names


def relation_sql(relation: str) -> str:
    """The Databricks SQL text of one relation."""
    path = FACT_SQL_DIR / f"{relation}.sql"
    if not path.is_file():
        raise DataError(
            f"unknown relation {relation!r}",
            file=str(path),
            hint=f"known relations: {', '.join(relation_names())}",
        )
    return path.read_text(encoding="utf-8")


def transpile_to_duckdb(sql: str) -> str:
    """Databricks SQL → DuckDB SQL (one statement)."""
    statements = [s for s in sqlglot.transpile(sql, read="databricks", write="duckdb") if s.strip()]
    if len(statements) != 1:
        raise ValueError(f"expected one SQL statement, found {len(statements)}")
    return statements[0]


@cache
def _tables_of(relation: str) -> tuple[str, ...]:
    tree = sqlglot.parse_one(relation_sql(relation), read="databricks")
    ctes = {cte.alias_or_name for cte in tree.find_all(exp.CTE)}
    return tuple(sorted({t.name for t in tree.find_all(exp.Table)} - ctes))


def tables_for(relations: Iterable[str]) -> list[str]:
    """The source tables (CSV names) the given relations read, in TABLES order."""
    needed: set[str] = set()
    for relation in relations:
        needed.update(_tables_of(relation))
    unknown = needed - set(TABLES)
    if unknown:
        raise DataError(f"fact SQL reads table(s) with no TableSpec: {', '.join(sorted(unknown))}")
    return [name for name in TABLES if name in needed]


def _selected(relations: Iterable[str] | None) -> list[str]:
    known = relation_names()
    if relations is None:
        return known
    chosen = list(dict.fromkeys(relations))
    unknown = [r for r in chosen if r not in known]
    if unknown:
        raise DataError(
            f"unknown relation(s) {', '.join(unknown)}",
            hint=f"known relations: {', '.join(known)}",
        )
    return chosen


def _facts_of(con: duckdb.DuckDBPyConnection, relation: str) -> list[Fact]:
    cursor = con.execute(transpile_to_duckdb(relation_sql(relation)))
    columns = [d[0] for d in cursor.description]
    missing = [c for c in FACT_COLUMNS if c not in columns]
    if missing:
        raise DataError(
            f"fact SQL does not return column(s) {', '.join(missing)}",
            file=str(FACT_SQL_DIR / f"{relation}.sql"),
        )
    slot_names = [c for c in columns if c not in FACT_COLUMNS]
    facts: dict[str, Fact] = {}
    for row in cursor.fetchall():
        values = dict(zip(columns, row))
        if any(values[c] in (None, "") for c in FACT_COLUMNS):
            # A fact must be complete; the SQL filters missing values, so this is a SQL defect.
            raise DataError(
                f"fact with an empty required column: {values!r}",
                file=str(FACT_SQL_DIR / f"{relation}.sql"),
            )
        key = str(values["fact_key"])
        if key in facts:
            raise DataError(
                f"fact_key {key!r} occurs twice: a question would have two answers",
                file=str(FACT_SQL_DIR / f"{relation}.sql"),
            )
        facts[key] = Fact(
            relation=relation,
            key=key,
            subject=str(values["subject"]),
            answer_value=str(values["answer_value"]),
            answer=str(values["answer"]),
            slots={name: "" if values[name] is None else str(values[name]) for name in slot_names},
        )
    return [facts[key] for key in sorted(facts)]


def extract_facts_from_connection(
    con: duckdb.DuckDBPyConnection, relations: Iterable[str] | None = None
) -> list[Fact]:
    """Facts of `relations` (default: all) from tables already loaded in `con`.

    Ordered by relation (in the order asked, else name order), then by fact key.
    """
    return [fact for relation in _selected(relations) for fact in _facts_of(con, relation)]


def extract_facts(data_dir: Path, relations: Iterable[str] | None = None) -> list[Fact]:
    """Check and load the CSVs under `data_dir` that `relations` need, then extract their facts."""
    chosen = _selected(relations)
    loaded = load_tables(Path(data_dir), tables_for(chosen))
    try:
        return extract_facts_from_connection(loaded.connection, chosen)
    finally:
        loaded.connection.close()
