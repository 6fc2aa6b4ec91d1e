"""The one Lambda code asset: podium/, lambdas/, sql/facts/ and the runtime dependencies, built without Docker.

CDK calls `LocalPipBundling.try_bundle` before it would fall back to Docker; we always
succeed locally, so the Docker image named in BundlingOptions is never pulled. The
installed dependencies are cached under .cache/ by a hash of requirements.txt and the
target platform, so only the first synth after a requirements change runs pip.
"""

from __future__ import annotations

import hashlib
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

REPO_ROOT = Path(__file__).resolve().parents[1]
# Copied into the asset as-is, at the same relative paths (facts.py finds sql/facts beside podium/).
CODE_PACKAGES = ("podium", "lambdas", "sql/facts")
REQUIREMENTS = REPO_ROOT / "requirements.txt"
CACHE_DIR = REPO_ROOT / ".cache" / "lambda-deps"

# Lambda python3.12 runs on Amazon Linux 2023 (glibc 2.34): any of these wheel tags loads there.
PIP_TARGET_ARGS = (
    "--platform", "manylinux2014_x86_64",
    "--platform", "manylinux_2_28_x86_64",
    "--platform", "manylinux_2_34_x86_64",
    "--only-binary=:all:",
    "--implementation", "cp",
    "--python-version", "3.12",
)  # fmt: skip

# The runtime ships these (and keeps them patched); bundling them only adds ~25 MB.
PROVIDED_BY_RUNTIME = ("boto3", "botocore", "s3transfer")
_SKIPPED_NAMES = {"__pycache__", ".pytest_cache", ".mypy_cache", ".ruff_cache"}


def _source_files() -> list[Path]:
    files = [REQUIREMENTS]
    for package in CODE_PACKAGES:
        for path in sorted((REPO_ROOT / package).rglob("*")):
            if path.is_file() and not _SKIPPED_NAMES.intersection(path.parts) and path.suffix != ".pyc":
                files.append(path)
    return files


def code_fingerprint() -> str:
    """Hash of everything that goes into the asset: a change to any of it makes a new asset."""
    digest = hashlib.sha256()
    digest.update(" ".join(PIP_TARGET_ARGS + PROVIDED_BY_RUNTIME).encode())
    for path in _source_files():
        digest.update(str(path.relative_to(REPO_ROOT)).encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()


def _requirements_fingerprint() -> str:
    digest = hashlib.sha256(REQUIREMENTS.read_bytes())
    digest.update(" ".join(PIP_TARGET_ARGS + PROVIDED_BY_RUNTIME).encode())
    return digest.hexdigest()[:20]


def _strip(site: Path) -> None:
    """Drop what the runtime already has and what never runs there. Other *.dist-info stay:
    packages read their own metadata with importlib.metadata at import time."""
    for name in PROVIDED_BY_RUNTIME:
        shutil.rmtree(site / name, ignore_errors=True)
        for info in site.glob(f"{name}-*.dist-info"):
            shutil.rmtree(info, ignore_errors=True)
    shutil.rmtree(site / "bin", ignore_errors=True)  # console scripts with a build-machine shebang
    for path in sorted(site.rglob("*"), reverse=True):
        if path.is_dir() and (path.name in _SKIPPED_NAMES or (path.name == "tests" and path.parent != site)):
            shutil.rmtree(path, ignore_errors=True)
        elif path.is_file() and path.suffix == ".pyc":
            path.unlink()


def installed_dependencies() -> Path:
    """The stripped dependency tree for Lambda, built once per requirements.txt version."""
    cached = CACHE_DIR / _requirements_fingerprint()
    if cached.is_dir():
        return cached
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix="building-", dir=CACHE_DIR))
    try:
        subprocess.run(
            [sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
             *PIP_TARGET_ARGS, "--target", str(staging), "-r", str(REQUIREMENTS)],
            check=True,
        )  # fmt: skip
        _strip(staging)
        os.replace(staging, cached)  # all or nothing: a failed install never becomes the cache
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return cached


@jsii.implements(ILocalBundling)
class LocalPipBundling:
    """Builds the asset directory on this machine: cached dependencies + the project's code."""

    def try_bundle(self, output_dir: str, options: Any) -> bool:  # jsii passes BundlingOptions
        output = Path(output_dir)
        shutil.copytree(installed_dependencies(), output, dirs_exist_ok=True)
        ignore = shutil.ignore_patterns(*_SKIPPED_NAMES, "*.pyc")
        for package in CODE_PACKAGES:
            shutil.copytree(REPO_ROOT / package, output / package, ignore=ignore, dirs_exist_ok=True)
        return True


def lambda_code() -> lambda_.Code:
    """One asset for every step's function. Tests skip bundling with the context
    `aws:cdk:bundling-stacks=[]`; CDK then never calls LocalPipBundling, so no pip runs."""
    return lambda_.Code.from_asset(
        str(REPO_ROOT),
        # A custom hash spares CDK from fingerprinting the whole repository (.venv included).
        asset_hash=code_fingerprint(),
        asset_hash_type=AssetHashType.CUSTOM,
        bundling=BundlingOptions(
            local=LocalPipBundling(),
            # Never pulled: local bundling always succeeds. CDK requires an image anyway.
            image=DockerImage.from_registry("dummy"),
        ),
    )
