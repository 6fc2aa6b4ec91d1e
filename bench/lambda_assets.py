"""Lambda assets: each asset's unzipped and zipped size, and each handler's cold import time.

The assets are built exactly as `make synth` builds them (stacks.bundling: the lock file's
wheels for python3.12 + the code), for the default cdk.json and for generator=databricks.
The baseline, built in the same run, is the single asset every function used to share:
every runtime dependency in one tree. Cold import: a fresh python3.12 process whose path
holds only the asset and the standard library (as on Lambda), `import lambdas.<module>`
timed inside it, best of several processes. Needs python3.12 on PATH for the import times.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

from podium.config import RunSettings
from podium.workflow.steps import STEPS
from stacks import bundling

IMPORT_TARGET_MS = 300.0
TODAY_LARGEST_UNZIPPED_MB = 123.0  # the one shared asset before per-function groups (issue 8)
SIZE_TARGET_MB = TODAY_LARGEST_UNZIPPED_MB / 2
ALL_GROUPS = tuple(sorted(group for group in bundling.all_group_sets()[-1]))

# The variables the stack sets (stacks.functions.lambda_environment) and Lambda provides.
_LAMBDA_ENV = {
    "AWS_REGION": "us-west-2",
    "AWS_DEFAULT_REGION": "us-west-2",
    "AWS_ACCESS_KEY_ID": "bench",
    "AWS_SECRET_ACCESS_KEY": "bench",
    "AWS_LAMBDA_FUNCTION_NAME": "bench",
    "PODIUM_BUCKET": "bench",
    "PODIUM_ACTIVE_MODEL_PARAMETER": "/podium/active-model",
    "PODIUM_BEDROCK_ROLE_ARN": "arn:aws:iam::123456789012:role/bench",
    "PODIUM_NAME_PREFIX": "podium",
    "PODIUM_DEFAULTS": "{}",
    "POWERTOOLS_SERVICE_NAME": "podium",
    "POWERTOOLS_METRICS_NAMESPACE": "Podium",
    "POWERTOOLS_LOG_LEVEL": "INFO",
    "PATH": os.environ.get("PATH", ""),
}
_IMPORT_PROBE = (
    "import sys, time; sys.path.insert(0, sys.argv[1]); started = time.perf_counter(); "
    "__import__('lambdas.' + sys.argv[2]); print((time.perf_counter() - started) * 1000)"
)


@dataclass
class Asset:
    groups: tuple[str, ...]
    path: Path
    unzipped_mb: float
    zipped_mb: float


def build_asset(groups: tuple[str, ...], root: Path) -> Path:
    """The asset directory for `groups`, as LocalPipBundling.try_bundle writes it."""
    target = root / ("+".join((bundling.BASE_GROUP, *groups)))
    target.mkdir(parents=True)
    assert bundling.LocalPipBundling(groups).try_bundle(str(target), None)
    return target


def measure_asset(groups: tuple[str, ...], path: Path) -> Asset:
    files = [p for p in path.rglob("*") if p.is_file()]
    unzipped = sum(p.stat().st_size for p in files)
    with tempfile.NamedTemporaryFile(suffix=".zip") as handle:
        with zipfile.ZipFile(handle.name, "w", zipfile.ZIP_DEFLATED, compresslevel=6) as archive:
            for file in files:
                archive.write(file, file.relative_to(path).as_posix())
        zipped = Path(handle.name).stat().st_size
    return Asset(groups, path, unzipped / 1e6, zipped / 1e6)


def cold_import_ms(python: str, asset: Path, module: str, repeats: int = 3) -> float:
    """Best of `repeats` fresh processes: -S (no site-packages), -B (no .pyc written)."""
    best = float("inf")
    for _ in range(repeats):
        output = subprocess.run(
            [python, "-S", "-B", "-c", _IMPORT_PROBE, str(asset), module],
            check=True,
            capture_output=True,
            text=True,
            env=_LAMBDA_ENV,
            cwd=asset,
        ).stdout
        best = min(best, float(output.strip().splitlines()[-1]))
    return best


def find_python312() -> str | None:
    """The real python3.12 binary: a pyenv shim does not run in the bare Lambda-like
    environment, and may not be on the active pyenv versions at all."""
    if shutil.which("python3.12") is not None:
        found = subprocess.run(
            ["python3.12", "-c", "import sys; print(sys.executable)"], capture_output=True, text=True, check=False
        )
        if found.returncode == 0 and found.stdout.strip():
            return found.stdout.strip()
    installed = sorted(Path.home().glob(".pyenv/versions/3.12*/bin/python3.12"))
    return str(installed[-1]) if installed else None


def run(results: list[tuple[str, str, str, str]], verdict) -> None:  # noqa: ANN001 - bench/run.py's helper
    python312 = find_python312()
    deployments = {
        "default cdk.json": RunSettings(),
        "generator=databricks": RunSettings(
            generator="databricks", databricks={"secret_name": "s", "job_id": 1, "warehouse_id": "w"}
        ),
    }
    with tempfile.TemporaryDirectory(prefix="podium-assets-") as tmp:
        root = Path(tmp)
        print("building the baseline: every runtime dependency in one asset ...", flush=True)
        baseline = measure_asset(ALL_GROUPS, build_asset(ALL_GROUPS, root / "baseline"))
        assets: dict[tuple[str, ...], Asset] = {}
        for deployment, defaults in deployments.items():
            groups_by_step = {step.name: bundling.groups_for(step, defaults) for step in STEPS}
            for groups in sorted(set(groups_by_step.values())):
                if groups not in assets:
                    print(f"building the asset {'+'.join(('lambda', *groups))} ...", flush=True)
                    assets[groups] = measure_asset(groups, build_asset(groups, root))
            largest = max((assets[g] for g in groups_by_step.values()), key=lambda a: a.unzipped_mb)
            for groups in sorted(set(groups_by_step.values())):
                asset = assets[groups]
                users = [name for name, g in groups_by_step.items() if g == groups]
                results.append(
                    (
                        f"asset {'+'.join(('lambda', *groups))} ({deployment}; {len(users)} functions)",
                        f"{asset.unzipped_mb:.1f} MB unzipped, {asset.zipped_mb:.1f} MB zipped "
                        f"({asset.unzipped_mb / baseline.unzipped_mb:.2f}× the one-asset baseline)",
                        f"largest ≤ {SIZE_TARGET_MB:.1f} MB" if asset is largest else "",
                        verdict(asset.unzipped_mb <= SIZE_TARGET_MB) if asset is largest else "",
                    )
                )
        results.append(
            (
                "  baseline: one asset with every dependency",
                f"{baseline.unzipped_mb:.1f} MB unzipped, {baseline.zipped_mb:.1f} MB zipped",
                "",
                "",
            )
        )
        if python312 is None:
            results.append(("handler cold import", "skipped: no python3.12 on PATH", "", ""))
            return
        defaults = deployments["default cdk.json"]
        for step in STEPS:
            groups = bundling.groups_for(step, defaults)
            print(f"timing a cold import of lambdas.{step.module} ...", flush=True)
            ms = cold_import_ms(python312, assets[groups].path, step.module)
            base_ms = cold_import_ms(python312, baseline.path, step.module)
            results.append(
                (
                    f"cold import lambdas.{step.module} ({'+'.join(('lambda', *groups))})",
                    f"{ms:.0f} ms ({ms / base_ms:.2f}× the same import from the baseline asset, {base_ms:.0f} ms)",
                    f"≤ {IMPORT_TARGET_MS:.0f} ms",
                    verdict(ms <= IMPORT_TARGET_MS),
                )
            )
