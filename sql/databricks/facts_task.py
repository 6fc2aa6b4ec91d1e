"""Databricks job task: run every fact query in ../facts and store the facts of one run.

A SQL file task cannot keep a SELECT's result, so this small task runs the same
sql/facts/<relation>.sql files the built-in generator runs on DuckDB — read from the
bundle's synced files, executed verbatim — and appends their rows, tagged with the
run id, to the facts table. The shared views the relations read (sql/facts/_<view>.sql,
one CREATE OR REPLACE TEMPORARY VIEW each) are created first, in name order. The extra
(slot) columns of each relation are stored as one JSON object, so every relation fits
one table; Podium rebuilds Fact records from it.

Runs on Databricks only (pyspark); the pure helpers are unit-tested in Podium.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

FACT_COLUMNS = ("relation", "fact_key", "subject", "answer_value", "answer")
FACTS_TABLE_COLUMNS = ("run_id", *FACT_COLUMNS, "slots")
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_TABLE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\.[A-Za-z_][A-Za-z0-9_]*\.[A-Za-z_][A-Za-z0-9_]*")
# A fact SQL file whose name starts with this is a shared view, not a relation.
VIEW_PREFIX = "_"


def checked(value: str, pattern: re.Pattern[str], what: str) -> str:
    """`value` if it is safe to put into SQL as an identifier; else exit with the reason."""
    if not pattern.fullmatch(value):
        raise SystemExit(f"{what} {value!r} must be letters, digits and underscores (catalog.schema.table for tables)")
    return value


def default_facts_dir() -> Path:
    """../facts beside this file, wherever the bundle synced it."""
    here = globals().get("__file__") or sys.argv[0]
    return Path(here).resolve().parent.parent / "facts"


def view_files(facts_dir: Path) -> list[Path]:
    """The shared view files (_<view>.sql), in name order: the order they are created in."""
    return sorted(facts_dir.glob(f"{VIEW_PREFIX}*.sql"))


def fact_files(facts_dir: Path) -> list[Path]:
    """The relation files (every other .sql), in name order."""
    files = sorted(p for p in facts_dir.glob("*.sql") if not p.name.startswith(VIEW_PREFIX))
    if not files:
        raise SystemExit(f"no fact SQL files in {facts_dir}: was ../facts synced with the bundle?")
    return files


def slot_columns(relation_file: str, columns: list[str]) -> list[str]:
    missing = [c for c in FACT_COLUMNS if c not in columns]
    if missing:
        raise SystemExit(f"{relation_file} does not return column(s) {', '.join(missing)}")
    return [c for c in columns if c not in FACT_COLUMNS]


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--run-id", required=True)
    parser.add_argument("--facts-table", required=True, help="catalog.schema.table to append facts to")
    parser.add_argument("--catalog", required=True, help="catalog of the loaded Kaggle tables")
    parser.add_argument("--schema", required=True, help="schema of the loaded Kaggle tables")
    parser.add_argument("--facts-dir", type=Path, default=None)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    from functools import reduce

    from pyspark.sql import DataFrame, SparkSession
    from pyspark.sql import functions as F

    args = parse_args(argv)
    facts_table = checked(args.facts_table, _TABLE, "--facts-table")
    spark = SparkSession.builder.getOrCreate()
    spark.sql(f"USE CATALOG `{checked(args.catalog, _IDENTIFIER, '--catalog')}`")
    spark.sql(f"USE SCHEMA `{checked(args.schema, _IDENTIFIER, '--schema')}`")

    facts_dir = args.facts_dir or default_facts_dir()
    relation_files = fact_files(facts_dir)
    for path in view_files(facts_dir):
        # CREATE OR REPLACE TEMPORARY VIEW: runs now, and lives as long as this session.
        spark.sql(path.read_text(encoding="utf-8"))

    frames = []
    for path in relation_files:
        frame = spark.sql(path.read_text(encoding="utf-8"))
        slots = slot_columns(path.name, frame.columns)
        slot_json = (
            # Nulls kept as null (not dropped), so every slot name reaches Podium.
            F.to_json(
                F.struct(*[F.col(f"`{c}`").cast("string").alias(c) for c in slots]),
                {"ignoreNullFields": "false"},
            )
            if slots
            else F.lit("{}")
        )
        frames.append(
            frame.select(
                F.lit(args.run_id).alias("run_id"),
                *[F.col(c).cast("string").alias(c) for c in FACT_COLUMNS],
                slot_json.alias("slots"),
            )
        )
    facts = reduce(DataFrame.unionByName, frames)

    spark.sql(
        f"CREATE TABLE IF NOT EXISTS {facts_table} (" + ", ".join(f"{c} STRING" for c in FACTS_TABLE_COLUMNS) + ")"
    )
    # A retried run replaces its own facts and leaves other runs' alone.
    spark.sql(f"DELETE FROM {facts_table} WHERE run_id = :run_id", args={"run_id": args.run_id})
    facts.write.mode("append").saveAsTable(facts_table)


if __name__ == "__main__":
    main()
