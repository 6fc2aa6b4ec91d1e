"""Facts from tables: run sql/facts/<relation>.sql over the loaded CSVs.

The SQL is written once in Databricks SQL (the Databricks job runs it as is) and run
locally on DuckDB through sqlglot's transpiler, so both generators produce the same
facts. Each file returns the columns relation, fact_key, subject, answer_value, answer
and any number of slot columns that the question templates interpolate.

A file whose name starts with "_" is a shared view, not a relation: sql/facts/_<view>.sql
holds one `CREATE OR REPLACE TEMPORARY VIEW <view> AS SELECT ...`, so logic several
relations need (how athletes are named) is written once. Both engines create the views
in name order before running the relations; a view may read tables and views that sort
before it.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from functools import cache
from importlib.resources import files
from pathlib import Path

import duckdb
import sqlglot
from sqlglot import exp

from podium.dataset.reconcile import CHECK_TABLES, Disagreement, reconcile
from podium.dataset.records import Fact
from podium.dataset.tables import TABLES, load_tables
from podium.errors import DataError

# Package data: podium/dataset/sql links to the repository's sql/facts (the Databricks job
# reads the same files there); wheels and the Lambda asset carry real copies.
FACT_SQL_DIR: Path = Path(str(files("podium.dataset") / "sql")).resolve()
FACT_COLUMNS: tuple[str, ...] = ("relation", "fact_key", "subject", "answer_value", "answer")


VIEW_PREFIX = "_"


def relation_names() -> list[str]:
    """Every relation with a SQL file, in name order (view files, "_*.sql", are not relations)."""
    names = sorted(path.stem for path in FACT_SQL_DIR.glob("*.sql") if not path.stem.startswith(VIEW_PREFIX))
    if not names:
        # Without this, a package shipped without sql/ would silently produce no facts.
        raise DataError(
            "no fact SQL files found",
            file=str(FACT_SQL_DIR),
            hint="the package data podium/dataset/sql/*.sql is missing: reinstall podium (pip install .)",
        )
    return names


def view_names() -> list[str]:
    """Every shared view (sql/facts/_<view>.sql), in name order: the order they are created in."""
    return sorted(path.stem[len(VIEW_PREFIX) :] for path in FACT_SQL_DIR.glob(f"{VIEW_PREFIX}*.sql"))


def relation_sql(relation: str) -> str:
    """The Databricks SQL text of one relation."""
    path = FACT_SQL_DIR / f"{relation}.sql"
    if relation.startswith(VIEW_PREFIX) or not path.is_file():
        raise DataError(
            f"unknown relation {relation!r}",
            file=str(path),
            hint=f"known relations: {', '.join(relation_names())}",
        )
    return path.read_text(encoding="utf-8")


def view_sql(view: str) -> str:
    """The Databricks SQL text of one shared view: its CREATE OR REPLACE TEMPORARY VIEW statement."""
    path = FACT_SQL_DIR / f"{VIEW_PREFIX}{view}.sql"
    if not path.is_file():
        raise DataError(
            f"unknown view {view!r}",
            file=str(path),
            hint=f"known views: {', '.join(view_names()) or 'none'}",
        )
    return path.read_text(encoding="utf-8")


def transpile_to_duckdb(sql: str) -> str:
    """Databricks SQL → DuckDB SQL (one statement)."""
    statements = [s for s in sqlglot.transpile(sql, read="databricks", write="duckdb") if s.strip()]
    if len(statements) != 1:
        raise ValueError(f"expected one SQL statement, found {len(statements)}")
    return statements[0]


def _view_query(view: str, sql: str) -> exp.Expression:
    """The SELECT of a view file, after checking the file is one CREATE TEMPORARY VIEW <view>."""
    file = str(FACT_SQL_DIR / f"{VIEW_PREFIX}{view}.sql")
    statements = [s for s in sqlglot.parse(sql, read="databricks") if s is not None]
    create = statements[0] if len(statements) == 1 else None
    if not (
        isinstance(create, exp.Create)
        and str(create.args.get("kind", "")).upper() == "VIEW"
        # OR REPLACE: extracting twice on one connection (or Spark session) must work.
        and create.args.get("replace")
        and create.find(exp.TemporaryProperty) is not None
        and isinstance(create.expression, exp.Query)
    ):
        raise DataError(
            "a view file must hold one CREATE OR REPLACE TEMPORARY VIEW ... AS SELECT statement",
            file=file,
        )
    if create.this.name != view:
        raise DataError(
            f"the view file creates {create.this.name!r}, not {view!r}",
            file=file,
            hint=f"name the file {VIEW_PREFIX}{create.this.name}.sql, or the view {view}",
        )
    if view in TABLES:
        raise DataError(f"view {view!r} has the name of a table", file=file)
    return create.expression


@cache
def _reads(sql_dir: Path, name: str) -> tuple[str, ...]:
    """The tables and views one file reads (its CTE names left out). `name`: a relation, or
    VIEW_PREFIX + a view. Keyed by folder too, so a test's FACT_SQL_DIR gets its own entries."""
    if name.startswith(VIEW_PREFIX):
        view = name[len(VIEW_PREFIX) :]
        tree = _view_query(view, view_sql(view))
    else:
        tree = sqlglot.parse_one(relation_sql(name), read="databricks")
    ctes = {cte.alias_or_name for cte in tree.find_all(exp.CTE)}
    return tuple(sorted({t.name for t in tree.find_all(exp.Table)} - ctes))


def _dependencies(relations: Iterable[str]) -> tuple[set[str], set[str]]:
    """(views, tables) the relations read, directly or through the views they read."""
    known_views = set(view_names())
    views: set[str] = set()
    tables: set[str] = set()
    # (file name, the view it creates or None for a relation)
    pending: list[tuple[str, str | None]] = [(relation, None) for relation in relations]
    while pending:
        name, reading_view = pending.pop()
        for read in _reads(FACT_SQL_DIR, name):
            if read not in known_views:
                tables.add(read)
                continue
            if reading_view is not None and read >= reading_view:
                # Views are created in name order: one may only read views created before it.
                raise DataError(
                    f"view {reading_view!r} reads view {read!r}, which is created after it",
                    file=str(FACT_SQL_DIR / f"{VIEW_PREFIX}{reading_view}.sql"),
                    hint="views are created in name order: rename one so the view read sorts first",
                )
            if read not in views:
                views.add(read)
                pending.append((VIEW_PREFIX + read, read))
    return views, tables


def _tables_of(relation: str) -> tuple[str, ...]:
    """The source tables one relation reads, through the views it reads."""
    return tuple(sorted(_dependencies([relation])[1]))


def tables_for(relations: Iterable[str]) -> list[str]:
    """The source tables (CSV names) the given relations read, through the views they read,
    in TABLES order."""
    needed: set[str] = set()
    for relation in relations:
        needed.update(_tables_of(relation))
    unknown = needed - set(TABLES)
    if unknown:
        raise DataError(f"fact SQL reads table(s) with no TableSpec: {', '.join(sorted(unknown))}")
    return [name for name in TABLES if name in needed]


def views_for(relations: Iterable[str]) -> list[str]:
    """The shared views the given relations read (directly or through other views), in the
    order they are created: name order."""
    return sorted(_dependencies(relations)[0])


def create_views(con: duckdb.DuckDBPyConnection, relations: Iterable[str] | None = None) -> list[str]:
    """Create on `con` the views `relations` (default: all) need, transpiled to DuckDB; returns
    their names. Only those: DuckDB checks a view's tables when it creates it, and a subset
    of relations has only its own tables loaded.

    On DuckDB each is a temporary table, computed once: the tables do not change while facts
    are read, and eight athlete relations read athlete_named (as a view, each query would
    rename every athlete again: ~0.3 s each on the full data)."""
    views = views_for(_selected(relations))
    for view in views:
        create = sqlglot.parse_one(transpile_to_duckdb(view_sql(view)), read="duckdb")
        create.set("kind", "TABLE")
        con.execute(create.sql(dialect="duckdb"))
    return views


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
        values = dict(zip(columns, row, strict=True))
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


def extract_facts_from_connection(con: duckdb.DuckDBPyConnection, relations: Iterable[str] | None = None) -> list[Fact]:
    """Facts of `relations` (default: all) from tables already loaded in `con`.

    Creates (or replaces) on `con` the temporary views they read, first. Ordered by relation
    (in the order asked, else name order), then by fact key.
    """
    chosen = _selected(relations)
    create_views(con, chosen)
    return [fact for relation in chosen for fact in _facts_of(con, relation)]


@contextmanager
def _loaded(data_dir: Path, tables: Iterable[str]) -> Iterator[duckdb.DuckDBPyConnection]:
    """A connection holding `tables` checked and loaded from `data_dir`, closed on leaving."""
    loaded = load_tables(Path(data_dir), tables)
    try:
        yield loaded.connection
    finally:
        loaded.connection.close()


def extract_facts_and_disagreements(
    data_dir: Path, relations: Iterable[str] | None = None
) -> tuple[list[Fact], list[Disagreement]]:
    """extract_facts, plus every disagreement between the source tables (reconcile.py),
    checked on the same loaded tables."""
    chosen = _selected(relations)
    needed = set(tables_for(chosen)) | set(CHECK_TABLES)
    with _loaded(data_dir, [name for name in TABLES if name in needed]) as connection:
        facts = extract_facts_from_connection(connection, chosen)
        create_views(connection, ["event_venue"])  # the venue check reads venue_names
        return facts, reconcile(connection)


def extract_facts(data_dir: Path, relations: Iterable[str] | None = None) -> list[Fact]:
    """Check and load the CSVs under `data_dir` that `relations` need, then extract their facts."""
    chosen = _selected(relations)
    with _loaded(data_dir, tables_for(chosen)) as connection:
        return extract_facts_from_connection(connection, chosen)
