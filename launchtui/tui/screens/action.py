"""The action modal: the plan, the confirmation, the streamed output, and the new verdict.

The action runs on its own thread and event loop (as checklist runs do), so a command
that floods its output or a file system that stalls never holds the keys. Cancel
cancels the action's task there; the action cleans up in its own `finally`.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Button, Input, ProgressBar, RichLog, Static

from launchtui.core.actions import (
    Action,
    ActionError,
    Finished,
    Output,
    Plan,
    Progress,
    progress_text,
)
from launchtui.tui.widgets.badges import badge

if TYPE_CHECKING:
    from launchtui.core.context import Context
    from launchtui.tui.app import LaunchApp

log = logging.getLogger("launchtui.tui")

# Output lines kept on screen; the whole output is in the result when it fails.
MAX_LINES = 2000


class _Planned(Message):
    def __init__(self, plan: Plan | None, error: str | None) -> None:
        super().__init__()
        self.plan, self.error = plan, error


class _Event(Message):
    def __init__(self, event: Output | Progress | Finished) -> None:
        super().__init__()
        self.event = event


class _Stopped(Message):
    """The action's thread ended without a result: cancelled, or it crashed."""

    def __init__(self, why: str) -> None:
        super().__init__()
        self.why = why


class ActionScreen(ModalScreen[None]):
    """One action, from plan to verdict; esc cancels a running action, then closes."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel_or_close", "Cancel / close", key_display="esc"),
        Binding("question_mark", "app.help", "Help", key_display="?"),  # while it runs, too
    ]

    def __init__(self, action: Action, options: Mapping[str, Any] | None = None) -> None:
        super().__init__(id="action-screen")
        self.action_def = action
        self.options = dict(options or {})
        self.state = "planning"  # planning, ready, running, cancelling, done
        self.plan: Plan | None = None
        self.finished: Finished | None = None
        self._ctx: Context | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._task: asyncio.Task[None] | None = None
        self._lock = threading.Lock()
        self._started = time.perf_counter()

    @property
    def launch_app(self) -> LaunchApp:
        return self.app  # type: ignore[return-value]

    def compose(self) -> ComposeResult:
        with Vertical(id="action"):
            yield Static(Content.styled("Looking…", "$text-muted italic"), id="action-summary")
            # Wrapped: a long path or SQL line stays readable at 80 columns.
            yield RichLog(
                id="action-log", max_lines=MAX_LINES, wrap=True, min_width=20, markup=False
            )
            yield ProgressBar(id="action-progress", show_eta=True)
            yield Static(id="action-result")
            yield Input(id="action-word")
            with Horizontal(id="action-buttons"):
                yield Button("Run", id="action-confirm", variant="warning", disabled=True)
                yield Button("Cancel", id="action-cancel")

    def on_mount(self) -> None:
        panel = self.query_one("#action")
        panel.border_title = f"{self.action_def.title} ({self.action_def.section})"
        panel.border_subtitle = "esc cancels"
        self.query_one("#action-progress").display = False
        self.query_one("#action-result").display = False
        self.query_one("#action-confirm").display = False
        self.query_one("#action-word").display = False
        self.run_worker(
            self._plan,
            thread=True,
            name=f"plan {self.action_def.id}",
            group="action",
            exit_on_error=False,
        )

    # -- the plan (a thread: reading env files and probing never touch the UI thread) --

    def _plan(self) -> None:
        from launchtui.actions import plan_action

        try:
            self._ctx = self.launch_app.new_context()
            plan = asyncio.run(plan_action(self.action_def, self._ctx, self.options))
        except ActionError as exc:
            self.post_message(_Planned(None, str(exc)))
        except Exception as exc:
            log.exception("planning %s failed", self.action_def.id)
            self.post_message(_Planned(None, f"{type(exc).__name__}: {exc}"))
        else:
            self.post_message(_Planned(plan, None))

    def on__planned(self, message: _Planned) -> None:
        summary = self.query_one("#action-summary", Static)
        if message.plan is None:
            summary.update(Content.styled(self._scrub(message.error or ""), "$text-error"))
            self._done_buttons()
            self.state = "done"
            return
        plan = self.plan = message.plan
        summary.update(Content(plan.summary))
        log_view = self.query_one(RichLog)
        for step in plan.steps or ("(no details)",):
            log_view.write(step)
        if plan.nothing_to_do:
            self.state = "done"
            self._done_buttons()
            return
        self.state = "ready"
        if not plan.ask:  # nothing that exists changes: one key was the go
            self._confirmed()
            return
        confirm = self.query_one("#action-confirm", Button)
        confirm.label = plan.confirm_label
        confirm.display = True
        if plan.confirm_word:
            # Typing the name, not pressing enter, confirms what cannot be undone.
            word = self.query_one("#action-word", Input)
            word.placeholder = f"type {plan.confirm_word} to confirm"
            word.display = True
            confirm.disabled = True
            word.focus()
            return
        confirm.disabled = False
        confirm.focus()

    @on(Input.Changed, "#action-word")
    def _word_typed(self, event: Input.Changed) -> None:
        wanted = self.plan.confirm_word if self.plan else None
        self.query_one("#action-confirm", Button).disabled = event.value != wanted

    @on(Input.Submitted, "#action-word")
    def _word_submitted(self, event: Input.Submitted) -> None:
        if self.plan is not None and event.value == self.plan.confirm_word:
            self._confirmed()

    # -- running -------------------------------------------------------------

    @on(Button.Pressed, "#action-confirm")
    def _confirmed(self) -> None:
        if self.state != "ready" or self.plan is None:
            return
        if self.plan.confirm_word and self.query_one("#action-word", Input).value != (
            self.plan.confirm_word
        ):
            return
        self.state = "running"
        self._started = time.perf_counter()
        self.query_one("#action-word", Input).display = False
        confirm = self.query_one("#action-confirm", Button)
        confirm.disabled = True
        confirm.display = False
        # Kept on screen and sized while the action runs: lines written to a hidden log
        # would wrap at its minimum width.
        self.query_one(RichLog).clear()
        self.run_worker(
            self._execute,
            thread=True,
            name=f"run {self.action_def.id}",
            group="action",
            exit_on_error=False,
        )

    def _execute(self) -> None:
        asyncio.run(self._drive())

    async def _drive(self) -> None:
        from launchtui.actions import execute_action

        assert self.plan is not None and self._ctx is not None
        with self._lock:
            self._loop = asyncio.get_running_loop()
            self._task = asyncio.current_task()  # type: ignore[assignment]
            if self.state == "cancelling":
                self.post_message(_Stopped("Cancelled before it started; nothing was done."))
                return
        try:
            async for event in execute_action(self.action_def, self._ctx, self.plan, self.options):
                self.post_message(_Event(event))
        except asyncio.CancelledError:
            self.post_message(_Stopped("Cancelled; what was done so far is kept, nothing more."))
        except Exception as exc:
            log.exception("action %s failed", self.action_def.id)
            self.post_message(_Stopped(f"{type(exc).__name__}: {exc}"))
        finally:
            with self._lock:
                self._loop = self._task = None

    def on__event(self, message: _Event) -> None:
        event = message.event
        if isinstance(event, Output):
            self.query_one(RichLog).write(event.line)
        elif isinstance(event, Progress):
            bar = self.query_one(ProgressBar)
            bar.display = True
            bar.update(total=event.total, progress=event.done)
            elapsed = time.perf_counter() - self._started
            self.query_one("#action-summary", Static).update(Content(progress_text(event, elapsed)))
        elif isinstance(event, Finished):
            self._finish(event)

    def on__stopped(self, message: _Stopped) -> None:
        self._show_result(Content.styled(self._scrub(message.why), "$text-warning"))
        self.state = "done"
        self._done_buttons()

    def _finish(self, finished: Finished) -> None:
        self.finished = finished
        self.state = "done"
        bar = self.query_one(ProgressBar)
        if finished.ok and bar.display:
            bar.update(total=bar.total or 1, progress=bar.total or 1)  # estimates run short
        took = time.perf_counter() - self._started
        word = "Done" if finished.ok else "Stopped"
        if self.plan is not None:
            self.query_one("#action-summary", Static).update(
                Content(f"{word} in {took:.1f} s. {self.plan.summary}")
            )
        log_view = self.query_one(RichLog)
        log_view.display = bool(log_view.lines)
        style = "$text-success" if finished.ok else "$text-error"
        text = finished.summary if finished.ok else (finished.error or finished.summary)
        lines = [Content.styled(text, style)]
        for r in finished.checks:
            lines.append(Content.assemble(badge(r.status, width=4), f"{r.id}: {r.summary}"))
        self._show_result(Content("\n").join(lines))
        if finished.checks:
            self.launch_app.apply_results(finished.checks)
        self._done_buttons()

    def _show_result(self, content: Content) -> None:
        result = self.query_one("#action-result", Static)
        result.update(content)
        result.display = True

    def _done_buttons(self) -> None:
        cancel = self.query_one("#action-cancel", Button)
        cancel.label = "Close"
        cancel.focus()
        self.query_one("#action").border_subtitle = "esc closes"

    # -- cancel and close ----------------------------------------------------

    @on(Button.Pressed, "#action-cancel")
    def _cancel_pressed(self) -> None:
        self.action_cancel_or_close()

    def action_cancel_or_close(self) -> None:
        if self.state == "running":
            self.cancel()
        elif self.state != "cancelling":
            self.dismiss(None)

    def cancel(self) -> None:
        """Cancel the running action on its own loop; it cleans up, then reports."""
        with self._lock:
            self.state = "cancelling"
            loop, task = self._loop, self._task
        self.query_one("#action-summary", Static).update(
            Content.styled("Cancelling…", "$text-warning italic")
        )
        if loop is not None and task is not None:
            loop.call_soon_threadsafe(task.cancel)

    def on_unmount(self) -> None:
        with self._lock:
            loop, task = self._loop, self._task
        if loop is not None and task is not None:
            loop.call_soon_threadsafe(task.cancel)
        if self._ctx is not None:
            self._ctx.close()

    def _scrub(self, text: str) -> str:
        return self.launch_app.redactor.scrub(text)
