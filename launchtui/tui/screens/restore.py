"""The restore form: which backup, into which database; then the action modal takes over.

The target URL carries no password (it would show in `ps` and on screen); the password
is typed into a masked field, else LAUNCHTUI_TARGET_PASSWORD or DATABASE_URL's own for
the same user and host are used, as on the command line.
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
from textual.widgets import Button, Checkbox, Input, Label, Static

if TYPE_CHECKING:
    from launchtui.tui.app import LaunchApp


class RestoreScreen(ModalScreen[None]):
    """Ask for the backup and the target, then open `restore db` in the action modal."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "dismiss", "Close", key_display="esc"),
    ]

    @property
    def launch_app(self) -> LaunchApp:
        return self.app  # type: ignore[return-value]

    def compose(self) -> ComposeResult:
        with Vertical(id="restore"):
            yield Label("Backup file")
            yield Input(id="restore-backup", placeholder="looking for the newest backup…")
            yield Label("Into (mysql+pymysql://USER@HOST:PORT/DATABASE, no password)")
            yield Input(id="restore-into", placeholder="mysql+pymysql://app@127.0.0.1:4000/shop")
            yield Label("Password of that user (not shown; empty: the usual sources)")
            yield Input(id="restore-password", password=True)
            yield Label("Age identity file, for an encrypted backup")
            yield Input(id="restore-identity", placeholder="~/.config/launchtui/age.key")
            yield Checkbox("Replace the tables it already has (--force)", id="restore-force")
            yield Static(id="restore-error")
            with Horizontal(id="restore-buttons"):
                yield Button("Plan the restore", id="restore-plan", variant="primary")
                yield Button("Cancel", id="restore-cancel")

    def on_mount(self) -> None:
        panel = self.query_one("#restore")
        panel.border_title = "Restore a database backup (2.2)"
        panel.border_subtitle = "esc closes"
        self.query_one("#restore-error").display = False
        self.run_worker(self._newest(), exit_on_error=False)
        self.query_one("#restore-into", Input).focus()

    async def _newest(self) -> None:
        from launchtui.probes.backup_files import newest_db_backup

        folder = self.launch_app.settings.backup_dir
        newest = await asyncio.to_thread(newest_db_backup, folder) if folder else None
        field = self.query_one("#restore-backup", Input)
        if newest is not None and not field.value:
            field.value = str(newest)
        field.placeholder = "the backup file to restore"

    @on(Button.Pressed, "#restore-cancel")
    def _cancel(self) -> None:
        self.dismiss(None)

    @on(Input.Submitted)
    @on(Button.Pressed, "#restore-plan")
    def _plan(self) -> None:
        from launchtui.actions import default_actions
        from launchtui.core.secrets import Secret
        from launchtui.tui.screens.action import ActionScreen

        backup = Path(self.query_one("#restore-backup", Input).value.strip()).expanduser()
        into = self.query_one("#restore-into", Input).value.strip()
        password = self.query_one("#restore-password", Input).value
        identity_text = self.query_one("#restore-identity", Input).value.strip()
        identity = Path(identity_text).expanduser() if identity_text else None
        problem = None
        if not backup.is_file():
            problem = f"{backup} is not a file: give the backup to restore."
        elif not into:
            problem = "Give the database to restore into."
        elif identity is not None and not identity.is_file():
            problem = f"{identity} is not a file: give the age identity, or leave it empty."
        if problem:
            error = self.query_one("#restore-error", Static)
            error.update(Content.styled(problem, "$text-error"))
            error.display = True
            return
        options = {
            "backup": backup,
            "into": into,
            "identity": identity,
            "force": self.query_one("#restore-force", Checkbox).value,
            "target_password": Secret(password) if password else None,
        }
        if password:
            self.launch_app.redactor.add(password)
        self.dismiss(None)
        self.launch_app.push_screen(ActionScreen(default_actions()["restore-db"], options))
