"""The Makefile's setup guard: a too-old Python stops at once with the fix; a .venv made by
another Python is rebuilt rather than reused."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

MAKEFILE = Path(__file__).resolve().parents[2] / "Makefile"
pytestmark = pytest.mark.skipif(shutil.which("make") is None, reason="needs make")


def _fake_python(path: Path, version: str) -> Path:
    """An interpreter that answers --version and fails anything else, like a too-old one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        f'#!/bin/sh\nif [ "$1" = "--version" ]; then echo "Python {version}"; exit 0; fi\n'
        f'case "$2" in *"Python %d.%d.%d"*) echo "Python {version}"; exit 0;; esac\nexit 1\n'
    )
    path.chmod(0o755)
    return path


def _make(cwd: Path, python: str, target: str = "rehearse") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["make", "--no-print-directory", "-f", str(MAKEFILE), f"PYTHON={python}", target],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_an_old_python_stops_at_once_with_one_line_and_the_fix(tmp_path: Path) -> None:
    old = _fake_python(tmp_path / "bin" / "python3.10", "3.10.13")
    result = _make(tmp_path, str(old))
    assert result.returncode != 0
    (line,) = result.stdout.strip().splitlines()
    assert f"Podium needs Python 3.11+, but PYTHON={old} is Python 3.10.13." in line
    assert "Fix: PYTHON=python3.11 make rehearse" in line
    assert not (tmp_path / ".venv").exists()  # nothing half-built for the next run to reuse


def test_a_venv_made_by_another_python_is_removed_before_anything_is_installed(tmp_path: Path) -> None:
    _fake_python(tmp_path / ".venv" / "bin" / "python", "3.10.13")
    result = _make(tmp_path, sys.executable, target="python-check")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Rebuilding .venv: it was made by Python 3.10.13, not Python 3." in result.stdout
    assert not (tmp_path / ".venv").exists()


def test_a_venv_made_by_this_python_is_kept(tmp_path: Path) -> None:
    venv_python = tmp_path / ".venv" / "bin" / "python"
    venv_python.parent.mkdir(parents=True)
    venv_python.symlink_to(sys.executable)
    result = _make(tmp_path, sys.executable, target="python-check")
    assert result.returncode == 0 and "Rebuilding" not in result.stdout
    assert venv_python.exists()
