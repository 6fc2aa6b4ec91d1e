"""Shared pytest fixtures: where the demo data lives.

The full Kaggle Paris 2024 CSVs are never committed; tests that need them skip
when they are absent. PODIUM_PARIS2024_DIR overrides the default location.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]

# What the stack sets for every function. Powertools reads them when lambdas.observability is
# first imported, by whichever test comes first (a rehearsal sets its own, for a new process).
os.environ.setdefault("POWERTOOLS_SERVICE_NAME", "podium-test")
os.environ.setdefault("POWERTOOLS_METRICS_NAMESPACE", "PodiumTest")
SAMPLE_DIR = REPO_ROOT / "data" / "sample"

# A promotion gate every evaluated model passes. Workflow tests that are about what happens
# around the gate (promotion, retiring throughput, retries) deploy it, so their outcome does
# not hang on how many held-out paraphrases the emulator's simulated model recognises;
# the gate itself is tested in tests/evaluation and with unmeetable thresholds.
OPEN_GATE = {"min_paraphrase_accuracy": 0.0, "min_gain_over_base": -1.0, "max_unseen_hallucination": 1.0}


def paris2024_path() -> Path:
    """Location of the full Kaggle data: env override, else <repo>/../shared/paris2024."""
    override = os.environ.get("PODIUM_PARIS2024_DIR")
    if override:
        return Path(override).expanduser().resolve()
    return (REPO_ROOT / ".." / "shared" / "paris2024").resolve()


@pytest.fixture(scope="session")
def paris2024_dir() -> Path:
    """The full Paris 2024 CSV directory; skips the test when it is absent."""
    path = paris2024_path()
    if not (path / "medals.csv").is_file():
        pytest.skip(f"full Paris 2024 data not found at {path} (set PODIUM_PARIS2024_DIR)")
    return path


@pytest.fixture(scope="session")
def sample_dir() -> Path:
    """The committed, team-written sample data in the Kaggle schema."""
    return SAMPLE_DIR


@pytest.fixture(scope="session")
def paris2024_facts(paris2024_dir: Path):
    """All facts of the full data, extracted once per session (skips when the data is absent)."""
    from podium.dataset.facts import extract_facts

    return extract_facts(paris2024_dir)


@pytest.fixture(scope="session")
def sample_facts(sample_dir: Path):
    """All facts of the committed sample, extracted once per session."""
    from podium.dataset.facts import extract_facts

    return extract_facts(sample_dir)
