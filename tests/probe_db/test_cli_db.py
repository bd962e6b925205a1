"""`launchtui check --only db.connect db.migrations` as a real subprocess against MariaDB."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Any

from tests.cli import check_json
from tests.probe_db.support import FIXTURES, stamp
from tests.servers.mariadb import MariaDB

HEAD = "3c2d5e4f1f23"


def _launchtui_check(
    env_file: Path, cwd: Path
) -> tuple[list[str], subprocess.CompletedProcess[str], dict[str, Any]]:
    args = [
        "--only",
        "db.connect",
        "db.migrations",
        "--env-file",
        str(env_file),
        "--backend-dir",
        str(FIXTURES / "linear"),
    ]
    done, doc = check_json(*args, cwd=cwd)
    return args, done, doc


def _files_under(*dirs: str) -> str:
    texts = []
    for d in dirs:
        for path in Path(d).rglob("*"):
            if path.is_file():
                texts.append(path.read_text(errors="replace"))
    return "\n".join(texts)


def _write_env(tmp_path: Path, url: str) -> Path:
    env_file = tmp_path / ".env.production"
    env_file.write_text(f"DATABASE_URL={url}\n", encoding="utf-8")
    env_file.chmod(0o600)
    return env_file


def test_cli_reports_a_healthy_database_at_head_as_json_and_exits_0(
    mariadb: MariaDB, tmp_path: Path
) -> None:
    db = mariadb.create_database("cli")
    try:
        stamp(mariadb, db, HEAD)
        env_file = _write_env(tmp_path, mariadb.url_for(database=db))
        argv, done, doc = _launchtui_check(env_file, tmp_path)
    finally:
        mariadb.drop_database(db)
    assert done.returncode == 0, done.stdout + done.stderr
    assert [r["id"] for r in doc["results"]] == ["db.connect", "db.migrations"]
    connect, migrations = doc["results"]
    assert connect["status"] == "pass"
    assert connect["section"] == "1.1"
    assert "answers over verified TLS" in connect["summary"]
    assert connect["evidence"]["tls"].startswith("TLSv1.3")
    assert "****" in connect["evidence"]["url"]
    assert migrations["status"] == "pass"
    assert HEAD in migrations["summary"]
    assert doc["summary"]["pass"] == 2
    xdg = [os.environ["XDG_STATE_HOME"], os.environ["XDG_DATA_HOME"], os.environ["XDG_CACHE_HOME"]]
    for where in (done.stdout, done.stderr, " ".join(argv), _files_under(*xdg)):
        assert mariadb.password not in where


def test_cli_exits_1_naming_the_auth_layer_and_never_prints_the_password(
    mariadb: MariaDB, tmp_path: Path
) -> None:
    canary = "CanaryCliPw" + mariadb.password[-6:]
    env_file = _write_env(tmp_path, mariadb.url_for(password=canary))
    argv, done, doc = _launchtui_check(env_file, tmp_path)
    assert done.returncode == 1, done.stdout + done.stderr
    results = {r["id"]: r for r in doc["results"]}
    assert results["db.connect"]["status"] == "fail"
    assert results["db.connect"]["summary"].startswith("Authentication failed:")
    assert results["db.migrations"]["status"] == "skip"
    assert "needs db.connect (fail)" in results["db.migrations"]["summary"]
    for where in (done.stdout, done.stderr, " ".join(argv)):
        assert canary not in where
        assert mariadb.password not in where
