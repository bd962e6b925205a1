"""The launchtui app: runs the checklist live, keeps the history, and answers every key at once."""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import os
import sys
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from textual.app import App
from textual.screen import Screen
from textual.timer import Timer
from textual.worker import Worker, WorkerState

from launchtui.core.config import Settings
from launchtui.core.context import Context
from launchtui.core.model import CheckFinished, CheckStarted, Result, RunFinished, RunStarted
from launchtui.core.registry import Registry
from launchtui.core.secrets import Redactor
from launchtui.tui.board import Board, Phase
from launchtui.tui.runs import RunDone, RunEnvironment, RunEvent, Runs
from launchtui.tui.screens.checklist import ChecklistScreen

if TYPE_CHECKING:
    from textual.command import Provider

log = logging.getLogger("launchtui.tui")
T = TypeVar("T")

WATCH_INTERVAL = 10.0  # seconds from the end of one watch poll to the start of the next
SPINNER_INTERVAL = 0.1
DARK, LIGHT = "textual-dark", "textual-light"


def _checks_provider() -> type[Provider]:
    from launchtui.tui.commands import ChecksProvider

    return ChecksProvider


def _actions_provider() -> type[Provider]:
    from launchtui.tui.commands import ActionsProvider

    return ActionsProvider


class LaunchApp(App[int]):
    """The pre-launch checklist as live interactive panels."""

    CSS_PATH = Path(__file__).with_name("app.tcss")
    TITLE = "launchtui"
    COMMANDS = App.COMMANDS | {_checks_provider, _actions_provider}

    def __init__(
        self,
        settings: Settings,
        registry: Registry | None = None,
        environ: Mapping[str, str] | None = None,
        *,
        context_factory: Callable[[], Context] | None = None,
        watch_interval: float = WATCH_INTERVAL,
        redactor: Redactor | None = None,
        first_run: bool = False,
    ) -> None:
        super().__init__()
        self.settings = settings
        self.environ = environ
        # Nothing configured: the setup screen opens first, and the checks wait for it.
        self.first_run = first_run
        self._setup_open = first_run
        self._launched = False
        # Without a registry, the shipped checks are imported after the first paint.
        self.board = Board(registry)
        self.watch_interval = watch_interval
        self.redactor = redactor or Redactor()
        self.runs = Runs(
            self, self.board.registry, context_factory or partial(Context.build, settings, environ)
        )
        self.checklist = ChecklistScreen(self.board, settings.profile)
        self.theme = DARK
        self._started = time.perf_counter()
        self._frame = 0
        self._pending: dict[int, set[str]] = {}
        self._finals: dict[int, RunFinished] = {}
        self._watching = False
        self._polling = False
        self._poll_timer: Timer | None = None
        self._last_run: tuple[str, int] | None = None
        self._recorded: dict[str, str] | None = None
        self._history_failed = False
        # History I/O runs here, one job at a time and in order, never on the UI thread.
        self._history_pool = concurrent.futures.ThreadPoolExecutor(
            max_workers=1, thread_name_prefix="launchtui-history"
        )

    def get_default_screen(self) -> Screen[Any]:
        return self.checklist

    def on_mount(self) -> None:
        self._spinner = self.set_interval(SPINNER_INTERVAL, self._spin, pause=True)

    def on_ready(self) -> None:
        """First paint is done: now read the history and start the checks."""
        log.info("ready in %.0f ms", _since_process_start_ms(self._started))
        self.run_worker(self._load_history(), group="history", exit_on_error=False)
        if self.first_run:
            self.push_screen(self._setup_screen(first_run=True), callback=self._setup_closed)
        if self.board.loaded:
            self._launch()
        else:
            self.run_worker(self._load_checks(), group="checks", exit_on_error=False)

    async def _load_checks(self) -> None:
        from launchtui.core.registry import default_registry

        registry = await asyncio.to_thread(default_registry)
        self.board.set_registry(registry)
        self.runs.registry = registry
        self.checklist.reload()
        self._launch()

    def _launch(self) -> None:
        """The first run of the checklist, unless the setup screen holds it back."""
        if not self._setup_open and not self._launched and self.board.loaded:
            self._launched = True
            self.start_run(None, source="launch")

    # -- setup ------------------------------------------------------------------

    def _setup_screen(self, *, first_run: bool = False) -> Screen[Any]:
        from launchtui.tui.screens.setup import SetupScreen

        return SetupScreen(first_run=first_run)

    def action_setup(self) -> None:
        """The setup screen, filled from the profile in use (`s`)."""
        from launchtui.tui.screens.setup import SetupScreen

        if isinstance(self.screen, SetupScreen):
            return
        self._setup_open = True
        self.push_screen(self._setup_screen(), callback=self._setup_closed)

    def _setup_closed(self, saved: bool | None) -> None:
        self._setup_open = False
        self._launch()  # skipped on first run: check things as they are

    def apply_settings(self, settings: Settings) -> None:
        """A profile was written: use it from now on, and run the whole checklist with it."""
        self.settings = settings
        self.runs.context_factory = partial(Context.build, settings, self.environ)
        self.checklist.set_profile(settings.profile)
        self._recorded = None
        self.run_worker(self._load_history(), group="history", exit_on_error=False)
        if self.board.loaded:
            self._launched = True
            self.start_run(None, source="all")
        # else: the checks are still loading, and start with these settings once they are

    async def on_unmount(self) -> None:
        self.runs.stop_all()
        # Let queued history writes (a sign-off just made) land before the process exits.
        await asyncio.to_thread(self._history_pool.shutdown, wait=True)

    # -- running checks ------------------------------------------------------

    def start_run(self, only: Iterable[str] | None, *, source: str) -> None:
        """Run checks off the UI thread; `source` is "launch", "rerun", "all" or "watch"."""
        self.runs.start(list(only) if only is not None else None, source)

    def on_run_environment(self, message: RunEnvironment) -> None:
        self.redactor.add_env(message.env)
        self.redactor.add_env(message.frontend_env)

    def on_run_event(self, message: RunEvent) -> None:
        event = message.event
        if isinstance(event, RunStarted):
            self._pending[message.run] = set(event.check_ids)
            self.board.queue(event.check_ids)
        elif isinstance(event, CheckStarted):
            self.board.start(event.id)
        elif isinstance(event, CheckFinished):
            self._pending.get(message.run, set()).discard(event.result.id)
            self.board.finish(event.result)
        elif isinstance(event, RunFinished):
            self._finals[message.run] = event
        self._changed()

    def on_run_done(self, message: RunDone) -> None:
        self.board.abandon(self._pending.pop(message.run, ()))
        final = self._finals.pop(message.run, None)
        if message.error not in (None, "cancelled"):
            self.notify(
                self.redactor.scrub(str(message.error)), title="The run stopped", severity="error"
            )
        if message.source == "watch":
            self._polled()
        self._changed()
        if final is not None:
            self._finished(final, message.source)

    def _finished(self, final: RunFinished, source: str) -> None:
        """Record the whole checklist once every check has a fresh result."""
        self._last_run = (final.started_at, final.duration_ms)
        if not self.board.complete():
            return
        statuses = {cid: str(s) for cid, s in self.board.statuses().items()}
        if source == "watch" and statuses == self._recorded:
            return  # polls that change nothing are not walkthroughs
        self._recorded = statuses
        from launchtui.core import history

        snapshot = self.board.snapshot(final.started_at, final.duration_ms)
        self._history_job(history.record_run, self.settings, snapshot)

    def rerun_check(self, cid: str) -> None:
        """Run one check again (with whatever it needs)."""
        if self.board.phase(cid) in (Phase.RUNNING, Phase.QUEUED):
            self.notify(f"{cid} is already running.", severity="warning")
            return
        self.start_run([cid], source="rerun")

    def new_context(self) -> Context:
        """A fresh context with this app's inputs (it reads the env files: call it off the UI)."""
        ctx = self.runs.context_factory()
        self.redactor.add_env(ctx.env)
        self.redactor.add_env(ctx.frontend_env)
        return ctx

    def apply_results(self, results: Iterable[Result]) -> None:
        """Fresh verdicts from outside a run (an action re-checked what it fixed)."""
        for result in results:
            if result.id in self.board.checks:
                self.board.finish(result)
        self._changed()

    def run_fix(self, cid: str) -> None:
        """Open the action that fixes this check, or say that none does."""
        from launchtui.actions import default_options, for_check
        from launchtui.tui.screens.action import ActionScreen

        action = for_check(cid)
        if action is None:
            self.notify(
                f"No action fixes {cid}; its fix is in the detail panel.", severity="warning"
            )
            return
        self.push_screen(ActionScreen(action, default_options(action.id)))

    def action_run_action(self, action_id: str) -> None:
        """Open an action by id (the palette)."""
        from launchtui.actions import default_actions, default_options
        from launchtui.tui.screens.action import ActionScreen

        if action_id == "restore-db":  # it needs a backup and a target first
            from launchtui.tui.screens.restore import RestoreScreen

            self.push_screen(RestoreScreen())
            return
        self.push_screen(ActionScreen(default_actions()[action_id], default_options(action_id)))

    def action_incidents(self) -> None:
        """The incident picker: the four runbooks of section 4."""
        from launchtui.tui.screens.incidents import IncidentPicker

        self.push_screen(IncidentPicker())

    def open_runbook(self, name: str) -> None:
        from launchtui.runbooks import default_runbooks
        from launchtui.tui.screens.runbook import RunbookScreen

        runbook = default_runbooks().get(name)
        if runbook is None:
            self.notify(f"There is no runbook {name}.", severity="warning")
            return
        while len(self.screen_stack) > 1 and not isinstance(self.screen, RunbookScreen):
            self.pop_screen()
        self.push_screen(RunbookScreen(runbook))

    def action_run_all(self) -> None:
        self.start_run(None, source="all")

    # -- watch mode: the next poll starts only after the last one finished ---

    def action_toggle_watch(self) -> None:
        if self._watching:
            self._watching = False
            if self._poll_timer is not None:
                self._poll_timer.stop()
                self._poll_timer = None
            self.notify("Watch mode off.")
        elif not self.board.live_ids():
            self.notify("There are no live checks to watch.", severity="warning")
            return
        else:
            self._watching = True
            self.notify(f"Watching the live checks every {self.watch_interval:g} s.")
            self._poll()
        self._changed()

    @property
    def watching(self) -> bool:
        return self._watching

    def _poll(self) -> None:
        self._poll_timer = None
        if not self._watching or self._polling:
            return
        # A live check already running (a re-run, say) sits this poll out: probes never overlap.
        busy = (Phase.RUNNING, Phase.QUEUED)
        ids = [cid for cid in self.board.live_ids() if self.board.phase(cid) not in busy]
        if not ids:
            self._polled()
            return
        self._polling = True
        self.start_run(ids, source="watch")

    def _polled(self) -> None:
        self._polling = False
        if self._watching and self._poll_timer is None:
            self._poll_timer = self.set_timer(self.watch_interval, self._poll)

    # -- sign-off, export, history -------------------------------------------

    def toggle_signoff(self, cid: str) -> None:
        """Confirm a check as `$USER` now, or withdraw that confirmation."""
        from launchtui.core import history
        from launchtui.core.runner import utc_now

        if cid in self.board.signoffs:
            del self.board.signoffs[cid]
            self._history_job(history.withdraw_signoff, self.settings, cid)
            self.notify(f"Sign-off of {cid} withdrawn.")
        else:
            who, when = history.current_user(), utc_now()
            self.board.signoffs[cid] = (who, when)
            self._history_job(history.sign_off, self.settings, cid, who, when)
            self.notify(f"{cid} signed off by {who}.")
        self._changed()

    def action_export(self) -> None:
        self.run_worker(self._export(), group="export", exit_on_error=False)

    async def _export(self) -> None:
        from launchtui.core.report import to_markdown
        from launchtui.core.runner import utc_now

        if not self.board.merged():
            self.notify("Nothing to export yet: no check has finished.", severity="warning")
            return
        started_at, duration_ms = self._last_run or (utc_now(), 0)
        run = self.board.snapshot(started_at, duration_ms)
        text = to_markdown(run, self.settings.profile, signoffs=dict(self.board.signoffs))
        path = await asyncio.to_thread(write_report, self.redactor.scrub(text), self.settings)
        self.notify(str(path), title="Sign-off report written", timeout=10)

    async def _load_history(self) -> None:
        from launchtui.core import history

        run = await self._history_call(history.last_run, self.settings)
        signoffs = await self._history_call(history.signoffs, self.settings)
        self.board.load_baseline(run)
        if run is not None and self._last_run is None:
            self._last_run = (run.started_at, run.duration_ms)
        for cid, who_when in (signoffs or {}).items():
            self.board.signoffs.setdefault(cid, who_when)
        self._changed()

    def _history_job(self, fn: Callable[..., Any], *args: Any) -> None:
        self.run_worker(self._history_call(fn, *args), group="history", exit_on_error=False)

    async def _history_call(self, fn: Callable[..., T], *args: Any) -> T | None:
        future = self._history_pool.submit(fn, *args)
        try:
            # Shielded: quitting must not cancel a write that is already queued.
            return await asyncio.shield(asyncio.wrap_future(future))
        except Exception as exc:
            log.warning("history: %s failed: %s", fn.__name__, exc)
            if not self._history_failed:  # say it once, not after every run
                self._history_failed = True
                self.notify(
                    f"The run history is unavailable ({type(exc).__name__}): this session "
                    "works, but will not be remembered.",
                    severity="warning",
                )
            return None

    # -- the screen ------------------------------------------------------------

    def _changed(self) -> None:
        if not self.is_running:
            return
        if self.board.busy():
            self._spinner.resume()
        self.checklist.refresh_board(
            self._frame, watching=self.watch_interval if self._watching else None
        )

    def _spin(self) -> None:
        self._frame += 1
        if not self.board.busy():
            self._spinner.pause()
        self.checklist.refresh_rows(self._frame)

    def select_check(self, cid: str) -> None:
        """Jump to a check (from the palette)."""
        while len(self.screen_stack) > 1:
            self.pop_screen()
        self.checklist.select_check(cid)

    def action_toggle_theme(self) -> None:
        self.theme = LIGHT if self.current_theme.dark else DARK

    def action_help(self) -> None:
        from launchtui.tui.screens.help import HelpScreen

        self.push_screen(HelpScreen())

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state is WorkerState.ERROR:
            error = self.redactor.scrub(repr(event.worker.error))
            log.error("%s failed: %s", event.worker.name, error)
            self.notify(f"{event.worker.name} failed: {error}", severity="error")


def write_report(text: str, settings: Settings) -> Path:
    """Write a sign-off report under the user data dir, readable by its owner only."""
    return write_named_report(text, f"signoff_{settings.profile or 'default'}")


def write_named_report(text: str, prefix: str) -> Path:
    """Write `<prefix>_<UTC stamp>.md` in the data dir's reports/, mode 0600, never over one."""
    from launchtui.core.config import user_data_dir
    from launchtui.core.files import write_atomic
    from launchtui.core.runner import utc_now

    folder = user_data_dir() / "reports"
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    stem = f"{prefix}_{utc_now().replace(':', '').replace('-', '')}"
    for n in range(1, 1000):
        path = folder / (f"{stem}.md" if n == 1 else f"{stem}_{n}.md")
        try:
            write_atomic(path, text, overwrite=False)
        except FileExistsError:
            continue
        return path
    raise FileExistsError(f"too many reports named {stem}* in {folder}")


def _since_process_start_ms(fallback_start: float) -> float:
    """Milliseconds since the process started (Linux), else since the app was built."""
    try:
        with open("/proc/self/stat", encoding="ascii") as f:
            start_ticks = int(f.read().rsplit(")", 1)[1].split()[19])
        with open("/proc/uptime", encoding="ascii") as f:
            uptime = float(f.read().split()[0])
        return (uptime - start_ticks / os.sysconf("SC_CLK_TCK")) * 1000
    except (OSError, ValueError, IndexError):
        return (time.perf_counter() - fallback_start) * 1000


def run_app(settings: Settings, *, first_run: bool = False) -> int:
    """Run the TUI until the user quits; the exit code for the CLI."""
    from launchtui.core.logs import setup_logging

    redactor = Redactor()
    setup_logging(redactor)
    app = LaunchApp(settings, redactor=redactor, first_run=first_run)
    app.run()
    code = app.return_code or 0
    if any(t.name.startswith("launchtui-probe") and t.is_alive() for t in threading.enumerate()):
        # A probe still waiting on the network would hold the process until its timeout;
        # probes only read and the history is saved, so `q` leaves at once.
        logging.shutdown()
        sys.stdout.flush()
        os._exit(code)
    return code
