"""The whole release gate against a healthy stack of real servers: every live item passes.

The backups it checks are taken first with the real commands, copied offsite to a real
S3-speaking server, so `backup.database`, `backup.media` and `backup.offsite` pass on what
`launchtui backup` wrote.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from launchtui.core.registry import default_registry
from tests.cli import check_json, run_launchtui
from tests.probe_db.support import stamp
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
from tests.servers.s3 import Bucket

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
BACKEND = FIXTURES / "backend_good"
HEAD = "8e4d2c6a5b31"  # the head of backend_good/migrations
LIVE = sorted(c.id for c in default_registry() if c.kind == "live")


def test_every_live_item_passes_against_healthy_servers(
    mariadb: MariaDB,
    serve: ServeFn,
    https_certs: Certs,
    cloudinary_api: CloudinaryApi,
    s3: Bucket,
    tmp_path: Path,
) -> None:
    db = mariadb.create_database("shop")
    stamp(mariadb, db, HEAD)

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
    aws = "".join(f"{k}={v}\n" for k, v in s3.environ().items() if k.startswith("AWS_"))
    env_file.write_text(env_file.read_text() + aws)
    (tmp_path / "frontend.env").write_text(f"VITE_API_URL={backend.url}\n")
    cloudinary_api.seed(30, "image", "upload")
    cloudinary_api.seed(5, "raw", "private")
    config = tmp_path / "launchtui.toml"
    config.write_text(
        "[profiles.production]\n"
        f'backup_dir = "{tmp_path / "backups"}"\n'
        f'offsite = "{s3.url()}"\n'
        f'offsite_endpoint = "{s3.endpoint}"\n'
    )
    inputs = ["--config", str(config), "--env-file", str(env_file), "--ca-file", str(bundle)]
    for kind in ("db", "media"):
        taken = run_launchtui("backup", kind, "--format", "json", *inputs, timeout=120)
        assert taken.returncode == 0, taken.stdout + taken.stderr
    assert len(s3.object_keys("nightly/")) == 4  # each backup and its manifest
    p, doc = check_json(
        "--only",
        *LIVE,
        "pool.recycle",
        "backup.database",
        "backup.media",
        "--config",
        str(config),
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
        timeout=120,
    )
    statuses = {r["id"]: r["status"] for r in doc["results"]}
    assert sorted(statuses) == sorted([*LIVE, "pool.recycle", "backup.database", "backup.media"])
    failing = [
        (r["id"], r["status"], r["summary"]) for r in doc["results"] if r["status"] != "pass"
    ]
    assert failing == []
    assert p.returncode == 0
    db_connect = next(r for r in doc["results"] if r["id"] == "db.connect")
    assert "TLSv1.3" in db_connect["evidence"]["tls"]
    assert mariadb.password not in p.stdout + p.stderr
    assert cloudinary_api.secret not in p.stdout + p.stderr
    assert s3.environ()["AWS_SECRET_ACCESS_KEY"] not in p.stdout + p.stderr
