"""The whole release gate against a healthy stack of real servers: every live item passes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from launchtui.core.registry import default_registry
from tests.servers.cloudinary_api import CloudinaryApi
from tests.servers.https import (
    HSTS_GOOD,
    SECURITY_HEADERS,
    Certs,
    ServeFn,
    flask_backend,
    frontend_site,
)
from tests.servers.mariadb import MariaDB

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
BACKEND = FIXTURES / "backend_good"
HEAD = "8e4d2c6a5b31"  # the head of backend_good/migrations
LIVE = sorted(c.id for c in default_registry() if c.kind == "live")


def test_every_live_item_passes_against_healthy_servers(
    mariadb: MariaDB,
    serve: ServeFn,
    https_certs: Certs,
    cloudinary_api: CloudinaryApi,
    tmp_path: Path,
) -> None:
    db = mariadb.create_database("shop")
    mariadb.root_sql(f"CREATE TABLE `{db}`.alembic_version (version_num VARCHAR(32) PRIMARY KEY)")
    mariadb.root_sql(f"INSERT INTO `{db}`.alembic_version VALUES (%s)", (HEAD,))

    # The frontend's bundle names the backend, and the backend allows the frontend's
    # origin: start the frontend first and give it its app once the backend is up.
    frontend_app: dict[str, Any] = {}
    frontend = serve(lambda environ, start: frontend_app["app"](environ, start))
    backend = serve(flask_backend(origins=[frontend.url]))
    frontend_app["app"] = frontend_site(
        backend.url, headers={"Strict-Transport-Security": HSTS_GOOD, **SECURITY_HEADERS}
    )

    bundle = tmp_path / "ca-bundle.pem"
    bundle.write_bytes(https_certs.ca_file.read_bytes() + mariadb.ca_pem.read_bytes())
    env_file = tmp_path / "production.env"
    env_file.write_text(
        f"DATABASE_URL={mariadb.url_for(database=db)}\n"
        f"CLOUDINARY_URL={cloudinary_api.cloudinary_url}\n"
        f"CORS_ORIGINS={frontend.url}\n"
    )
    (tmp_path / "frontend.env").write_text(f"VITE_API_URL={backend.url}\n")
    env = {k: v for k, v in os.environ.items() if k.startswith(("XDG_", "PATH", "HOME"))}
    p = subprocess.run(
        [
            sys.executable,
            "-m",
            "launchtui",
            "check",
            "--format",
            "json",
            "--only",
            *LIVE,
            "pool.recycle",
            "--env-file",
            str(env_file),
            "--frontend-env-file",
            str(tmp_path / "frontend.env"),
            "--backend-dir",
            str(BACKEND),
            "--frontend-url",
            frontend.url,
            "--backend-url",
            backend.url,
            "--ca-file",
            str(bundle),
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    doc = json.loads(p.stdout)
    statuses = {r["id"]: r["status"] for r in doc["results"]}
    assert sorted(statuses) == sorted([*LIVE, "pool.recycle"])
    failing = [
        (r["id"], r["status"], r["summary"]) for r in doc["results"] if r["status"] != "pass"
    ]
    assert failing == []
    assert p.returncode == 0
    db_connect = next(r for r in doc["results"] if r["id"] == "db.connect")
    assert "TLSv1.3" in db_connect["evidence"]["tls"]
    assert mariadb.password not in p.stdout + p.stderr
    assert cloudinary_api.secret not in p.stdout + p.stderr
