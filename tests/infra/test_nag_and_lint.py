"""cdk-nag (AwsSolutions) runs at synth and fails it; cfn-lint is clean on the template."""

from __future__ import annotations

import json
from pathlib import Path

import cfnlint.api  # a hard import: this check must fail loudly, never skip, if cfn-lint is missing
import pytest
from aws_cdk import aws_s3 as s3

from stacks.application import build_app, cdk_json_context
from stacks.nag import acknowledgements
from tests.infra.conftest import NO_BUNDLING, VARIANTS, Synthesized


@pytest.mark.parametrize("variant", VARIANTS)
def test_cdk_nag_passes_with_only_written_acknowledgements(variant: str, request: pytest.FixtureRequest) -> None:
    s: Synthesized = request.getfixturevalue(variant)
    (report,) = s.report["pluginReports"]
    assert report["pluginName"] == "AwsSolutions"
    assert report["conclusion"] == "success"
    assert report["violations"] == []
    acknowledged = acknowledgements(s.stack)
    assert acknowledged
    for path, rule, reason in acknowledged:
        assert path.count("/") >= 2, f"{rule} acknowledged on {path}: scope it to one resource"
        assert len(reason) >= 40, f"{rule} on {path}: write the reason out"
    # Every suppressed finding in the report is one we acknowledged on purpose.
    suppressed = {v["ruleName"] for v in report.get("suppressedViolations", [])}
    assert suppressed <= {rule for _, rule, _ in acknowledged}


def test_an_unacknowledged_finding_fails_synth(tmp_path: Path) -> None:
    app, stack = build_app({**cdk_json_context(), **NO_BUNDLING}, outdir=str(tmp_path))
    s3.Bucket(stack, "Careless")  # no access logs, no TLS policy: AwsSolutions-S1 and S10
    with pytest.raises(RuntimeError, match="ValidationFailed"):
        app.synth()
    (report,) = json.loads((tmp_path / "validation-report.json").read_text())["pluginReports"]
    assert report["conclusion"] == "failure"
    failing = {(v["ruleName"], c["constructPath"]) for v in report["violations"] for c in v["violatingConstructs"]}
    assert failing == {
        ("AwsSolutions-S1", f"{stack.stack_name}/Careless/Resource"),
        ("AwsSolutions-S10", f"{stack.stack_name}/Careless/Resource"),
    }


@pytest.mark.parametrize("variant", ["synthesized_full", "synthesized_on_demand"])
def test_cfn_lint_reports_no_errors(variant: str, request: pytest.FixtureRequest, tmp_path: Path) -> None:
    synthesized: Synthesized = request.getfixturevalue(variant)
    template = tmp_path / "podium.template.json"
    template.write_text(json.dumps(synthesized.template.to_json(), indent=1))
    matches = cfnlint.api.lint(template.read_text(), regions=[synthesized.stack.settings.region])
    errors = [f"{m.rule.id} {m.message} ({'/'.join(map(str, m.path))})" for m in matches if m.rule.id.startswith("E")]
    assert errors == []
    # The only warning: CDK's explicit DependsOn next to a GetAtt of the same role (harmless).
    assert {m.rule.id for m in matches} <= {"W3005"}
