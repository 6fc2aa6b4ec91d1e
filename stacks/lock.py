"""`make lock`: compile requirements/lock/<groups>.txt, the exact, hashed Lambda dependencies.

One lock per combination of dependency groups a function can need: `lambda` (every
function) plus any of podium.workflow.steps.DependencyGroup. Compiled for Lambda's
python3.12 on x86_64 Linux with uv, so the bundle installs the same versions on any
build machine. Run it after editing requirements/*.in; tests fail while a lock and its
.in files disagree.
"""

from __future__ import annotations

import subprocess
import sys

from stacks.bundling import LOCK_DIR, REQUIREMENTS_DIR, all_group_sets, lock_file, requirement_files


def compile_lock(groups: tuple[str, ...]) -> None:
    target = lock_file(groups)
    sources = [str(path.relative_to(REQUIREMENTS_DIR)) for path in requirement_files(groups)]
    print(f"locking {target.relative_to(REQUIREMENTS_DIR.parent)} from {', '.join(sources)}", flush=True)
    subprocess.run(
        [sys.executable, "-m", "uv", "pip", "compile", "--quiet", "--generate-hashes",
         "--python-version", "3.12", "--python-platform", "x86_64-manylinux_2_28",
         "--custom-compile-command", "make lock", *sources, "-o", str(target.relative_to(REQUIREMENTS_DIR))],
        check=True,
        cwd=REQUIREMENTS_DIR,
    )  # fmt: skip


def main() -> int:
    LOCK_DIR.mkdir(parents=True, exist_ok=True)
    for groups in all_group_sets():
        compile_lock(groups)
    return 0


if __name__ == "__main__":
    sys.exit(main())
