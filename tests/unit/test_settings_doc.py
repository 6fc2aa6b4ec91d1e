"""README.md's settings table is generated from podium/config.py: it must not drift."""

from __future__ import annotations

from pathlib import Path

from podium import settings_doc
from podium.config_context import CONTEXT_KEYS

README = Path(__file__).resolve().parents[2] / "README.md"


def test_readme_settings_table_is_the_generated_one():
    text = README.read_text(encoding="utf-8")
    assert settings_doc.replace_table(text) == text, "README.md's settings table is stale: run `make settings-doc`"


def test_every_cdk_json_key_and_input_setting_has_a_row_with_a_meaning():
    table = settings_doc.render_table()
    for key in CONTEXT_KEYS:
        assert f"| `{key}`" in table, key
    for line in table.splitlines()[2:]:
        assert not line.endswith("|  |"), f"setting without a description in podium/config.py: {line}"
    assert "| `prices` (JSON object) | `prices.training_per_1k_tokens` |" in table
    assert "| — | `dry_run` | `false` |" in table  # run-only: execution input, not cdk.json


def test_the_cdk_json_column_shows_what_is_deployed(tmp_path: Path):
    cdk_json = tmp_path / "cdk.json"
    cdk_json.write_text('{"context": {"poll_min_seconds": 45}}', encoding="utf-8")
    assert "| `poll_min_seconds` | `poll.min_seconds` | `30` | `45` |" in settings_doc.render_table(cdk_json)
