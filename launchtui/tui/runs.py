"""Checklist runs on their own thread and event loop, reported to the app as messages.

A check that blocks (a slow import, a parse, a forgotten synchronous call) then slows
only its run, never the keys and the screen.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import threading
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

from textual.message import Message

from launchtui.core.config import ConfigError
from launchtui.core.model import Event

if TYPE_CHECKING:
    from textual.app import App

    from launchtui.core.context import Context
    from launchtui.core.registry import Registry

log = logging.getLogger("launchtui.tui")


class RunEvent(Message):
    """One event of a run (started, a check started or finished, finished)."""

    def __init__(self, run: int, event: Event) -> None:
        super().__init__()
        self.run = run
        self.event = event


class RunEnvironment(Message):
    """The variables a run read, so the app's log filter learns their secrets."""

    def __init__(self, env: Mapping[str, str], frontend_env: Mapping[str, str]) -> None:
        super().__init__()
        self.env = env
        self.frontend_env = frontend_env


class RunDone(Message):
    """A run ended: finished, cancelled, or unable to start (`error` says why)."""

    def __init__(self, run: int, source: str, error: str | None) -> None:
        super().__init__()
        self.run = run
        self.source = source
        self.error = error


class Runs:
    """Starts runs, each in a thread worker with its own event loop; stops them all on exit."""

    def __init__(
        self, app: App[object], registry: Registry, context_factory: Callable[[], Context]
    ) -> None:
        self.app = app
        self.registry = registry
        self.context_factory = context_factory
        self._numbers = itertools.count(1)
        self._active: dict[int, tuple[asyncio.AbstractEventLoop, asyncio.Task[None]]] = {}
        self._lock = threading.Lock()
        self._stopping = False

    def start(self, only: list[str] | None, source: str) -> int:
        """Start a run of `only` (None: every check); returns its number."""
        run = next(self._numbers)
        self.app.run_worker(
            lambda: asyncio.run(self._drive(run, only, source)),
            name=f"run {run} ({source})",
            group="checks",
            thread=True,
            exit_on_error=False,
        )
        return run

    def stop_all(self) -> None:
        """Cancel every run in flight (the app is closing)."""
        with self._lock:
            self._stopping = True
            active = list(self._active.values())
        for loop, task in active:
            loop.call_soon_threadsafe(task.cancel)

    async def _drive(self, run: int, only: list[str] | None, source: str) -> None:
        from launchtui.core.runner import stream

        task = asyncio.current_task()
        assert task is not None
        with self._lock:
            if self._stopping:
                return
            self._active[run] = (asyncio.get_running_loop(), task)
        error: str | None = None
        try:
            ctx = self.context_factory()  # reads env files: this thread, not the UI's
            self.app.post_message(RunEnvironment(ctx.env, ctx.frontend_env))
            try:
                async for event in stream(self.registry, ctx, only):
                    self.app.post_message(RunEvent(run, event))
            finally:
                ctx.close()
        except asyncio.CancelledError:
            error = "cancelled"
        except ConfigError as exc:
            error = str(exc)
        except Exception as exc:
            log.exception("run %d (%s) failed", run, source)
            error = f"{type(exc).__name__}: {exc}"
        finally:
            with self._lock:
                self._active.pop(run, None)
            self.app.post_message(RunDone(run, source, error))
