"""The TUI answers keys at once while every live probe hangs on a black hole, and while a
backup of a big table streams: each key is timed from its arrival to the screen showing it,
and the probes or the dump are checked to be still running at that moment."""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from textual import events
from textual.pilot import Pilot

from launchtui.core.config import Settings
from launchtui.tui.app import LaunchApp
from launchtui.tui.board import Phase
from launchtui.tui.screens.action import ActionScreen
from launchtui.tui.screens.help import HelpScreen
from tests.actions import db_support as s
from tests.servers.cloudinary_api import SilentServer as SilentCloudinary
from tests.servers.mariadb import MariaDB, SilentServer
from tests.tui.helpers import selected, settle, until

SIZE = (100, 32)
BOUND_S = 1.0  # generous: an answer takes milliseconds; a blocked loop takes seconds
CHARS = {
    "down": None,
    "up": None,
    "tab": "\t",
    "shift+tab": None,
    "escape": "\x1b",
    "question_mark": "?",
}
# The probes that must be waiting on a black hole while the keys are pressed.
HANGING = {"db.connect", "cloudinary.api", "https.frontend", "https.backend", "frontend.bundle"}


async def answer(
    pilot: Pilot[object],
    key: str,
    shown: Callable[[str], bool],
    still_busy: Callable[[], bool],
) -> float:
    """Send `key` as the terminal would; the seconds until the screen shows `shown`.

    The screen counts as changed when `shown(capture)` holds for a fresh capture of what is
    drawn, so the time includes handling the key and rendering its effect. The work in the
    background must still be going on at that moment.
    """
    app = pilot.app
    started = time.perf_counter()
    app.post_message(events.Key(key, CHARS[key]))
    while not shown(app.export_screenshot()):
        if time.perf_counter() - started > 10 * BOUND_S:
            raise AssertionError(f"{key} got no answer within {10 * BOUND_S} s")
        await asyncio.sleep(0.005)
    took = time.perf_counter() - started
    assert still_busy(), f"the background work ended before {key} was answered"
    return took


async def keys_answer(pilot: Pilot[object], still_busy: Callable[[], bool]) -> dict[str, float]:
    """Move the selection down and up, open help, close it: the time of each answer."""
    app = pilot.app
    assert isinstance(app, LaunchApp)
    times: dict[str, float] = {}
    first = selected(app)[1]
    times["down"] = await answer(
        pilot, "down", lambda _: selected(app)[1] not in (None, first), still_busy
    )
    times["up"] = await answer(pilot, "up", lambda _: selected(app)[1] == first, still_busy)
    times["help"] = await answer(
        pilot,
        "question_mark",
        lambda shot: isinstance(app.screen, HelpScreen) and "Badges" in shot,
        still_busy,
    )
    times["close help"] = await answer(
        pilot,
        "escape",
        lambda shot: not isinstance(app.screen, HelpScreen) and "Badges" not in shot,
        still_busy,
    )
    return times


async def test_keys_answer_while_every_live_probe_hangs_on_a_black_hole(
    mariadb: MariaDB,
    silent_tcp_server: SilentServer,
    silent_server: str,
    cloudinary_silent: SilentCloudinary,
    tmp_path: Path,
) -> None:
    environ = {
        "PATH": os.environ["PATH"],
        "DATABASE_URL": mariadb.url_for(port=silent_tcp_server.port),
        "CLOUDINARY_URL": cloudinary_silent.cloudinary_url,
    }
    settings = Settings(frontend_url=silent_server, backend_url=silent_server, backup_dir=tmp_path)
    app = LaunchApp(settings, environ=environ)
    async with app.run_test(size=SIZE) as pilot:
        board = app.board

        def hanging() -> bool:
            return all(board.phase(cid) is Phase.RUNNING for cid in HANGING)

        await until(
            pilot,
            lambda: hanging() and silent_tcp_server.accepted > 0 and cloudinary_silent.accepted > 0,
            "every live probe to wait on its black hole",
        )
        times = await keys_answer(pilot, hanging)
        assert max(times.values()) < BOUND_S, times
        assert hanging()
        # The probes give up on their own timeouts, and the board says so.
        await settle(pilot)
        assert all(board.results[cid].status.value != "pass" for cid in HANGING)


@pytest.fixture(scope="module")
def big(mariadb_server: MariaDB) -> s.Source:
    db = mariadb_server.create_database("respbig")
    user, password = s.make_user(mariadb_server, db, scratch=False)
    s.fill_big(mariadb_server, db, 1_200_000)
    return s.Source(mariadb_server, db, user, password, ("audit", "big"))


async def test_keys_answer_during_a_backup_of_a_big_table(big: s.Source, tmp_path: Path) -> None:
    backups = tmp_path / "backups"
    environ = {"PATH": os.environ["PATH"], "DATABASE_URL": big.url()}
    app = LaunchApp(Settings(backup_dir=backups), environ=environ)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        # What b runs; pilot.press would wait for a quiet screen, and a backup streams.
        app.action_run_action("backup-db")
        await until(pilot, lambda: isinstance(app.screen, ActionScreen), "the backup modal")
        modal = app.screen
        assert isinstance(modal, ActionScreen)

        def dumping() -> bool:
            return modal.state == "running" and bool(
                s.children_running(os.getpid(), "mariadb-dump")
            )

        await until(pilot, dumping, "the dump to be under way")
        times: dict[str, float] = {}
        # The modal holds the keys (Textual gives a modal screen no app bindings, so `?`
        # waits until it closes): tab moves the focus to Cancel, shift+tab back.
        before = app.focused
        times["tab"] = await answer(pilot, "tab", lambda _: app.focused is not before, dumping)
        times["shift+tab"] = await answer(
            pilot, "shift+tab", lambda _: app.focused is before, dumping
        )
        assert max(times.values()) < BOUND_S, times
        await s.wait_for(lambda: modal.state == "done", "the backup to finish")
        assert modal.finished is not None and modal.finished.ok, modal.finished
