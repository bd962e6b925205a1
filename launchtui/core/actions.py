"""Actions: things that change the world, as data plus an async generator of events.

An action runs in two steps. `plan(ctx, options)` looks and changes nothing: it says
what would be done. The face (CLI or TUI) shows the plan and asks; only then does
`execute(ctx, plan, options)` act, streaming `Output` and `Progress` events and ending
with exactly one `Finished`. Cancelling the task that iterates `execute` must leave
nothing half-done under a final name: actions clean up in `finally`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from launchtui.core.context import Context
    from launchtui.core.model import Result


class ActionError(Exception):
    """An action cannot go on; the message is the sentence the user sees (exit 1)."""


@dataclass(frozen=True)
class Plan:
    """What an action is about to do, shown before anything is done."""

    summary: str  # one sentence: "Delete 12 files (3.4 MB) older than 24 h from /srv/uploads."
    steps: tuple[str, ...] = ()  # the lines of the plan: files, revisions, SQL
    # Nothing would change: the face says so and does not ask.
    nothing_to_do: bool = False
    # JSON members of the result when the plan is not carried out (a dry run, or nothing to do).
    fields: Mapping[str, Any] = field(default_factory=dict)
    # What `execute` needs from the look it took (the files found, the revisions); never shown.
    data: Mapping[str, Any] = field(default_factory=dict, repr=False)
    # The label of the confirming button in the TUI ("Delete 12 files", "Run flask db upgrade").
    confirm_label: str = "Run"
    # False: the plan changes nothing that exists (a new backup file), so the faces go on
    # without asking; the TUI still shows the plan while it runs.
    ask: bool = True
    # The TUI makes the user type this word (the target database's name) to confirm.
    confirm_word: str | None = None


@dataclass(frozen=True)
class Output:
    """A line of what the action (or the command it runs) printed."""

    line: str


@dataclass(frozen=True)
class Progress:
    """How far the action is: `done` out of `total` (None when unknown), in `unit`."""

    done: float
    total: float | None = None
    unit: str = ""
    message: str = ""


@dataclass(frozen=True)
class Finished:
    """The end of an action: the JSON members (`ok` and `duration_ms` are added by the face)."""

    ok: bool
    summary: str
    fields: Mapping[str, Any] = field(default_factory=dict)
    error: str | None = None
    # Fresh verdicts of the checks the action fixes, re-run after it.
    checks: tuple[Result, ...] = ()


ActionEvent = Output | Progress | Finished

PlanFn = Callable[["Context", Mapping[str, Any]], Awaitable[Plan]]
ExecuteFn = Callable[["Context", Plan, Mapping[str, Any]], AsyncIterator[ActionEvent]]


@dataclass(frozen=True)
class Action:
    """One action: its id (the CLI subcommand), the checks it fixes, and its two steps."""

    id: str
    title: str
    section: str
    fixes: tuple[str, ...]
    plan: PlanFn
    execute: ExecuteFn
    # Without confirmation: "ask" refuses to act (the CLI prompts on a TTY),
    # "dry-run" reports the plan as the result (`cleanup` without --yes).
    unconfirmed: Literal["ask", "dry-run"] = "ask"
    help: str = ""


def human_bytes(n: float) -> str:
    """A byte count as people read it: 812 B, 41.2 MB, 1.3 GB."""
    size = float(n)
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if abs(size) < 1000 or unit == "TB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1000
    return f"{n} B"


def progress_text(p: Progress, elapsed_s: float) -> str:
    """One line for a progress event: how far, how fast, how long still (rate and ETA
    from the time since the action started), then the action's own words."""
    bytes_ = p.unit == "bytes"

    def amount(x: float) -> str:
        return human_bytes(x) if bytes_ else f"{x:,.0f}{' ' + p.unit if p.unit else ''}"

    parts = [amount(p.done)]
    if p.total:
        parts = [
            f"{amount(p.done)} of {amount(p.total)} ({min(100.0, 100 * p.done / p.total):.0f}%)"
        ]
    if elapsed_s > 0.5 and p.done > 0:
        rate = p.done / elapsed_s
        parts.append(f"{human_bytes(rate)}/s" if bytes_ else f"{rate:,.1f} {p.unit or 'items'}/s")
        if p.total and p.total > p.done:
            left = int((p.total - p.done) / rate)
            parts.append(f"ETA {left // 60}:{left % 60:02d}")
    if p.message:
        parts.append(p.message)
    return " · ".join(parts)
