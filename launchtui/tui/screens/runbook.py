"""The runbook screen: the steps as they run, the verdict, the next steps, watch and timeline.

Each pass runs on its own thread and event loop (as checklist runs do), so a probe that
hangs never holds the keys; in watch mode the next pass starts only after the last one
ended. The timeline records every change, the notes typed, and a log command's last
lines; `e` writes it as a Markdown incident report.
"""

from __future__ import annotations

import asyncio
import logging
import shutil
import subprocess
from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.content import Content
from textual.message import Message
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import DataTable, Footer, Input, RichLog, Static

from launchtui.core.model import CheckFinished, CheckStarted, RunStarted, Status
from launchtui.core.runbooks import Runbook, RunbookFinished, Timeline
from launchtui.tui.widgets.badges import SPINNER, STATUS_STYLE

if TYPE_CHECKING:
    from launchtui.tui.app import LaunchApp

log = logging.getLogger("launchtui.tui")

WATCH_INTERVAL_S = 5.0
LOG_LINES = 15
LOG_TIMEOUT_S = 20.0
_BARS = "▁▂▃▄▅▆▇█"
TREND_SAMPLES = 8


def trend(samples: deque[int]) -> str:
    """A text sparkline of a step's times, oldest first."""
    if len(samples) < 2:
        return ""
    top = max(samples) or 1
    return "".join(_BARS[min(7, int(s / top * 7.999))] for s in samples)


class _Pass(Message):
    """A runner event of a pass, or its end (`finished`), or why it could not run."""

    def __init__(
        self, event: object = None, finished: RunbookFinished | None = None, error: str = ""
    ) -> None:
        super().__init__()
        self.event, self.finished, self.error = event, finished, error


class _LogLines(Message):
    def __init__(self, lines: list[str]) -> None:
        super().__init__()
        self.lines = lines


class RunbookScreen(Screen[None]):
    """One incident runbook; esc goes back to the checklist."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "app.pop_screen", "Back"),
        Binding("r", "run_pass", "Re-probe"),
        Binding("w", "toggle_watch", "Watch"),
        Binding("c", "copy_next", "Copy"),
        Binding("l", "run_logs", "Logs"),
        Binding("n", "note", "Note"),
        Binding("e", "export", "Export"),
    ]

    def __init__(self, runbook: Runbook, clock: Callable[[], str] | None = None) -> None:
        super().__init__(id=f"runbook-{runbook.name}")
        self.runbook = runbook
        self.timeline = Timeline(runbook.name, runbook.title)
        if clock is not None:  # snapshots show a fixed time
            self.timeline.clock = clock
        self.finished: RunbookFinished | None = None
        self.running = False
        self.watching = False
        self._timer: Timer | None = None
        self._frame = 0
        self._status: dict[str, str] = {}
        self._times: dict[str, deque[int]] = {}

    @property
    def launch_app(self) -> LaunchApp:
        return self.app  # type: ignore[return-value]

    def compose(self) -> ComposeResult:
        with Vertical(id="runbook"):
            yield Static(id="runbook-head")
            yield DataTable(id="runbook-steps", cursor_type="row", zebra_stripes=False)
            yield Static(id="runbook-verdict")
            yield RichLog(id="runbook-timeline", wrap=True, min_width=20, markup=False)
            yield Input(id="runbook-note", placeholder="a note for the timeline, then enter")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        rb = self.runbook
        self.query_one("#runbook").border_title = f"{rb.section} {rb.title}"
        self.query_one("#runbook").border_subtitle = f"launchtui runbook {rb.name}"
        table = self.query_one(DataTable)
        for label, key in (("", "glyph"), ("step", "id")):
            table.add_column(label, key=key)
        # Fixed widths, the ms column's wide enough for the pass's whole budget ("45,000"):
        # the columns keep their places between passes, and the summary is fitted at once.
        table.add_column("ms", key="ms", width=len(f"{int(rb.budget_s * 1000):,}"))
        table.add_column("trend", key="trend", width=TREND_SAMPLES)
        table.add_column("what it saw", key="summary")
        for check in rb.steps:
            table.add_row("  ", check.id, "", "", check.title, key=check.id)
            self._times[check.id] = deque(maxlen=TREND_SAMPLES)
        self._fit_summary()
        self.query_one("#runbook-note").display = False
        self._spinner = self.set_interval(0.1, self._spin, pause=True)
        self._head()
        self.action_run_pass()

    def on_resize(self) -> None:
        self._fit_summary()

    def _fit_summary(self) -> None:
        """The summary column takes the width the others leave (DataTable has no 1fr)."""
        table = self.query_one(DataTable)
        others = sum(
            c.get_render_width(table) for key, c in table.columns.items() if key != "summary"
        )
        room = max(20, table.size.width - others - 2 * table.cell_padding - 1)
        column = table.columns["summary"]
        column.auto_width, column.width = False, room
        table.refresh()

    # -- passes ----------------------------------------------------------------

    def action_run_pass(self) -> None:
        if self.running:
            return
        self.running = True
        self._spinner.resume()
        self._head()
        self.run_worker(self._pass, thread=True, group="runbook", exit_on_error=False)

    def _pass(self) -> None:
        from launchtui.core.runbooks import run_runbook

        async def drive() -> None:
            ctx = self.launch_app.new_context()
            try:
                async for event in run_runbook(self.runbook, ctx):
                    if isinstance(event, RunbookFinished):
                        self.post_message(_Pass(finished=event))
                    else:
                        self.post_message(_Pass(event=event))
            finally:
                ctx.close()

        try:
            asyncio.run(drive())
        except Exception as exc:  # a bug, or bad configuration: said on screen, not raised
            log.exception("runbook %s failed", self.runbook.name)
            self.post_message(_Pass(error=f"{type(exc).__name__}: {exc}"))

    def on__pass(self, message: _Pass) -> None:
        table = self.query_one(DataTable)
        event = message.event
        if isinstance(event, RunStarted):
            for sid in event.check_ids:
                self._status[sid] = "queued"
        elif isinstance(event, CheckStarted):
            self._status[event.id] = "running"
        elif isinstance(event, CheckFinished):
            self._row(table, event.result.id, event.result)
        if message.finished is not None:
            self._finished(message.finished)
        elif message.error:
            self.running = False
            self._verdict(Content.styled(self._scrub(message.error), "$text-error"))
            self._after_pass()

    def _row(self, table: DataTable[object], sid: str, r: object) -> None:
        from launchtui.core.model import Result

        assert isinstance(r, Result)
        self._status[sid] = str(r.status)
        ran = r.status is not Status.SKIP  # a step that was not tried has no time to show
        if ran:
            self._times[sid].append(r.duration_ms)
        glyph = Content.styled(f"{r.status.glyph} ", STATUS_STYLE[r.status] + " bold")
        table.update_cell(sid, "glyph", glyph)
        # Under 10 ms is "instant" to a person; the digit would only flicker between passes.
        ms = "–" if not ran else "<10" if r.duration_ms < 10 else f"{r.duration_ms:,}"
        table.update_cell(sid, "ms", ms)
        table.update_cell(sid, "trend", trend(self._times[sid]))
        table.update_cell(sid, "summary", self._scrub(r.summary))

    def _finished(self, finished: RunbookFinished) -> None:
        self.finished = finished
        self.running = False
        table = self.query_one(DataTable)
        for r in finished.steps:
            if self._status.get(r.id) != str(r.status) or not self._times[r.id]:
                self._row(table, r.id, r)
        lines = self.timeline.observe(finished)
        timeline = self.query_one(RichLog)
        for line in lines:
            timeline.write(self._scrub(line))
        v = finished.verdict
        style = "$text-success" if v.layer == "none" else "$text-error"
        parts = [
            Content.assemble(
                (f"Verdict: {v.layer}", style + " bold"), f"  {self._scrub(v.summary)}"
            )
        ]
        parts += [Content(f"  → {self._scrub(n)}") for n in v.next]
        self._verdict(Content("\n").join(parts))
        self._after_pass()

    def _after_pass(self) -> None:
        self._head()
        if self.watching and self._timer is None:
            self._timer = self.set_timer(WATCH_INTERVAL_S, self._next_watch)

    def _next_watch(self) -> None:
        self._timer = None
        if self.watching:
            self.action_run_pass()

    def action_toggle_watch(self) -> None:
        self.watching = not self.watching
        if self.watching:
            self.query_one(RichLog).write(self.timeline.add("watch mode on"))
            if not self.running:
                self.action_run_pass()
        else:
            if self._timer is not None:
                self._timer.stop()
                self._timer = None
            self.query_one(RichLog).write(self.timeline.add("watch mode off"))
        self._head()

    # -- the rest ---------------------------------------------------------------

    def action_note(self) -> None:
        note = self.query_one("#runbook-note", Input)
        note.display = True
        note.focus()

    @on(Input.Submitted, "#runbook-note")
    def _noted(self, event: Input.Submitted) -> None:
        text = event.value.strip()
        if text:
            self.query_one(RichLog).write(self.timeline.note(self._scrub(text)))
        event.input.value = ""
        event.input.display = False
        self.query_one(DataTable).focus()

    def _commands(self) -> list[str]:
        """The commands among the next steps: what `c` copies."""
        v = self.finished.verdict if self.finished else None
        found = [n.split("`")[1] for n in (v.next if v else ()) if n.count("`") >= 2]
        argv = self._log_argv()
        if argv:
            found.append(" ".join(argv))
        return found

    def action_copy_next(self) -> None:
        commands = self._commands()
        if not commands:
            self.notify("The next steps name no command to copy.", severity="warning")
            return
        self.app.copy_to_clipboard(commands[0])
        self.notify(commands[0], title="Copied to the clipboard")

    def _log_argv(self) -> tuple[str, ...] | None:
        fn = self.runbook.log_command
        return fn(self.launch_app.settings) if fn else None

    def action_run_logs(self) -> None:
        argv = self._log_argv()
        if not argv:
            self.notify("This runbook has no log command.", severity="warning")
            return
        if shutil.which(argv[0]) is None:
            self.notify(
                f"{argv[0]} is not installed here; its command is `{' '.join(argv)}`.",
                severity="warning",
            )
            return
        self.query_one(RichLog).write(self.timeline.add(f"ran `{' '.join(argv)}`"))
        self.run_worker(lambda: self._logs(argv), thread=True, exit_on_error=False)

    def _logs(self, argv: tuple[str, ...]) -> None:
        try:
            done = subprocess.run(
                list(argv),
                capture_output=True,
                text=True,
                timeout=LOG_TIMEOUT_S,
                stdin=subprocess.DEVNULL,
                check=False,
            )
            lines = (done.stdout + done.stderr).splitlines()[-LOG_LINES:]
        except subprocess.TimeoutExpired as exc:
            out = exc.stdout if isinstance(exc.stdout, str) else ""
            lines = [*out.splitlines()[-LOG_LINES:], f"(stopped after {LOG_TIMEOUT_S:g} s)"]
        except OSError as exc:
            lines = [f"could not run it: {exc.strerror or exc}"]
        self.post_message(_LogLines(lines))

    def on__log_lines(self, message: _LogLines) -> None:
        timeline = self.query_one(RichLog)
        for line in message.lines:
            timeline.write(self.timeline.add(f"  | {self._scrub(line)}"))

    def action_export(self) -> None:
        self.run_worker(self._export(), exit_on_error=False)

    async def _export(self) -> None:
        from launchtui.tui.app import write_named_report

        text = self._scrub(self.timeline.to_markdown(self.finished))
        path = await asyncio.to_thread(write_named_report, text, f"incident_{self.runbook.name}")
        self.notify(str(path), title="Incident report written", timeout=10)

    # -- drawing -----------------------------------------------------------------

    def _head(self) -> None:
        state = "probing…" if self.running else "idle"
        watch = f" · watching every {WATCH_INTERVAL_S:g} s" if self.watching else ""
        took = f" · last pass {self.finished.duration_ms / 1000:.1f} s" if self.finished else ""
        self.query_one("#runbook-head", Static).update(
            Content.styled(f"{state}{watch}{took}", "$text-muted")
        )

    def _verdict(self, content: Content) -> None:
        self.query_one("#runbook-verdict", Static).update(content)

    def _spin(self) -> None:
        if not self.running:
            self._spinner.pause()
            return
        self._frame += 1
        table = self.query_one(DataTable)
        mark = SPINNER[self._frame % len(SPINNER)]
        for sid, state in self._status.items():
            if state in ("running", "queued"):
                table.update_cell(sid, "glyph", Content.styled(f"{mark} ", "$text-accent"))

    def _scrub(self, text: str) -> str:
        return self.launch_app.redactor.scrub(text)

    def status_of(self, sid: str) -> Status | None:
        """A step's last status (tests read it)."""
        value = self._status.get(sid)
        return Status(value) if value in {s.value for s in Status} else None
