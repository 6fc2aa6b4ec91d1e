"""Lambda assets: each asset's unzipped and zipped size, and each handler's cold import time.

The assets are built exactly as `make synth` builds them (stacks.bundling: the lock file's
wheels for python3.12 + the code), for the default cdk.json and for generator=databricks.
The baseline, built in the same run, is the single asset every function used to share:
every runtime dependency in one tree. Cold import: a fresh python3.12 process whose path
holds only the asset and the standard library (as on Lambda), `import lambdas.<module>`
timed inside it (CPU time), with the asset's bytecode: the fastest of 9 rounds through
every handler. The baseline is the same import from source only, as every cold start did
before the assets carried .pyc. The models a handler validates are compiled on its first
call, not at import (pydantic's defer_build): that cost is measured after the import and
shown beside it. Every asset, the baseline included, keeps only the botocore service models
the functions use (stacks.bundling.trim_service_models). Needs python3.12 (PATH or pyenv)
for the import times and the bytecode.
"""

from __future__ import annotations

import os
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
    "PODIUM_SERVICE_NAME": "podium",
    "PODIUM_METRICS_NAMESPACE": "Podium",
    "PATH": os.environ.get("PATH", ""),
}
# CPU time (process_time), not wall time: on a busy shared machine the wall clock mostly
# measures waiting for a core.
# Then, in the same process, the work the import deferred: compiling the pydantic models the
# handler validates on its first call (the models build on first use, podium.workflow.events).
_IMPORT_PROBE = (
    "import sys, time; sys.path.insert(0, sys.argv[1]); started = time.process_time(); "
    "__import__('lambdas.' + sys.argv[2]); imported = time.process_time(); "
    "from podium.workflow.environment import Environment; from podium.workflow.events import STEP_MODELS; "
    "[m.model_rebuild() for m in (Environment, *STEP_MODELS.get(sys.argv[3], ()))]; "
    "print((imported - started) * 1000, (time.process_time() - imported) * 1000)"
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


def cold_import_ms(python: str, asset: Path, module: str, step: str, source_only: bool = False) -> tuple[float, float]:
    """(import, first-call model compile) in ms of CPU, in one fresh process: -S (no
    site-packages), -B (no .pyc written: /var/task is read-only). With `source_only`, the
    asset's .pyc are ignored (a pycache prefix elsewhere)."""
    prefix = ["-X", f"pycache_prefix={tempfile.gettempdir()}/podium-no-pyc-{os.getpid()}"] if source_only else []
    output = subprocess.run(
        [python, "-S", "-B", *prefix, "-c", _IMPORT_PROBE, str(asset), module, step],
        check=True,
        capture_output=True,
        text=True,
        env=_LAMBDA_ENV,
        cwd=asset,
    ).stdout
    imported, compiled = map(float, output.strip().splitlines()[-1].split())
    return imported, compiled


def fastest_imports(
    python: str, assets: dict[str, Path], rounds: int, source_only: bool = False
) -> dict[str, tuple[float, float]]:
    """Per step, the fastest of `rounds` cold imports. The rounds go through every step in
    turn, so a stretch of seconds in which this shared machine runs slow costs each step one
    sample, not all of one step's."""
    best: dict[str, tuple[float, float]] = {}
    for _ in range(rounds):
        for step in STEPS:
            sample = cold_import_ms(python, assets[step.name], step.module, step.name, source_only)
            best[step.name] = min(best.get(step.name, (float("inf"), 0.0)), sample)
    return best


def run(results: list[tuple[str, str, str, str]], verdict) -> None:  # noqa: ANN001 - bench/run.py's helper
    python312 = bundling.lambda_python()
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
        groups_by_step = {step.name: bundling.groups_for(step, defaults) for step in STEPS}
        print(f"timing cold imports of the {len(STEPS)} handlers: 9 rounds, then 3 from source ...", flush=True)
        timed = fastest_imports(python312, {name: assets[g].path for name, g in groups_by_step.items()}, rounds=9)
        from_source = fastest_imports(
            python312, {name: baseline.path for name in groups_by_step}, rounds=3, source_only=True
        )
        for step in STEPS:
            groups = groups_by_step[step.name]
            (ms, first_call_ms), (base_ms, _) = timed[step.name], from_source[step.name]
            results.append(
                (
                    f"cold import lambdas.{step.module} ({'+'.join(('lambda', *groups))})",
                    f"{ms:.0f} ms CPU ({ms / base_ms:.2f}× the one asset without bytecode, {base_ms:.0f} ms); "
                    f"its models compile on the first call: +{first_call_ms:.0f} ms",
                    f"≤ {IMPORT_TARGET_MS:.0f} ms",
                    verdict(ms <= IMPORT_TARGET_MS),
                )
            )
