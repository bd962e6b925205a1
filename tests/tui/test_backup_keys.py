"""b takes a database backup in one key, with progress and a cancel; the palette restores one."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from launchtui.core.config import Settings
from launchtui.core.model import Status
from launchtui.tui.app import LaunchApp
from launchtui.tui.screens.action import ActionScreen
from launchtui.tui.screens.restore import RestoreScreen
from tests.actions import db_support as s
from tests.servers.cloudinary_api import CloudinaryApi
from tests.servers.mariadb import MariaDB
from tests.tui.helpers import palette_top_hit, settle, until

SIZE = (80, 24)


@pytest.fixture(scope="module")
def big(mariadb_server: MariaDB) -> s.Source:
    """A database whose dump takes long enough to be cancelled while it runs."""
    db = mariadb_server.create_database("tuibig")
    user, password = s.make_user(mariadb_server, db)
    s.fill_big(mariadb_server, db, 1_200_000)
    return s.Source(mariadb_server, db, user, password, ("audit", "big"))


@pytest.fixture(scope="module")
def small(mariadb_server: MariaDB) -> s.Source:
    db = mariadb_server.create_database("tuismall")
    user, password = s.make_user(mariadb_server, db)
    s.fill_big(mariadb_server, db, 2_000)
    return s.Source(mariadb_server, db, user, password, ("audit", "big"))


def backup_app(source: s.Source, backups: Path) -> LaunchApp:
    environ = {"PATH": os.environ["PATH"], "DATABASE_URL": source.url()}
    return LaunchApp(Settings(backup_dir=backups), environ=environ)


def modal(app: LaunchApp) -> ActionScreen:
    assert isinstance(app.screen, ActionScreen), type(app.screen).__name__
    return app.screen


def finals(backups: Path) -> list[str]:
    """Every file in the backup dir, partials included (they start with a dot)."""
    return sorted(p.name for p in backups.iterdir()) if backups.exists() else []


async def test_b_takes_a_backup_in_one_key_and_the_board_shows_it(
    small: s.Source, tmp_path: Path
) -> None:
    backups = tmp_path / "backups"
    app = backup_app(small, backups)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert app.board.results["backup.database"].status is not Status.PASS
        await pilot.press("b")
        # Nothing that exists changes, so the plan goes on by itself: no second key.
        await until(pilot, lambda: getattr(app.screen, "state", "") == "done", "the backup")
        screen = modal(app)
        assert screen.finished is not None and screen.finished.ok, screen.finished
        names = finals(backups)
        assert any(n.startswith(f"backup_{small.db}_") and n.endswith(".sql.zst") for n in names)
        assert not [n for n in names if n.endswith(".partial")]
        assert app.board.results["backup.database"].status is Status.PASS
        assert small.password not in str(screen.query_one("#action-result").content)


async def test_cancel_in_the_modal_stops_the_dump_and_keeps_nothing(
    big: s.Source, tmp_path: Path
) -> None:
    backups = tmp_path / "backups"
    app = backup_app(big, backups)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        # What b runs, without pilot.press: it waits until the screen is quiet, and a
        # running backup streams progress until it is done.
        app.action_run_action("backup-db")

        def dumping() -> bool:
            partial = [p for p in backups.glob(".*.partial")] if backups.exists() else []
            return bool(partial) and bool(s.children_running(os.getpid(), "mariadb-dump"))

        await until(pilot, dumping, "the dump to be under way")
        running = s.children_running(os.getpid(), "mariadb-dump")
        assert running, "the dump tool should be running now"
        bar = modal(app).query_one("#action-progress")
        await until(pilot, lambda: bar.display and (bar.percentage or 0) > 0, "progress")
        await pilot.press("escape")  # cancel
        await until(pilot, lambda: modal(app).state == "done", "the cancel")
        assert "Cancelled" in str(modal(app).query_one("#action-result").content)
        assert finals(backups) == []
        assert not s.alive(running[0][0])
        await pilot.press("escape")
        assert not isinstance(app.screen, ActionScreen)


async def test_the_palette_restores_a_backup_after_the_database_name_is_typed(
    small: s.Source, tmp_path: Path
) -> None:
    backups = tmp_path / "backups"
    target = small.mariadb.create_database("tuirestore")
    small.mariadb.root_sql(f"GRANT ALL ON `{target}`.* TO '{small.user}'@'%'")
    app = backup_app(small, backups)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("b")
        await until(pilot, lambda: getattr(app.screen, "state", "") == "done", "the backup")
        await pilot.press("escape", "ctrl+p")
        assert "Restore" in await palette_top_hit(pilot, "restore db")
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, RestoreScreen), "the restore form")
        form = app.screen
        await until(pilot, lambda: bool(form.query_one("#restore-backup").value), "the newest")
        assert form.query_one("#restore-backup").value.startswith(str(backups))
        # The same login as DATABASE_URL: its password serves, none is typed.
        form.query_one("#restore-into").value = small.url(password="", database=target).replace(
            ":@", "@"
        )
        await pilot.click("#restore-plan")
        await until(pilot, lambda: getattr(app.screen, "state", "") == "ready", "the plan")
        screen = modal(app)
        confirm = screen.query_one("#action-confirm")
        assert confirm.disabled  # pressing enter is not enough: the name must be typed
        await pilot.press(*"wrong", "enter")
        assert screen.state == "ready"
        screen.query_one("#action-word").value = ""
        await pilot.press(*target)
        assert not confirm.disabled
        await pilot.press("enter")
        await until(pilot, lambda: screen.state == "done", "the restore")
        assert screen.finished is not None and screen.finished.ok, screen.finished
        assert s.snapshot(small.mariadb, target) == s.snapshot(small.mariadb, small.db)


async def test_m_takes_a_full_media_inventory_in_one_key(
    cloudinary_api: CloudinaryApi, tmp_path: Path
) -> None:
    cloudinary_api.seed(620, "image", "upload")  # two pages
    cloudinary_api.seed(7, "video", "authenticated")
    backups = tmp_path / "backups"
    environ = {"PATH": os.environ["PATH"], "CLOUDINARY_URL": cloudinary_api.cloudinary_url}
    app = LaunchApp(Settings(backup_dir=backups), environ=environ)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("m")
        await until(pilot, lambda: getattr(app.screen, "state", "") == "done", "the inventory")
        screen = modal(app)
        assert screen.finished is not None and screen.finished.ok, screen.finished
        assert screen.finished.fields["resources"] == 627
        assert app.board.results["backup.media"].status is Status.PASS
        assert cloudinary_api.secret not in str(screen.query_one("#action-result").content)
