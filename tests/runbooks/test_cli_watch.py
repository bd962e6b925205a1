"""`launchtui runbook NAME --watch`: the first pass, a line per change, ctrl+c (or a kill)
the timeline; and a kill of `launchtui check` mid-probe."""

from __future__ import annotations

import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from tests.cli import KEPT
from tests.servers.mariadb import MariaDB, SilentServer

WAIT_S = 40.0


def launch(tmp_path: Path, database_url: str, *args: str) -> subprocess.Popen[str]:
    """`launchtui ARGS --env-file F` as its own process, F holding DATABASE_URL."""
    env_file = tmp_path / "prod.env"
    env_file.write_text(f"DATABASE_URL={database_url}\n")
    base = {k: v for k, v in os.environ.items() if k.startswith(KEPT)}
    return subprocess.Popen(
        [sys.executable, "-m", "launchtui", *args, "--env-file", str(env_file)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        text=True,
        env=base,
    )


def test_watch_prints_each_change_and_the_timeline_on_ctrl_c(
    mariadb: MariaDB, tmp_path: Path
) -> None:
    user, good = "rbcliwatch", "cli-watch-pw-7"
    mariadb.create_user(user, "wrong-for-now", [mariadb.database])
    proc = launch(
        tmp_path, mariadb.url_for(user=user, password=good), "runbook", "db-down", "--watch"
    )
    lines: queue.Queue[str] = queue.Queue()
    reader = threading.Thread(target=lambda: [lines.put(x) for x in proc.stdout], daemon=True)  # type: ignore[union-attr]
    reader.start()
    seen: list[str] = []

    def wait_for(pattern: str) -> str:
        deadline = time.monotonic() + WAIT_S
        while time.monotonic() < deadline:
            try:
                line = lines.get(timeout=0.5)
            except queue.Empty:
                continue
            seen.append(line)
            if re.search(pattern, line):
                return line
        raise AssertionError(f"no line matching {pattern!r} in {seen[-20:]}")

    try:
        wait_for(r"^Verdict: auth\.")
        mariadb.root_sql(f"ALTER USER '{user}'@'%%' IDENTIFIED BY %s", (good,))
        change = wait_for(r"db\.auth fail -> pass")
        assert re.fullmatch(r"\d\d:\d\d:\d\d db\.auth fail -> pass\n", change), change
        wait_for(r"verdict: none")
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=WAIT_S)
        reader.join(timeout=WAIT_S)
    finally:
        if proc.poll() is None:
            proc.kill()
    err = proc.stderr.read() if proc.stderr else ""
    after = len(seen)
    while not lines.empty():
        seen.append(lines.get())
    rest = "".join(seen[after:])
    assert proc.returncode == 0, err
    report = "".join(seen)
    assert "# Incident: Database connection failure (`launchtui runbook db-down`)" in report
    assert "## Timeline (UTC)" in report and "db.auth fail -> pass" in rest
    assert good not in report + err


def test_a_kill_stops_a_watch_as_ctrl_c_does_with_the_timeline(
    mariadb: MariaDB, tmp_path: Path
) -> None:
    proc = launch(tmp_path, mariadb.url, "runbook", "db-down", "--watch")
    try:
        assert proc.stdout is not None
        for line in proc.stdout:  # the first pass is printed whole, then the watch goes on
            if line.startswith("Verdict: none"):
                break
        proc.send_signal(signal.SIGTERM)  # as systemd, `timeout` or a CI cancel would
        out, err = proc.communicate(timeout=WAIT_S)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err
    assert "# Incident: Database connection failure (`launchtui runbook db-down`)" in out
    assert "## Timeline (UTC)" in out
    assert "Traceback" not in err


def test_a_kill_stops_check_with_one_line_and_exit_130(
    silent_tcp_server: SilentServer, tmp_path: Path
) -> None:
    host, port = silent_tcp_server.host, silent_tcp_server.port
    url = f"mysql+pymysql://app:pw@{host}:{port}/shop"
    proc = launch(tmp_path, url, "check", "--only", "db.connect")
    try:
        deadline = time.monotonic() + WAIT_S
        while silent_tcp_server.accepted == 0:  # the probe is connected and waiting
            assert time.monotonic() < deadline and proc.poll() is None, "the probe never came"
            time.sleep(0.02)
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=WAIT_S)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130, (out, err)
    assert err.strip().splitlines()[-1] == "launchtui: interrupted."
    assert "Traceback" not in err
