"""Regenerate screenshots/*.svg: the real app running the shipped checks on a real stack.

    .venv/bin/python scripts/screenshots.py

The stack is the one the tests use, started on loopback: a private MariaDB with TLS
(its schema one migration behind, 20 ms of simulated WAN away), HTTPS frontend and
backend sites with throwaway certificates (the backend sends no protective headers), a
Cloudinary Admin API whose plan is 85% used, and a fresh database backup and media
inventory. The env files are tests/fixtures/env/production.env pointed at these
servers; their names (shop.example.com, api.shop.example.com, api.cloudinary.com)
resolve to them through an in-process hosts table, so every URL reads as in production.

Each shot starts the app as `launchtui` does, with a throwaway data dir (no history from
this machine), and waits for every check to finish. Latencies and timings are measured
live, so they differ between runs; nothing else on screen does, and no clock is shown.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import html
import os
import re
import shutil
import socket
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import trustme  # noqa: E402
from rich.cells import cell_len  # noqa: E402
from textual.pilot import Pilot  # noqa: E402

from launchtui.core.config import Settings  # noqa: E402
from launchtui.tui.app import LaunchApp  # noqa: E402
from tests.checks_backups.builders import make_db_backup, make_media_inventory  # noqa: E402
from tests.servers.cloudinary_api import CloudinaryApi  # noqa: E402
from tests.servers.https import (  # noqa: E402
    HSTS_GOOD,
    SECURITY_HEADERS,
    LoopbackServer,
    WSGIApp,
    flask_backend,
    frontend_site,
    server_context,
    serving,
)
from tests.servers.mariadb import MariaDB, running_mariadb  # noqa: E402
from tests.servers.slow_link import SlowLink  # noqa: E402
from tests.tui.helpers import settle  # noqa: E402

OUT = ROOT / "screenshots"
FIXTURES = ROOT / "tests" / "fixtures"
BACKEND_DIR = FIXTURES / "backend_good"
FRONTEND_HOST, BACKEND_HOST, CLOUDINARY_HOST = (
    "shop.example.com",
    "api.shop.example.com",
    "api.cloudinary.com",
)
CLOUD = "my-cloud"  # the cloud production.env names
# The first of backend_good's two migrations: the database is one revision behind.
STAMPED_REVISION = "3f1a9c2b7d10"
# The database answers on TiDB's port, one WAN round trip away.
DB_PORT, DB_ROUND_TRIP = 4000, 0.02
# Re-runs of the database probe before the latency sparkline is shot.
RERUNS = 14
Step = Callable[[Pilot[object]], Awaitable[None]]


# -- the stack ---------------------------------------------------------------------


@dataclass(frozen=True)
class Stack:
    """What the app is pointed at: its settings and the process environment it sees."""

    settings: Settings
    environ: Mapping[str, str]


@contextlib.contextmanager
def network(ports: Mapping[str, int]) -> Iterator[None]:
    """Give each name its own loopback address, whose ports 443 and 80 reach the named server.

    What /etc/hosts plus a port forward would do, confined to this process: the app's
    own resolver, TLS and HTTP code run unchanged.
    """
    address = {name: f"127.0.80.{n}" for n, name in enumerate(ports, 1)}
    forward = {address[name]: port for name, port in ports.items()}
    real_getaddrinfo, real_connect = socket.getaddrinfo, socket.socket.connect

    def getaddrinfo(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        name = host.decode() if isinstance(host, bytes) else host
        return real_getaddrinfo(address.get(name, host), port, *args, **kwargs)

    def connect(sock: socket.socket, addr: Any) -> None:
        if isinstance(addr, tuple) and addr[0] in forward and addr[1] in (80, 443):
            addr = ("127.0.0.1", forward[addr[0]])
        real_connect(sock, addr)

    socket.getaddrinfo = getaddrinfo  # type: ignore[assignment]
    socket.socket.connect = connect  # type: ignore[method-assign]
    try:
        yield
    finally:
        socket.getaddrinfo = real_getaddrinfo  # type: ignore[assignment]
        socket.socket.connect = real_connect  # type: ignore[method-assign]


def certificate(ca: trustme.CA, host: str, days: int) -> trustme.LeafCert:
    """A certificate for `host` with `days` left, as a fresh Let's Encrypt one might have."""
    now = dt.datetime.now(dt.UTC)
    return ca.issue_cert(
        host,
        not_before=now - dt.timedelta(days=90 - days),
        not_after=now + dt.timedelta(days=days, hours=1),
    )


def one_migration_behind(db: MariaDB) -> None:
    """The schema of the first migration, stamped at it: the second one was never run."""
    db.root_sql(
        f"CREATE TABLE `{db.database}`.alembic_version "
        "(version_num VARCHAR(32) NOT NULL, PRIMARY KEY (version_num))"
    )
    db.root_sql(f"INSERT INTO `{db.database}`.alembic_version VALUES (%s)", (STAMPED_REVISION,))
    db.root_sql(
        f"CREATE TABLE `{db.database}`.users (id INT NOT NULL AUTO_INCREMENT, "
        "email VARCHAR(255) NOT NULL UNIQUE, password_hash VARCHAR(255) NOT NULL, "
        "PRIMARY KEY (id))"
    )


def backend_env(database_url: str, api: CloudinaryApi, uploads: Path) -> str:
    """production.env with DATABASE_URL and CLOUDINARY_URL pointed at the running servers."""
    account = api.accounts[CLOUD]
    replaced = {
        "DATABASE_URL": database_url,
        "CLOUDINARY_URL": f"cloudinary://{account.key}:{account.secret}@{CLOUD}",
    }
    lines = []
    for line in (FIXTURES / "env" / "production.env").read_text(encoding="utf-8").splitlines():
        name = line.partition("=")[0]
        lines.append(f"{name}={replaced[name]}" if name in replaced else line)
    lines.append(f"UPLOAD_FOLDER={uploads}")
    return "\n".join(lines) + "\n"


@contextlib.contextmanager
def work_dir() -> Iterator[Path]:
    """One fixed directory, so the paths the checks print are the same on every run."""
    path = Path(tempfile.gettempdir()) / "launchtui-screenshots"
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(mode=0o700)
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


@contextlib.contextmanager
def real_stack() -> Iterator[Stack]:
    """Start every server, write the env files and backups; stop and remove it all after."""
    ca = trustme.CA(organization_name="launchtui screenshots CA")
    frontend_url, backend_url = f"https://{FRONTEND_HOST}", f"https://{BACKEND_HOST}"
    origins = [frontend_url, f"https://www.{FRONTEND_HOST}"]
    frontend_headers = {"Strict-Transport-Security": HSTS_GOOD, **SECURITY_HEADERS}
    sites: dict[str, tuple[WSGIApp, trustme.LeafCert]] = {
        FRONTEND_HOST: (
            frontend_site(backend_url, headers=frontend_headers),
            certificate(ca, FRONTEND_HOST, 74),
        ),
        # The backend forgot its protective headers: security.headers warns.
        BACKEND_HOST: (
            flask_backend(origins=origins, security_headers=False),
            certificate(ca, BACKEND_HOST, 61),
        ),
    }
    with work_dir() as root, running_mariadb() as db, contextlib.ExitStack() as stack:
        one_migration_behind(db)
        link = SlowLink(db.port, DB_ROUND_TRIP, jitter=0.25, port=DB_PORT)
        stack.callback(link.close)
        ports = {
            host: stack.enter_context(serving(LoopbackServer(app, server_context(cert)))).port
            for host, (app, cert) in sites.items()
        }
        api = CloudinaryApi.start(server_context(certificate(ca, CLOUDINARY_HOST, 52)))
        stack.callback(api.stop)
        api.add_account(CLOUD)
        api.set_usage("Plus", cloud=CLOUD, credits=85.0, bandwidth=61.0, storage=38.0)
        ports[CLOUDINARY_HOST] = api.port
        stack.enter_context(network(ports))

        # One bundle trusts both the sites' CA and the database's.
        bundle = root / "ca-bundle.pem"
        bundle.write_bytes(ca.cert_pem.bytes() + db.ca_pem.read_bytes())
        database_url = db.url_for(port=link.port, query=f"ssl_ca={bundle}")
        uploads = root / "uploads"
        uploads.mkdir()
        # Uploads nobody cleaned: tmp.cleanup warns, and its fix key offers the cleanup.
        for n, hours in enumerate((75, 52, 30, 2)):
            upload = uploads / f"avatar-{n + 1}.jpg"
            upload.write_bytes(b"\xff" * (180_000 + 41_000 * n))
            stamp = time.time() - hours * 3600
            os.utime(upload, (stamp, stamp))
        env_file = root / ".env.production"
        env_file.write_text(backend_env(database_url, api, uploads), encoding="utf-8")
        frontend_env_file = root / ".env.frontend"
        frontend_env_file.write_text(
            f"VITE_API_URL={backend_url}\nVITE_CLOUDINARY_CLOUD_NAME={CLOUD}\n", encoding="utf-8"
        )
        backups = root / "backups"
        make_db_backup(backups, db=db.database, age=dt.timedelta(hours=3), compressed=True)
        make_media_inventory(backups, cloud=CLOUD, age=dt.timedelta(days=2))
        settings = Settings(
            profile="production",
            env_file=env_file,
            frontend_env_file=frontend_env_file,
            backend_dir=BACKEND_DIR,
            frontend_url=frontend_url,
            backend_url=backend_url,
            backup_dir=backups,
            ca_file=bundle,
        )
        yield Stack(settings, {"PATH": os.environ.get("PATH", "/usr/bin:/bin")})


# -- the shots -----------------------------------------------------------------------


async def at_launch(pilot: Pilot[object]) -> None:
    """What the user sees once every check has reported: the first item of 1.1."""


async def database_detail(pilot: Pilot[object]) -> None:
    """The live database probe, re-run a few times so its latency sparkline has a shape."""
    app = pilot.app
    assert isinstance(app, LaunchApp)
    app.checklist.select_check("db.connect")
    for _ in range(RERUNS):
        await pilot.press("r")
        await settle(pilot)
    await pilot.press("right")


def showing(cid: str) -> Step:
    """Select one check, as the palette's jump does."""

    async def step(pilot: Pilot[object]) -> None:
        app = pilot.app
        assert isinstance(app, LaunchApp)
        app.checklist.select_check(cid)

    return step


async def help_screen(pilot: Pilot[object]) -> None:
    await pilot.press("question_mark")


async def palette(pilot: Pilot[object]) -> None:
    """The command palette, finding the migration checks as the user types."""
    await pilot.press("ctrl+p")
    await settle(pilot)
    await pilot.press(*"migrat")
    await settle(pilot)


def fixing(cid: str) -> Step:
    """Select a check and press the fix key: the action's plan, waiting for the user's go."""

    async def step(pilot: Pilot[object]) -> None:
        from launchtui.tui.screens.action import ActionScreen
        from tests.tui.helpers import until

        app = pilot.app
        assert isinstance(app, LaunchApp)
        app.checklist.select_check(cid)
        await pilot.press("f")
        await until(
            pilot,
            lambda: isinstance(app.screen, ActionScreen) and app.screen.state != "planning",
            "the plan",
        )

    return step


async def backing_up(pilot: Pilot[object]) -> None:
    """b: the database backup in its modal, finished, with the re-checked backup.database."""
    from launchtui.tui.screens.action import ActionScreen
    from tests.tui.helpers import until

    app = pilot.app
    assert isinstance(app, LaunchApp)
    app.action_run_action("backup-db")
    await until(
        pilot,
        lambda: isinstance(app.screen, ActionScreen) and app.screen.state == "done",
        "the backup",
    )


def runbook(name: str) -> Step:
    """A runbook's screen once its first pass has its verdict."""

    async def step(pilot: Pilot[object]) -> None:
        from launchtui.tui.screens.runbook import RunbookScreen
        from tests.tui.helpers import until

        app = pilot.app
        assert isinstance(app, LaunchApp)
        app.open_runbook(name)
        await until(
            pilot,
            lambda: isinstance(app.screen, RunbookScreen) and app.screen.finished is not None,
            "the runbook's verdict",
        )

    return step


SHOTS: tuple[tuple[str, tuple[int, int], str, Step], ...] = (
    ("checklist-80x24-dark", (80, 24), "textual-dark", at_launch),
    ("checklist-80x24-light", (80, 24), "textual-light", at_launch),
    ("checklist-120x40-dark", (120, 40), "textual-dark", showing("db.migrations")),
    ("checklist-120x40-light", (120, 40), "textual-light", showing("db.migrations")),
    ("detail-120x40-dark", (120, 40), "textual-dark", database_detail),
    ("detail-80x24-light", (80, 24), "textual-light", database_detail),
    ("wide-160x45-dark", (160, 45), "textual-dark", showing("security.headers")),
    ("incidents-120x40-dark", (120, 40), "textual-dark", showing("cloudinary.quota")),
    ("migrate-120x40-dark", (120, 40), "textual-dark", fixing("db.migrations")),
    ("cleanup-80x24-dark", (80, 24), "textual-dark", fixing("tmp.cleanup")),
    ("backup-80x24-dark", (80, 24), "textual-dark", backing_up),
    ("runbook-db-down-120x40-dark", (120, 40), "textual-dark", runbook("db-down")),
    ("runbook-api-500-80x24-dark", (80, 24), "textual-dark", runbook("api-500")),
    ("help-80x24-dark", (80, 24), "textual-dark", help_screen),
    ("palette-120x40-dark", (120, 40), "textual-dark", palette),
)


async def shoot(stack: Stack, size: tuple[int, int], theme: str, step: Step) -> str:
    """Launch the app as `launchtui` would, wait for every check, act, and capture."""
    app = LaunchApp(stack.settings, environ=stack.environ)
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        app.theme = theme
        await step(pilot)
        await pilot.pause()
        return app.export_screenshot(title="launchtui")


_TEXT = re.compile(
    r'(<text [^>]*?x=")([\d.]+)("[^>]*? textLength=")([\d.]+)("[^>]*>)((?:&#160;)+)([^<]+)</text>'
)


def portable(svg: str) -> str:
    """Start each text run after its leading no-break spaces, which librsvg would drop."""

    def shift(m: re.Match[str]) -> str:
        spaces, text = m[6].count("&#160;"), m[7]
        cell = float(m[4]) / (spaces + cell_len(html.unescape(text)))
        x, length = float(m[2]) + spaces * cell, float(m[4]) - spaces * cell
        return f"{m[1]}{x:g}{m[3]}{length:g}{m[5]}{text}</text>"

    return _TEXT.sub(shift, svg)


async def shoot_setup(stack: Stack, size: tuple[int, int], theme: str) -> str:
    """`launchtui` in a project checkout with nothing configured: the setup screen, with
    what it found and the two values only the user knows typed in."""
    from launchtui.tui.screens.setup import SetupScreen
    from tests.tui.helpers import type_into, until

    root = Path(str(stack.settings.env_file)).parent
    project = root / "shop"
    shutil.copytree(BACKEND_DIR, project / "backend", dirs_exist_ok=True)
    (project / "frontend").mkdir(exist_ok=True)
    shutil.copy(str(stack.settings.env_file), project / ".env.production")
    (project / ".env.production").chmod(0o600)  # as it should be: it holds the secrets
    shutil.copy(str(stack.settings.frontend_env_file), project / "frontend" / ".env.production")
    here = Path.cwd()
    os.chdir(project)
    try:
        app = LaunchApp(Settings(), environ=stack.environ, first_run=True)
        async with app.run_test(size=size) as pilot:
            app.theme = theme
            await until(
                pilot,
                lambda: isinstance(app.screen, SetupScreen) and app.screen.found is not None,
                "the setup screen",
            )
            screen = app.screen
            assert isinstance(screen, SetupScreen)
            for key, text in (("ca_file", "../ca-bundle.pem"), ("backup_dir", "../backups")):
                await type_into(pilot, key, text)
            await until(
                pilot,
                lambda: all(
                    (j := screen.judged.get(k)) is not None and j.level == "ok"
                    for k in ("frontend_url", "backend_url", "ca_file", "backup_dir")
                ),
                "the sites' answers",
            )
            screen.query_one("#setup-env_file").focus()
            await pilot.pause()
            return app.export_screenshot(title="launchtui")
    finally:
        os.chdir(here)


def main() -> None:
    os.environ.pop("NO_COLOR", None)
    OUT.mkdir(exist_ok=True)
    started = time.perf_counter()
    with real_stack() as stack:
        for name, size, theme, step in SHOTS:
            with tempfile.TemporaryDirectory(prefix="launchtui-data-") as data:
                # A fresh, private history per shot: no earlier run shows through.
                for var in ("XDG_DATA_HOME", "XDG_STATE_HOME", "XDG_CONFIG_HOME"):
                    os.environ[var] = data
                svg = asyncio.run(shoot(stack, size, theme, step))
            (OUT / f"{name}.svg").write_text(portable(svg), encoding="utf-8")
            print(f"screenshots/{name}.svg")
        with tempfile.TemporaryDirectory(prefix="launchtui-data-") as data:
            for var in ("XDG_DATA_HOME", "XDG_STATE_HOME", "XDG_CONFIG_HOME"):
                os.environ[var] = data
            svg = asyncio.run(shoot_setup(stack, (80, 24), "textual-dark"))
        (OUT / "setup-80x24-dark.svg").write_text(portable(svg), encoding="utf-8")
        print("screenshots/setup-80x24-dark.svg")
    print(f"done in {time.perf_counter() - started:.1f} s")


if __name__ == "__main__":
    main()
