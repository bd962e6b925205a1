"""The CLI contract: formats, exit codes, flags anywhere, clear errors, no color off a TTY."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest

from launchtui.core.config import user_log_dir
from tests.cli import KEPT, check_json, run_launchtui

STRONG = "3f9c2a7be41d8f60c5a9e2b7d4f18c36a0b59e7d2c4f81a6e3b0d9c7f5a2e8b1"


@pytest.fixture
def env_file(tmp_path: Path) -> Path:
    f = tmp_path / ".env.production"
    f.write_text(f"SECRET_KEY={STRONG}\nFLASK_DEBUG=0\n", encoding="utf-8")
    return f


def test_json_has_the_contract_fields_and_exit_0_when_nothing_fails(env_file: Path) -> None:
    p, doc = check_json("--only", "env.secret_key", "env.flask_debug", "--env-file", str(env_file))
    assert p.returncode == 0, p.stderr
    assert set(doc) == {"launchtui", "profile", "started_at", "duration_ms", "summary", "results"}
    assert doc["summary"] == {"pass": 2, "warn": 0, "fail": 0, "error": 0, "skip": 0, "manual": 0}
    r = doc["results"][0]
    assert {
        "id",
        "section",
        "title",
        "status",
        "summary",
        "evidence",
        "remediation",
        "duration_ms",
    } <= set(r)
    assert [x["id"] for x in doc["results"]] == ["env.secret_key", "env.flask_debug"]
    assert doc["started_at"].endswith("Z")


def test_a_failure_exits_1_and_a_warn_only_with_fail_on_warn(tmp_path: Path) -> None:
    bad = tmp_path / "bad.env"
    bad.write_text("SECRET_KEY=changeme\nFLASK_DEBUG=1\n", encoding="utf-8")
    p = run_launchtui("check", "--only", "env.flask_debug", "--env-file", str(bad))
    assert p.returncode == 1
    assert "env.flask_debug" in p.stdout and "FAIL" in p.stdout
    odd = tmp_path / "odd.env"
    odd.write_text("CLOUDINARY_URL=cloudinary://abcdef:s3cretvalue@demo\n", encoding="utf-8")
    only = ("--only", "env.cloudinary_url", "--env-file", str(odd))
    p, doc = check_json(*only)
    assert doc["results"][0]["status"] == "warn"
    assert p.returncode == 0
    p = run_launchtui("check", *only, "--fail-on", "warn")
    assert p.returncode == 1


def test_input_flags_work_before_and_after_the_subcommand(env_file: Path) -> None:
    before = run_launchtui("--env-file", str(env_file), "check", "--only", "env.secret_key")
    after = run_launchtui("check", "--only", "env.secret_key", "--env-file", str(env_file))
    assert before.returncode == after.returncode == 0
    assert "PASS" in before.stdout and "PASS" in after.stdout


def test_unknown_id_is_bad_usage_naming_the_closest(env_file: Path) -> None:
    p = run_launchtui("check", "--only", "env.secret_kye")
    assert p.returncode == 2
    assert "env.secret_kye" in p.stderr and "env.secret_key" in p.stderr
    assert "Traceback" not in p.stderr


@pytest.mark.parametrize("flag", ["--env-file", "--config", "--frontend-env-file", "--ca-file"])
def test_a_named_file_that_does_not_exist_is_exit_2_in_one_line(flag: str, tmp_path: Path) -> None:
    p = run_launchtui("check", flag, str(tmp_path / "missing"))
    assert p.returncode == 2
    assert "does not exist" in p.stderr
    assert len(p.stderr.strip().splitlines()) == 1
    assert "Traceback" not in p.stderr


def test_bad_format_is_usage_error() -> None:
    p = run_launchtui("check", "--format", "yaml")
    assert p.returncode == 2 and "invalid choice" in p.stderr


def test_text_output_fits_80_columns_and_has_no_color_off_a_tty(tmp_path: Path) -> None:
    bad = tmp_path / "bad.env"
    bad.write_text("SECRET_KEY=dev\nFLASK_DEBUG=true\nCORS_ORIGINS=*\n", encoding="utf-8")
    env = {"NO_COLOR": ""}
    p = run_launchtui("check", "--env-file", str(bad), env=env)
    assert "\x1b[" not in p.stdout
    assert max(len(line) for line in p.stdout.splitlines()) <= 80
    assert "fix:" in p.stdout


def test_junit_and_markdown_are_well_formed(tmp_path: Path) -> None:
    bad = tmp_path / "bad.env"
    bad.write_text("SECRET_KEY=dev\nFLASK_DEBUG=1\n", encoding="utf-8")
    p = run_launchtui(
        "check",
        "--format",
        "junit",
        "--only",
        "env.secret_key",
        "env.flask_debug",
        "--env-file",
        str(bad),
    )
    suite = ET.fromstring(p.stdout)
    assert suite.get("tests") == "2" and suite.get("failures") == "2"
    assert {c.get("name") for c in suite.iter("testcase")} == {"env.secret_key", "env.flask_debug"}
    p = run_launchtui(
        "check", "--format", "markdown", "--only", "env.flask_debug", "--env-file", str(bad)
    )
    assert p.stdout.startswith("# Pre-launch sign-off")
    assert "`env.flask_debug`" in p.stdout and "## To fix before launch" in p.stdout


def test_no_secret_value_in_any_format(tmp_path: Path) -> None:
    canaries = {
        "SECRET_KEY": "canarysecretkey",
        "JWT_SECRET_KEY": "canary-jwt-value-0123",
        "DATABASE_URL": "mysql+pymysql://u:canary-db-pass@127.0.0.1:1/db?ssl_mode=VERIFIED",
        "CLOUDINARY_URL": "cloudinary://987654321:canary-cld-secret@demo?upload_prefix=http://127.0.0.1:1",
    }
    f = tmp_path / "canary.env"
    f.write_text("".join(f"{k}={v}\n" for k, v in canaries.items()), encoding="utf-8")
    for fmt in ("text", "json", "markdown", "junit"):
        p = run_launchtui(
            "check",
            "--format",
            fmt,
            "--only",
            "env.secret_key",
            "env.jwt_secret_key",
            "env.database_url",
            "env.cloudinary_url",
            "--env-file",
            str(f),
        )
        for needle in (
            "canarysecretkey",
            "canary-jwt-value",
            "canary-db-pass",
            "canary-cld-secret",
            "987654321",
        ):
            assert needle not in p.stdout + p.stderr, (fmt, needle)


def test_init_writes_a_starter_config_and_refuses_to_overwrite(tmp_path: Path) -> None:
    p = run_launchtui("init", cwd=tmp_path)
    assert p.returncode == 0
    text = (tmp_path / "launchtui.toml").read_text()
    assert "[profiles.production]" in text and text.count("#") > 10
    assert stat.S_IMODE((tmp_path / "launchtui.toml").stat().st_mode) == 0o600
    again = run_launchtui("init", cwd=tmp_path)
    assert again.returncode == 2 and "--force" in again.stderr
    assert run_launchtui("init", "--force", cwd=tmp_path).returncode == 0


def test_profile_silence_turns_a_failure_into_a_skip(tmp_path: Path) -> None:
    (tmp_path / "bad.env").write_text("FLASK_DEBUG=1\n", encoding="utf-8")
    (tmp_path / "launchtui.toml").write_text(
        '[profiles.production]\nenv_file = "bad.env"\nsilence = ["env.flask_debug"]\n',
        encoding="utf-8",
    )
    p, doc = check_json("--only", "env.flask_debug", cwd=tmp_path)
    assert doc["profile"] == "production"
    assert doc["results"][0]["status"] == "skip"
    assert p.returncode == 0


def test_list_names_every_check() -> None:
    p = run_launchtui("check", "--list")
    assert p.returncode == 0
    for cid in ("env.database_url", "db.connect", "cloudinary.quota", "backup.media"):
        assert cid in p.stdout


def test_a_reader_that_goes_away_ends_output_without_a_traceback(tmp_path: Path) -> None:
    bad = tmp_path / "bad.env"
    bad.write_text("SECRET_KEY=dev\nFLASK_DEBUG=1\n", encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k.startswith(KEPT)}
    child = subprocess.Popen(
        [sys.executable, "-m", "launchtui", "check", "--env-file", str(bad)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
    )
    assert child.stdout is not None and child.stderr is not None
    child.stdout.close()  # like `launchtui check | head -0`
    err = child.stderr.read().decode()
    assert child.wait(timeout=60) == 1
    assert "Traceback" not in err and "BrokenPipeError" not in err


def test_an_existing_log_file_is_tightened_to_0600(tmp_path: Path) -> None:
    log = user_log_dir() / "launchtui.log"
    log.parent.mkdir(parents=True)
    log.write_text("")
    log.chmod(0o644)
    run_launchtui("check", "--only", "env.flask_debug")
    assert stat.S_IMODE(log.stat().st_mode) == 0o600


def test_check_with_nothing_configured_says_where_it_looked_and_how_to_start(
    tmp_path: Path,
) -> None:
    p = run_launchtui("check", "--format", "json", "--only", "env.flask_debug", cwd=tmp_path)
    first = p.stderr.splitlines()[0]
    assert first.startswith(f"launchtui: no launchtui.toml in {tmp_path} or ")
    assert "run `launchtui` to set up a profile" in first
    assert "`launchtui init`" in first and "--env-file" in first
    json.loads(p.stdout)  # stdout stays the report alone
    env = tmp_path / "prod.env"
    env.write_text("FLASK_DEBUG=0\n")
    configured = run_launchtui("check", "--only", "env.flask_debug", "--env-file", str(env))
    assert "no launchtui.toml" not in configured.stderr
