"""Running `launchtui` as a user or CI runs it: a real subprocess with a clean environment."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

# All the subprocess keeps of this process's environment: the per-test user dirs from
# tests/conftest.py, PATH, HOME and NO_COLOR; never a developer's DATABASE_URL and the like.
KEPT = ("XDG_", "PATH", "HOME", "NO_COLOR")


def run_launchtui(
    *args: str,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    timeout: float = 60,
) -> subprocess.CompletedProcess[str]:
    """Run `python -m launchtui ARGS` with the kept variables plus `env`, capturing its output.

    Its stdin is empty, as in CI: nothing it asks can wait for an answer.
    """
    base = {k: v for k, v in os.environ.items() if k.startswith(KEPT)}
    return subprocess.run(
        [sys.executable, "-m", "launchtui", *args],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        env={**base, **(env or {})},
        cwd=cwd,
        timeout=timeout,
        check=False,
    )


def check_json(
    *args: str,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    timeout: float = 60,
) -> tuple[subprocess.CompletedProcess[str], dict[str, Any]]:
    """Run `launchtui check --format json ARGS`: the finished process and its parsed report."""
    proc = run_launchtui("check", "--format", "json", *args, env=env, cwd=cwd, timeout=timeout)
    try:
        doc = json.loads(proc.stdout)
    except json.JSONDecodeError as exc:
        raise AssertionError(
            f"launchtui printed no JSON report (exit {proc.returncode}): {proc.stderr}"
        ) from exc
    return proc, doc
