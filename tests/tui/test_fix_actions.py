"""The fix key: an item whose fix is an action runs it in a modal, plan first, then the verdict."""

from __future__ import annotations

import os
import time
from pathlib import Path

from launchtui.core.config import Settings
from launchtui.core.model import Status
from launchtui.tui.actions import ACTIONS
from launchtui.tui.app import LaunchApp
from launchtui.tui.screens.action import ActionScreen
from launchtui.tui.screens.help import HelpScreen
from tests.checks_backend.helpers import GOOD
from tests.tui.helpers import palette_top_hit, selected, settle, until

SIZE = (80, 24)


def old_uploads(tmp_path: Path) -> Path:
    """An upload dir with two files two days old and one from an hour ago."""
    d = tmp_path / "uploads"
    d.mkdir()
    now = time.time()
    for name, hours in (("a.jpg", 50), ("b.jpg", 49), ("fresh.jpg", 1)):
        f = d / name
        f.write_bytes(b"x" * 1000)
        os.utime(f, (now - hours * 3600, now - hours * 3600))
    return d


def cleanup_app(uploads: Path) -> LaunchApp:
    """The real app with the shipped checks, over a backend whose config.py names the dir."""
    return LaunchApp(Settings(backend_dir=GOOD), environ={"UPLOAD_FOLDER": str(uploads)})


def modal(app: LaunchApp) -> ActionScreen:
    screen = app.screen
    assert isinstance(screen, ActionScreen), type(screen).__name__
    return screen


def modal_text(app: LaunchApp) -> str:
    screen = modal(app)
    parts = [str(screen.query_one("#action-summary").content)]
    parts += [line.text for line in screen.query_one("#action-log").lines]
    result = screen.query_one("#action-result")
    if result.display:
        parts.append(str(result.content))
    return "\n".join(parts)


def test_the_fix_key_comes_from_the_action_registry_with_footer_and_help() -> None:
    fix = next(a for a in ACTIONS if a.id == "fix")
    assert (fix.key, fix.action, fix.footer) == ("f", "fix", True)
    assert "fixes the selected item" in fix.help


async def test_fix_on_tmp_cleanup_plans_asks_deletes_and_shows_the_new_verdict(
    tmp_path: Path,
) -> None:
    uploads = old_uploads(tmp_path)
    app = cleanup_app(uploads)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.select_check("tmp.cleanup")
        assert app.board.results["tmp.cleanup"].status is Status.WARN
        await pilot.pause()
        label = app.checklist.query_one("#detail-fix-label")
        assert "f runs launchtui cleanup" in str(label.content)
        await pilot.press("f")
        await until(pilot, lambda: getattr(app.screen, "state", "") == "ready", "the plan")
        text = modal_text(app)
        assert f"Delete 2 files (2.0 KB) older than 24 h from {uploads}" in text, text
        assert "a.jpg" in text and "b.jpg" in text and "fresh.jpg" not in text
        # Nothing is deleted before the user says so.
        assert sorted(p.name for p in uploads.iterdir()) == ["a.jpg", "b.jpg", "fresh.jpg"]
        assert str(modal(app).query_one("#action-confirm").label) == "Delete 2 files"
        await pilot.press("enter")  # the confirm button has the focus
        await until(pilot, lambda: modal(app).state == "done", "the cleanup")
        assert sorted(p.name for p in uploads.iterdir()) == ["fresh.jpg"]
        text = modal_text(app)
        assert "Deleted 2 files" in text, text
        assert "tmp.cleanup: " in text
        # The board shows the verdict the action re-checked, without another run.
        assert app.board.results["tmp.cleanup"].status is Status.PASS
        await pilot.press("escape")
        assert not isinstance(app.screen, ActionScreen)
        assert selected(app) == ("3.2", "tmp.cleanup")


async def test_escape_at_the_plan_closes_and_deletes_nothing(tmp_path: Path) -> None:
    uploads = old_uploads(tmp_path)
    app = cleanup_app(uploads)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.select_check("tmp.cleanup")
        await pilot.press("f")
        await until(pilot, lambda: getattr(app.screen, "state", "") == "ready", "the plan")
        await pilot.press("escape")
        assert not isinstance(app.screen, ActionScreen)
        await settle(pilot)
        assert sorted(p.name for p in uploads.iterdir()) == ["a.jpg", "b.jpg", "fresh.jpg"]


async def test_a_plan_that_cannot_be_made_says_why_and_offers_only_close(tmp_path: Path) -> None:
    app = cleanup_app(tmp_path / "missing")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.select_check("tmp.cleanup")
        await pilot.press("f")
        await until(pilot, lambda: getattr(app.screen, "state", "") == "done", "the refusal")
        text = modal_text(app)
        assert "does not exist" in text, text
        assert not modal(app).query_one("#action-confirm").display
        assert str(modal(app).query_one("#action-cancel").label) == "Close"


async def test_fix_on_an_item_without_an_action_says_so(tmp_path: Path) -> None:
    app = cleanup_app(old_uploads(tmp_path))
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(pilot)
        app.select_check("env.secret_key")
        await pilot.press("f")
        await pilot.pause()
        assert not isinstance(app.screen, ActionScreen)
        assert any("No action fixes env.secret_key" in n.message for n in app._notifications)


async def test_the_palette_runs_an_action_by_name_and_help_lists_the_fix_key(
    tmp_path: Path,
) -> None:
    app = cleanup_app(old_uploads(tmp_path))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        assert "Run the action that fixes the selected item" in str(
            [str(label.content) for label in app.screen.query("Label")]
        )
        await pilot.press("escape", "ctrl+p")
        assert "launchtui cleanup" in await palette_top_hit(pilot, "clean temp")
        await pilot.press("enter")
        await until(pilot, lambda: getattr(app.screen, "state", "") == "ready", "the plan")
        assert "Delete 2 files" in modal_text(app)
