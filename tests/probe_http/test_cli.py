"""End to end: `launchtui check --only https.backend cors.preflight` as a user runs it."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from tests.cli import run_launchtui
from tests.servers.https import Certs, ServeFn, flask_backend

CANARY = "canary-Pw-7f3a9c1e5b"


def launchtui_check(
    backend_url: str, ca_file: Path, env_file: Path
) -> subprocess.CompletedProcess[str]:
    return run_launchtui(
        "check",
        "--format",
        "json",
        "--only",
        "https.backend",
        "cors.preflight",
        "--backend-url",
        backend_url,
        "--ca-file",
        str(ca_file),
        "--env-file",
        str(env_file),
        cwd=env_file.parent,
    )


def env_file(tmp_path: Path) -> Path:
    path = tmp_path / ".env.production"
    path.write_text(
        "CORS_ORIGINS=https://app.example.com\n"
        f"DATABASE_URL=mysql+pymysql://app:{CANARY}@127.0.0.1:4000/appdb\n"
        f"SECRET_KEY={CANARY}\n"
    )
    return path


def test_healthy_backend_exits_0_with_both_checks_passing(
    serve: ServeFn, https_certs: Certs, tmp_path: Path
) -> None:
    site = serve(flask_backend())
    proc = launchtui_check(site.url, https_certs.ca_file, env_file(tmp_path))
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    statuses = {r["id"]: r["status"] for r in doc["results"]}
    assert statuses == {"https.backend": "pass", "cors.preflight": "pass"}
    assert CANARY not in proc.stdout + proc.stderr


def test_backend_reflecting_any_origin_exits_1(
    serve: ServeFn, https_certs: Certs, tmp_path: Path
) -> None:
    site = serve(flask_backend(origins="*", credentials=True))
    proc = launchtui_check(site.url, https_certs.ca_file, env_file(tmp_path))
    assert proc.returncode == 1, proc.stderr
    doc = json.loads(proc.stdout)
    cors = next(r for r in doc["results"] if r["id"] == "cors.preflight")
    assert cors["status"] == "fail"
    assert "reflects any origin" in cors["summary"]
    assert doc["summary"]["fail"] == 1 and doc["summary"]["pass"] == 1
    assert CANARY not in proc.stdout + proc.stderr


def test_missing_ca_file_is_bad_configuration_exit_2(tmp_path: Path) -> None:
    proc = launchtui_check("https://127.0.0.1:1", tmp_path / "nope.pem", env_file(tmp_path))
    assert proc.returncode == 2
    assert "--ca-file" in proc.stderr and "does not exist" in proc.stderr
    assert "Traceback" not in proc.stderr
