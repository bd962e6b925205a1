"""`launchtui runbook NAME --watch`: the first pass, a line per change, ctrl+c the timeline."""

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
from tests.servers.mariadb import MariaDB

WAIT_S = 40.0


def test_watch_prints_each_change_and_the_timeline_on_ctrl_c(
    mariadb: MariaDB, tmp_path: Path
) -> None:
    user, good = "rbcliwatch", "cli-watch-pw-7"
    mariadb.create_user(user, "wrong-for-now", [mariadb.database])
    env_file = tmp_path / "prod.env"
    env_file.write_text(f"DATABASE_URL={mariadb.url_for(user=user, password=good)}\n")
    base = {k: v for k, v in os.environ.items() if k.startswith(KEPT)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "launchtui", "runbook", "db-down", "--watch",
         "--env-file", str(env_file)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL,
        text=True, env=base,
    )  # fmt: skip
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
