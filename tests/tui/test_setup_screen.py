"""The setup screen: reasons beside each field, nothing written until it is right, skip
runs the checklist as things are, `s` opens it from the board, and a saved profile is
used at once. A check skipped for a missing input says which key gives it."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from textual.widgets import Input, Static

from launchtui.core.config import Settings, load_settings
from launchtui.core.model import Status
from launchtui.tui.app import LaunchApp
from launchtui.tui.screens.setup import SetupScreen
from tests.tui.conftest import STRONG_KEY, HeldServer, make_app
from tests.tui.demo_setup import demo_app, make_project
from tests.tui.helpers import detail_text, judged, settle, setup_open, type_into, until


def why(app: LaunchApp, key: str) -> str:
    return str(app.screen.query_one(f"#why-{key}", Static).content)


@pytest.fixture
def here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "project"
    folder.mkdir()
    monkeypatch.chdir(folder)
    return folder


async def test_a_bad_field_says_why_beside_it_and_nothing_is_written(
    here: Path, quick_server: HeldServer
) -> None:
    # --health-path has no field: a profile saved from the screen keeps it all the same.
    app = make_app(Settings(health_path="/api/health"), quick_server.url, first_run=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: setup_open(app), "the setup screen")
        await type_into(pilot, "backend_dir", "nowhere")
        await judged(pilot, "backend_dir", "bad")
        assert "✘ no such directory" in why(app, "backend_dir")
        await type_into(pilot, "frontend_url", "http://shop.example.com")
        await judged(pilot, "frontend_url", "bad")
        assert "https://" in why(app, "frontend_url")
        await pilot.press("ctrl+s")
        error = app.screen.query_one("#setup-error", Static)
        await until(pilot, lambda: error.display, "the refusal")
        assert str(error.content) == "Fix or clear: Backend dir, Frontend URL."
        assert isinstance(app.screen, SetupScreen)
        assert app.board.merged() == []  # the checks still wait
        # Cleared, the fields are fine: empty means "skip what needs it".
        await type_into(pilot, "backend_dir", "")
        await type_into(pilot, "frontend_url", "")
        await judged(pilot, "frontend_url", "empty")
        await pilot.press("ctrl+s")
        await until(pilot, lambda: not isinstance(app.screen, SetupScreen), "the save")
        assert app.settings.health_path == "/api/health"
    assert 'health_path = "/api/health"' in (here / "launchtui.toml").read_text()


async def test_skip_runs_the_checklist_as_things_are_and_writes_nothing(
    here: Path, quick_server: HeldServer
) -> None:
    app = make_app(Settings(), quick_server.url, first_run=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: setup_open(app), "the setup screen")
        await pilot.pause()
        assert app.board.merged() == []
        await pilot.press("escape")
        await until(pilot, lambda: app.board.complete(), "the run after the skip")
        await settle(pilot)
        assert not isinstance(app.screen, SetupScreen)
        assert app.settings == Settings()
    assert list(here.iterdir()) == []


async def test_s_opens_the_profile_and_saving_edits_it_in_place_and_reruns(
    here: Path, quick_server: HeldServer
) -> None:
    (here / ".env.production").write_text("SECRET_KEY=short\n")
    (here / "strong.env").write_text(f"SECRET_KEY={STRONG_KEY}\n")
    config = here / "launchtui.toml"
    config.write_text(
        "# hand-written\n"
        "[profiles.staging]\n"
        'frontend_url = "https://staging.example.com"\n\n'
        "[profiles.production]\n"
        'env_file = ".env.production"\n'
        'frontend_url = "https://old.example.com"\n'
        'silence = ["security.headers"]\n'
    )
    settings = load_settings({"profile": "production"}, cwd=here)
    app = make_app(settings, quick_server.url)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert app.board.shown("env.secret_key").status is Status.FAIL
        await pilot.press("s")
        await until(pilot, lambda: setup_open(app), "the setup screen")
        screen = app.screen
        assert isinstance(screen, SetupScreen)
        assert screen.value("env_file") == ".env.production"
        assert screen.value("frontend_url") == "https://old.example.com"
        assert screen.value("path") == "launchtui.toml"
        await judged(pilot, "path", "ok")
        assert "[production]" in why(app, "path")
        await type_into(pilot, "env_file", "strong.env")
        await judged(pilot, "env_file", "warn")  # no DATABASE_URL in it: kept, with a word
        await type_into(pilot, "frontend_url", "")
        await pilot.press("ctrl+s")
        await until(pilot, lambda: not isinstance(app.screen, SetupScreen), "the save")
        # The new profile is in use at once: the checks ran again with its env file.
        await until(
            pilot,
            lambda: (
                (r := app.board.shown("env.secret_key")) is not None and r.status is Status.PASS
            ),
            "the re-run with the new env file",
        )
        assert app.settings.frontend_url is None
        assert app.settings.env_file == here / "strong.env"
    text = config.read_text()
    assert text.startswith("# hand-written\n")
    assert 'frontend_url = "https://staging.example.com"' in text
    assert 'silence = ["security.headers"]' in text
    assert '# frontend_url = "https://old.example.com"' in text
    assert 'env_file = "strong.env"' in text


async def test_a_check_skipped_for_a_missing_input_names_its_key_and_s_is_the_way(
    here: Path,
) -> None:
    app = LaunchApp(Settings(), environ={})
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        app.select_check("deploy.procfile")
        await pilot.pause()
        text = detail_text(app)
        assert "--backend-dir (profile key backend_dir)" in text
        assert "s opens the setup" in text
        app.select_check("db.migrations")
        await pilot.pause()
        assert "which needs --env-file (profile key env_file)" in detail_text(app)
        await pilot.press("s")
        await until(pilot, lambda: setup_open(app), "the setup screen")


def test_the_setup_screen_at_80x24(
    snap_compare: Callable[..., bool], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.chdir(make_project(tmp_path))

    async def filled(pilot) -> None:  # type: ignore[no-untyped-def]
        app = pilot.app
        await until(pilot, lambda: setup_open(app), "the setup screen")
        screen = app.screen
        await until(pilot, lambda: screen.found is not None, "the look around")
        await type_into(pilot, "backup_dir", "backups")
        await type_into(pilot, "offsite", "s3://shop-backups/launchtui")
        done = ("env_file", "frontend_url", "backend_url", "backup_dir", "offsite")
        await until(
            pilot,
            lambda: (
                all(screen.judged.get(k) and screen.judged[k].level != "empty" for k in done)
                and screen.judged["frontend_url"].level == "ok"
                and screen.judged["backend_url"].level == "ok"
            ),
            "every judgement",
        )
        screen.query_one("#setup-env_file", Input).focus()
        await pilot.pause()

    assert snap_compare(demo_app(), terminal_size=(80, 24), run_before=filled)


async def test_an_offered_file_names_the_others_found(here: Path, quick_server: HeldServer) -> None:
    (here / ".env.production").write_text("DATABASE_URL=mysql+pymysql://u:p@h:4000/d\n")
    (here / ".env").write_text("SECRET_KEY=dev\n")
    app = make_app(Settings(), quick_server.url, first_run=True)
    async with app.run_test(size=(120, 30)) as pilot:
        await until(pilot, lambda: setup_open(app), "the setup screen")
        await until(pilot, lambda: "found" in why(app, "env_file"), "the offer")
        assert app.screen.value("env_file") == ".env.production"
        assert "· found (also .env)" in why(app, "env_file")
