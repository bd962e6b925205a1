"""backup.tools through the real runner: the installed mysqldump, and stand-ins on PATH."""

from __future__ import annotations

import os
from pathlib import Path

from launchtui.core.model import Result, Status
from tests.checks_backups import stand_ins
from tests.checks_backups.builders import run_check

CANARY = "Canary-Pw-7f3a9e"


def _text(r: Result) -> str:
    return " ".join(
        [r.summary, r.remediation, r.command or "", *r.evidence.keys(), *r.evidence.values()]
    )


async def test_installed_mariadb_mysqldump_passes_and_shows_the_checklist_command_fails() -> None:
    r = await run_check("backup.tools", environ={"PATH": os.environ["PATH"]})
    assert r.status is Status.PASS, r
    assert "(MariaDB) is ready" in r.summary
    assert r.summary == (
        "mariadb-dump 10.11.19 (MariaDB) is ready, but the checklist's own mysqldump command "
        "fails here: mysqldump rejects --ssl-mode=VERIFY_IDENTITY; use the command shown."
    )
    assert r.evidence["flavor"] == "mariadb"
    assert r.evidence["version"] == "10.11.19 (client 10.19)"
    assert r.evidence["checklist command"].startswith(
        "fails on this box: mysqldump rejects --ssl-mode=VERIFY_IDENTITY (unknown variable, exit 7)"
    )
    works = r.evidence["works instead"]
    assert works.startswith("mariadb-dump --defaults-extra-file=")
    assert "--ssl-verify-server-cert" in works and "--ssl-mode" not in works
    assert " -p" not in works
    assert "same program as mariadb-dump" in r.evidence["mysqldump"]
    assert r.evidence["gzip"].endswith("/gzip")


async def test_mysql8_stand_in_gets_ssl_mode_and_mysql8_flags(tmp_path: Path) -> None:
    stand_ins.install(tmp_path, stand_ins.MYSQL8)
    r = await run_check("backup.tools", environ={"PATH": str(tmp_path)})
    assert r.status is Status.PASS, r
    assert r.summary == "mysqldump 8.0.36 (MySQL) is ready and takes verified-TLS dump flags."
    assert r.evidence["TLS flags"].startswith("--ssl-mode=VERIFY_IDENTITY --ssl-ca=")
    assert "--column-statistics=0 --set-gtid-purged=OFF" in r.evidence["safe flags"]
    assert r.evidence["checklist command"].startswith("mysqldump here accepts its flags")
    assert "`ps`" in r.evidence["checklist command"]
    assert r.evidence["gzip"] == "not on PATH"
    assert "works instead" not in r.evidence


async def test_mariadb11_stand_in_verifies_by_default_but_still_rejects_ssl_mode(
    tmp_path: Path,
) -> None:
    stand_ins.install(tmp_path, stand_ins.MARIADB11)
    r = await run_check("backup.tools", environ={"PATH": str(tmp_path)})
    assert r.status is Status.PASS, r
    assert r.summary.startswith("mysqldump 11.8.3 (MariaDB) is ready, but the checklist's")
    assert "verifies by default since 11.4" in r.evidence["TLS flags"]
    assert "rejects --ssl-mode=VERIFY_IDENTITY" in r.evidence["checklist command"]
    assert r.evidence["flags checked"].startswith("this binary accepts all of them")
    assert r.evidence["works instead"].startswith("mysqldump --defaults-extra-file=")


async def test_a_hanging_mysqldump_gets_a_verdict_within_the_timeout(tmp_path: Path) -> None:
    stand_ins.install(tmp_path, stand_ins.HANGS)
    r = await run_check("backup.tools", environ={"PATH": str(tmp_path)})
    assert r.status is Status.FAIL, r
    assert "did not answer `--version` within 5 s" in r.summary
    assert r.duration_ms < 7000


async def test_a_mysqldump_that_exits_nonzero_fails_with_its_error(tmp_path: Path) -> None:
    stand_ins.install(tmp_path, stand_ins.BROKEN)
    r = await run_check("backup.tools", environ={"PATH": str(tmp_path)})
    assert r.status is Status.FAIL, r
    assert "fails `--version` with exit code 127" in r.summary
    assert "libmariadb.so.3" in r.summary
    assert "apt-get install --reinstall" in (r.command or "")


async def test_an_unknown_version_line_warns(tmp_path: Path) -> None:
    stand_ins.install(tmp_path, stand_ins.ODD_VERSION)
    r = await run_check("backup.tools", environ={"PATH": str(tmp_path)})
    assert r.status is Status.WARN, r
    assert "version line is not one launchtui knows" in r.summary
    assert r.evidence["version output"] == "dumpster 2 (a fork)"


async def test_a_broken_mysqldump_beside_a_working_mariadb_dump_warns(tmp_path: Path) -> None:
    stand_ins.install(tmp_path, stand_ins.MARIADB11, name="mariadb-dump")
    stand_ins.install(tmp_path, stand_ins.BROKEN)
    r = await run_check("backup.tools", environ={"PATH": str(tmp_path)})
    assert r.status is Status.WARN, r
    assert r.summary.startswith("mariadb-dump 11.8.3 (MariaDB) is ready, but mysqldump fails")


async def test_no_dump_tool_on_path_fails_with_the_install_command(tmp_path: Path) -> None:
    r = await run_check("backup.tools", environ={"PATH": str(tmp_path)})
    assert r.status is Status.FAIL, r
    assert "Neither mysqldump nor mariadb-dump is on PATH" in r.summary
    assert r.command == "sudo apt-get install -y mariadb-client"
    assert "default-mysql-client" in r.remediation


async def test_no_secret_reaches_the_tool_or_the_result(tmp_path: Path) -> None:
    record = tmp_path / "calls.log"
    bindir = tmp_path / "bin"
    stand_ins.install(bindir, stand_ins.MARIADB11, record=record)
    environ = {
        "PATH": str(bindir),
        "DATABASE_URL": f"mysql+pymysql://abc.root:{CANARY}@gw.tidbcloud.com:4000/appdb",
        "MYSQL_PWD": CANARY,
    }
    r = await run_check("backup.tools", environ=environ)
    assert r.status is Status.PASS, r
    calls = record.read_text()
    assert calls.count("ARGV:") == 3  # --version, launchtui's flags, the checklist's flags
    assert CANARY not in calls
    assert "DATABASE_URL" not in calls
    assert CANARY not in _text(r)


async def test_only_mariadb_dump_on_path_says_the_checklists_mysqldump_is_missing(
    tmp_path: Path,
) -> None:
    stand_ins.install(tmp_path, stand_ins.MARIADB11, name="mariadb-dump")
    r = await run_check("backup.tools", environ={"PATH": str(tmp_path)})
    assert r.status is Status.PASS, r
    assert r.summary.endswith("fails here: there is no `mysqldump` on PATH; use the command shown.")
    assert r.evidence["works instead"].startswith("mariadb-dump --defaults-extra-file=")
