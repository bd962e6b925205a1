"""Finding mysqldump / mariadb-dump, telling MySQL's from MariaDB's, and the flags each needs.

The two flavors take different TLS flags (domain-facts.md): MySQL's client wants
`--ssl-mode=VERIFY_IDENTITY --ssl-ca=PATH`, MariaDB's rejects `--ssl-mode` with
"unknown variable" (exit 7) and wants `--ssl --ssl-ca=PATH --ssl-verify-server-cert`
(it verifies nothing by default before 11.4). The password always travels in a 0600
option file named by `--defaults-extra-file=PATH`, which must be the FIRST argument;
never `-p<password>`, which anyone can read in `ps`.

Every run of a tool is bounded: it runs in its own process group, and the whole group is
killed when the timeout passes, so a wrapper script's children cannot hold it open.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import ssl
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

Flavor = Literal["mariadb", "mysql"]

# Preferred first: MariaDB 11 prints a deprecation warning when run as `mysqldump`.
TOOL_NAMES = ("mariadb-dump", "mysqldump")
VERSION_TIMEOUT = 5.0
EXIT_BAD_OPTION = 7
# The flags of the checklist's own command (2.2), without its host, user and password.
CHECKLIST_FLAGS = (
    "--ssl-mode=VERIFY_IDENTITY",
    "--single-transaction",
    "--quick",
    "--lock-tables=false",
    "--no-tablespaces",
)
# A consistent InnoDB snapshot without locks TiDB refuses; no PROCESS privilege needed.
SAFE_FLAGS = ("--single-transaction", "--quick", "--skip-lock-tables", "--no-tablespaces")
# MySQL 8's client asks TiDB for column statistics and GTIDs it does not have.
MYSQL8_FLAGS = ("--column-statistics=0", "--set-gtid-purged=OFF")
# The first release of each MariaDB series whose dumps begin with the sandbox-mode line.
_SANDBOX_SINCE = {(10, 5): 25, (10, 6): 18, (10, 11): 8, (11, 0): 6, (11, 1): 5, (11, 2): 4}
_SANDBOX_ALL_FROM = (11, 4, 2)

_MARIADB_FROM = re.compile(r"\bfrom (\d+)\.(\d+)\.(\d+)-MariaDB(?:.*?\bclient ([\d.]+))?")
_DISTRIB = re.compile(r"\bVer ([\d.]+) Distrib (\d+)\.(\d+)\.(\d+)(-MariaDB)?")
_VER = re.compile(r"\bVer (\d+)\.(\d+)\.(\d+)")
_UNKNOWN = re.compile(r"unknown (?:variable|option) '([^']+)'")


@dataclass(frozen=True)
class DumpVersion:
    """What `--version` says: flavor, server-series version, and the client's own number."""

    flavor: Flavor
    version: tuple[int, int, int]
    client: str | None
    line: str

    @property
    def text(self) -> str:
        return ".".join(map(str, self.version))

    @property
    def label(self) -> str:
        """Like `MariaDB 10.11.19` or `MySQL 8.0.36`."""
        return f"{'MariaDB' if self.flavor == 'mariadb' else 'MySQL'} {self.text}"


def parse_version(output: str) -> DumpVersion | None:
    """The flavor and version in a dump tool's `--version` output, or None."""
    for raw in output.splitlines():
        line = raw.strip()
        try:
            if m := _MARIADB_FROM.search(line):
                return DumpVersion("mariadb", _ints(m, 1), m[4], line)
            if m := _DISTRIB.search(line):
                flavor: Flavor = "mariadb" if m[5] or "mariadb" in line.lower() else "mysql"
                return DumpVersion(flavor, _ints(m, 2), m[1], line)
            if m := _VER.search(line):
                flavor = "mariadb" if "mariadb" in line.lower() else "mysql"
                return DumpVersion(flavor, _ints(m, 1), None, line)
        except ValueError:  # int() refuses over 4300 digits: not a version line
            continue
    return None


def _ints(m: re.Match[str], first: int) -> tuple[int, int, int]:
    return (int(m[first]), int(m[first + 1]), int(m[first + 2]))


# -- running a tool --------------------------------------------------------


@dataclass(frozen=True)
class Run:
    """How one bounded run of a tool ended."""

    returncode: int | None
    stdout: str
    stderr: str
    timed_out: bool = False
    error: str | None = None  # it could not be started at all

    @property
    def first_error_line(self) -> str:
        for line in (self.stderr + "\n" + self.stdout).splitlines():
            if line.strip():
                return line.strip()[:200]
        return ""


def tool_env(path_env: str) -> dict[str, str]:
    """The environment a dump tool runs with: PATH and a fixed locale, no secrets."""
    return {"PATH": path_env, "LC_ALL": "C", "LANG": "C"}


def run_tool(argv: list[str], *, path_env: str, timeout: float = VERSION_TIMEOUT) -> Run:
    """Run a tool with a hard timeout that also kills anything it started."""
    try:
        proc = subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=tool_env(path_env),
            start_new_session=True,
        )
    except OSError as exc:
        return Run(None, "", "", error=exc.strerror or str(exc))
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        _kill_group(proc)
        try:
            out, err = proc.communicate(timeout=1.0)
        except subprocess.TimeoutExpired:
            # A child that left the group still holds the pipes: stop reading them.
            for pipe in (proc.stdout, proc.stderr):
                if pipe is not None:
                    pipe.close()
            proc.wait()
            out, err = b"", b""
        return Run(proc.returncode, _text(out), _text(err), timed_out=True)
    return Run(proc.returncode, _text(out), _text(err))


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        proc.kill()


def _text(data: bytes | None) -> str:
    return (data or b"")[:8192].decode("utf-8", "replace")


def find_dump_tools(path_env: str) -> list[tuple[str, Path]]:
    """Each dump tool name found on `path_env`, with its path, in order of preference."""
    found = []
    for name in TOOL_NAMES:
        where = shutil.which(name, path=path_env)
        if where:
            found.append((name, Path(where)))
    return found


@dataclass(frozen=True)
class DumpTool:
    """A dump tool on PATH and what its `--version` said."""

    name: str
    path: Path
    run: Run
    version: DumpVersion | None

    @property
    def broken(self) -> str | None:
        """Why the tool cannot run at all, or None when it answered."""
        r = self.run
        if r.error:
            return f"cannot be started ({r.error})"
        if r.timed_out:
            return f"did not answer `--version` within {VERSION_TIMEOUT:g} s"
        if r.returncode != 0:
            detail = f": {r.first_error_line}" if r.first_error_line else ""
            return f"fails `--version` with exit code {r.returncode}{detail}"
        return None


def probe_dump_tool(
    name: str, path: Path, *, path_env: str, timeout: float = VERSION_TIMEOUT
) -> DumpTool:
    """Run `<tool> --no-defaults --version` (no option files) and parse what it says."""
    run = run_tool([str(path), "--no-defaults", "--version"], path_env=path_env, timeout=timeout)
    version = parse_version(run.stdout + "\n" + run.stderr) if run.returncode == 0 else None
    return DumpTool(name, path, run, version)


@dataclass(frozen=True)
class FlagTrial:
    """Whether a tool's option parser accepts a set of flags."""

    accepted: bool | None  # None: the tool's answer did not say
    rejected: tuple[str, ...]
    returncode: int | None


def try_flags(
    path: Path,
    flags: list[str] | tuple[str, ...],
    *,
    path_env: str,
    timeout: float = VERSION_TIMEOUT,
) -> FlagTrial:
    """Offer flags to a tool's option parser; with no database named it never connects."""
    run = run_tool([str(path), "--no-defaults", *flags], path_env=path_env, timeout=timeout)
    rejected = tuple(_UNKNOWN.findall(run.stderr + run.stdout))
    if rejected or run.returncode == EXIT_BAD_OPTION:
        return FlagTrial(False, rejected, run.returncode)
    # Without a database to dump, a tool that took every flag prints its usage (exit 1).
    if run.returncode in (0, 1) and not run.timed_out:
        return FlagTrial(True, (), run.returncode)
    return FlagTrial(None, (), run.returncode)


# -- the flags launchtui uses ----------------------------------------------


def verifies_by_default(v: DumpVersion) -> bool:
    """MariaDB verifies the server certificate by default only from 11.4; MySQL never."""
    return v.flavor == "mariadb" and v.version >= (11, 4, 0)


def writes_sandbox_line(v: DumpVersion) -> bool:
    """Whether dumps start with `/*M!999999\\- enable the sandbox mode */` (MySQL refuses it)."""
    if v.flavor != "mariadb":
        return False
    since = _SANDBOX_SINCE.get(v.version[:2])
    if since is not None:
        return v.version[2] >= since
    return v.version >= _SANDBOX_ALL_FROM


def tls_flags(v: DumpVersion, ca_file: str) -> list[str]:
    """Flags that make the dump verify the server's certificate and host name."""
    if v.flavor == "mysql":
        return ["--ssl-mode=VERIFY_IDENTITY", f"--ssl-ca={ca_file}"]
    return ["--ssl", f"--ssl-ca={ca_file}", "--ssl-verify-server-cert"]


def safe_flags(v: DumpVersion) -> list[str]:
    """Consistency and privilege flags that suit TiDB, for this flavor and version."""
    extra = list(MYSQL8_FLAGS) if v.flavor == "mysql" and v.version >= (8, 0, 0) else []
    return [*SAFE_FLAGS, *extra]


def dump_flags(v: DumpVersion, ca_file: str) -> list[str]:
    return [*tls_flags(v, ca_file), *safe_flags(v)]


def dump_argv(
    tool: Path | str,
    v: DumpVersion,
    *,
    option_file: Path | str,
    host: str,
    port: int,
    user: str,
    database: str,
    ca_file: str,
) -> list[str]:
    """The full command of a dump: option file first, no password anywhere in it."""
    return [
        str(tool),
        f"--defaults-extra-file={option_file}",
        f"--host={host}",
        f"--port={port}",
        f"--user={user}",
        *dump_flags(v, ca_file),
        database,
    ]


def example_command(tool: str, v: DumpVersion, ca_file: str) -> str:
    """The dump command for this tool with placeholders, as a person would type it."""
    flags = " ".join(dump_flags(v, ca_file))
    return (
        f"{tool} --defaults-extra-file=~/.tidb-dump.cnf -h <tidb-host> -P 4000 -u <tidb-user> "
        f"{flags} <db> > backup_<db>_$(date -u +%Y%m%dT%H%M%SZ).sql"
    )


def system_ca_file() -> str | None:
    """The system CA bundle OpenSSL uses, if it is a file."""
    paths = ssl.get_default_verify_paths()
    for candidate in (paths.cafile, paths.openssl_cafile, "/etc/ssl/certs/ca-certificates.crt"):
        if candidate and os.path.isfile(candidate):
            return candidate
    return None
