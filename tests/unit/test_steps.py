from __future__ import annotations

from pathlib import Path

from podium.workflow.steps import STEPS

LAMBDAS = Path(__file__).resolve().parents[2] / "lambdas"


def test_step_names_and_substitutions_are_unique():
    assert len({s.name for s in STEPS}) == len(STEPS)
    assert len({s.substitution for s in STEPS}) == len(STEPS)


def test_every_step_has_a_handler_module():
    for step in STEPS:
        module = LAMBDAS / f"{step.module}.py"
        assert module.is_file(), f"{step.name}: missing {module}"
        assert "def handler(" in module.read_text(), f"{module} has no handler()"
