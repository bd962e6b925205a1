"""Running the web runbooks (frontend-down, api-500) in-process and through the real CLI."""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from launchtui.core.config import Settings
from launchtui.core.context import Context
from launchtui.core.runbooks import RunbookFinished, run_runbook
from launchtui.runbooks import default_runbooks
from tests.cli import run_launchtui

# The contract's budgets: every runbook within 45 s, within 30 s against a black hole.
BUDGET_S = 45.0
BLACK_HOLE_BUDGET_S = 30.0


async def run_book(
    name: str, environ: Mapping[str, str] | None = None, **settings: Any
) -> tuple[RunbookFinished, float]:
    """One pass of the runbook on a fresh Context: its RunbookFinished and the wall time."""
    ctx = Context.build(Settings(**settings), environ=dict(environ or {}))
    t0 = time.perf_counter()
    final: RunbookFinished | None = None
    try:
        async for event in run_runbook(default_runbooks()[name], ctx):
            if isinstance(event, RunbookFinished):
                final = event
    finally:
        ctx.close()
    assert final is not None, "run_runbook ended without RunbookFinished"
    return final, time.perf_counter() - t0


def statuses(finished: RunbookFinished) -> dict[str, str]:
    return {r.id: str(r.status) for r in finished.steps}


def step(finished: RunbookFinished, step_id: str) -> Any:
    return next(r for r in finished.steps if r.id == step_id)


def write_env(path: Path, values: Mapping[str, str]) -> Path:
    path.write_text("".join(f"{k}={v}\n" for k, v in values.items()), encoding="utf-8")
    path.chmod(0o600)
    return path


def runbook_json(name: str, *args: str, timeout: float = 60) -> tuple[int, dict[str, Any], float]:
    """`launchtui runbook NAME --format json ARGS` as a real process: exit code, object, wall s."""
    t0 = time.perf_counter()
    proc = run_launchtui("runbook", name, "--format", "json", *args, timeout=timeout)
    wall = time.perf_counter() - t0
    try:
        doc = json.loads(proc.stdout)
    except json.JSONDecodeError as exc:
        raise AssertionError(
            f"launchtui runbook printed no JSON (exit {proc.returncode}): {proc.stderr}"
        ) from exc
    return proc.returncode, doc, wall
