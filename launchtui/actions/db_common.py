"""What `backup db`, `restore db` and the verify-restore share: the database, its tools, secrets.

The database is the backend's own (`DATABASE_URL`), verified with the CA the backend will
use (`checks.database.backend_database`). Its password reaches a dump or client program only
through a 0600 option file in a 0700 temporary directory, named as the program's first
argument; the program's environment is PATH and a locale, nothing more.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import re
import shutil
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from launchtui.core.actions import ActionError
from launchtui.core.secrets import Secret
from launchtui.probes import dump_tools
from launchtui.probes.dump_tools import DumpTool, DumpVersion

if TYPE_CHECKING:
    from launchtui.core.context import Context
    from launchtui.probes.dburl import DbUrl, TlsIntent

CLIENT_NAMES = ("mariadb", "mysql")
INSTALL_HINT = "install a MySQL-compatible client: `sudo apt-get install -y mariadb-client`"
# information_schema answers a big schema slowly; the plan waits this long at most.
QUERY_TIMEOUT_S = 30.0


@dataclass(frozen=True)
class Database:
    """A database to dump or load: its URL, its TLS, the CA file the tools verify with."""

    url: DbUrl  # its password is the one to use, wherever it came from
    intent: TlsIntent
    ca_file: str
    name: str
    password: Secret | None
    # Where the user wrote this database: DATABASE_URL, --into or --restore-into.
    label: str = "DATABASE_URL"

    @property
    def host(self) -> str:
        return str(self.url.host or "")

    @property
    def port(self) -> int:
        return 3306 if self.url.port is None else int(self.url.port)

    @property
    def user(self) -> str:
        return self.url.username or ""

    @property
    def where(self) -> str:
        """`appdb on 127.0.0.1:3306` for the user's eyes (no user, no password)."""
        return f"{self.name} on {self.host}:{self.port}"

    @property
    def ca_words(self) -> str:
        """Which CA verifies the server, and why that one."""
        why = f" ({self.intent.ca_why})" if self.intent.ca_why else ""
        return f"{self.ca_file}{why}"


def path_env(ctx: Context) -> str:
    """The PATH the tools are looked up on: the run's, else the process's, else the default."""
    return ctx.env.get("PATH") or os.environ.get("PATH") or os.defpath


def source_database(ctx: Context) -> Database:
    """DATABASE_URL as the backend uses it, with the CA that verifies it; ActionError if unusable."""
    from launchtui.checks.database import backend_database
    from launchtui.core.model import Verdict

    parsed = backend_database(ctx)
    if isinstance(parsed, Verdict):
        words = parsed.summary.removeprefix("Skipped: ")
        raise ActionError(f"There is no database to back up: {words}")
    url, intent = parsed
    if not url.database:
        raise ActionError(
            "DATABASE_URL names no database (nothing after the last '/'), so there is nothing "
            "to back up; env.database_url says what to fix."
        )
    return _with_ca(ctx, url, intent, url.database)


def _with_ca(ctx: Context, url: DbUrl, intent: TlsIntent, name: str) -> Database:
    ca = intent.ca_file or dump_tools.system_ca_file()
    if ca is None:
        raise ActionError(
            "No CA bundle was found to verify the database's TLS certificate with: the URL "
            "names no ssl_ca and this machine has no system bundle; pass --ca-file PATH."
        )
    if url.password is not None:
        ctx.redactor.add(url.password)
    return Database(url, intent, ca, name, url.password)


def target_database(
    ctx: Context, text: str, given: Secret | None, source: Database | None, flag: str
) -> tuple[Database, list[str]]:
    """A `--into`/`--restore-into` URL with its password and CA, plus warnings to show.

    The password: the one given (LAUNCHTUI_TARGET_PASSWORD or the prompt), else the URL's
    own (warned about: `ps` shows it), else DATABASE_URL's when user and host are the same.
    The CA: the URL's own ssl_ca, else DATABASE_URL's for the same server, else --ca-file,
    else the system store.
    """
    from launchtui.probes.dburl import DbUrlError, intended_tls, parse_database_url

    warnings: list[str] = []
    try:
        url = parse_database_url(text)
    except DbUrlError as exc:
        raise ActionError(f"{flag} cannot be used: {exc}") from None
    if url.password is not None:
        ctx.redactor.add(url.password)
    if url.drivername.split("+", 1)[0] not in ("mysql", "mariadb"):
        raise ActionError(f"{flag} must be a mysql+pymysql:// URL, not {url.drivername}://.")
    if not url.host or not url.database or not url.username:
        raise ActionError(
            f"{flag} must name a user, a host and a database: "
            "mysql+pymysql://USER@HOST:PORT/DATABASE?ssl_ca=... (no password in it)."
        )
    if given:
        ctx.redactor.add(given)
    password = given or None
    if url.password is not None:
        warnings.append(
            f"Warning: the {flag} URL holds a password, and a command line shows in `ps` to "
            "every user of this machine; use LAUNCHTUI_TARGET_PASSWORD instead next time."
        )
        password = password or url.password
    same_server = source is not None and (source.host, source.port) == (
        url.host,
        3306 if url.port is None else url.port,
    )
    if password is None and source is not None and same_server and source.user == url.username:
        password = source.password
    if password is None:
        raise ActionError(
            f"No password for {url.username} on {url.host}: set LAUNCHTUI_TARGET_PASSWORD, "
            "or run this on a terminal to be asked for it (it is never read from the command "
            "line)."
        )
    ca_file = str(ctx.settings.ca_file) if ctx.settings.ca_file else None
    intent = intended_tls(url, ca_file=ca_file)
    if intent.ca_source != "url" and source is not None and same_server:
        # The same server presents the same certificate: trust what verifies DATABASE_URL.
        intent = type(intent)(
            verify_cert=True,
            verify_host=intent.verify_host,
            ca_file=source.ca_file,
            ca_source=source.intent.ca_source,
            ca_why="the CA that verifies DATABASE_URL, the same server",
        )
    db = _with_ca(ctx, url, intent, url.database)
    url = dataclasses.replace(url, password=password)  # what every connection then uses
    return Database(url, intent, db.ca_file, url.database, password, flag), warnings


# -- the programs ----------------------------------------------------------


def _first_usable(found: Sequence[tuple[str, Path]], path: str, what: str) -> DumpTool:
    tried = []
    for name, where in found:
        tool = dump_tools.probe_dump_tool(name, where, path_env=path)
        if tool.version is not None:
            return tool
        tried.append(f"{where} {tool.broken or 'prints a version launchtui does not recognise'}")
    if tried:
        raise ActionError(f"No usable {what}: {'; '.join(tried)}; {INSTALL_HINT}.")
    raise ActionError(f"No {what} is on PATH, so this cannot run; {INSTALL_HINT}.")


def find_dump_tool(ctx: Context) -> DumpTool:
    """mariadb-dump or mysqldump, the first that answers `--version` (blocking)."""
    path = path_env(ctx)
    return _first_usable(dump_tools.find_dump_tools(path), path, "mysqldump or mariadb-dump")


def find_client(ctx: Context) -> DumpTool:
    """The `mariadb` or `mysql` command-line client that loads a dump (blocking)."""
    path = path_env(ctx)
    found = [(n, Path(w)) for n in CLIENT_NAMES if (w := shutil.which(n, path=path))]
    return _first_usable(found, path, "mariadb or mysql client")


def tool_env(ctx: Context) -> dict[str, str]:
    """A tool's whole environment: no password, no DATABASE_URL, no MYSQL_PWD."""
    return dump_tools.tool_env(path_env(ctx))


def client_argv(client: DumpTool, db: Database, option_file: Path) -> list[str]:
    """The client command that loads SQL from stdin into `db`; option file first."""
    assert client.version is not None
    return [
        str(client.path),
        f"--defaults-extra-file={option_file}",
        f"--host={db.host}",
        f"--port={db.port}",
        f"--user={db.user}",
        *dump_tools.tls_flags(client.version, db.ca_file),
        "--default-character-set=utf8mb4",
        "--batch",
        db.name,
    ]


def dump_argv(tool: DumpTool, db: Database, option_file: Path) -> list[str]:
    """The dump command for `db`; option file first, TLS verified with db's CA."""
    assert tool.version is not None
    return dump_tools.dump_argv(
        tool.path,
        tool.version,
        option_file=option_file,
        host=db.host,
        port=db.port,
        user=db.user,
        database=db.name,
        ca_file=db.ca_file,
    )


def shown_flags(argv: Sequence[str]) -> list[str]:
    """A command's flags as the manifest keeps them: the option file's path left out."""
    return [a for a in argv[1:] if a.startswith("--") and not a.startswith("--defaults-")]


def _option_value(password: str) -> str:
    if "\n" in password or "\r" in password:
        raise ActionError(
            "The database password contains a line break, which a MySQL option file cannot "
            "hold; change the password."
        )
    return '"' + password.replace("\\", "\\\\").replace('"', '\\"') + '"'


@contextlib.contextmanager
def option_file(password: Secret | None) -> Iterator[Path]:
    """A 0600 `[client]` option file with the password, in a 0700 temporary directory.

    Removed, directory and all, when the block ends, however it ends.
    """
    value = _option_value(password.reveal()) if password else None
    directory = Path(tempfile.mkdtemp(prefix="launchtui-db-"))  # mkdtemp makes it 0700
    try:
        path = directory / "client.cnf"
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write("[client]\n" + (f"password={value}\n" if value else ""))
        yield path
    finally:
        shutil.rmtree(directory, ignore_errors=True)


# -- what went wrong, in words -----------------------------------------------

_CODE = re.compile(r"\b(?:error|ERROR)[: ]+(\d{4})\b|Got error: (\d{4})|\((\d{4})\)")


def _code(text: str) -> int | None:
    for m in _CODE.finditer(text):
        return int(next(g for g in m.groups() if g))
    return None


def tool_failure(
    program: str, returncode: int | None, stderr: Sequence[str], db: Database, doing: str
) -> str:
    """Why a dump or client run failed, as a sentence (`doing` is "dump", "restore", ...)."""
    text = "\n".join(stderr)
    last = next((s.strip() for s in reversed(stderr) if s.strip()), "")
    said = f" ({last[:300]})" if last else ""
    code = _code(text)
    low = text.lower()
    if returncode is not None and returncode < 0:
        return f"{program} was killed (signal {-returncode}) before the {doing} finished{said}."
    if code == 1045 or ("access denied for user" in low and "using password" in low):
        return (
            f"The database refused the login for user {db.user!r} on {db.host} (1045 Access "
            f"denied): the password or user name is wrong{said}. Copy both from the TiDB Cloud "
            "console; a connection without TLS to a server that requires it gets the same error."
        )
    # A server killed mid-stream under TLS says "2026 TLS/SSL error: unexpected eof".
    gone = ("lost connection", "gone away", "unexpected eof", "connection reset")
    if code in (2013, 2006) or any(g in low for g in gone):
        return (
            f"The database server {db.host} went away in the middle of the {doing}{said}. "
            "Check the cluster's status in the TiDB Cloud console, then run it again."
        )
    if "certificate" in low or "self-signed" in low or "verif" in low:
        return (
            f"{program} does not trust the TLS certificate of {db.host}{said}: it was verified "
            f"with {db.ca_words}. Point ssl_ca at the CA that signs the server's certificate "
            "(TiDB Cloud: the system bundle /etc/ssl/certs/ca-certificates.crt)."
        )
    if code == 2026 or "tls/ssl error" in low:
        return (
            f"The TLS connection of {program} to {db.host} failed{said}; "
            "`launchtui runbook db-down` probes each layer."
        )
    if code in (2002, 2003, 2005) or "can't connect" in low:
        return (
            f"{program} cannot reach {db.host}:{db.port}{said}; run `launchtui runbook db-down` "
            "to see which layer fails."
        )
    if code in (1044, 1142, 1227):
        return (
            f"User {db.user!r} lacks a privilege the {doing} needs on {db.name}{said}; grant it, "
            "or use a user that has it."
        )
    return f"{program} failed with exit code {returncode} during the {doing}{said}."


def mysql_error(exc: BaseException) -> tuple[int | None, str]:
    """PyMySQL's (code, message), or (None, text)."""
    args: Any = getattr(exc, "args", ())
    if len(args) >= 2 and isinstance(args[0], int):
        return args[0], str(args[1])
    return None, str(exc) or type(exc).__name__


def unreachable(db: Database, exc: BaseException, what: str) -> ActionError:
    """The database cannot be reached: the first failing layer, as db.connect names it."""
    from launchtui.probes.database import probe_database

    probe = probe_database(db.url, db.intent)
    if probe.ok:  # the probe got through where the real connection did not
        code, message = mysql_error(exc)
        detail = f"{code}: {message}" if code else message
        return ActionError(f"The database {db.where} failed ({detail}), so {what}.")
    words = f"{probe.summary} {probe.remediation}".rstrip()
    if db.label != "DATABASE_URL":  # the probe's words name the backend's URL
        words = words.replace("DATABASE_URL", f"the {db.label} URL")
    return ActionError(f"The database {db.where} cannot be reached, so {what}: {words}")


def quote_ident(name: str) -> str:
    """A table or database name quoted for MySQL."""
    return "`" + name.replace("`", "``") + "`"


def version_label(v: DumpVersion | None) -> str:
    return v.label if v is not None else "unknown version"
