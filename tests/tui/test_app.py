"""The app driven by keys, over a private registry of real checks and a real loopback server."""

from __future__ import annotations

import stat
from pathlib import Path

from textual.command import CommandPalette

from launchtui.core import history
from launchtui.core.config import Settings, user_data_dir
from launchtui.core.model import Status
from launchtui.tui.actions import ACTIONS
from launchtui.tui.board import Phase
from launchtui.tui.screens.help import HelpScreen
from tests.tui.conftest import STRONG_KEY, HeldServer, make_app
from tests.tui.helpers import (
    detail_text,
    in_thread,
    item_lines,
    palette_top_hit,
    readiness,
    selected,
    settle,
    until,
)

SIZE = (80, 24)


async def test_launch_runs_every_check_and_shows_readiness(
    settings: Settings, quick_server: HeldServer
) -> None:
    app = make_app(settings, quick_server.url)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert app.board.results["env.secret_key"].status is Status.FAIL
        assert app.board.results["https.backend"].status is Status.PASS
        assert readiness(app).endswith("1/3 ready, 1 fail, 1 manual")
        assert "✘ fail" in item_lines(app)["env.secret_key"]
        assert "too short" in detail_text(app)
        assert quick_server.requests == 1


async def test_arrow_keys_walk_sections_items_and_detail(
    settings: Settings, quick_server: HeldServer
) -> None:
    app = make_app(settings, quick_server.url)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert selected(app) == ("1.1", "env.secret_key")
        assert app.focused is not None and app.focused.id == "items"
        await pilot.press("left")
        assert app.focused.id == "sections"
        await pilot.press("down", "down", "down", "down")  # 1.2, 2.1, 2.2, 2.3
        assert selected(app) == ("2.3", "backup.media")
        assert "inventory is stored offsite" in detail_text(app)
        await pilot.press("end")
        assert selected(app) == ("4.4", None)  # every section is listed, 4.4 the last
        await pilot.press("up", "up", "up", "up")
        assert selected(app) == ("3.3", "https.backend")
        await pilot.press("right")
        assert app.focused.id == "items"
        await pilot.press("enter")
        assert app.focused.id == "detail"
        assert app.checklist.query_one("#detail").border_title == "https.backend"


async def test_section_four_lists_its_four_incidents_with_the_checklists_step(
    settings: Settings, quick_server: HeldServer
) -> None:
    app = make_app(settings, quick_server.url)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        sections = app.checklist.query_one("#sections")
        prompts = [
            str(sections.get_option_at_index(i).prompt) for i in range(sections.option_count)
        ]
        for number, title in (
            ("4.1", "Frontend unreachable"),
            ("4.2", "API 500 error"),
            ("4.3", "Database connection failure"),
            ("4.4", "Image load failure"),
        ):
            assert any(number in p and title in p for p in prompts), prompts
        await pilot.press("left", "end", "up", "up", "up")
        assert selected(app) == ("4.1", None)
        rows = [str(o.prompt) for o in app.checklist.query_one("#items").options]
        assert rows[0] == "In an incident: Check the Vercel deployment logs."
        assert "vercel: set links.vercel in the profile" in [r.strip() for r in rows]


async def test_rerun_reads_the_env_file_again_and_marks_the_change(
    settings: Settings, env_file: Path, quick_server: HeldServer
) -> None:
    app = make_app(settings, quick_server.url)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert "✘ fail" in item_lines(app)["env.secret_key"]
        env_file.write_text(f"SECRET_KEY={STRONG_KEY}\n", encoding="utf-8")
        await pilot.press("r")
        await settle(pilot)
        assert app.board.results["env.secret_key"].status is Status.PASS
        row = item_lines(app)["env.secret_key"]
        assert "✔ pass" in row and "was ✘" in row
        assert "Changed since the last run: was ✘ fail" in detail_text(app)
        assert quick_server.requests == 1  # `r` re-ran only the selected check
        await pilot.press("R")
        await settle(pilot)
        assert quick_server.requests == 2
        assert readiness(app).endswith("2/3 ready, 1 manual")


async def test_keys_are_answered_while_a_slow_probe_holds_its_answer(
    settings: Settings, held_server: HeldServer
) -> None:
    app = make_app(settings, held_server.url)
    async with app.run_test(size=SIZE) as pilot:
        assert await in_thread(lambda: held_server.wait_for(lambda s: s.requests == 1))
        await until(pilot, lambda: app.board.phase("https.backend") is Phase.RUNNING, "spinner")
        # The quick checks finish on their own time; then only the held probe is left.
        await until(pilot, lambda: readiness(app).endswith("checking 1…"), "the quick checks")
        await pilot.press("left", "end", "up", "up", "up", "up")
        assert selected(app) == ("3.3", "https.backend")
        assert "Checking now" in detail_text(app)
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        # The probe is still waiting for its answer: the keys did not wait for it.
        assert held_server.answered == 0
        await pilot.press("escape")
        held_server.release()
        await settle(pilot)
        assert app.board.results["https.backend"].status is Status.PASS
        assert held_server.answered == 1


async def test_watch_mode_polls_one_at_a_time(settings: Settings) -> None:
    # Each answer takes 0.2 s; the next poll starts 0.05 s after the last one ended.
    with HeldServer(hold=0.2) as server:
        app = make_app(settings, server.url, watch_interval=0.05)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            assert server.requests == 1
            await pilot.press("w")
            assert app.watching
            assert await in_thread(lambda: server.wait_for(lambda s: s.answered >= 4))
            await pilot.press("w")
            assert not app.watching
            await settle(pilot)
            polled = server.requests
            assert server.max_in_flight == 1
            assert len(app.board.latency["https.backend"]) == polled
            await settle(pilot)
            assert server.requests == polled  # nothing polls once watch mode is off


async def test_sign_off_is_kept_in_history_and_shown_after_restart(
    settings: Settings, quick_server: HeldServer, monkeypatch: object
) -> None:
    monkeypatch.setenv("USER", "alice")  # type: ignore[attr-defined]
    app = make_app(settings, quick_server.url)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("left", "down", "down", "down", "down", "right")
        assert selected(app) == ("2.3", "backup.media")
        await pilot.press("space")
        await settle(pilot)
        assert "✓ signed" in item_lines(app)["backup.media"]
        assert "Signed off by alice at " in detail_text(app)
    assert history.signoffs(settings)["backup.media"][0] == "alice"

    again = make_app(settings, quick_server.url)
    async with again.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert again.board.signoffs["backup.media"][0] == "alice"
        again.checklist.select_check("backup.media")
        await pilot.pause()
        assert "Signed off by alice at " in detail_text(again)
        await pilot.press("space")  # withdraw
        await settle(pilot)
    assert "backup.media" not in history.signoffs(settings)


async def test_restart_shows_the_last_state_while_checking_again(
    settings: Settings, env_file: Path, held_server: HeldServer
) -> None:
    held_server.release()
    first = make_app(settings, held_server.url)
    async with first.run_test(size=SIZE) as pilot:
        await settle(pilot)
    assert history.last_run(settings) is not None

    env_file.write_text(f"SECRET_KEY={STRONG_KEY}\n", encoding="utf-8")
    held_server.released.clear()  # the live probe now hangs until released
    second = make_app(settings, held_server.url)
    async with second.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: "env.secret_key" in second.board.results, "a result")
        await until(pilot, lambda: second.board.baseline != {}, "the history")
        # The held probe shows last run's verdict, dimmed, until its new one arrives.
        assert second.board.is_stale("https.backend")
        second.checklist.select_check("https.backend")
        await pilot.pause()
        assert "From the last recorded run." in detail_text(second)
        second.checklist.select_check("env.secret_key")
        await pilot.pause()
        assert "was ✘" in item_lines(second)["env.secret_key"]
        assert "Changed since the last run: was ✘ fail" in detail_text(second)
        held_server.release()
        await settle(pilot)


async def test_export_writes_a_private_report_equal_to_launchtui_report(
    settings: Settings, quick_server: HeldServer, monkeypatch: object
) -> None:
    monkeypatch.setenv("USER", "bob")  # type: ignore[attr-defined]
    app = make_app(settings, quick_server.url)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(pilot)
        app.checklist.select_check("backup.media")
        await pilot.press("space")
        await settle(pilot)
        await pilot.press("e")
        await settle(pilot)
    reports = list((user_data_dir() / "reports").glob("signoff_production_*.md"))
    assert len(reports) == 1
    assert stat.S_IMODE(reports[0].stat().st_mode) == 0o600
    text = reports[0].read_text(encoding="utf-8")
    assert "| `backup.media` | manual |" in text and "bob at " in text
    assert "**1/3 ready, 1 fail, 1 manual**" in text
    assert text == history.markdown_report(settings)


async def test_palette_finds_a_check_and_jumps_to_it(
    settings: Settings, quick_server: HeldServer
) -> None:
    app = make_app(settings, quick_server.url)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+p")
        assert CommandPalette.is_open(app)
        assert "https.backend" in await palette_top_hit(pilot, "backend answers")
        await pilot.press("enter")
        await until(pilot, lambda: not CommandPalette.is_open(app), "the palette to close")
        await pilot.pause()
        assert selected(app) == ("3.3", "https.backend")


async def test_palette_reruns_a_check(settings: Settings, quick_server: HeldServer) -> None:
    app = make_app(settings, quick_server.url)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+p")
        hit = await palette_top_hit(pilot, "re-run https.backend")
        assert hit.startswith("Re-run https.backend")
        await pilot.press("enter")
        assert await in_thread(lambda: quick_server.wait_for(lambda s: s.answered == 2))
        await settle(pilot)
        assert len(app.board.latency["https.backend"]) == 2


async def test_palette_runs_app_actions(settings: Settings, quick_server: HeldServer) -> None:
    app = make_app(settings, quick_server.url)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+p")
        assert (await palette_top_hit(pilot, "run all")).startswith("Run all")
        await pilot.press("enter")
        assert await in_thread(lambda: quick_server.wait_for(lambda s: s.answered == 2))
        await settle(pilot)
        assert app.board.results["https.backend"].status is Status.PASS


async def test_evidence_that_looks_like_markup_is_shown_as_written(
    settings: Settings, quick_server: HeldServer
) -> None:
    app = make_app(settings, quick_server.url)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        app.checklist.select_check("https.backend")
        await pilot.pause()
        assert "[werkzeug]" in app.export_screenshot()


async def test_copy_puts_the_exact_command_on_the_clipboard(
    settings: Settings, quick_server: HeldServer
) -> None:
    app = make_app(settings, quick_server.url)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("c")
        assert app.clipboard == "openssl rand -hex 32"


async def test_help_lists_every_action_key(settings: Settings, quick_server: HeldServer) -> None:
    app = make_app(settings, quick_server.url)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        shown = {str(label.content) for label in app.screen.query(".key")}
        assert {a.key_display or a.key for a in ACTIONS if a.key != "space"} | {"space"} <= shown
        await pilot.press("escape")
        assert not isinstance(app.screen, HelpScreen)


async def test_t_switches_between_dark_and_light(
    settings: Settings, quick_server: HeldServer
) -> None:
    app = make_app(settings, quick_server.url)
    async with app.run_test(size=SIZE) as pilot:
        assert app.theme == "textual-dark"
        await pilot.press("t")
        assert app.theme == "textual-light"
        await pilot.press("t")
        assert app.theme == "textual-dark"
        await settle(pilot)


async def test_an_unreadable_env_file_stops_the_run_with_a_message(
    settings: Settings, env_file: Path, quick_server: HeldServer
) -> None:
    env_file.write_bytes(b"SECRET_KEY=\xff\xfe\x00odd\n")
    app = make_app(settings, quick_server.url)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(pilot)
        messages = [n.message for n in app._notifications]
        assert any("Cannot read env file" in m for m in messages), messages
        assert not app.board.busy()
        assert "----" in item_lines(app)["env.secret_key"]


async def test_the_app_works_when_the_history_cannot_be_written(
    settings: Settings, quick_server: HeldServer, tmp_path: Path, monkeypatch: object
) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("", encoding="utf-8")
    monkeypatch.setenv("XDG_DATA_HOME", str(blocker))  # type: ignore[attr-defined]
    app = make_app(settings, quick_server.url)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(pilot)
        assert readiness(app).endswith("1/3 ready, 1 fail, 1 manual")
        messages = [n.message for n in app._notifications]
        assert any("run history is unavailable" in m for m in messages), messages
