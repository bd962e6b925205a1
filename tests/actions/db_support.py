"""Real data, real users and real processes for the `backup db` / `restore db` tests.

Everything runs against the private TLS MariaDB of tests/servers/mariadb.py: awkward data
(every byte value, emoji, NULLs, text that looks like mysqldump's own comments), users
whose passwords need escaping, the CLI as a subprocess, and /proc for what processes see.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import secrets
import subprocess
import sys
import time
import urllib.parse
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from launchtui.actions import execute_action, plan_action
from launchtui.core.actions import Action, ActionEvent, Finished, Plan, Progress
from launchtui.core.config import Settings
from launchtui.core.context import Context
from tests.cli import run_launchtui
from tests.servers.mariadb import MariaDB

WAIT_S = 60.0
AWKWARD_ROWS = 3000
# Text that looks like mysqldump's own comments and footer, inside the data.
FAKE_MARKS = (
    "\n-- Table structure for table `not_a_table`\n--\n",
    "-- Dump completed on 2020-01-01 00:00:00",
)
_SAMPLES = (
    "plain",
    "emoji 😀🎉👩🏽‍💻",
    "日本語のテキスト",
    "שלום עולם",
    "e\u0301 combining",
    "quote ' double \" backtick ` semicolon ;",
    "back\\slash \\n not a newline",
    "new\nline\r\ncarriage\ttab",
    "nul\x00byte and ctrl-z \x1a",
    "/* comment */ -- dash dash",
    FAKE_MARKS[0],
)


@dataclass
class Source:
    """A database on the private MariaDB, a user who may dump it, and how to reach it."""

    mariadb: MariaDB
    db: str
    user: str
    password: str
    tables: tuple[str, ...]  # its base tables

    def url(self, **parts: Any) -> str:
        parts.setdefault("user", self.user)
        parts.setdefault("password", urllib.parse.quote(self.password, safe=""))
        parts.setdefault("database", self.db)
        return self.mariadb.url_for(**parts)

    def env_file(self, directory: Path, url: str | None = None) -> Path:
        path = directory / f"env_{secrets.token_hex(4)}"
        path.write_text(f"DATABASE_URL={url or self.url()}\nSECRET_KEY={'ab' * 32}\n")
        path.chmod(0o600)
        return path


def nasty_password() -> str:
    """A password an option file must quote and escape, unique enough to search for."""
    return f"Pw-{secrets.token_hex(10)}\"' \\#x"


def make_user(mariadb: MariaDB, db: str, *, scratch: bool = True) -> tuple[str, str]:
    """A user with all rights on `db` and (if `scratch`) on its verify-restore scratch copies."""
    user = f"bk{secrets.token_hex(4)}"
    password = nasty_password()
    mariadb.create_user(user, password, [db])
    if scratch:
        pattern = db.replace("_", "\\_") + "\\_launchtui\\_verify\\_%"
        mariadb.root_sql(f"GRANT ALL ON `{pattern}`.* TO '{user}'@'%'")
    return user, password


def _connect(mariadb: MariaDB, db: str | None = None) -> Any:
    import pymysql

    return pymysql.connect(
        unix_socket=mariadb.socket,
        user="root",
        database=db,
        charset="utf8mb4",
        connect_timeout=5,
        read_timeout=120,
        autocommit=True,
    )


def fill_awkward(mariadb: MariaDB, db: str, definer: str) -> tuple[str, ...]:
    """Tables of awkward data, a view and an empty table; the base tables' names."""
    rnd = random.Random(20261202)
    conn = _connect(mariadb, db)
    try:
        with conn.cursor() as cur:
            cur.execute(
                "CREATE TABLE people (id INT PRIMARY KEY, name VARCHAR(200) NOT NULL, "
                "note TEXT NULL, born DATE NULL, score DECIMAL(14,4) NULL, ratio DOUBLE NULL, "
                "flags BIT(8) NULL, seen DATETIME(6) NULL) "
                "DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin"
            )
            rows = []
            for i in range(1, AWKWARD_ROWS + 1):
                sample = _SAMPLES[i % len(_SAMPLES)]
                null = i % 7 == 0
                rows.append(
                    (
                        i,
                        f"{sample} #{i}",
                        None if null else sample * (1 + i % 3),
                        None if null else f"19{i % 100:02d}-0{1 + i % 9}-1{i % 10}",
                        None if null else f"{rnd.randint(-(10**9), 10**9)}.{i % 10000:04d}",
                        None if null else rnd.random() * 10 ** rnd.randint(-20, 20),
                        None if null else bytes([i % 256]),
                        None if null else f"2026-01-02 03:04:05.{i:06d}",
                    )
                )
            cur.executemany("INSERT INTO people VALUES (%s,%s,%s,%s,%s,%s,%s,%s)", rows)
            cur.execute("CREATE TABLE blobs (id INT PRIMARY KEY, data LONGBLOB NULL)")
            every = bytes(range(256))
            blobs = [(1, every), (2, every[::-1] * 200), (3, b""), (4, None)]
            blobs += [(5, b"\x00" * 5000 + b"\r\n\\'\"\x1a" + b"\xff" * 5000)]
            blobs += [(i, rnd.randbytes(rnd.randint(1, 70000))) for i in range(6, 60)]
            cur.executemany("INSERT INTO blobs VALUES (%s,%s)", blobs)
            cur.execute(
                "CREATE TABLE `select` (`order` INT NOT NULL, `key` VARCHAR(20) NOT NULL, "
                "`value` TEXT, PRIMARY KEY (`order`, `key`)) DEFAULT CHARSET=utf8mb4"
            )
            cur.executemany(
                "INSERT INTO `select` VALUES (%s,%s,%s)",
                [(i, f"k{i % 5}", FAKE_MARKS[1] if i == 499 else None) for i in range(500)],
            )
            cur.execute("CREATE TABLE empty_table (id INT PRIMARY KEY) ENGINE=InnoDB")
            # The backup user is the view's definer, so that user can restore it anywhere.
            cur.execute(
                f"CREATE DEFINER='{definer}'@'%' SQL SECURITY INVOKER VIEW people_names AS "
                "SELECT id, name FROM people"
            )
    finally:
        conn.close()
    return ("blobs", "empty_table", "people", "select")


def fill_big(mariadb: MariaDB, db: str, rows: int) -> None:
    """A table big enough that its dump takes a second or more, and a small `audit`."""
    conn = _connect(mariadb, db)
    try:
        with conn.cursor() as cur:
            cur.execute("CREATE TABLE big (id INT PRIMARY KEY, payload VARCHAR(220) NOT NULL)")
            cur.execute(
                f"INSERT INTO big SELECT seq, CONCAT(seq, ':', REPEAT(MD5(seq), 6)) "
                f"FROM seq_1_to_{rows}"
            )
            cur.execute("CREATE TABLE audit (id INT AUTO_INCREMENT PRIMARY KEY, what TEXT)")
            cur.execute("INSERT INTO audit (what) VALUES ('before the dump')")
            cur.execute("ANALYZE TABLE big, audit")
    finally:
        conn.close()


def snapshot(mariadb: MariaDB, db: str) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every base table, in primary-key order."""
    conn = _connect(mariadb, db)
    out: dict[str, list[tuple[Any, ...]]] = {}
    try:
        with conn.cursor() as cur:
            cur.execute(
                "SELECT table_name FROM information_schema.tables "
                "WHERE table_schema = %s AND table_type = 'BASE TABLE' ORDER BY table_name",
                (db,),
            )
            for (table,) in cur.fetchall():
                cur.execute(
                    "SELECT column_name FROM information_schema.key_column_usage WHERE "
                    "table_schema = %s AND table_name = %s AND constraint_name = 'PRIMARY' "
                    "ORDER BY ordinal_position",
                    (db, table),
                )
                keys = ", ".join(f"`{r[0]}`" for r in cur.fetchall()) or "1"
                cur.execute(f"SELECT * FROM `{table}` ORDER BY {keys}")
                out[table] = list(cur.fetchall())
    finally:
        conn.close()
    return out


def views(mariadb: MariaDB, db: str) -> list[str]:
    rows = mariadb.root_sql(
        "SELECT table_name FROM information_schema.views WHERE table_schema = %s", (db,)
    )
    return sorted(r[0] for r in rows)


def databases_like(mariadb: MariaDB, pattern: str) -> list[str]:
    return [r[0] for r in mariadb.root_sql("SHOW DATABASES LIKE %s", (pattern,))]


# -- the CLI ---------------------------------------------------------------------


def cli_json(
    *args: str, env: Mapping[str, str] | None = None, timeout: float = 180
) -> tuple[subprocess.CompletedProcess[str], dict[str, Any]]:
    """`launchtui ARGS --format json`: the finished process and its one JSON object."""
    proc = run_launchtui(*args, "--format", "json", env=env, timeout=timeout)
    try:
        doc = json.loads(proc.stdout)
    except json.JSONDecodeError as exc:
        raise AssertionError(
            f"no JSON ending (exit {proc.returncode}): {proc.stdout!r} {proc.stderr!r}"
        ) from exc
    return proc, doc


def launchtui_popen(*args: str, env: Mapping[str, str]) -> subprocess.Popen[str]:
    """`launchtui ARGS` started in the background, as the kept environment plus `env`."""
    from tests.cli import KEPT

    base = {k: v for k, v in os.environ.items() if k.startswith(KEPT)}
    return subprocess.Popen(
        [sys.executable, "-m", "launchtui", *args],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**base, **env},
    )


# -- in-process ------------------------------------------------------------------


def context(env: Mapping[str, str], backup_dir: Path, **settings: Any) -> Context:
    environ = {"PATH": os.environ["PATH"], **env}
    return Context.build(Settings(backup_dir=backup_dir, **settings), environ)


async def run_action(
    action: Action,
    ctx: Context,
    options: Mapping[str, Any],
    on_event: Callable[[ActionEvent], None] | None = None,
) -> tuple[Plan, list[ActionEvent], Finished]:
    """Plan and execute in-process, as the faces do; every event, and the Finished."""
    plan = await plan_action(action, ctx, options)
    events: list[ActionEvent] = []
    async for event in execute_action(action, ctx, plan, options):
        events.append(event)
        if on_event is not None:
            on_event(event)
    finished = events[-1]
    assert isinstance(finished, Finished)
    return plan, events, finished


async def wait_for(condition: Callable[[], bool], what: str, timeout: float = WAIT_S) -> None:
    """Poll `condition` until it holds (a deadline, not a sleep standing in for a result)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.01)


def progressed(events: Sequence[ActionEvent], at_least: int, prefix: str = "") -> bool:
    return any(
        isinstance(e, Progress) and e.done >= at_least and e.message.startswith(prefix)
        for e in events
    )


# -- processes -------------------------------------------------------------------


def processes() -> Iterator[tuple[int, bytes, bytes, int]]:
    """(pid, cmdline, environ, ppid) of every process we can read right now."""
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/cmdline", "rb") as f:
                cmdline = f.read()
            with open(f"/proc/{name}/environ", "rb") as f:
                environ = f.read()
            with open(f"/proc/{name}/stat", "rb") as f:
                stat = f.read()
        except OSError:
            continue  # gone meanwhile
        ppid = int(stat.rsplit(b")", 1)[1].split()[1])
        yield int(name), cmdline, environ, ppid


def children_running(parent: int, program: str) -> list[tuple[int, list[bytes]]]:
    """The processes `parent` started whose program is `program`, with their argv."""
    found = []
    for pid, cmdline, _environ, ppid in processes():
        argv = cmdline.split(b"\0")
        if ppid == parent and argv and os.path.basename(argv[0]) == program.encode():
            found.append((pid, argv))
    return found


def alive(pid: int) -> bool:
    """True while `pid` exists and is not a zombie."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            state = f.read().rsplit(b")", 1)[1].split()[0]
    except OSError:
        return False
    return state != b"Z"


def option_dirs(tmpdir: Path) -> list[Path]:
    return sorted(tmpdir.glob("launchtui-db-*"))


def backup_files(directory: Path) -> list[str]:
    """Everything in the backup dir (hidden partials too), by name."""
    return sorted(os.listdir(directory)) if directory.exists() else []
