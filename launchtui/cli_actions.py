"""The CLI face of an action: show the plan, ask (or `--yes`), stream the events, end in JSON.

`launchtui migrate` and `launchtui cleanup` (and the backups after them) all come through
`run_action`, so progress, confirmation, cancel and the final object behave alike.
"""

from __future__ import annotations

import asyncio
import json
import signal
import sys
import time
from collections.abc import Mapping
from typing import IO, Any

from launchtui.cli import sigterm_as_ctrl_c
from launchtui.core.actions import (
    Action,
    ActionError,
    Finished,
    Output,
    Plan,
    Progress,
    progress_text,
)
from launchtui.core.context import Context

EXIT_OK, EXIT_FAIL, EXIT_CANCELLED = 0, 1, 130


class _Face:
    """Where each kind of line goes: text on stdout; with JSON, stdout holds only the object."""

    def __init__(self, fmt: str, out: IO[str], err: IO[str]) -> None:
        self.json = fmt == "json"
        self.out, self.err = out, err
        self.tty = bool(getattr(err, "isatty", lambda: False)())
        self._progress_shown = False
        self.started = time.perf_counter()

    def say(self, text: str) -> None:
        """A line for the reader: stdout in text mode, nothing extra with JSON."""
        if not self.json:
            self._clear_progress()
            print(text, file=self.out, flush=True)

    def stream(self, line: str) -> None:
        """Output of the command being run: stdout in text mode, stderr with JSON."""
        self._clear_progress()
        print(line, file=self.err if self.json else self.out, flush=True)

    def progress(self, p: Progress) -> None:
        if self.json or not self.tty:
            return
        line = progress_text(p, time.perf_counter() - self.started)[:79]
        self.err.write("\r\x1b[K" + line)
        self.err.flush()
        self._progress_shown = True

    def _clear_progress(self) -> None:
        if self._progress_shown:
            self.err.write("\r\x1b[K")
            self.err.flush()
            self._progress_shown = False

    def end(self, ok: bool, summary: str, fields: Mapping[str, Any], t0: float) -> None:
        self._clear_progress()
        if self.json:
            doc: dict[str, Any] = {"ok": ok}
            if not ok:
                doc["error"] = summary
            doc.update(fields)
            doc["duration_ms"] = int((time.perf_counter() - t0) * 1000)
            print(json.dumps(doc), file=self.out, flush=True)
        else:
            if ok:
                print(summary, file=self.out, flush=True)
            else:
                print(f"launchtui: {summary}", file=self.err, flush=True)


def _confirm(face: _Face, plan: Plan) -> bool:
    """Ask on a terminal; scripts pass --yes."""
    if face.json or not sys.stdin.isatty():
        return False
    try:
        answer = input(f"{plan.confirm_label}? [y/N] ")
    except EOFError:
        return False
    return answer.strip().lower() in ("y", "yes")


def _show_plan(face: _Face, plan: Plan) -> None:
    face.say(plan.summary)
    for step in plan.steps:
        face.say(f"  {step}")


def _show_checks(face: _Face, finished: Finished) -> None:
    for r in finished.checks:
        face.say(f"{r.status.glyph} {r.id}: {r.status}: {r.summary}")


def run_action(
    action: Action,
    ctx: Context,
    options: Mapping[str, Any],
    *,
    fmt: str = "text",
    yes: bool = False,
    out: IO[str] | None = None,
    err: IO[str] | None = None,
) -> int:
    """Plan, confirm, execute and report one action; the exit code."""
    from launchtui.actions import execute_action, plan_action

    face = _Face(fmt, out or sys.stdout, err or sys.stderr)
    t0 = time.perf_counter()
    try:
        plan = asyncio.run(plan_action(action, ctx, options))
    except ActionError as exc:
        face.end(False, str(exc), {}, t0)
        return EXIT_FAIL
    _show_plan(face, plan)
    if plan.nothing_to_do:
        face.end(True, "Nothing to do.", plan.fields, t0)
        return EXIT_OK
    if not plan.ask:
        yes = True  # nothing that exists is changed: nothing to ask
    if not yes and action.unconfirmed == "dry-run":
        face.end(
            True,
            f"Dry run: nothing changed. Pass --yes to {plan.confirm_label.lower()}.",
            plan.fields,
            t0,
        )
        return EXIT_OK
    if not yes and not _confirm(face, plan):
        face.end(
            False,
            f"Not confirmed, so nothing was done; pass --yes to "
            f"{plan.confirm_label.lower()} without asking.",
            plan.fields,
            t0,
        )
        return EXIT_FAIL

    async def drive() -> Finished:
        async for event in execute_action(action, ctx, plan, options):
            if isinstance(event, Output):
                face.stream(event.line)
            elif isinstance(event, Progress):
                face.progress(event)
            elif isinstance(event, Finished):
                return event
        raise AssertionError("execute_action always ends with Finished")

    # A `kill` (SIGTERM: systemd, cron's timeout, a closed SSH session's shell) cancels
    # like ctrl+c does, so the action removes what it half-wrote and stops its children.
    previous = signal.signal(signal.SIGTERM, sigterm_as_ctrl_c)
    try:
        finished = asyncio.run(drive())
    except KeyboardInterrupt:
        face.end(False, f"{action.id} cancelled; nothing more was done.", {}, t0)
        return EXIT_CANCELLED
    finally:
        signal.signal(signal.SIGTERM, previous)
    _show_checks(face, finished)
    fields = dict(finished.fields)
    if finished.checks:
        fields["checks"] = [
            {"id": r.id, "status": str(r.status), "summary": r.summary} for r in finished.checks
        ]
    face.end(
        finished.ok,
        finished.summary if finished.ok else (finished.error or finished.summary),
        fields,
        t0,
    )
    return EXIT_OK if finished.ok else EXIT_FAIL
