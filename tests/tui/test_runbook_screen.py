"""The runbook screen: i picks the incident, the steps run live, keys answer, watch, export."""

from __future__ import annotations

import asyncio
import os
import stat
from typing import Any

from launchtui.core.config import Settings, user_data_dir
from launchtui.core.context import Context
from launchtui.core.model import Status, Verdict, passed
from launchtui.core.registry import Registry
from launchtui.core.runbooks import Runbook, RunbookVerdict
from launchtui.tui.app import LaunchApp
from launchtui.tui.screens.incidents import IncidentPicker
from launchtui.tui.screens.runbook import TREND_SAMPLES, RunbookScreen
from tests.servers.mariadb import MariaDB, SilentServer
from tests.tui.helpers import settle, until

SIZE = (80, 24)


def db_app(url: str) -> LaunchApp:
    return LaunchApp(Settings(), environ={"PATH": os.environ["PATH"], "DATABASE_URL": url})


def screen_of(app: LaunchApp) -> RunbookScreen:
    assert isinstance(app.screen, RunbookScreen), type(app.screen).__name__
    return app.screen


def verdict_text(app: LaunchApp) -> str:
    return str(screen_of(app).query_one("#runbook-verdict").content)


def timeline_text(app: LaunchApp) -> str:
    return "\n".join(line.text for line in screen_of(app).query_one("#runbook-timeline").lines)


async def test_i_opens_db_down_and_a_healthy_database_reads_none(mariadb: MariaDB) -> None:
    app = db_app(mariadb.url)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = await on_screen(app, "db-down", pilot)  # i, then 4.3 in the picker
        assert screen.finished is not None and screen.finished.verdict.layer == "none"
        assert verdict_text(app).startswith("Verdict: none")
        for sid in ("db.dns", "db.tcp", "db.tls", "db.auth", "db.query"):
            assert screen.status_of(sid) is Status.PASS, sid
        assert mariadb.password not in verdict_text(app) + timeline_text(app)
        await pilot.press("escape")
        assert not isinstance(app.screen, RunbookScreen)


async def test_a_wrong_password_is_named_auth_on_screen(mariadb: MariaDB) -> None:
    app = db_app(mariadb.url_for(password="not-the-password"))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.open_runbook("db-down")
        screen = screen_of(app)
        await until(pilot, lambda: screen.finished is not None, "the pass")
        assert verdict_text(app).startswith("Verdict: auth")
        assert "tidb_console" in verdict_text(app)  # the next step names the console link
        table = screen.query_one("DataTable")
        # The query was never tried, so it has no time and no trend; the login has both.
        assert table.get_row("db.query")[2:4] == ["–", ""]  # type: ignore[attr-defined]
        assert table.get_row("db.auth")[2] != "–"  # type: ignore[attr-defined]


async def test_keys_answer_while_the_database_hangs_and_notes_reach_the_timeline(
    silent_tcp_server: SilentServer, mariadb: MariaDB
) -> None:
    url = mariadb.url_for(host="127.0.0.1", port=silent_tcp_server.port)
    app = db_app(url)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.open_runbook("db-down")
        screen = screen_of(app)
        await until(pilot, lambda: screen.running, "the pass to start")
        await pilot.press("n")
        await pilot.press(*"checked the TiDB console", "enter")
        # The probe still waits on a server that never speaks: the keys did not.
        assert screen.running
        assert "note: checked the TiDB console" in timeline_text(app)
        await until(pilot, lambda: screen.finished is not None, "the pass to end")
        assert screen.finished is not None
        assert screen.finished.verdict.layer in ("tls", "query")  # accepted, never answered


async def test_watch_records_a_change_and_e_exports_the_incident_report(
    mariadb: MariaDB,
) -> None:
    user, good = "rbwatch", "watch-pw-1"
    mariadb.create_user(user, "wrong-for-now", [mariadb.database])
    app = db_app(mariadb.url_for(user=user, password=good))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.open_runbook("db-down")
        screen = screen_of(app)
        await until(pilot, lambda: screen.finished is not None, "the first pass")
        assert screen.finished is not None and screen.finished.verdict.layer == "auth"
        mariadb.root_sql(f"ALTER USER '{user}'@'%%' IDENTIFIED BY %s", (good,))
        screen.watching = True  # as w does, without waiting out the interval
        screen.action_run_pass()
        await until(
            pilot,
            lambda: screen.finished is not None and screen.finished.verdict.layer == "none",
            "the fixed pass",
        )
        assert "db.auth fail -> pass" in timeline_text(app)
        await pilot.press("w")  # watch off again
        await pilot.press("e")
        reports = user_data_dir() / "reports"
        await until(pilot, lambda: reports.exists() and any(reports.iterdir()), "the report")
        [report] = list(reports.iterdir())
        assert stat.S_IMODE(report.stat().st_mode) == 0o600
        text = report.read_text()
        assert text.startswith("# Incident: Database connection failure")
        assert "db.auth fail -> pass" in text and "**Verdict:** `none`" in text
        assert good not in text


def test_the_runbook_screen_at_80x24(snap_compare: Any) -> None:
    from tests.tui.demo_runbook import demo_app, settled

    assert snap_compare(demo_app(), terminal_size=(80, 24), run_before=settled)


def test_the_runbook_screen_at_120x40(snap_compare: Any) -> None:
    from tests.tui.demo_runbook import demo_app, settled

    assert snap_compare(demo_app(), terminal_size=(120, 40), run_before=settled)


async def on_screen(app: LaunchApp, name: str, pilot: Any) -> RunbookScreen:
    """Open a runbook from the picker as a person would, and wait for its verdict."""
    await pilot.press("i")
    picker = app.screen
    assert isinstance(picker, IncidentPicker)
    names = [o.id for o in picker.query_one("#incident-list").options]
    await pilot.press(*["down"] * names.index(name), "enter")
    screen = screen_of(app)
    assert screen.runbook.name == name
    await until(pilot, lambda: screen.finished is not None, f"the {name} pass")
    return screen


async def test_frontend_down_names_a_refused_port_tcp_on_screen(dead_port: str) -> None:
    app = LaunchApp(Settings(frontend_url=dead_port), environ={})
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await on_screen(app, "frontend-down", pilot)
        assert verdict_text(app).startswith("Verdict: tcp")
        assert "Vercel deployment logs" in verdict_text(app)


async def test_api_500_names_a_failing_health_path_http_on_screen(
    serve: Any, https_certs: Any
) -> None:
    from tests.servers.https import flask_backend

    site = serve(flask_backend(origins=("https://shop.example.com",), health_status=500))
    settings = Settings(ca_file=https_certs.ca_file, frontend_url="https://shop.example.com")
    app = LaunchApp(settings, environ={"VITE_API_URL": site.url})
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await on_screen(app, "api-500", pilot)
        assert verdict_text(app).startswith("Verdict: http")
        assert "Railway/Render backend logs" in verdict_text(app)


async def test_images_broken_names_a_wrong_secret_auth_on_screen(
    cloudinary_api: Any, tmp_path: Any
) -> None:
    cloudinary_api.seed(1)
    a = cloudinary_api.accounts[cloudinary_api.cloud]
    wrong = cloudinary_api.cloudinary_url.replace(f":{a.secret}@", ":not-the-secret@")
    app = LaunchApp(Settings(backup_dir=tmp_path), environ={"CLOUDINARY_URL": wrong})
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await on_screen(app, "images-broken", pilot)
        assert verdict_text(app).startswith("Verdict: auth")
        assert "not-the-secret" not in verdict_text(app) + timeline_text(app)


async def test_enter_on_section_4_3_runs_its_runbook(mariadb: MariaDB) -> None:
    app = db_app(mariadb.url)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("left", "end", "up", "enter")  # the sidebar, 4.4, 4.3
        assert screen_of(app).runbook.name == "db-down"


async def test_l_runs_the_log_command_and_its_last_lines_join_the_timeline(
    serve: Any, https_certs: Any, tmp_path: Any, monkeypatch: Any
) -> None:
    from tests.servers.https import flask_backend

    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    railway = bin_dir / "railway"  # the platform's CLI, as installed on the box
    railway.write_text('#!/bin/sh\nfor i in 1 2 3 4 5; do echo "log line $i"; done\n')
    railway.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}:{os.environ['PATH']}")
    site = serve(flask_backend(origins=("https://shop.example.com",), health_status=500))
    settings = Settings(
        ca_file=https_certs.ca_file,
        frontend_url="https://shop.example.com",
        links={"railway": "https://railway.app/project/x"},
    )
    app = LaunchApp(settings, environ={"VITE_API_URL": site.url})
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await on_screen(app, "api-500", pilot)
        await pilot.press("l")
        await until(pilot, lambda: "log line 5" in timeline_text(app), "the log's last lines")
        assert "ran `railway logs`" in timeline_text(app)


async def test_db_down_names_each_broken_layer_on_screen(
    mariadb: MariaDB, refused_port: int
) -> None:
    faults = {
        "dns": mariadb.url_for(host="db.launchtui.invalid"),
        "tcp": mariadb.url_for(host="127.0.0.1", port=refused_port),
        "tls": mariadb.url_for(query=f"ssl_ca={mariadb.wrong_ca_pem}"),
    }
    for layer, url in faults.items():
        app = db_app(url)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            await on_screen(app, "db-down", pilot)
            assert verdict_text(app).startswith(f"Verdict: {layer}"), (layer, verdict_text(app))


async def test_a_slow_step_and_a_full_trend_keep_the_table_inside_80_columns() -> None:
    """A step of over a second and a trend of every kept pass: no column is pushed out of
    sight (the summary column was fitted before the others had grown, which scrolled)."""
    steps, passes = Registry(), []

    @steps.check("db.config", section="4.3", title="DATABASE_URL parses")
    async def _config(ctx: Context) -> Verdict:
        return passed("DATABASE_URL is mysql+pymysql://app:****@gateway01.example:4000/shop.")

    @steps.check("db.query", section="4.3", title="SELECT 1", needs=("db.config",))
    async def _query(ctx: Context) -> Verdict:
        passes.append(1)
        await asyncio.sleep(1.05 if len(passes) == 1 else 0)  # the first pass is slow
        return passed("SELECT 1 answered in a while, with a summary long enough to be cut.")

    def healthy(ctx: Context, results: Any) -> RunbookVerdict:
        return RunbookVerdict("none", "Every layer answers.", ())

    book = Runbook("db-down", "4.3", "Database connection failure", steps, healthy)
    app = LaunchApp(Settings(), registry=Registry(), environ={})
    async with app.run_test(size=SIZE) as pilot:
        screen = RunbookScreen(book)
        app.push_screen(screen)
        await until(pilot, lambda: screen.is_mounted, "the runbook screen")
        table = screen.query_one("DataTable")
        for n in range(1, TREND_SAMPLES + 1):
            if n > 1:
                await pilot.press("r")
            await until(pilot, lambda n=n: len(passes) == n and not screen.running, "a pass")
            await pilot.pause()
            row = table.get_row("db.query")  # type: ignore[attr-defined]
            if n == 1:
                assert str(row[2]).startswith("1,0"), row
            assert table.max_scroll_x == 0, (n, row)
        assert len(str(row[3])) == TREND_SAMPLES
