"""The app's actions: one registry behind the keys, the footer, the help and the palette."""

from __future__ import annotations

import functools
from dataclasses import dataclass

from textual.binding import Binding


@dataclass(frozen=True)
class AppAction:
    """One thing the user can do: a key, a Textual action, and the words that explain it."""

    id: str  # the binding id, so a keymap can move the key
    key: str
    action: str
    title: str  # short, for the footer
    help: str  # one sentence, for the help screen and the palette
    key_display: str | None = None
    footer: bool = True

    def binding(self) -> Binding:
        return Binding(
            self.key,
            self.action,
            self.title,
            show=self.footer,
            key_display=self.key_display,
            id=self.id,
        )


# Keys, footer, help and palette all come from this list. Unprefixed actions run on the
# checklist screen.
ACTIONS: list[AppAction] = [
    AppAction("rerun", "r", "rerun", "Re-run", "Run the selected check again."),
    AppAction(
        "run_all",
        "R",
        "app.run_all",
        "Run all",
        "Run the whole checklist again.",
        footer=False,  # 80 columns hold the rest; help and the palette list it
    ),
    AppAction(
        "watch", "w", "app.toggle_watch", "Watch", "Re-probe the live checks every few seconds."
    ),
    AppAction(
        "fix",
        "f",
        "fix",
        "Fix",
        "Run the action that fixes the selected item: its plan, then your go.",
    ),
    AppAction(
        "backup_db",
        "b",
        "app.run_action('backup-db')",
        "Backup",
        "Take a verified database backup now (launchtui backup db).",
    ),
    AppAction(
        "backup_media",
        "m",
        "app.run_action('backup-media')",
        "Media",
        "Take a full Cloudinary inventory now (launchtui backup media).",
        footer=False,
    ),
    AppAction(
        "incidents",
        "i",
        "app.incidents",
        "Incident",
        "Pick the incident; its runbook probes it layer by layer.",
    ),
    AppAction(
        "setup",
        "s",
        "app.setup",
        "Setup",
        "Set up the profile: env files, backend dir, URLs, backups.",
        footer=False,
    ),
    AppAction(
        "sign_off",
        "space",
        "sign_off",
        "Sign off",
        "Sign off the selected item as you; press again to withdraw.",
        key_display="␣",
    ),
    AppAction(
        "copy",
        "c",
        "copy_command",
        "Copy",
        "Copy the selected check's command to the clipboard.",
        footer=False,  # the detail says "c copies it" beside the command
    ),
    AppAction(
        "export",
        "e",
        "app.export",
        "Export",
        "Write the walkthrough as a Markdown sign-off report.",
        footer=False,  # the footer has room for 80 columns of keys; help and palette list it
    ),
    AppAction(
        "theme",
        "t",
        "app.toggle_theme",
        "Theme",
        "Switch between the dark and the light theme.",
        footer=False,
    ),
    AppAction(
        "help",
        "question_mark",
        "app.help",
        "Help",
        "Show the keys and what the badges mean.",
        key_display="?",
    ),
    AppAction("quit", "q", "app.quit", "Quit", "Leave launchtui."),
]


@functools.cache
def _fix_commands() -> dict[str, str]:
    from launchtui.actions import default_actions

    return {
        cid: f"launchtui {a.id.replace('-', ' ')}"
        for a in default_actions().values()
        for cid in a.fixes
    }


def fix_command(check_id: str) -> str | None:
    """The command the fix key runs on this check (`launchtui migrate`), if one does."""
    return _fix_commands().get(check_id)
