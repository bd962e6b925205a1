"""The five backend checks through `launchtui check`, as a CI release gate runs them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from .helpers import BAD, PROD_ENV

IDS = ["env.undeclared", "deploy.procfile", "pool.recycle", "tmp.cleanup"]


def test_check_json_on_the_bad_backend_fails_the_gate_without_leaking(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "JWT_SECRET_KEY")}
    env.update(PROD_ENV)
    env.pop("JWT_SECRET_KEY")
    env["UPLOAD_FOLDER"] = str(tmp_path / "uploads")
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "launchtui",
            "check",
            "--format",
            "json",
            "--only",
            *IDS,
            "config.track_modifications",
            "--backend-dir",
            str(BAD),
        ],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=60,
    )
    assert proc.returncode == 1, proc.stderr
    doc = json.loads(proc.stdout)
    statuses = {r["id"]: r["status"] for r in doc["results"]}
    assert statuses == {
        "env.undeclared": "fail",
        "deploy.procfile": "fail",
        "pool.recycle": "fail",
        "tmp.cleanup": "warn",
        "config.track_modifications": "fail",
    }
    for secret in PROD_ENV.values():
        assert secret not in proc.stdout and secret not in proc.stderr
