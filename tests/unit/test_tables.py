"""Checking and loading the Kaggle CSVs: every bad input stops with file, line and field."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from podium.dataset.tables import TABLES, check_table, load_tables, read_header
from podium.errors import DataError


@pytest.fixture
def data_copy(sample_dir: Path, tmp_path: Path) -> Path:
    """A writable copy of the sample, to break one file at a time."""
    target = tmp_path / "data"
    shutil.copytree(sample_dir, target)
    return target


def _rewrite(path: Path, transform) -> None:
    path.write_text(transform(path.read_text(encoding="utf-8")), encoding="utf-8")


def _line_of(path: Path, needle: str) -> int:
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if needle in line:
            return number
    raise AssertionError(f"{needle!r} not in {path}")


def test_sample_loads_every_table_as_varchar(sample_dir: Path) -> None:
    loaded = load_tables(sample_dir)
    con = loaded.connection
    assert set(loaded.checks) == set(TABLES)
    for name, check in loaded.checks.items():
        assert con.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0] == check.rows > 0
        types = {row[1] for row in con.execute(f'DESCRIBE "{name}"').fetchall()}
        assert types == {"VARCHAR"}, name
    # Apostrophes and non-ASCII letters survive the round trip.
    names = {row[0] for row in con.execute("SELECT name_tv FROM athletes").fetchall()}
    assert {"Sha'Carri RICHARDSON", "Léon MARCHAND"} <= names


def test_only_requested_tables_are_loaded(sample_dir: Path) -> None:
    loaded = load_tables(sample_dir, ["medals_total"])
    tables = {row[0] for row in loaded.connection.execute("SHOW TABLES").fetchall()}
    assert tables == {"medals_total"}


def test_unquoted_kaggle_list_is_a_warning_not_an_error(sample_dir: Path) -> None:
    loaded = load_tables(sample_dir, ["athletes"])
    line = _line_of(sample_dir / "athletes.csv", "[Athletics]")
    assert len(loaded.warnings) == 2  # disciplines and events of the same row
    assert all(f"athletes.csv:{line}:" in w for w in loaded.warnings)
    assert "'disciplines'" in loaded.warnings[0] and "[Athletics]" in loaded.warnings[0]


def test_missing_file_names_the_file(data_copy: Path) -> None:
    (data_copy / "medals.csv").unlink()
    with pytest.raises(DataError) as caught:
        load_tables(data_copy, ["medals"])
    assert caught.value.file == str(data_copy / "medals.csv")
    assert "not found" in str(caught.value)


def test_missing_data_dir(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="data directory not found"):
        load_tables(tmp_path / "nowhere")


def test_renamed_column_is_named_with_a_close_match(data_copy: Path) -> None:
    _rewrite(data_copy / "medals.csv", lambda t: t.replace("medal_type,", "medal_kind,", 1))
    with pytest.raises(DataError) as caught:
        load_tables(data_copy, ["medals"])
    error = caught.value
    assert (error.line, error.field) == (1, "medal_type")
    assert "medal_kind" in str(error)  # the suggestion
    assert "the header has:" in str(error)


def test_case_changed_column_is_suggested(data_copy: Path) -> None:
    _rewrite(data_copy / "medals_total.csv", lambda t: t.replace("Gold Medal", "gold_medal", 1))
    with pytest.raises(DataError) as caught:
        load_tables(data_copy, ["medals_total"])
    assert caught.value.field == "Gold Medal"
    assert "found 'gold_medal'?" in str(caught.value)


def test_header_only_table(data_copy: Path) -> None:
    path = data_copy / "venues.csv"
    path.write_text(read_header_line(path), encoding="utf-8")
    with pytest.raises(DataError) as caught:
        load_tables(data_copy, ["venues"])
    assert caught.value.file == str(path)
    assert "no rows" in str(caught.value)


def read_header_line(path: Path) -> str:
    return path.read_text(encoding="utf-8").splitlines()[0] + "\n"


def test_empty_file(data_copy: Path) -> None:
    (data_copy / "events.csv").write_text("", encoding="utf-8")
    with pytest.raises(DataError, match="empty"):
        load_tables(data_copy, ["events"])


def test_non_utf8_byte_names_line_and_offset(data_copy: Path) -> None:
    path = data_copy / "medals.csv"
    raw = path.read_bytes()
    line = 5
    start = sum(len(x) for x in raw.splitlines(keepends=True)[: line - 1])
    text_line = raw.splitlines(keepends=True)[line - 1]
    # Latin-1 "é" (0xE9) inside the discipline name of line 5.
    column_offset = text_line.index(b",") + 3
    path.write_bytes(raw[: start + column_offset] + b"\xe9" + raw[start + column_offset :])
    with pytest.raises(DataError) as caught:
        load_tables(data_copy, ["medals"])
    error = caught.value
    assert error.line == line
    assert f"byte offset {start + column_offset}" in str(error)
    assert "UTF-8" in str(error)


@pytest.mark.parametrize(
    "bad_value",
    ["['Wrestling'", "['Wrestling]", "['Wrestling', 'Judo'", "['Wrestling' 'Judo']", "Wrestling]"],
)
def test_malformed_list_literal_names_file_line_column_value(data_copy: Path, bad_value: str) -> None:
    path = data_copy / "venues.csv"
    line = _line_of(path, "Champ de Mars Arena")
    _rewrite(path, lambda t: t.replace("\"['Judo', 'Wrestling']\"", f'"{bad_value}"', 1))
    with pytest.raises(DataError) as caught:
        load_tables(data_copy, ["venues"])
    error = caught.value
    assert (error.file, error.line, error.field) == (str(path), line, "sports")
    assert bad_value in str(error)


def test_malformed_list_in_athletes_events(data_copy: Path) -> None:
    path = data_copy / "athletes.csv"
    line = _line_of(path, "Yeldos SMETOV")
    _rewrite(path, lambda t: t.replace("['Men -60 kg']", "['Men -60 kg'", 1))
    with pytest.raises(DataError) as caught:
        load_tables(data_copy, ["athletes"])
    assert (caught.value.line, caught.value.field) == (line, "events")


def test_non_numeric_medal_count(data_copy: Path) -> None:
    path = data_copy / "medals_total.csv"
    usa = "USA,United States,United States of America,"
    _rewrite(path, lambda t: t.replace(f"{usa}6,", f"{usa}six,", 1))
    with pytest.raises(DataError) as caught:
        load_tables(data_copy, ["medals_total"])
    assert (caught.value.line, caught.value.field) == (2, "Gold Medal")
    assert "'six' is not a number" in str(caught.value)


def test_impossible_date(data_copy: Path) -> None:
    path = data_copy / "athletes.csv"
    line = _line_of(path, "Noah LYLES")
    _rewrite(path, lambda t: t.replace("1997-07-18", "1997-07-38", 1))
    with pytest.raises(DataError) as caught:
        load_tables(data_copy, ["athletes"])
    assert (caught.value.line, caught.value.field) == (line, "birth_date")
    assert "YYYY-MM-DD" in str(caught.value)


def test_line_numbers_count_physical_lines_of_multiline_fields(data_copy: Path) -> None:
    path = data_copy / "venues.csv"
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    # A quoted field spanning three physical lines on record 1 shifts every later record.
    lines[1] = lines[1].replace("Aquatics", "X").replace("Stade de France", '"Stade\nde\nFrance"', 1)
    path.write_text("".join(lines), encoding="utf-8")
    bad_line = _line_of(path, "Golf National")
    _rewrite(path, lambda t: t.replace(",['Golf'],", ",['Golf,", 1))
    with pytest.raises(DataError) as caught:
        load_tables(data_copy, ["venues"])
    assert caught.value.line == bad_line
    assert bad_line == 9  # header, a 3-line record, four one-line records, then this one


def test_row_with_wrong_field_count(data_copy: Path) -> None:
    path = data_copy / "events.csv"
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    lines[3] = lines[3].rstrip("\n") + ",extra\n"
    path.write_text("".join(lines), encoding="utf-8")
    with pytest.raises(DataError) as caught:
        load_tables(data_copy, ["events"])
    assert caught.value.line == 4
    assert "fields" in str(caught.value)


def test_byte_order_mark_is_ignored(data_copy: Path) -> None:
    path = data_copy / "events.csv"
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    loaded = load_tables(data_copy, ["events"])
    assert loaded.checks["events"].columns[0] == "event"
    events = {row[0] for row in loaded.connection.execute("SELECT event FROM events").fetchall()}
    assert "Men's 100m" in events


def test_nothing_is_loaded_when_one_file_is_bad(data_copy: Path) -> None:
    (data_copy / "venues.csv").unlink()
    with pytest.raises(DataError):
        load_tables(data_copy, ["medals", "venues"])


def test_check_table_counts_rows(sample_dir: Path) -> None:
    check = check_table(sample_dir / "medals.csv", TABLES["medals"])
    assert check.rows == len((sample_dir / "medals.csv").read_text(encoding="utf-8").splitlines()) - 1
    assert check.columns == tuple(read_header(sample_dir / "medals.csv"))


def test_full_data_loads_with_the_known_row_counts(paris2024_dir: Path) -> None:
    loaded = load_tables(paris2024_dir)
    rows = {name: check.rows for name, check in loaded.checks.items()}
    assert rows == {
        "medals": 1044,
        "medallists": 2315,
        "medals_total": 92,
        "athletes": 11113,
        "events": 329,
        "schedules": 3895,
        "venues": 35,
        "teams": 1698,
        "technical_officials": 1021,
        "coaches": 974,
    }
    # The real download ends with three athletes whose lists carry no quotes.
    assert len(loaded.warnings) == 6
    assert all("athletes.csv:111" in w for w in loaded.warnings)
