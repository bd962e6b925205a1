"""A new user with nothing configured reaches a green board through the setup screen alone.

The stack is healthy and real: a private TLS MariaDB at the backend's migration head,
HTTPS frontend and backend sites, a loopback Cloudinary, an S3-speaking server holding
the offsite copies of backups taken beforehand. The user's project folder holds the two
env files and the backend checkout, as a real checkout does; nothing else is configured.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from launchtui.core.config import load_settings
from launchtui.core.model import Status
from launchtui.tui.app import LaunchApp
from launchtui.tui.screens.setup import SetupScreen
from tests.cli import run_launchtui
from tests.probe_db.support import stamp
from tests.servers.cloudinary_api import CloudinaryApi
from tests.servers.https import (
    HSTS_GOOD,
    SECURITY_HEADERS,
    Certs,
    ServeFn,
    flask_backend,
    frontend_site,
    loopback_alias,
)
from tests.servers.mariadb import MariaDB
from tests.servers.s3 import Bucket
from tests.tui.helpers import judged, settle, setup_open, type_into, until

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
HEAD = "8e4d2c6a5b31"  # the head of backend_good/migrations
STRONG = "500251ad629afdbf0e61d98e0292a1ca5c58bd5388a1370ce7f307d955037dc1"
JWT = "XVmMrGk097fFqbwNvjqx8orFNget8mZtiZnulUs74KUjjMWiLyHYPdjjrAC_KXSk"


@pytest.fixture
def healthy_project(
    mariadb: MariaDB,
    serve: ServeFn,
    https_certs: Certs,
    cloudinary_api: CloudinaryApi,
    s3: Bucket,
    tmp_path: Path,
) -> dict[str, Any]:
    """A project checkout on a box whose stack is healthy, and backups taken beforehand."""
    # Sites named as deployed ones are (not localhost, which the checks rightly refuse).
    host = loopback_alias()
    assert host, "this machine has no host name of a 127.x address besides localhost"
    db = mariadb.create_database("shop")
    stamp(mariadb, db, HEAD)
    frontend_app: dict[str, Any] = {}
    frontend = serve(lambda environ, start: frontend_app["app"](environ, start), host=host)
    backend = serve(flask_backend(origins=[frontend.url]), host=host)
    frontend_app["app"] = frontend_site(
        backend.url, headers={"Strict-Transport-Security": HSTS_GOOD, **SECURITY_HEADERS}
    )
    project = tmp_path / "shop"
    shutil.copytree(FIXTURES / "backend_good", project / "backend")
    (project / "frontend").mkdir()
    uploads = tmp_path / "uploads"
    uploads.mkdir()
    aws = "".join(f"{k}={v}\n" for k, v in s3.environ().items() if k.startswith("AWS_"))
    env = project / ".env.production"
    env.write_text(
        f"DATABASE_URL={mariadb.url_for(database=db)}\n"
        f"SECRET_KEY={STRONG}\n"
        f'JWT_SECRET_KEY="{JWT}"\n'
        f"CLOUDINARY_URL={cloudinary_api.cloudinary_url}\n"
        f"CORS_ORIGINS={frontend.url}\n"
        "FLASK_DEBUG=0\n"
        f"UPLOAD_FOLDER={uploads}\n" + aws
    )
    env.chmod(0o600)
    (project / "frontend" / ".env.production").write_text(
        f"VITE_API_URL={backend.url}\nVITE_CLOUDINARY_CLOUD_NAME={cloudinary_api.cloud}\n"
    )
    (project / ".env.example").write_text("SECRET_KEY=change-me\n")  # a template: not offered
    bundle = tmp_path / "ca-bundle.pem"
    bundle.write_bytes(https_certs.ca_file.read_bytes() + mariadb.ca_pem.read_bytes())
    cloudinary_api.seed(30, "image", "upload")
    backups = tmp_path / "backups"
    taken_with = [
        "--env-file",
        str(env),
        "--ca-file",
        str(bundle),
        "--backup-dir",
        str(backups),
    ]
    for kind in ("db", "media"):
        taken = run_launchtui(
            "backup",
            kind,
            "--format",
            "json",
            "--offsite",
            s3.url(),
            "--offsite-endpoint",
            s3.endpoint,
            *taken_with,
            timeout=120,
        )
        assert taken.returncode == 0, taken.stdout + taken.stderr
    return {
        "project": project,
        "frontend": frontend.url,
        "backend": backend.url,
        "bundle": bundle,
        "backups": backups,
        "s3": s3,
    }


async def test_a_new_user_reaches_a_green_board_through_the_setup_screen_alone(
    healthy_project: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    project: Path = healthy_project["project"]
    s3: Bucket = healthy_project["s3"]
    monkeypatch.chdir(project)
    settings = load_settings({})  # what `launchtui` finds here: no launchtui.toml
    assert settings.config_path is None
    app = LaunchApp(settings, environ={}, first_run=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: setup_open(app), "the setup screen")
        screen = app.screen
        assert isinstance(screen, SetupScreen)
        # What the box offers: the env files, the backend, and the two URLs they name.
        await until(pilot, lambda: screen.found is not None, "the look around the project")
        assert screen.value("env_file") == ".env.production"
        assert screen.value("frontend_env_file") == "frontend/.env.production"
        assert screen.value("backend_dir") == "backend"
        assert screen.value("frontend_url") == healthy_project["frontend"]
        assert screen.value("backend_url") == healthy_project["backend"]
        assert "all five" in await judged(pilot, "env_file", "ok")
        assert "VITE_API_URL" in await judged(pilot, "frontend_env_file", "ok")
        assert "migrations" in await judged(pilot, "backend_dir", "ok")
        # The sites' certificates come from a private CA: they do not verify yet.
        assert "certificate" in await judged(pilot, "frontend_url", "warn")
        assert app.board.merged() == []  # the checks wait for the setup

        # What only the user knows, typed in.
        await type_into(pilot, "ca_file", str(healthy_project["bundle"]))
        assert "CA certificate" in await judged(pilot, "ca_file", "ok")
        assert "answers HTTP 200" in await judged(pilot, "frontend_url", "ok")
        assert "answers HTTP" in await judged(pilot, "backend_url", "ok")
        await type_into(pilot, "backup_dir", str(healthy_project["backups"]))
        assert "exists" in await judged(pilot, "backup_dir", "ok")
        await type_into(pilot, "offsite", s3.url())
        await judged(pilot, "offsite", "ok")
        await type_into(pilot, "offsite_endpoint", s3.endpoint)
        await judged(pilot, "offsite_endpoint", "ok")

        await pilot.press("ctrl+s")
        await until(pilot, lambda: not isinstance(app.screen, SetupScreen), "the save")
        await until(pilot, lambda: app.board.complete(), "a full run")
        await settle(pilot)
        statuses = {cid: app.board.shown(cid) for cid in app.board.checks}
        not_green = {
            cid: (r.status, r.summary)
            for cid, r in statuses.items()
            if r is None or r.status is not Status.PASS
        }
        assert not_green == {}
        assert app.settings.profile == "production"

    written = project / "launchtui.toml"
    assert written.stat().st_mode & 0o777 == 0o600
    text = written.read_text()
    assert "# The backend's production variables" in text  # init's comments are kept
    assert 'env_file = ".env.production"' in text  # paths under the project stay relative
    # The same profile serves the command line: the release gate agrees with the board.
    again = load_settings({}, cwd=project)
    assert again.config_path == written
    assert again.offsite == s3.url()
    assert again.backup_dir == healthy_project["backups"]
