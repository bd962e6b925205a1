"""Running a dump or a load: the tool, its pipeline thread, progress every 100 ms, a sure end.

`run_dump` and `run_load` are async generators of `Progress` events ending with one
`Ran`. However they end (done, failed, cancelled, closed early), the tool's whole
process group is dead and reaped and the pipeline thread has stopped before they return,
so the caller can remove its temporary files safely.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from launchtui.actions.db_common import Database, tool_failure
from launchtui.actions.db_stream import (
    Cancelled,
    LoadError,
    Pumped,
    Stats,
    Tool,
    pump_dump,
    pump_load,
)
from launchtui.core.actions import Progress
from launchtui.core.context import Context

# Progress events come at most this often: a fast dump must not flood the face.
PROGRESS_EVERY_S = 0.1


class BrokenPipeline(Exception):
    """The client stopped reading: its own exit code and stderr say why."""


@dataclass(frozen=True)
class Ran:
    """How a dump or load ended: what went through, the pipeline's error, the tool's exit."""

    pumped: Pumped | None
    error: BaseException | None
    returncode: int | None
    stderr: tuple[str, ...]
    stripped_sandbox: bool = False
    seconds: float = 0.0


class _Running:
    """A blocking function in the run's thread pool, watched from the event loop."""

    def __init__(self, ctx: Context, fn: Callable[[], Any]) -> None:
        self.task = asyncio.ensure_future(ctx.to_thread(fn))

    async def ticks(self) -> AsyncIterator[None]:
        while not self.task.done():
            await asyncio.wait({self.task}, timeout=PROGRESS_EVERY_S)
            yield

    async def settle(self) -> None:
        """Wait until the thread has returned (it cannot be interrupted, only starved)."""
        if not self.task.done():
            await asyncio.wait({self.task})
        if not self.task.cancelled():
            self.task.exception()  # retrieved: no "exception was never retrieved" noise

    def outcome(self) -> tuple[Any, BaseException | None]:
        exc = self.task.exception()
        return (None, exc) if exc is not None else (self.task.result(), None)


def _progress(stats: Stats, done: int, total: float | None, tables: int | None) -> Progress:
    # The faces add the rate and the ETA; the tables done are the dump's own news.
    n = len(stats.tables)
    name = stats.tables[-1] if n else "(header)"
    where = f"table {n}/{tables} {name}" if tables else f"table {n} {name}"
    return Progress(done=done, total=total or None, unit="bytes", message=where)


async def _drive(
    ctx: Context,
    tool: Tool,
    work: Callable[[], Any],
    stats: Stats,
    progress: Callable[[float], Progress],
    on_error: Callable[[], None],
) -> AsyncIterator[Progress | Ran]:
    t0 = time.monotonic()
    running = _Running(ctx, work)
    ended = False
    try:
        last: Progress | None = None
        async for _ in running.ticks():
            now = progress(t0)
            if now != last:
                yield now
                last = now
        result, error = running.outcome()
        if error is not None:
            tool.kill()  # a dump blocked on a full pipe, or a client fed half a statement
            on_error()
        code = await ctx.to_thread(tool.wait)
        ended = True
        pumped, stripped = result if isinstance(result, tuple) else (result, False)
        yield Ran(pumped, error, code, tuple(tool.stderr), stripped, time.monotonic() - t0)
    finally:
        if not ended:
            # Cancelled or closed early: stop the thread's input first, then reap the tool.
            stats.cancel.set()
            tool.kill()
            await running.settle()
            await ctx.to_thread(tool.wait)


async def run_dump(
    ctx: Context,
    argv: Sequence[str],
    env: Mapping[str, str],
    out_fd: int,
    *,
    compression: str,
    recipients: Sequence[Any],
    total_bytes: float | None,
    total_tables: int | None,
    option_file: Path,
) -> AsyncIterator[Progress | Ran]:
    """Run the dump tool into `out_fd` through the pipeline; Progress events, then `Ran`."""
    stats = Stats()
    tool = Tool(argv, env, feed_stdin=False)

    def connected() -> None:
        # The tool read its options before it printed a byte: the password leaves the disk now.
        with contextlib.suppress(OSError):
            option_file.unlink()

    def work() -> Pumped:
        return pump_dump(tool.stdout_fd, out_fd, compression, recipients, stats, connected)

    def progress(t0: float) -> Progress:
        return _progress(stats, stats.plain, total_bytes, total_tables)

    async for event in _drive(ctx, tool, work, stats, progress, lambda: None):
        yield event


async def run_load(
    ctx: Context,
    argv: Sequence[str],
    env: Mapping[str, str],
    path: Path,
    *,
    name: str,
    identities: Sequence[Any],
    strip_sandbox: bool,
    total_tables: int | None,
) -> AsyncIterator[Progress | Ran]:
    """Feed the backup at `path` into the client `argv`; Progress events, then `Ran`."""
    stats = Stats()
    size = path.stat().st_size
    tool = Tool(argv, env, feed_stdin=True)

    def work() -> tuple[Pumped, bool]:
        try:
            done = pump_load(
                path,
                tool.stdin_fd,
                name=name,
                identities=identities,
                strip_sandbox=strip_sandbox,
                stats=stats,
            )
        except BrokenPipeError:
            raise BrokenPipeline from None
        tool.close_stdin()  # only after every byte: the client runs the last statement
        return done

    def progress(t0: float) -> Progress:
        return _progress(stats, stats.stored, size, total_tables)

    async for event in _drive(ctx, tool, work, stats, progress, tool.close_stdin):
        yield event


def load_failure(ran: Ran, program: str, db: Database, doing: str) -> str | None:
    """Why loading a backup failed, as a sentence; None when it worked."""
    error = ran.error
    if error is not None and not isinstance(error, BrokenPipeline | Cancelled):
        if isinstance(error, LoadError):
            return f"The backup cannot be read back, so the {doing} stopped: {error}."
        if isinstance(error, OSError):
            return f"Reading the backup failed during the {doing} ({error.strerror or error})."
        return f"The {doing} failed unexpectedly ({type(error).__name__}: {error})."
    if ran.returncode != 0:
        return tool_failure(program, ran.returncode, ran.stderr, db, doing)
    if error is not None:
        return f"{program} stopped reading the backup before its end during the {doing}."
    return None
