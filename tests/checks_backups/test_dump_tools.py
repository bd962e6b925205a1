"""Reading dump tools' version lines, bounded runs, and the flags per flavor."""

from __future__ import annotations

import time
from pathlib import Path

from launchtui.probes import dump_tools
from tests.checks_backups import stand_ins


def test_mysql8_version_line_is_mysql_flavor() -> None:
    v = dump_tools.parse_version(stand_ins.MYSQL8_LINE)
    assert v is not None
    assert (v.flavor, v.version, v.client) == ("mysql", (8, 0, 36), None)
    assert v.label == "MySQL 8.0.36"


def test_mariadb10_version_line_reads_the_distrib_not_the_client_number() -> None:
    v = dump_tools.parse_version(stand_ins.MARIADB10_LINE)
    assert v is not None
    assert (v.flavor, v.version, v.client) == ("mariadb", (10, 11, 19), "10.19")


def test_mariadb11_version_line_after_a_deprecation_warning() -> None:
    out = (
        "mysqldump: Deprecated program name. It will be removed in a future release, "
        "use '/usr/bin/mariadb-dump' instead\n" + stand_ins.MARIADB11_LINE
    )
    v = dump_tools.parse_version(out)
    assert v is not None
    assert (v.flavor, v.version, v.client) == ("mariadb", (11, 8, 3), "10.19")


def test_mysql57_distrib_line_is_mysql_and_garbage_is_none() -> None:
    v = dump_tools.parse_version("mysqldump  Ver 10.13 Distrib 5.7.44, for Linux (x86_64)")
    assert v is not None and (v.flavor, v.version) == ("mysql", (5, 7, 44))
    assert dump_tools.parse_version("dumpster 2 (a fork)") is None
    assert dump_tools.parse_version("") is None


def test_flags_per_flavor_verify_the_server_and_suit_tidb() -> None:
    mysql = dump_tools.parse_version(stand_ins.MYSQL8_LINE)
    maria10 = dump_tools.parse_version(stand_ins.MARIADB10_LINE)
    maria11 = dump_tools.parse_version(stand_ins.MARIADB11_LINE)
    assert mysql and maria10 and maria11
    assert dump_tools.tls_flags(mysql, "/ca.pem") == [
        "--ssl-mode=VERIFY_IDENTITY",
        "--ssl-ca=/ca.pem",
    ]
    assert dump_tools.tls_flags(maria10, "/ca.pem") == [
        "--ssl",
        "--ssl-ca=/ca.pem",
        "--ssl-verify-server-cert",
    ]
    assert "--column-statistics=0" in dump_tools.safe_flags(mysql)
    assert "--set-gtid-purged=OFF" in dump_tools.safe_flags(mysql)
    assert not any("column-statistics" in f for f in dump_tools.safe_flags(maria10))
    assert not dump_tools.verifies_by_default(maria10)
    assert dump_tools.verifies_by_default(maria11)
    assert dump_tools.writes_sandbox_line(maria10) and not dump_tools.writes_sandbox_line(mysql)


def test_dump_argv_puts_the_option_file_first_and_no_password_anywhere() -> None:
    v = dump_tools.parse_version(stand_ins.MARIADB10_LINE)
    assert v is not None
    argv = dump_tools.dump_argv(
        "/usr/bin/mariadb-dump",
        v,
        option_file="/run/x.cnf",
        host="gw.tidbcloud.com",
        port=4000,
        user="abc.root",
        database="appdb",
        ca_file="/ca.pem",
    )
    assert argv[1] == "--defaults-extra-file=/run/x.cnf"
    assert argv[-1] == "appdb"
    assert not any(a.startswith(("-p", "--password")) for a in argv)


def test_real_mysqldump_rejects_the_checklists_ssl_mode_flag() -> None:
    path_env = "/usr/bin:/bin"
    [(_, path)] = [t for t in dump_tools.find_dump_tools(path_env) if t[0] == "mysqldump"]
    trial = dump_tools.try_flags(path, dump_tools.CHECKLIST_FLAGS, path_env=path_env)
    assert trial.accepted is False
    assert trial.rejected == ("ssl-mode=VERIFY_IDENTITY",)
    assert trial.returncode == dump_tools.EXIT_BAD_OPTION


def test_real_mysqldump_accepts_launchtuis_mariadb_flags() -> None:
    tool = dump_tools.probe_dump_tool("mysqldump", Path("/usr/bin/mysqldump"), path_env="/usr/bin")
    assert tool.version is not None and tool.version.flavor == "mariadb"
    flags = dump_tools.dump_flags(tool.version, "/etc/ssl/certs/ca-certificates.crt")
    trial = dump_tools.try_flags(tool.path, flags, path_env="/usr/bin")
    assert trial.accepted is True


def test_a_hanging_tool_and_its_children_are_killed_at_the_timeout(tmp_path: Path) -> None:
    path = stand_ins.install(tmp_path, stand_ins.HANGS)
    started = time.monotonic()
    run = dump_tools.run_tool([str(path), "--version"], path_env=str(tmp_path), timeout=0.5)
    assert time.monotonic() - started < 3
    assert run.timed_out
    assert "never" not in run.stdout


def test_a_tool_that_cannot_start_is_described(tmp_path: Path) -> None:
    path = tmp_path / "mysqldump"
    path.write_text("not a program")
    path.chmod(0o755)
    tool = dump_tools.probe_dump_tool("mysqldump", path, path_env=str(tmp_path))
    assert tool.broken is not None and tool.broken.startswith("cannot be started")
