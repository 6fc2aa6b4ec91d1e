"""The Lambda asset's local bundling, without running pip: the dependency cache is faked."""

from __future__ import annotations

from pathlib import Path

import pytest

from stacks import bundling


def _fake_site(root: Path) -> Path:
    site = root / "site"
    for path in (
        "boto3/__init__.py", "boto3-1.0.dist-info/METADATA", "botocore/__init__.py", "s3transfer/__init__.py",
        "pydantic/__init__.py", "pydantic/__pycache__/x.cpython-312.pyc", "pydantic-2.0.dist-info/METADATA",
        "somepkg/tests/test_x.py", "bin/typer",
    ):  # fmt: skip
        (site / path).parent.mkdir(parents=True, exist_ok=True)
        (site / path).write_text("x")
    return site


def test_strip_removes_runtime_provided_and_unused_files(tmp_path: Path) -> None:
    site = _fake_site(tmp_path)
    bundling._strip(site)
    left = {p.relative_to(site).as_posix() for p in site.rglob("*") if p.is_file()}
    assert left == {"pydantic/__init__.py", "pydantic-2.0.dist-info/METADATA"}


def test_try_bundle_puts_code_beside_the_cached_dependencies(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    site = _fake_site(tmp_path)
    bundling._strip(site)
    monkeypatch.setattr(bundling, "installed_dependencies", lambda: site)
    out = tmp_path / "asset"
    out.mkdir()
    assert bundling.LocalPipBundling().try_bundle(str(out), None) is True
    assert (out / "pydantic" / "__init__.py").is_file()
    assert (out / "podium" / "workflow" / "steps.py").is_file()
    assert (out / "lambdas" / "__init__.py").is_file()
    assert not list(out.rglob("__pycache__"))
    assert not (out / "boto3").exists()
    # facts.py looks for sql/facts two levels above itself: the asset must keep that layout.
    from podium.dataset import facts

    bundled_sql_dir = (out / "podium" / "dataset" / "facts.py").parents[2] / "sql" / "facts"
    assert sorted(p.name for p in bundled_sql_dir.glob("*.sql")) == sorted(
        p.name for p in facts.FACT_SQL_DIR.glob("*.sql")
    )
    for step_module in ("prepare", "start_generation", "build_dataset", "cleanup"):
        assert (out / "lambdas" / f"{step_module}.py").is_file()


def test_cached_dependencies_are_reused_without_pip(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bundling, "CACHE_DIR", tmp_path)
    cached = tmp_path / bundling._requirements_fingerprint()
    cached.mkdir()

    def no_pip(*args: object, **kwargs: object) -> None:
        raise AssertionError("pip must not run when the cache is warm")

    monkeypatch.setattr(bundling.subprocess, "run", no_pip)
    assert bundling.installed_dependencies() == cached


def test_fingerprint_covers_code_and_requirements() -> None:
    files = {p.relative_to(bundling.REPO_ROOT).as_posix() for p in bundling._source_files()}
    assert "requirements.txt" in files
    assert "podium/workflow/steps.py" in files and "lambdas/__init__.py" in files
    assert "sql/facts/event_medal.sql" in files
    assert not [f for f in files if "__pycache__" in f or f.endswith(".pyc")]
    assert bundling.code_fingerprint() == bundling.code_fingerprint()
