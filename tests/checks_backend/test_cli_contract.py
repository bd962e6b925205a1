"""The five backend checks through `launchtui check`, as a CI release gate runs them."""

from __future__ import annotations

from pathlib import Path

from tests.cli import check_json

from .helpers import BAD, PROD_ENV

IDS = ["env.undeclared", "deploy.procfile", "pool.recycle", "tmp.cleanup"]


def test_check_json_on_the_bad_backend_fails_the_gate_without_leaking(tmp_path: Path) -> None:
    env = {k: v for k, v in PROD_ENV.items() if k != "JWT_SECRET_KEY"}
    env["UPLOAD_FOLDER"] = str(tmp_path / "uploads")
    proc, doc = check_json(
        "--only",
        *IDS,
        "config.track_modifications",
        "--backend-dir",
        str(BAD),
        env=env,
        cwd=tmp_path,
    )
    assert proc.returncode == 1, proc.stderr
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
