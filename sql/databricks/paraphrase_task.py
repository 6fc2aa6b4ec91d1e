"""Databricks job task: run paraphrase.sql with the model serving endpoint as a STRING literal.

ai_query takes its endpoint as "a STRING literal" (the ai_query function's reference), and a
parameter marker is a literal only on Databricks Runtime 18 and later ("Parameter markers":
before that, and on SQL warehouses, a marker may stand only where an expression may). Bundle
variables are substituted in the bundle's configuration, never inside a synced file, so the
bundle passes its `ai_endpoint` variable to this task as an argument, and the task writes it
into the SQL as a quoted literal — after checking it is an endpoint name, so nothing else can
reach the SQL that way. Every other value stays a named parameter marker (spark.sql args).

Runs on Databricks only (pyspark); the pure helpers are unit-tested in Podium.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

# paraphrase.sql names the endpoint with this literal; it must appear exactly once.
ENDPOINT_PLACEHOLDER = "'AI_ENDPOINT'"
# Model serving endpoint names: letters, digits, dashes and underscores, at most 63 characters.
_ENDPOINT = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,62}")
_TABLE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\.[A-Za-z_][A-Za-z0-9_]*\.[A-Za-z_][A-Za-z0-9_]*")
# A statement ends with ";" at the end of a line (paraphrase.sql keeps every ";" there and
# none inside its strings; a test checks the split against a SQL parser).
_STATEMENT_END = re.compile(r";[ \t]*(?:\n|$)")


def checked(value: str, pattern: re.Pattern[str], what: str) -> str:
    if not pattern.fullmatch(value):
        raise SystemExit(
            f"{what} {value!r} is not a valid name (letters, digits, '-' and '_'; tables catalog.schema.table)"
        )
    return value


def with_endpoint(sql: str, endpoint: str) -> str:
    """`sql` with the endpoint placeholder replaced by `endpoint` as a SQL string literal."""
    found = sql.count(ENDPOINT_PLACEHOLDER)
    if found != 1:
        raise SystemExit(f"paraphrase.sql must name the endpoint as {ENDPOINT_PLACEHOLDER} exactly once, found {found}")
    return sql.replace(ENDPOINT_PLACEHOLDER, f"'{checked(endpoint, _ENDPOINT, '--endpoint')}'")


def statements(sql: str) -> list[str]:
    """The statements of `sql`, in order, for spark.sql, which runs one at a time."""
    return [part.strip() for part in _STATEMENT_END.split(sql) if part.strip()]


def default_sql_path() -> Path:
    here = globals().get("__file__") or sys.argv[0]
    return Path(here).resolve().parent / "paraphrase.sql"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--run-id", required=True)
    parser.add_argument("--facts-table", required=True)
    parser.add_argument("--paraphrase-table", required=True)
    parser.add_argument("--endpoint", required=True, help="model serving endpoint ai_query calls")
    parser.add_argument("--paraphrases-per-fact", required=True)
    parser.add_argument("--sql", type=Path, default=None)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    from pyspark.sql import SparkSession

    args = parse_args(argv)
    parameters = {
        "run_id": args.run_id,
        "facts_table": checked(args.facts_table, _TABLE, "--facts-table"),
        "paraphrase_table": checked(args.paraphrase_table, _TABLE, "--paraphrase-table"),
        "paraphrases_per_fact": args.paraphrases_per_fact,
    }
    sql = with_endpoint((args.sql or default_sql_path()).read_text(encoding="utf-8"), args.endpoint)
    spark = SparkSession.builder.getOrCreate()
    for statement in statements(sql):
        spark.sql(statement, args=parameters)


if __name__ == "__main__":
    main()
