"""The setup screen: what the checks read, each field judged as it is typed, one profile written.

It opens by itself when no `launchtui.toml` was found and no input flag was given, and
from `s` at any time. Values found on the box are offered; every judgement (a file read,
a URL asked) runs off the UI thread, and a newer keystroke supersedes an older one.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.timer import Timer
from textual.widgets import Button, Input, Label, Static

from launchtui.core.setup import FIELDS, NETWORK_KEYS, Judgement, shown_path

if TYPE_CHECKING:
    from launchtui.core.config import Settings
    from launchtui.core.setup import Found
    from launchtui.tui.app import LaunchApp

URL_PAUSE = 0.4  # seconds of no typing before a URL is asked over the network
_LABEL = {f.key: f.label for f in FIELDS}
_STYLE = {"ok": "$text-success", "warn": "$text-warning", "bad": "$text-error", "empty": ""}


class SetupScreen(ModalScreen[bool]):
    """Fields for the profile's inputs; dismisses with True once the profile is written."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "skip", "Skip", key_display="esc"),
        Binding("ctrl+s", "save", "Save and run", key_display="^s"),
    ]

    def __init__(self, *, first_run: bool = False, cwd: Path | None = None) -> None:
        super().__init__()
        self.first_run = first_run
        self.cwd = cwd or Path.cwd()
        self.judged: dict[str, Judgement] = {}
        self.found: Found | None = None
        self._typed: set[str] = set()  # fields the user changed: never overwritten by an offer
        self._filled: dict[str, str] = {}  # values set by the screen, not typed
        self._url_timers: dict[str, Timer] = {}
        self._offered: dict[str, str] = {}
        self._offered_why: dict[str, str] = {}

    @property
    def launch_app(self) -> LaunchApp:
        return self.app  # type: ignore[return-value]

    def compose(self) -> ComposeResult:
        with Vertical(id="setup"):
            for f in FIELDS:
                with Horizontal(classes="setup-row"):
                    yield Label(f.label, classes="setup-label")
                    yield Input(id=f"setup-{f.key}", placeholder=f.placeholder, compact=True)
                yield Static(id=f"why-{f.key}", classes="setup-why")
            with Horizontal(classes="setup-row"):
                yield Label("Save to", classes="setup-label")
                yield Input(id="setup-path", compact=True)
            yield Static(id="why-path", classes="setup-why")
            with Horizontal(id="setup-buttons"):
                yield Static(id="setup-error")
                yield Button("Save and run", id="setup-save", variant="primary", compact=True)
                yield Button("Skip", id="setup-skip", compact=True)

    def on_mount(self) -> None:
        from launchtui.core.config import CONFIG_FILE

        settings = self.launch_app.settings
        panel = self.query_one("#setup")
        panel.border_title = (
            f"Set up launchtui: no {CONFIG_FILE} yet"
            if self.first_run
            else f"Profile {self._profile()}"
        )
        panel.border_subtitle = "tab next · ^s save and run · esc skip"
        where = settings.config_path or self.cwd / CONFIG_FILE
        self._fill("path", shown_path(where, self.cwd))
        for key, value in _current(settings, self.cwd).items():
            self._fill(key, value)
        self.query_one("#setup-error").display = False
        for f in FIELDS:
            self._judge(f.key)
        self._judge_path()
        self.run_worker(self._discover(), group="setup-discover", exit_on_error=False)
        self.query_one(f"#setup-{FIELDS[0].key}", Input).focus()

    # -- values -------------------------------------------------------------

    def value(self, key: str) -> str:
        return self.query_one(f"#setup-{key}", Input).value.strip()

    def _fill(self, key: str, value: str) -> None:
        """Set a field from a found value or the profile, not counting as typing."""
        field = self.query_one(f"#setup-{key}", Input)
        if field.value != value:
            self._filled[key] = value  # its Changed message arrives later, and is not typing
            field.value = value

    def _offer(self, key: str, value: str) -> None:
        """Fill an empty field the user has not touched."""
        if key not in self._typed and not self.value(key) and value:
            self._fill(key, value)
            self._judge(key)

    async def _discover(self) -> None:
        from launchtui.core.setup import discover

        found = await asyncio.to_thread(discover, self.cwd)
        self.found = found
        for key, value in found.values.items():
            self._offer(key, value)
        for key in found.values:
            self._show(key)

    @on(Input.Changed)
    def _changed(self, event: Input.Changed) -> None:
        key = (event.input.id or "").removeprefix("setup-")
        if self._filled.get(key) == event.value:
            del self._filled[key]
        else:
            self._typed.add(key)
        if key == "path":
            self._judge_path()
            return
        self._judge(key)
        if key == "ca_file":  # the URLs are verified with it
            for url_key in NETWORK_KEYS:
                self._judge(url_key)

    # -- judging --------------------------------------------------------------

    def _judge(self, key: str) -> None:
        self.run_worker(
            self._judge_field(key, self.value(key)),
            group=f"judge-{key}",
            exclusive=True,
            exit_on_error=False,
        )

    async def _judge_field(self, key: str, text: str) -> None:
        from launchtui.core.setup import judge_local

        local = await asyncio.to_thread(judge_local, key, text, self.cwd)
        if local is not None:
            self._judged(key, text, local)
            return
        self._judged(key, text, Judgement("empty", "asking it…"))
        pause = asyncio.Event()
        timer = self._url_timers.pop(key, None)
        if timer is not None:
            timer.stop()
        self._url_timers[key] = self.set_timer(URL_PAUSE, pause.set)
        await pause.wait()  # a keystroke meanwhile cancels this worker: no request at all
        ca = self.judged.get("ca_file")
        ca_file = self._path("ca_file") if ca is not None and ca.level == "ok" else None
        self._judged(key, text, await self.ask(key, text, ca_file))

    async def ask(self, key: str, text: str, ca_file: Path | None) -> Judgement:
        """Ask a URL over the network whether it answers."""
        from launchtui.core.setup import judge_url

        return await judge_url(text, ca_file, endpoint=key == "offsite_endpoint")

    def _judged(self, key: str, text: str, judgement: Judgement) -> None:
        if self.value(key) != text.strip():
            return  # typed over meanwhile; the newer judgement is on its way
        self.judged[key] = judgement
        for other, value in judgement.offers.items():
            if other not in self._offered and not self.value(other):
                self._offered[other] = value
                self._offered_why[other] = f"from the {_LABEL[key].lower()}"
            self._offer(other, value)
        self._show(key)

    def _show(self, key: str) -> None:
        judgement = self.judged.get(key)
        if judgement is None:
            return
        found = self.found
        parts: list[str | tuple[str, str]] = [
            (f"{judgement.glyph} ", _STYLE[judgement.level] or "dim"),
            (judgement.reason, "" if judgement.level != "empty" else "dim"),
        ]
        if found is not None and found.values.get(key) == self.value(key) and self.value(key):
            also = found.others.get(key, ())
            more = f" (also {', '.join(also)})" if also else ""
            parts.append((f"  · {found.why[key]}{more}", "dim italic"))
        elif key in self._offered and self._offered[key] == self.value(key):
            parts.append((f"  · {self._offered_why[key]}", "dim italic"))
        self.query_one(f"#why-{key}", Static).update(Content.assemble(*parts))

    def _judge_path(self) -> None:
        text = self.value("path")
        if not text:
            self._judged("path", text, Judgement("bad", "say where the profile goes"))
            return
        self.run_worker(
            self._judge_file(text), group="judge-path", exclusive=True, exit_on_error=False
        )

    async def _judge_file(self, text: str) -> None:
        path = self._path("path")
        exists, is_dir = await asyncio.to_thread(lambda: (path.exists(), path.is_dir()))
        if is_dir:
            judgement = Judgement("bad", f"a folder: name the file, like {path}/launchtui.toml")
        elif exists:
            judgement = Judgement("ok", f"updates its [{self._profile()}] table, comments kept")
        else:
            judgement = Judgement("ok", "a new file, with launchtui init's comments")
        self._judged("path", text, judgement)

    def _path(self, key: str) -> Path:
        from launchtui.core.setup import resolve

        return resolve(self.value(key), self.cwd)

    def _profile(self) -> str:
        return self.launch_app.settings.profile or "production"

    # -- saving ---------------------------------------------------------------

    @on(Button.Pressed, "#setup-save")
    def _save_pressed(self) -> None:
        self.action_save()

    @on(Button.Pressed, "#setup-skip")
    def _skip_pressed(self) -> None:
        self.action_skip()

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.focus_next()

    def action_save(self) -> None:
        bad = [f.label for f in FIELDS if (j := self.judged.get(f.key)) and j.level == "bad"]
        if self.judged.get("path", Judgement("ok", "")).level == "bad":
            bad.append("Save to")
        if bad:
            self._error(f"Fix or clear: {', '.join(bad)}.")
            return
        self.run_worker(self._write(), group="setup-write", exclusive=True, exit_on_error=False)

    async def _write(self) -> None:
        from launchtui.core.config import PATH_KEYS
        from launchtui.core.setup import ProfileWriteError, write_profile

        values: dict[str, str | None] = {}
        for f in FIELDS:
            text = self.value(f.key)
            if not text:
                values[f.key] = None
            else:
                values[f.key] = str(self._path(f.key)) if f.key in PATH_KEYS else text
        health = self.launch_app.settings.health_path
        if health != "/health":  # given as --health-path: the screen has no field for it
            values["health_path"] = health
        path = self._path("path")
        try:
            done, settings = await asyncio.to_thread(write_profile, path, self._profile(), values)
        except ProfileWriteError as exc:
            self._error(str(exc))
            return
        self.launch_app.apply_settings(settings)
        self.notify(f"{done}. Running the checklist.", title="Profile saved")
        self.dismiss(True)

    def _error(self, text: str) -> None:
        error = self.query_one("#setup-error", Static)
        error.update(Content.styled(text, "$text-error"))
        error.display = True

    def action_skip(self) -> None:
        if self.first_run:
            self.notify("Setup skipped: press s to open it again.")
        self.dismiss(False)


def _current(settings: Settings, cwd: Path) -> dict[str, str]:
    """The profile's own values, as the fields show them (paths under `cwd` relative)."""
    from launchtui.core.config import default_backup_dir

    out: dict[str, str] = {}
    for f in FIELDS:
        value = getattr(settings, f.key, None)
        if value is None:
            continue
        if isinstance(value, Path):
            if f.key == "backup_dir" and value == default_backup_dir():
                continue  # the default: an empty field says so
            value = shown_path(value, cwd)
        out[f.key] = str(value)
    return out
