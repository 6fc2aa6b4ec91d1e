"""Load the Kaggle Paris 2024 CSVs into DuckDB, after checking them.

Each table is loaded all-VARCHAR under its file name (medals.csv → `medals`), the way
the fact SQL in sql/facts/ expects it on both engines. Every file is checked first in
one streaming pass with the csv module, so that bad input stops with an error naming
the file, line and column — before anything is spent:

- missing file, missing or renamed required columns (with a close match suggested),
- a table with a header and no rows,
- bytes that are not UTF-8 (line and byte offset),
- a row with more or fewer fields than the header,
- a malformed Python list literal in a list column (`['Wrestling'`, `['A' 'B']`).

One Kaggle quirk is tolerated rather than refused: a few rows of the real download
write lists without quotes (`[Athletics]`). Items with commas inside would make such a
list ambiguous, so the value is read as "no value" (no fact comes from it) and the
check returns a warning naming the line instead of failing.
"""

from __future__ import annotations

import codecs
import csv
import datetime
import difflib
import logging
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from podium.errors import DataError

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class TableSpec:
    """What the fact SQL needs from one CSV: the columns it reads, and which hold list literals."""

    name: str
    required_columns: tuple[str, ...]
    list_columns: tuple[str, ...] = ()
    number_columns: tuple[str, ...] = ()  # empty or a decimal number ("40", "182.0")
    date_columns: tuple[str, ...] = ()  # empty or an ISO date ("2024-07-27")

    @property
    def file_name(self) -> str:
        return f"{self.name}.csv"


# The columns each table must have: those the fact SQL reads. Other columns may be present.
TABLES: Mapping[str, TableSpec] = {
    spec.name: spec
    for spec in (
        TableSpec(
            "medals",
            (
                "medal_type",
                "medal_date",
                "name",
                "discipline",
                "event",
                "event_type",
                "code",
                "country_code",
                "country",
                "country_long",
            ),
            date_columns=("medal_date",),
        ),
        TableSpec(
            "medallists",
            (
                "medal_date",
                "medal_type",
                "name",
                "discipline",
                "event",
                "code_athlete",
                "is_medallist",
            ),
            date_columns=("medal_date",),
        ),
        TableSpec(
            "medals_total",
            (
                "country_code",
                "country",
                "country_long",
                "Gold Medal",
                "Silver Medal",
                "Bronze Medal",
                "Total",
            ),
            number_columns=("Gold Medal", "Silver Medal", "Bronze Medal", "Total"),
        ),
        TableSpec(
            "athletes",
            (
                "code",
                "name",
                "name_tv",
                "function",
                "country_code",
                "country",
                "country_long",
                "height",
                "disciplines",
                "events",
                "birth_date",
            ),
            list_columns=("disciplines", "events"),
            number_columns=("height",),
            date_columns=("birth_date",),
        ),
        TableSpec("events", ("event", "sport")),
        TableSpec("schedules", ("discipline", "event", "event_medal", "venue"), number_columns=("event_medal",)),
        TableSpec("venues", ("venue", "sports"), list_columns=("sports",)),
        TableSpec(
            "teams",
            ("code", "team", "country_code", "country", "country_long", "discipline", "events", "athletes"),
            list_columns=("athletes", "coaches", "athletes_codes", "coaches_codes"),
        ),
        # People who are not athletes: only their missing birth dates are used (refusal rows).
        TableSpec(
            "technical_officials",
            ("code", "name", "function", "disciplines", "birth_date"),
            list_columns=("disciplines",),
            date_columns=("birth_date",),
        ),
        TableSpec("coaches", ("code", "name", "function", "disciplines", "birth_date"), date_columns=("birth_date",)),
    )
}

# One element of a Python list literal: Python picks the quote per element, so both forms
# occur in one list (['Women', "Women's Vault"]); backslash escapes are allowed inside.
_ITEM = r"""(?:'[^'\\]*(?:\\.[^'\\]*)*'|"[^"\\]*(?:\\.[^"\\]*)*")"""
_LIST_LITERAL = re.compile(rf"\[\s*(?:{_ITEM}(?:\s*,\s*{_ITEM})*\s*,?\s*)?\]\Z")
# The unquoted Kaggle variant: brackets around plain text, no quotes or brackets inside.
_BARE_LIST = re.compile(r"""\[[^\[\]'"\s][^\[\]'"]*(?:'[^\[\]'"]*)?\]\Z""")
_NUMBER = re.compile(r"-?[0-9]+(?:\.[0-9]+)?\Z")
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}\Z")


def _is_iso_date(value: str) -> bool:
    if not _ISO_DATE.match(value):
        return False
    try:
        datetime.date.fromisoformat(value)
    except ValueError:
        return False
    return True


@dataclass(frozen=True)
class TableCheck:
    """The outcome of checking one CSV: how much it holds, and what it tolerated."""

    table: str
    path: Path
    rows: int
    columns: tuple[str, ...]
    warnings: tuple[str, ...] = ()


@dataclass
class LoadedTables:
    """An in-memory DuckDB connection holding the checked tables, and each table's check."""

    connection: duckdb.DuckDBPyConnection
    checks: dict[str, TableCheck] = field(default_factory=dict)

    @property
    def warnings(self) -> list[str]:
        return [w for check in self.checks.values() for w in check.warnings]


def _close_match(name: str, found: Iterable[str]) -> str | None:
    matches = difflib.get_close_matches(name, list(found), n=1, cutoff=0.6)
    if not matches:
        # Renames often change only case or separators: "Gold Medal" → "gold_medal".
        lowered = {f.lower().replace("_", " "): f for f in found}
        key = name.lower().replace("_", " ")
        return lowered.get(key)
    return matches[0]


def _raise_for_bad_bytes(path: Path) -> None:
    """Find the first non-UTF-8 byte in `path` and raise a DataError naming its line and offset."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    offset = 0
    line = 1
    with path.open("rb") as handle:
        for raw_line in handle:
            try:
                decoder.decode(raw_line)
            except UnicodeDecodeError as exc:
                bad = raw_line[exc.start : exc.start + 4]
                raise DataError(
                    f"byte {bad[:1]!r} at byte offset {offset + exc.start} is not valid UTF-8 (it reads {bad!r})",
                    file=str(path),
                    line=line,
                    hint="re-save the file as UTF-8",
                ) from None
            offset += len(raw_line)
            line += 1
    # The stream failed but no line did: the file ends inside a multi-byte character.
    raise DataError(
        f"the file ends in the middle of a UTF-8 character (byte offset {offset})",
        file=str(path),
        line=line - 1,
        hint="re-save the file as UTF-8",
    )


def check_table(path: Path, spec: TableSpec) -> TableCheck:
    """Check one CSV against `spec` in a single streaming pass; raise DataError on the first problem."""
    if not path.is_file():
        raise DataError(
            f"{spec.file_name} not found (the {spec.name} table is needed)",
            file=str(path),
            hint=f"put the Kaggle Paris 2024 file {spec.file_name} in {path.parent}",
        )
    warnings: list[str] = []
    rows = 0
    try:
        # utf-8-sig: a leading byte-order mark would otherwise glue itself to the first column name.
        with path.open("r", encoding="utf-8-sig", errors="strict", newline="") as handle:
            reader = csv.reader(handle)
            header = next(reader, None)
            if header is None or not any(h.strip() for h in header):
                raise DataError(
                    "the file is empty (no header line)",
                    file=str(path),
                    line=1,
                    hint=f"expected a header with {', '.join(spec.required_columns)}",
                )
            columns = tuple(header)
            duplicated = sorted({c for c in columns if columns.count(c) > 1})
            if duplicated:
                raise DataError(
                    f"column name(s) appear more than once in the header: {', '.join(duplicated)}",
                    file=str(path),
                    line=1,
                    field=duplicated[0],
                    hint="give every column a distinct name",
                )
            missing = [c for c in spec.required_columns if c not in columns]
            if missing:
                suggestions = [
                    f"{m!r} (found {match!r}?)" if (match := _close_match(m, columns)) else repr(m) for m in missing
                ]
                raise DataError(
                    f"required column(s) missing: {', '.join(suggestions)}; the header has: {', '.join(columns)}",
                    file=str(path),
                    line=1,
                    field=missing[0],
                    hint="rename the column(s) back to the Kaggle names",
                )
            list_positions = [(columns.index(c), c) for c in spec.list_columns if c in columns]
            value_checks = [
                (columns.index(c), c, _NUMBER.match, "a number", "e.g. 182.0; leave it empty when unknown")
                for c in spec.number_columns
                if c in columns
            ] + [
                (columns.index(c), c, _is_iso_date, "a date", "write YYYY-MM-DD; leave it empty if unknown")
                for c in spec.date_columns
                if c in columns
            ]
            width = len(columns)
            record_start = 2
            for row in reader:
                rows += 1
                if len(row) != width:
                    raise DataError(
                        f"the row has {len(row)} fields but the header has {width}",
                        file=str(path),
                        line=record_start,
                        hint="check for an unquoted comma or a missing quote in this row",
                    )
                for position, column, is_valid, kind, how in value_checks:
                    value = row[position]
                    if value and not is_valid(value):
                        raise DataError(
                            f"{value!r} is not {kind}",
                            file=str(path),
                            line=record_start,
                            field=column,
                            hint=how,
                        )
                for position, column in list_positions:
                    value = row[position]
                    if not value or _LIST_LITERAL.match(value):
                        continue
                    if _BARE_LIST.match(value):
                        warnings.append(
                            f"{path}:{record_start}: column {column!r}: list without quotes {value!r} "
                            f"read as no value (write it as a Python list: {[value[1:-1]]!r})"
                        )
                        continue
                    raise DataError(
                        f"malformed list literal {value!r}",
                        file=str(path),
                        line=record_start,
                        field=column,
                        hint="write it as a Python list of quoted strings, e.g. ['Wrestling']",
                    )
                # reader.line_num is the physical line the record ended on; quoted fields may span lines.
                record_start = reader.line_num + 1
    except UnicodeDecodeError:
        _raise_for_bad_bytes(path)
    except csv.Error as exc:
        raise DataError(f"unreadable CSV: {exc}", file=str(path), hint="check the quoting") from None
    if rows == 0:
        raise DataError(
            "the table has a header but no rows",
            file=str(path),
            line=2,
            hint=f"{spec.file_name} must hold data; re-download it",
        )
    return TableCheck(spec.name, path, rows, columns, tuple(warnings))


def load_tables(
    data_dir: Path,
    tables: Iterable[str] | None = None,
    *,
    connection: duckdb.DuckDBPyConnection | None = None,
) -> LoadedTables:
    """Check, then load `tables` (default: all in TABLES) from `data_dir` as all-VARCHAR DuckDB tables.

    Every file is checked before any is loaded, so a bad file fails fast and loads nothing.
    """
    data_dir = Path(data_dir)
    names = list(TABLES) if tables is None else list(dict.fromkeys(tables))
    unknown = [n for n in names if n not in TABLES]
    if unknown:
        raise DataError(
            f"unknown table(s) {', '.join(unknown)}",
            hint=f"known tables: {', '.join(TABLES)}",
        )
    if not data_dir.is_dir():
        raise DataError(
            "data directory not found",
            file=str(data_dir),
            hint="point it at the folder holding the Kaggle Paris 2024 CSVs (or data/sample)",
        )
    checks = {name: check_table(data_dir / TABLES[name].file_name, TABLES[name]) for name in names}
    con = connection if connection is not None else duckdb.connect(":memory:")
    for name, check in checks.items():
        for warning in check.warnings:
            logger.warning(warning)
        # Explicit dialect: the checker just proved these settings parse the file.
        con.execute(
            f'CREATE OR REPLACE TABLE "{name}" AS SELECT * FROM read_csv(?, header = true, '
            "all_varchar = true, delim = ',', quote = '\"', escape = '\"', auto_detect = false, "
            "columns = ?)",
            [str(check.path), {column: "VARCHAR" for column in check.columns}],
        )
    return LoadedTables(con, checks)


def read_header(path: Path) -> list[str]:
    """The header of a CSV (for tests and tools that compare schemas)."""
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return next(csv.reader(handle), [])
