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

Powertools, bundled or from its Lambda layer: the assets bundle it (requirements/lambda.in).
Its share of an asset is measured, and each handler's cold import is measured a second way,
as the official layer would serve it: the asset without Powertools, and Powertools on the
path after it (/opt/python comes after /var/task) with no bytecode, as the layer is built
(aws-powertools/powertools-lambda-layer-cdk, layer/Pythonv3/Dockerfile, deletes it) and
/opt is read-only. The two are timed in the same rounds. Cold imports have no target.
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
from podium.workflow.steps import STEPS, STEPS_BY_NAME
from stacks import bundling

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
# CPU time (process_time), not wall time: on a busy shared machine the wall clock mostly
# measures waiting for a core.
# Then, in the same process, the work the import deferred: compiling the pydantic models the
# handler validates on its first call (the models build on first use, podium.workflow.events).
_IMPORT_PROBE = (
    "import os, sys, time; sys.path[:0] = sys.argv[1].split(os.pathsep); started = time.process_time(); "
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


POWERTOOLS = "aws_lambda_powertools"
# What lambdas/observability.py imports of Powertools, alone: its share of each cold import
_POWERTOOLS_PROBE = (
    "import os, sys, time; sys.path[:0] = sys.argv[1].split(os.pathsep); started = time.process_time(); "
    "from aws_lambda_powertools import Logger, Metrics; "
    "from aws_lambda_powertools.logging.utils import copy_config_to_registered_loggers; "
    "print((time.process_time() - started) * 1000)"
)


def powertools_files(asset: Path) -> list[Path]:
    """The package and its metadata (its dependencies, jmespath and typing-extensions, come
    with boto3 and pydantic anyway)."""
    return [asset / POWERTOOLS, *asset.glob(f"{POWERTOOLS}-*.dist-info")]


def powertools_mb(asset: Path) -> tuple[float, float]:
    """(unzipped, zipped) MB of Powertools inside `asset`."""
    with tempfile.TemporaryDirectory(prefix="podium-powertools-") as tmp:
        for path in powertools_files(asset):
            shutil.copytree(path, Path(tmp) / path.name)
        measured = measure_asset((), Path(tmp))
    return measured.unzipped_mb, measured.zipped_mb


def as_from_the_layer(asset: Path, root: Path) -> str:
    """The asset without Powertools, then a layer holding it without bytecode: a search path."""
    without = root / f"{asset.name}-without-powertools"
    layer = root / f"{asset.name}-layer" / "python"
    moved = {path.name for path in powertools_files(asset)}
    shutil.copytree(asset, without, ignore=lambda folder, names: moved if Path(folder) == asset else set())
    for path in powertools_files(asset):
        shutil.copytree(path, layer / path.name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    return os.pathsep.join((str(without), str(layer)))


def cold_import_ms(python: str, path: str, module: str, step: str, source_only: bool = False) -> tuple[float, float]:
    """(import, first-call model compile) in ms of CPU, in one fresh process: -S (no
    site-packages), -B (no .pyc written: /var/task and /opt are read-only). `path`: the asset,
    or folders joined by os.pathsep. With `source_only`, every .pyc is ignored (a pycache
    prefix elsewhere)."""
    prefix = ["-X", f"pycache_prefix={tempfile.gettempdir()}/podium-no-pyc-{os.getpid()}"] if source_only else []
    output = subprocess.run(
        [python, "-S", "-B", *prefix, "-c", _IMPORT_PROBE, path, module, step],
        check=True,
        capture_output=True,
        text=True,
        env=_LAMBDA_ENV,
        cwd=path.split(os.pathsep)[0],
    ).stdout
    imported, compiled = map(float, output.strip().splitlines()[-1].split())
    return imported, compiled


def powertools_import_ms(python: str, path: str, rounds: int) -> float:
    """The fastest of `rounds` fresh imports of Powertools' Logger and Metrics from `path`."""
    samples = []
    for _ in range(rounds):
        output = subprocess.run(
            [python, "-S", "-B", "-c", _POWERTOOLS_PROBE, path],
            check=True,
            capture_output=True,
            text=True,
            env=_LAMBDA_ENV,
            cwd=path.split(os.pathsep)[0],
        ).stdout
        samples.append(float(output.strip().splitlines()[-1]))
    return min(samples)


def fastest_imports(
    python: str, paths: dict[tuple[str, str], str], rounds: int, source_only: bool = False
) -> dict[tuple[str, str], tuple[float, float]]:
    """Per step, the fastest of `rounds` cold imports. The rounds go through every step in
    turn, so a stretch of seconds in which this shared machine runs slow costs each step one
    sample, not all of one step's. `paths`: (variant, step name) → the path to import it from."""
    best: dict[tuple[str, str], tuple[float, float]] = {}
    for _ in range(rounds):
        for (variant, name), path in paths.items():
            step = STEPS_BY_NAME[name]
            sample = cold_import_ms(python, path, step.module, step.name, source_only)
            best[variant, name] = min(best.get((variant, name), (float("inf"), 0.0)), sample)
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
        defaults = deployments["default cdk.json"]
        groups_by_step = {step.name: bundling.groups_for(step, defaults) for step in STEPS}
        for groups in sorted(set(groups_by_step.values())):
            asset = assets[groups]
            unzipped, zipped = powertools_mb(asset.path)
            results.append(
                (
                    f"  Powertools' share of asset {'+'.join(('lambda', *groups))}",
                    f"{unzipped:.1f} MB unzipped, {zipped:.1f} MB zipped (bytecode included)",
                    "(information)",
                    "",
                )
            )
        if python312 is None:
            results.append(("handler cold import", "skipped: no python3.12 on PATH", "", ""))
            return
        used = set(groups_by_step.values())
        from_the_layer = {groups: as_from_the_layer(assets[groups].path, root) for groups in used}
        print(
            f"timing cold imports of the {len(STEPS)} handlers, Powertools bundled and as from its layer: "
            "9 rounds, then 3 from source ...",
            flush=True,
        )
        paths = {("bundled", name): str(assets[g].path) for name, g in groups_by_step.items()}
        paths.update({("layer", name): from_the_layer[g] for name, g in groups_by_step.items()})
        timed = fastest_imports(python312, paths, rounds=9)
        from_source = fastest_imports(
            python312, {("source", name): str(baseline.path) for name in groups_by_step}, rounds=3, source_only=True
        )
        shared = assets[()].path
        bundled_ms = powertools_import_ms(python312, str(shared), rounds=9)
        layer_ms = powertools_import_ms(python312, from_the_layer[()], rounds=9)
        results.append(
            (
                "  Powertools' Logger and Metrics alone, cold (asset lambda)",
                f"{bundled_ms:.0f} ms CPU bundled; {layer_ms:.0f} ms as from its layer (compiled at each cold start)",
                "(information)",
                "",
            )
        )
        for step in STEPS:
            groups = groups_by_step[step.name]
            (ms, first_call_ms), (layer_ms, _) = timed["bundled", step.name], timed["layer", step.name]
            base_ms, _ = from_source["source", step.name]
            results.append(
                (
                    f"cold import lambdas.{step.module} ({'+'.join(('lambda', *groups))})",
                    f"{ms:.0f} ms CPU, Powertools bundled ({ms / base_ms:.2f}× the one asset without bytecode, "
                    f"{base_ms:.0f} ms); {layer_ms:.0f} ms with Powertools as from its layer; its models compile "
                    f"on the first call: +{first_call_ms:.0f} ms",
                    "(no target)",
                    "",
                )
            )
