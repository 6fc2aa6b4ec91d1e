"""The README's table of what one weekly run and one month of serving cost under each serving mode
for the default sample is what `podium generate --cdk-json` estimates now (issue 19, item 4)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from podium.cli import app

ROOT = Path(__file__).resolve().parents[2]
HOURS_A_MONTH = 730
NOVA_LITE = {"region": "us-east-1", "base_model": "amazon.nova-lite-v1:0:300k"}
# column of the README table → cdk.json context laid over the repository's
MODES = {
    "Llama 3.1 8B, provisioned (default)": {},
    "Nova Lite, provisioned": {**NOVA_LITE, "deployment": "provisioned"},
    "Nova Lite, on demand": {**NOVA_LITE, "deployment": "on_demand"},
}


def _table() -> dict[str, dict[str, str]]:
    """column → row label → cell, from the README's cost table (the one headed 'ESTIMATE (USD)')."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    lines = [line.strip() for line in text.splitlines() if line.strip().startswith("|")]
    header = next(i for i, line in enumerate(lines) if line.startswith("| ESTIMATE (USD)"))
    columns = [cell.strip() for cell in lines[header].strip("|").split("|")]
    table: dict[str, dict[str, str]] = {column: {} for column in columns[1:]}
    for line in lines[header + 2 : header + 4]:
        cells = [cell.strip() for cell in line.strip("|").split("|")]
        for column, cell in zip(columns[1:], cells[1:], strict=True):
            table[column][cells[0]] = cell
    return table


def _estimate(tmp_path: Path, context: dict[str, str]) -> dict:
    config = json.loads((ROOT / "cdk.json").read_text(encoding="utf-8"))
    config["context"].update(context)
    cdk_json = tmp_path / "cdk.json"
    cdk_json.write_text(json.dumps(config), encoding="utf-8")
    out = tmp_path / "out"
    result = CliRunner().invoke(
        app,
        ["generate", "--data", str(ROOT / "data" / "sample"), "--out", str(out), "--cdk-json", str(cdk_json), "--json"],
    )
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)["report"]["estimate"]


def _bold(cell: str) -> float:
    (figure,) = re.findall(r"\*\*([\d,.]+)\*\*", cell)
    return float(figure.replace(",", ""))


@pytest.mark.parametrize("column", list(MODES))
def test_the_readme_cost_table_is_todays_estimate(column: str, tmp_path: Path) -> None:
    estimate = _estimate(tmp_path, MODES[column])
    weekly, month = _table()[column].values()
    (evaluation,) = estimate["extra"]
    assert _bold(weekly) == pytest.approx(estimate["run_usd"], abs=0.005), weekly
    for part in (estimate["training_usd"], estimate["storage_usd_per_month"], evaluation["usd"]):
        assert f"{part:,.2f}" in weekly, (part, weekly)
    if estimate["deployment"] == "on_demand":
        assert "per token only" in month and estimate["throughput_usd_per_hour"] is None
        # 1,000 questions a day for 30 days, each ~40 input tokens (as the evaluation asks them) and at most 200 out
        asked = int(re.search(r"for ([\d,]+) questions", evaluation["text"]).group(1).replace(",", ""))
        tokens_in = int(re.search(r"([\d,]+) input tokens", evaluation["text"]).group(1).replace(",", ""))
        assert round(tokens_in / (2 * asked)) == 40
        served = 30_000 * (
            40 * estimate["on_demand_input_per_1k_tokens"] + 200 * estimate["on_demand_output_per_1k_tokens"]
        )
        assert _bold(month) == pytest.approx(served / 1000, abs=0.005)
    else:
        assert _bold(month) == estimate["throughput_usd_per_hour"] * HOURS_A_MONTH
