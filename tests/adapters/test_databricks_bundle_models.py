"""sql/databricks/databricks.yml checked by Databricks' own models of bundle resources
(the `databricks-bundles` package: unknown or misspelt fields are refused, deprecated ones
are marked in its field docs) and by the Databricks CLI's production-mode rules, which the
package does not model: databricks/cli bundle/config/mutator/process_target_mode.go
(validateProductionMode) refuses `mode: production` unless the target sets
workspace.root_path (isExplicitRootSet), and warns unless every job has run_as (isRunAsSet).
"""

from __future__ import annotations

import dataclasses
import inspect
import re
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml
from databricks.bundles.jobs import Job, JobRunAs
from databricks.bundles.schemas import Schema
from databricks.bundles.volumes import Volume

BUNDLE_DIR = Path(__file__).resolve().parents[2] / "sql" / "databricks"
TEXT = (BUNDLE_DIR / "databricks.yml").read_text(encoding="utf-8")
BUNDLE = yaml.safe_load(TEXT)
MODELS = {"jobs": Job, "schemas": Schema, "volumes": Volume}


def _resources() -> list[tuple[str, str, dict[str, Any]]]:
    return [(kind, name, spec) for kind, specs in BUNDLE["resources"].items() for name, spec in specs.items()]


@pytest.mark.parametrize(("kind", "name", "spec"), _resources(), ids=[f"{k}.{n}" for k, n, _ in _resources()])
def test_every_resource_is_valid_for_the_databricks_bundles_model(kind: str, name: str, spec: dict[str, Any]) -> None:
    MODELS[kind].from_dict(spec)  # raises on an unknown field or a value of the wrong type


def test_the_models_refuse_what_they_should():
    # The check above can fail: a misspelt field, or `client` moved out of `spec`, is refused.
    job = BUNDLE["resources"]["jobs"]["podium_generate"]
    with pytest.raises(ValueError, match="Unexpected field"):
        Job.from_dict({**job, "max_concurent_runs": 1})
    with pytest.raises(ValueError, match="Unexpected field"):
        Volume.from_dict({**BUNDLE["resources"]["volumes"]["kaggle"], "volume": "x"})


@cache
def _deprecated_fields(cls: type) -> frozenset[str]:
    """Fields the package documents as [DEPRECATED] (its field docstrings)."""
    source = inspect.getsource(cls)
    return frozenset(re.findall(r"^    (\w+): [^\n]*\n    \"\"\"\s*\[DEPRECATED\]", source, flags=re.MULTILINE))


def _deprecated_in_use(value: object, path: str) -> list[str]:
    if isinstance(value, list):
        return [hit for i, item in enumerate(value) for hit in _deprecated_in_use(item, f"{path}[{i}]")]
    if not dataclasses.is_dataclass(value) or isinstance(value, type):
        return []
    hits = []
    for item in dataclasses.fields(value):
        current = getattr(value, item.name)
        if item.name in _deprecated_fields(type(value)) and current not in (None, [], {}):
            hits.append(f"{path}.{item.name}")
        hits += _deprecated_in_use(current, f"{path}.{item.name}")
    return hits


def test_no_resource_uses_a_field_the_package_marks_deprecated():
    assert "client" in _deprecated_fields(
        type(Job.from_dict(BUNDLE["resources"]["jobs"]["podium_generate"]).environments[0].spec)
    )
    for kind, name, spec in _resources():
        assert _deprecated_in_use(MODELS[kind].from_dict(spec), f"{kind}.{name}") == []


def test_a_deprecated_field_would_be_found():
    job = BUNDLE["resources"]["jobs"]["podium_generate"]
    old = {**job, "environments": [{"environment_key": "facts", "spec": {"client": "2"}}]}
    assert _deprecated_in_use(Job.from_dict(old), "job") == ["job.environments[0].spec.client"]


# ---- targets: the CLI's production-mode rules --------------------------------------------------


def production_problems(bundle: dict[str, Any]) -> list[str]:
    """What `databricks bundle deploy -t <target>` refuses (errors) or flags for a
    `mode: production` target, after process_target_mode.go's validateProductionMode."""
    problems = []
    for name, target in bundle.get("targets", {}).items():
        if target.get("mode") != "production":
            continue
        if not (target.get("workspace") or {}).get("root_path"):
            problems.append(f"{name}: target with 'mode: production' must set 'workspace.root_path'")
        run_as = target.get("run_as") or bundle.get("run_as")
        jobs = bundle.get("resources", {}).get("jobs", {})
        if not run_as and any("run_as" not in job for job in jobs.values()):
            problems.append(f"{name}: 'run_as' must be set for all jobs when using 'mode: production'")
        for pipeline in bundle.get("resources", {}).get("pipelines", {}).values():
            if pipeline.get("development"):
                problems.append(f"{name}: 'mode: production' cannot include a pipeline with 'development: true'")
    return problems


def test_the_prod_target_passes_the_production_mode_rules():
    assert BUNDLE["targets"]["prod"]["mode"] == "production"
    assert production_problems(BUNDLE) == []


def test_the_old_prod_target_is_what_the_cli_refused():
    old = {**BUNDLE, "targets": {"prod": {"mode": "production"}}}
    assert production_problems(old) == [
        "prod: target with 'mode: production' must set 'workspace.root_path'",
        "prod: 'run_as' must be set for all jobs when using 'mode: production'",
    ]


def test_prod_runs_as_a_configurable_service_principal_from_a_configurable_shared_root():
    prod = BUNDLE["targets"]["prod"]
    JobRunAs.from_dict(prod["run_as"])  # the shape the package gives run_as
    assert prod["run_as"] == {"service_principal_name": "${var.service_principal}"}
    assert prod["workspace"]["root_path"] == "${var.root_path}"
    assert BUNDLE["variables"]["root_path"]["default"].startswith("/Workspace/Shared/.bundle/")
    assert "default" not in BUNDLE["variables"]["service_principal"]  # prod must name one


def test_every_variable_and_resource_reference_is_declared():
    variables = set(re.findall(r"\$\{var\.(\w+)\}", TEXT))
    assert variables <= set(BUNDLE["variables"]), variables - set(BUNDLE["variables"])
    for kind, name in re.findall(r"\$\{resources\.(\w+)\.(\w+)\.\w+\}", TEXT):
        assert name in BUNDLE["resources"].get(kind, {}), f"${{resources.{kind}.{name}}} is not declared"


def test_variables_without_a_default_are_given_for_each_target_or_on_the_command_line():
    required = {name for name, spec in BUNDLE["variables"].items() if "default" not in spec}
    assert required == {"warehouse_id", "service_principal"}
    assert "service_principal" in BUNDLE["targets"]["dev"]["variables"]  # dev runs as the deploying user
    readme = (BUNDLE_DIR / "README.md").read_text(encoding="utf-8")
    deploy = next(line for line in readme.splitlines() if "bundle deploy -t prod" in line)
    for name in required:
        assert f"--var {name}=" in deploy or f"--var={name}=" in deploy, name


def test_the_job_reads_the_schema_and_volume_the_bundle_creates():
    load = next(t for t in BUNDLE["resources"]["jobs"]["podium_generate"]["tasks"] if t["task_key"] == "load")
    parameters = load["sql_task"]["parameters"]
    assert parameters["schema"] == "${resources.schemas.paris2024.name}"
    assert parameters["source_path"] == (
        "/Volumes/${var.catalog}/${resources.schemas.paris2024.name}/${resources.volumes.kaggle.name}"
    )
    volume = BUNDLE["resources"]["volumes"]["kaggle"]
    assert volume["schema_name"] == "${resources.schemas.paris2024.name}"


# ---- the README's settings examples are what Podium's parsers accept -------------------------


def _readme_json_blocks() -> list[Any]:
    import json

    readme = (BUNDLE_DIR / "README.md").read_text(encoding="utf-8")
    return [json.loads(block) for block in re.findall(r"```json\n(.*?)```", readme, flags=re.DOTALL)]


def test_the_readmes_cdk_json_example_is_what_the_settings_parser_accepts():
    from podium.config_context import settings_from_context

    cdk_json, _ = _readme_json_blocks()
    settings = settings_from_context(cdk_json["context"])
    assert settings.defaults.generator == "databricks"
    assert settings.defaults.databricks.job_id == 123
    assert settings.defaults.databricks.secret_name == "podium/databricks"
    assert settings.defaults.databricks.output_table == "podium.default.qa_pairs"


def test_the_readmes_execution_input_example_is_what_prepare_accepts():
    from podium.config import RunSettings

    _, execution_input = _readme_json_blocks()
    settings = RunSettings().merged(execution_input).check_for_region("us-west-2")
    assert settings.generator == "databricks" and settings.databricks.warehouse_id == "<warehouse-id>"


def test_a_nested_databricks_object_in_cdk_json_is_still_refused():
    from podium.config_context import settings_from_context
    from podium.errors import ConfigError

    _, execution_input = _readme_json_blocks()
    with pytest.raises(ConfigError, match="databricks"):
        settings_from_context(execution_input)
