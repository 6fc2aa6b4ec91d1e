"""What the handlers publish, read from their code: the README documents it (tests/handlers)
and the dashboard draws it (tests/infra)."""

from __future__ import annotations

import ast
from pathlib import Path

LAMBDAS = Path(__file__).resolve().parents[1] / "lambdas"


def published_metrics() -> dict[str, set[str]]:
    """Every metric the handlers publish → its dimensions besides `service`, read from the
    code: metrics.add_metric(name=...), count(name, Dimension=...), run_ended (RunsEnded by
    Outcome, and RunSeconds)."""
    published: dict[str, set[str]] = {}
    for path in sorted(LAMBDAS.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            called = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
            # A name that is not a literal is the helpers' own code (count's), not a metric
            if called == "add_metric":
                name = next(k.value for k in node.keywords if k.arg == "name")
                if isinstance(name, ast.Constant):
                    published.setdefault(name.value, set())
            elif called == "count" and node.args and isinstance(node.args[0], ast.Constant):
                dimensions = {k.arg for k in node.keywords if k.arg}
                published.setdefault(node.args[0].value, set()).update(dimensions)
    return published
