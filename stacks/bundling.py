"""Lambda code assets, one per set of dependency groups, built without Docker.

Every function gets requirements/lambda.in (boto3 at the tested version, pydantic, and
Powertools for logs and metrics); a step adds the groups in its `needs`
(podium.workflow.steps.DependencyGroup):
DuckDB only where facts are computed, the Databricks SDK only when the stack deploys
the Databricks generator. The versions come from the hashed lock files under
requirements/lock/ (`make lock`), installed with --no-deps --require-hashes, so a build
machine can neither pick other versions nor other transitive dependencies. Of botocore's
service models (~28 MB for ~450 services) only those of podium.adapters.factory.
LAMBDA_AWS_SERVICES stay; factory refuses a client for any other service.

CDK calls `LocalPipBundling.try_bundle` before it would fall back to Docker; we always
succeed locally, so the Docker image named in BundlingOptions is never pulled. Installed
dependencies are cached under .cache/ by a hash of the lock file, the target platform and the kept services.

When a python3.12 is on this machine the asset also carries bytecode it compiled
(unchecked-hash .pyc): Lambda's /var/task is read-only, so without it every cold start
compiles every module it imports (about 2× the import time, see `make bench`).
"""

from __future__ import annotations

import functools
import hashlib
import itertools
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import jsii
from aws_cdk import AssetHashType, BundlingOptions, DockerImage, ILocalBundling
from aws_cdk import aws_lambda as lambda_

from podium.adapters.factory import LAMBDA_AWS_SERVICES
from podium.config import RunSettings
from podium.workflow.steps import DependencyGroup, Step

REPO_ROOT = Path(__file__).resolve().parents[1]
REQUIREMENTS_DIR = REPO_ROOT / "requirements"
LOCK_DIR = REQUIREMENTS_DIR / "lock"
BASE_GROUP = "lambda"  # requirements/lambda.in: every function
CACHE_DIR = REPO_ROOT / ".cache" / "lambda-deps"

# Copied into every asset at the same relative paths. podium/dataset/sql (a link to
# sql/facts) is copied as real files.
CODE_PACKAGES = ("podium", "lambdas")
# Never runs in Lambda: the command line and the local rehearsal (moto, the emulators).
NOT_IN_LAMBDA = (
    "podium/cli",
    "podium/__main__.py",
    "podium/settings_doc.py",
    "podium/adapters/deployment.py",  # the CLI's view of a deployed stack (CloudFormation)
    "podium/rehearsal",
)

# Lambda python3.12 runs on Amazon Linux 2023 (glibc 2.34): any of these wheel tags loads there.
PIP_TARGET_ARGS = (
    "--platform", "manylinux2014_x86_64",
    "--platform", "manylinux_2_28_x86_64",
    "--platform", "manylinux_2_34_x86_64",
    "--only-binary=:all:",
    "--implementation", "cp",
    "--python-version", "3.12",
)  # fmt: skip
_SKIPPED_NAMES = {"__pycache__", ".pytest_cache", ".mypy_cache", ".ruff_cache"}


@functools.cache
def lambda_python() -> str | None:
    """A python3.12 (Lambda's version) to compile bytecode with, or None. A pyenv shim that
    is not active answers with an error, so ask the interpreter for its real path."""
    candidates = ["python3.12", *sorted(map(str, Path.home().glob(".pyenv/versions/3.12*/bin/python3.12")))]
    for candidate in candidates:
        if shutil.which(candidate) is None:
            continue
        found = subprocess.run(
            [candidate, "-c", "import sys; print(sys.executable, sys.version_info[:2] == (3, 12))"],
            capture_output=True,
            text=True,
            check=False,
        )
        executable, _, right_version = found.stdout.strip().rpartition(" ")
        if found.returncode == 0 and right_version == "True":
            return executable
    return None


def compile_bytecode(tree: Path) -> None:
    """Precompile `tree` for python3.12; .pyc stay valid whatever the files' mtimes (unchecked-hash)."""
    python = lambda_python()
    if python is None:
        return
    environment = {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"}
    subprocess.run(
        [python, "-m", "compileall", "-q", "-j0", "--invalidation-mode", "unchecked-hash", str(tree)],
        check=True,
        env=environment,
        stdout=subprocess.DEVNULL,
    )


def all_group_sets() -> list[tuple[str, ...]]:
    """Every combination of optional groups a function can need (each has its own lock)."""
    names = sorted(group.value for group in DependencyGroup)
    return [combo for size in range(len(names) + 1) for combo in itertools.combinations(names, size)]


def requirement_files(groups: tuple[str, ...]) -> list[Path]:
    return [REQUIREMENTS_DIR / f"{name}.in" for name in (BASE_GROUP, *groups)]


def lock_file(groups: tuple[str, ...]) -> Path:
    return LOCK_DIR / ("+".join((BASE_GROUP, *sorted(groups))) + ".txt")


def databricks_deployed(settings: RunSettings) -> bool:
    """Databricks code is bundled when the deployed defaults can reach Databricks at all."""
    return settings.generator == "databricks" or bool(settings.databricks.secret_name)


def groups_for(step: Step, defaults: RunSettings) -> tuple[str, ...]:
    """The dependency groups `step`'s function is bundled with under these deployed defaults."""
    groups = set(step.needs)
    if not databricks_deployed(defaults):
        groups.discard(DependencyGroup.DATABRICKS)
    return tuple(sorted(group.value for group in groups))


def _in_lambda(path: Path) -> bool:
    relative = path.relative_to(REPO_ROOT).as_posix()
    return not any(relative == skip or relative.startswith(skip + "/") for skip in NOT_IN_LAMBDA)


def _code_files() -> list[Path]:
    files = []
    for package in CODE_PACKAGES:
        for path in sorted((REPO_ROOT / package).rglob("*")):
            if path.is_file() and not _SKIPPED_NAMES.intersection(path.parts) and path.suffix != ".pyc":
                if _in_lambda(path):
                    files.append(path)
    # rglob does not enter the linked podium/dataset/sql folder: list its files explicitly.
    sql_dir = REPO_ROOT / "podium" / "dataset" / "sql"
    files.extend(sql_dir / path.name for path in sorted(sql_dir.resolve().glob("*.sql")))
    return sorted(set(files))


def _source_files(groups: tuple[str, ...]) -> list[Path]:
    return [lock_file(groups), *_code_files()]


def _build_recipe() -> bytes:
    """How the dependency tree is made from a lock file: platform, bytecode, kept service models."""
    return "\0".join(
        (" ".join(PIP_TARGET_ARGS), "bytecode" if lambda_python() else "source only", *sorted(LAMBDA_AWS_SERVICES))
    ).encode()


def code_fingerprint(groups: tuple[str, ...]) -> str:
    """Hash of everything that goes into the asset: a change to any of it makes a new asset."""
    digest = hashlib.sha256(_build_recipe())
    for path in _source_files(groups):
        digest.update(str(path.relative_to(REPO_ROOT)).encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()


def _requirements_fingerprint(groups: tuple[str, ...]) -> str:
    digest = hashlib.sha256(lock_file(groups).read_bytes())
    digest.update(_build_recipe())
    return digest.hexdigest()[:20]


def _strip(site: Path) -> None:
    """Drop what never runs there. *.dist-info stay: packages read their own metadata
    with importlib.metadata at import time."""
    shutil.rmtree(site / "bin", ignore_errors=True)  # console scripts with a build-machine shebang
    for path in sorted(site.rglob("*"), reverse=True):
        if path.is_dir() and (path.name in _SKIPPED_NAMES or (path.name == "tests" and path.parent != site)):
            shutil.rmtree(path, ignore_errors=True)
        elif path.is_file() and path.suffix == ".pyc":
            path.unlink()


def unused_service_models(data: Path, services: tuple[str, ...] = LAMBDA_AWS_SERVICES) -> list[Path]:
    """botocore/data's service directories other than `services`. Its top-level files
    (endpoints.json, partitions.json, _retry.json, sdk-default-configuration.json) are
    read at every client creation and stay. Credentials on Lambda come from environment
    variables: the STS/SSO models the other credential providers use are never loaded."""
    known = {path.name for path in data.iterdir() if path.is_dir()}
    if unknown := sorted(set(services) - known):
        raise ValueError(
            f"LAMBDA_AWS_SERVICES names {unknown}, which botocore has no model for in {data}: "
            "use botocore's service names (the directory names there)"
        )
    return sorted(data / name for name in known - set(services))


def trim_service_models(site: Path, services: tuple[str, ...] = LAMBDA_AWS_SERVICES) -> None:
    """Keep only the models of the services the functions make clients for."""
    for path in unused_service_models(site / "botocore" / "data", services):
        shutil.rmtree(path)


def installed_dependencies(groups: tuple[str, ...]) -> Path:
    """The stripped dependency tree for Lambda, built once per lock file version."""
    lock = lock_file(groups)
    if not lock.is_file():
        raise FileNotFoundError(f"{lock} is missing: run `make lock` after changing requirements/*.in")
    cached = CACHE_DIR / f"{lock.stem}-{_requirements_fingerprint(groups)}"
    if cached.is_dir():
        return cached
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix="building-", dir=CACHE_DIR))
    try:
        print(f"Installing the Lambda dependencies of {lock.name} for python3.12 (cached afterwards)", flush=True)
        subprocess.run(
            [sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
             "--no-deps", "--require-hashes", *PIP_TARGET_ARGS, "--target", str(staging), "-r", str(lock)],
            check=True,
        )  # fmt: skip
        _strip(staging)  # pip compiled with this interpreter; Lambda runs 3.12
        trim_service_models(staging)
        compile_bytecode(staging)
        os.replace(staging, cached)  # all or nothing: a failed install never becomes the cache
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return cached


def copy_code(output: Path) -> None:
    """The project's code that runs in Lambda, beside the dependencies."""
    for path in _code_files():
        target = output / path.relative_to(REPO_ROOT)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, target)


@jsii.implements(ILocalBundling)
class LocalPipBundling:
    """Builds the asset directory on this machine: cached dependencies + the project's code."""

    def __init__(self, groups: tuple[str, ...]) -> None:
        self.groups = groups

    def try_bundle(self, output_dir: str, options: Any) -> bool:  # jsii passes BundlingOptions
        output = Path(output_dir)
        shutil.copytree(installed_dependencies(self.groups), output, dirs_exist_ok=True)
        copy_code(output)
        for package in CODE_PACKAGES:
            compile_bytecode(output / package)
        return True


def lambda_code(groups: tuple[str, ...] = ()) -> lambda_.Code:
    """The asset for functions needing `groups`. Tests skip bundling with the context
    `aws:cdk:bundling-stacks=[]`; CDK then never calls LocalPipBundling, so no pip runs."""
    return lambda_.Code.from_asset(
        str(REPO_ROOT),
        # A custom hash spares CDK from fingerprinting the whole repository (.venv included).
        asset_hash=code_fingerprint(groups),
        asset_hash_type=AssetHashType.CUSTOM,
        bundling=BundlingOptions(
            local=LocalPipBundling(groups),
            # Never pulled: local bundling always succeeds. CDK requires an image anyway.
            image=DockerImage.from_registry("dummy"),
        ),
    )
