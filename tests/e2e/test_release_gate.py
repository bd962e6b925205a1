"""`launchtui check --format json` as CI runs it: a good environment passes every static
item, a broken one fails each broken item under its own id with a fix."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

from launchtui.core.registry import default_registry
from tests.checks_backups.builders import make_db_backup, make_media_inventory
from tests.cli import check_json

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
STATIC = sorted(c.id for c in default_registry() if c.kind == "static")


def gate(*args: str) -> tuple[int, dict[str, Any]]:
    """`launchtui check --format json ARGS` as CI runs it: the exit code and the report."""
    p, doc = check_json(*args, timeout=120)
    assert p.stderr == "", p.stderr
    return p.returncode, doc


def test_a_good_environment_passes_every_static_item(tmp_path: Path) -> None:
    uploads = tmp_path / "uploads"
    uploads.mkdir()
    env_file = tmp_path / "production.env"
    env_file.write_text(
        (FIXTURES / "env" / "production.env").read_text() + f"UPLOAD_FOLDER={uploads}\n"
    )
    backups = tmp_path / "backups"
    make_db_backup(backups, db="appdb", age=dt.timedelta(hours=2), compressed=True)
    make_media_inventory(backups, age=dt.timedelta(days=1))

    code, doc = gate(
        "--only",
        *STATIC,
        "--env-file",
        str(env_file),
        "--frontend-env-file",
        str(FIXTURES / "env" / "frontend.production.env"),
        "--backend-dir",
        str(FIXTURES / "backend_good"),
        "--backend-url",
        "https://api.shop.example.com",
        "--backup-dir",
        str(backups),
    )
    statuses = {r["id"]: r["status"] for r in doc["results"]}
    assert sorted(statuses) == STATIC
    not_passing = {cid: s for cid, s in statuses.items() if s != "pass"}
    assert not_passing == {}, [
        (r["id"], r["summary"]) for r in doc["results"] if r["status"] != "pass"
    ]
    assert code == 0
    assert doc["summary"]["pass"] == len(STATIC)


def test_a_broken_environment_fails_each_broken_item_with_a_fix(tmp_path: Path) -> None:
    backups = tmp_path / "backups"
    make_db_backup(backups, db="appdb", age=dt.timedelta(hours=1), footer=False)  # a killed dump
    code, doc = gate(
        "--only",
        *STATIC,
        "--env-file",
        str(FIXTURES / "env" / "broken.env"),
        "--frontend-env-file",
        str(FIXTURES / "env" / "frontend.checklist_example.env"),
        "--backend-dir",
        str(FIXTURES / "backend_bad"),
        "--backend-url",
        "https://api.shop.example.com",
        "--backup-dir",
        str(backups),
    )
    by_id = {r["id"]: r for r in doc["results"]}
    must_fail = {
        "env.database_url": "MySQLdb",
        "env.secret_key": "placeholder",
        "env.jwt_secret_key": "JWT_SECRET_KEY",
        "env.cloudinary_url": "secret",
        "env.cors_origins": "localhost",
        "env.flask_debug": "debug mode on",
        "frontend.api_url": "https://api.shop.example.com",
        "deploy.procfile": "flask db upgrade",
        "pool.recycle": "7200",
        "config.track_modifications": "True",
        "backup.database": "footer",
    }
    for cid, words in must_fail.items():
        r = by_id[cid]
        assert r["status"] == "fail", (cid, r["status"], r["summary"])
        assert words.lower() in (r["summary"] + " " + json.dumps(r["evidence"])).lower(), (
            cid,
            r["summary"],
        )
        assert r["remediation"], cid
    # CLOUDINARY_URL is broken, so the cloud names cannot be compared: a warning, not a pass.
    assert by_id["frontend.cloud_name"]["status"] == "warn"
    assert "env.cloudinary_url" in by_id["frontend.cloud_name"]["summary"]
    assert by_id["tmp.cleanup"]["status"] == "warn"
    assert "request" in by_id["tmp.cleanup"]["summary"]
    assert code == 1
    assert "hunter2" not in json.dumps(doc)


def test_the_checklists_own_example_values_do_not_pass(tmp_path: Path) -> None:
    code, doc = gate(
        "--only",
        "env.database_url",
        "env.secret_key",
        "env.jwt_secret_key",
        "env.cloudinary_url",
        "--env-file",
        str(FIXTURES / "env" / "checklist_example.env"),
    )
    by_id = {r["id"]: r for r in doc["results"]}
    assert by_id["env.database_url"]["status"] == "fail"
    assert "ssl_mode" in by_id["env.database_url"]["summary"]
    assert by_id["env.secret_key"]["status"] == "fail"
    assert code == 1
