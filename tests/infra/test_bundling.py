"""The Lambda assets' local bundling, without running pip: the dependency cache is faked."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import boto3
import botocore.loaders
import botocore.session
import pytest
from botocore.exceptions import UnknownServiceError

from podium.adapters.factory import LAMBDA_AWS_SERVICES
from podium.config import RunSettings
from podium.workflow.steps import STEPS, STEPS_BY_NAME, DependencyGroup
from stacks import bundling


def _fake_site(root: Path) -> Path:
    site = root / "site"
    for path in (
        "boto3/__init__.py", "boto3-1.0.dist-info/METADATA", "botocore/__init__.py",
        "pydantic/__init__.py", "pydantic/__pycache__/x.cpython-312.pyc", "pydantic-2.0.dist-info/METADATA",
        "somepkg/tests/test_x.py", "bin/typer",
    ):  # fmt: skip
        (site / path).parent.mkdir(parents=True, exist_ok=True)
        (site / path).write_text("x")
    return site


def test_strip_keeps_the_pinned_boto3_and_drops_what_never_runs(tmp_path: Path) -> None:
    site = _fake_site(tmp_path)
    bundling._strip(site)
    left = {p.relative_to(site).as_posix() for p in site.rglob("*") if p.is_file()}
    assert left == {
        "boto3/__init__.py",
        "boto3-1.0.dist-info/METADATA",
        "botocore/__init__.py",
        "pydantic/__init__.py",
        "pydantic-2.0.dist-info/METADATA",
    }


def test_try_bundle_puts_code_beside_the_cached_dependencies(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    site = _fake_site(tmp_path)
    bundling._strip(site)
    monkeypatch.setattr(bundling, "installed_dependencies", lambda groups: site)
    out = tmp_path / "asset"
    out.mkdir()
    assert bundling.LocalPipBundling(("facts",)).try_bundle(str(out), None) is True
    assert (out / "pydantic" / "__init__.py").is_file()
    assert (out / "podium" / "workflow" / "steps.py").is_file()
    assert (out / "lambdas" / "__init__.py").is_file()
    # Only bytecode for Lambda's python3.12, compiled here, never this interpreter's caches.
    assert {p.name.split(".")[-2] for p in out.rglob("*.pyc")} <= {"cpython-312"}
    assert bool(list((out / "lambdas").rglob("*.cpython-312.pyc"))) == (bundling.lambda_python() is not None)
    # No command line or rehearsal code in any function.
    assert not (out / "podium" / "cli").exists() and not (out / "podium" / "__main__.py").exists()
    assert not (out / "podium" / "rehearsal").exists()
    # The fact SQL is package data: real files where podium.dataset.facts looks for them.
    from podium.dataset import facts

    bundled = out / "podium" / "dataset" / "sql"
    assert not bundled.is_symlink()
    assert sorted(p.name for p in bundled.glob("*.sql")) == sorted(p.name for p in facts.FACT_SQL_DIR.glob("*.sql"))
    for step in STEPS:
        assert (out / "lambdas" / f"{step.module}.py").is_file()


def test_cached_dependencies_are_reused_without_pip(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bundling, "CACHE_DIR", tmp_path)
    groups = ("facts",)
    cached = tmp_path / f"lambda+facts-{bundling._requirements_fingerprint(groups)}"
    cached.mkdir()

    def no_pip(*args: object, **kwargs: object) -> None:
        raise AssertionError("pip must not run when the cache is warm")

    monkeypatch.setattr(bundling.subprocess, "run", no_pip)
    assert bundling.installed_dependencies(groups) == cached


def test_fingerprint_covers_the_lock_file_and_the_code() -> None:
    files = {p.relative_to(bundling.REPO_ROOT).as_posix() for p in bundling._source_files(("facts",))}
    assert "requirements/lock/lambda+facts.txt" in files
    assert "podium/workflow/steps.py" in files and "lambdas/__init__.py" in files
    assert "podium/dataset/sql/event_medal.sql" in files
    assert not [f for f in files if f.startswith(("podium/cli/", "podium/rehearsal/"))]
    assert not [f for f in files if "__pycache__" in f or f.endswith(".pyc")]
    assert bundling.code_fingerprint(("facts",)) != bundling.code_fingerprint(())


def test_fingerprints_change_with_the_kept_services(monkeypatch: pytest.MonkeyPatch) -> None:
    """A cached dependency tree trimmed for the old list must not be reused for a new one."""
    before = (bundling._requirements_fingerprint(()), bundling.code_fingerprint(()))
    monkeypatch.setattr(bundling, "LAMBDA_AWS_SERVICES", (*LAMBDA_AWS_SERVICES, "ec2"))
    after = (bundling._requirements_fingerprint(()), bundling.code_fingerprint(()))
    assert before[0] != after[0] and before[1] != after[1]


def _fake_botocore_data(site: Path) -> Path:
    data = site / "botocore" / "data"
    for path in (
        "endpoints.json", "partitions.json", "_retry.json", "sdk-default-configuration.json",
        "s3/2006-03-01/service-2.json.gz", "s3/2006-03-01/endpoint-rule-set-1.json.gz",
        "bedrock-runtime/2023-09-30/service-2.json.gz", "stepfunctions/2016-11-23/paginators-1.json",
        "ec2/2016-11-15/service-2.json.gz", "sts/2011-06-15/service-2.json.gz", "service-quotas-x/1/service-2.json",
    ):  # fmt: skip
        (data / path).parent.mkdir(parents=True, exist_ok=True)
        (data / path).write_text("{}")
    return data


def test_trimming_keeps_the_listed_service_models_and_every_top_level_file(tmp_path: Path) -> None:
    data = _fake_botocore_data(tmp_path)
    bundling.trim_service_models(tmp_path, ("s3", "bedrock-runtime", "stepfunctions"))
    assert {p.relative_to(data).as_posix() for p in data.rglob("*") if p.is_file()} == {
        "endpoints.json",
        "partitions.json",
        "_retry.json",
        "sdk-default-configuration.json",
        "s3/2006-03-01/service-2.json.gz",
        "s3/2006-03-01/endpoint-rule-set-1.json.gz",
        "bedrock-runtime/2023-09-30/service-2.json.gz",
        "stepfunctions/2016-11-23/paginators-1.json",
    }


def test_a_listed_service_botocore_does_not_know_stops_the_build(tmp_path: Path) -> None:
    data = _fake_botocore_data(tmp_path)
    with pytest.raises(ValueError, match=r"\['step-functions'\].*botocore's service names"):
        bundling.trim_service_models(tmp_path, ("s3", "step-functions"))
    assert (data / "ec2").is_dir()  # checked before anything is removed


def test_every_listed_client_is_made_from_the_kept_models_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The installed botocore, seeing only what an asset keeps, with Lambda's credentials (env vars)."""
    real = Path(botocore.__file__).parent / "data"
    dropped = set(bundling.unused_service_models(real))
    kept = tmp_path / "data"
    kept.mkdir()
    for entry in real.iterdir():
        if entry not in dropped:
            (kept / entry.name).symlink_to(entry)
    assert sorted(p.name for p in kept.iterdir() if p.is_dir()) == sorted(LAMBDA_AWS_SERVICES)
    for name, value in {
        "AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test", "AWS_SESSION_TOKEN": "test",
        "AWS_CONFIG_FILE": str(tmp_path / "none"), "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "none"),
    }.items():  # fmt: skip
        monkeypatch.setenv(name, value)
    core = botocore.session.Session()
    core.register_component(
        "data_loader", botocore.loaders.Loader(extra_search_paths=[str(kept)], include_default_search_paths=False)
    )
    session = boto3.session.Session(botocore_session=core, region_name="us-west-2")
    for service in LAMBDA_AWS_SERVICES:
        client = session.client(service)
        assert client.meta.region_name == "us-west-2"
        assert client._request_signer._credentials.access_key == "test"  # env vars: no STS/SSO model needed
    assert session.client("stepfunctions").can_paginate("list_executions")
    with pytest.raises(UnknownServiceError):
        session.client("ec2")


_CLIENT_MAKERS = {"client", "aws_client", "_listed_client"}


def test_lambda_code_makes_clients_only_for_the_listed_services() -> None:
    """Every client call in the bundled code (adapters' default clients included) names a
    listed service; only the factory's guarded helpers take the name from a variable."""
    used: dict[str, list[str]] = {}
    for path in bundling._code_files():
        if path.suffix != ".py":
            continue
        where = path.relative_to(bundling.REPO_ROOT).as_posix()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call) or not node.args:
                continue
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
            if name not in _CLIENT_MAKERS:
                continue
            first = node.args[0]
            if isinstance(first, ast.Constant) and isinstance(first.value, str):
                used.setdefault(first.value, []).append(f"{where}:{node.lineno}")
            else:
                assert where == "podium/adapters/factory.py", f"{where}:{node.lineno}: a client for a computed service"
    unlisted = {service: places for service, places in used.items() if service not in LAMBDA_AWS_SERVICES}
    assert not unlisted, f"add these to LAMBDA_AWS_SERVICES (podium/adapters/factory.py): {unlisted}"
    assert sorted(used) == sorted(LAMBDA_AWS_SERVICES), "a listed service no Lambda code makes a client for"


def test_duckdb_goes_only_where_facts_are_computed_and_databricks_only_when_deployed() -> None:
    builtin = RunSettings()
    databricks = RunSettings(generator="databricks", databricks={"secret_name": "s", "job_id": 1, "warehouse_id": "w"})
    assert bundling.groups_for(STEPS_BY_NAME["StartGeneration"], builtin) == ("facts",)
    assert bundling.groups_for(STEPS_BY_NAME["StartGeneration"], databricks) == ("databricks", "facts")
    assert bundling.groups_for(STEPS_BY_NAME["BuildDataset"], builtin) == ()
    assert bundling.groups_for(STEPS_BY_NAME["BuildDataset"], databricks) == ("databricks",)
    with_facts = [s.name for s in STEPS if DependencyGroup.FACTS in s.needs]
    assert with_facts == ["StartGeneration"]


_PIN = re.compile(r"^([A-Za-z0-9_.\[\],-]+)==([^\s;]+)", re.MULTILINE)


def _pins(text: str) -> dict[str, str]:
    return {re.sub(r"\[.*\]", "", name).lower().replace("_", "-"): version for name, version in _PIN.findall(text)}


@pytest.mark.parametrize("groups", bundling.all_group_sets(), ids=lambda g: "+".join(("lambda", *g)))
def test_each_lock_file_pins_exactly_what_its_requirements_ask_for(groups: tuple[str, ...]) -> None:
    """Editing requirements/*.in without `make lock` fails here: the bundle would ship the old pins."""
    lock = bundling.lock_file(groups)
    assert lock.is_file(), f"{lock} missing: run make lock"
    locked = _pins(lock.read_text(encoding="utf-8"))
    assert "--hash=sha256:" in lock.read_text(encoding="utf-8")
    for source in bundling.requirement_files(groups):
        for name, version in _pins(source.read_text(encoding="utf-8")).items():
            assert locked.get(name) == version, f"{lock.name} has {name}=={locked.get(name)}, {source.name} {version}"
    if "facts" not in groups:
        assert "duckdb" not in locked
    if "databricks" not in groups:
        assert "databricks-sdk" not in locked
    assert "typer" not in locked and "rich" not in locked and "moto" not in locked


def test_bytecode_is_compiled_for_lambdas_python_and_valid_whatever_the_mtime(tmp_path: Path) -> None:
    """Lambda's /var/task is read-only: without shipped .pyc every cold start compiles."""
    python = bundling.lambda_python()
    if python is None:
        pytest.skip("no python3.12 here: assets carry source only (the README says so)")
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "mod.py").write_text("VALUE = 1\n")
    bundling.compile_bytecode(tmp_path)
    (compiled,) = (tmp_path / "pkg" / "__pycache__").glob("mod.cpython-312.pyc")
    flags = int.from_bytes(compiled.read_bytes()[4:8], "little")
    assert flags == 0b01  # hash-based, unchecked: a zip's mtimes cannot invalidate it
