"""A DATABASE_URL with shell syntax or terminal escapes in it: the verdict stays inert text."""

from __future__ import annotations

import subprocess
from pathlib import Path

from launchtui.core.model import Status
from tests.cli import check_json, run_launchtui
from tests.probe_db.support import db_connect


async def test_the_dns_command_quotes_a_host_holding_shell_syntax(tmp_path: Path) -> None:
    r = await db_connect("mysql+pymysql://app:pw@$(touch pwned)/appdb?ssl_ca=/x.pem")
    assert r.status is Status.FAIL
    assert r.summary.startswith("DNS lookup failed:")
    assert r.command is not None and r.command.startswith("getent hosts ")
    # The engineer pastes the command into a shell: it must look the name up, not run it.
    subprocess.run(["bash", "-c", r.command], cwd=tmp_path, capture_output=True, timeout=10)
    assert not (tmp_path / "pwned").exists()


def test_terminal_escapes_in_the_url_reach_no_output_raw(tmp_path: Path) -> None:
    env = tmp_path / ".env"
    env.write_text('DATABASE_URL="mysql+pymysql://app:pw@h\x1b[2Jst\x07/d\x1bb"\n', "utf-8")
    for fmt in ("text", "markdown"):
        p = run_launchtui("check", "--only", "db.connect", "--format", fmt, "--env-file", str(env))
        assert p.returncode == 1, p.stderr
        assert "h\\x1b[2Jst\\x07 does not resolve" in p.stdout  # escaped: visible, inert
        assert "\x1b" not in p.stdout and "\x07" not in p.stdout, fmt
    p, doc = check_json("--only", "db.connect", "--env-file", str(env))
    r = doc["results"][0]
    assert "h\\x1b[2Jst\\x07 does not resolve" in r["summary"]
    texts = [r["summary"], r["remediation"], r["command"], *r["evidence"].values()]
    assert not any("\x1b" in t or "\x07" in t for t in texts)
