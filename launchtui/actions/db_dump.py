"""The dump half of `backup db`: the schema it estimates, the dir, the checks and the rename.

`dump_to` streams the dump into an open `.partial` (db_run does the streaming);
`dump_failure` says in one sentence why a finished dump is not good; `publish` renames
a checked dump to its final name and writes its manifest, both or neither.
"""

from __future__ import annotations

import datetime as dt
import errno
import os
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from launchtui.actions.db_common import (
    QUERY_TIMEOUT_S,
    Database,
    dump_argv,
    option_file,
    shown_flags,
    tool_env,
    tool_failure,
    unreachable,
)
from launchtui.actions.db_run import Ran, run_dump
from launchtui.core.actions import ActionError, ActionEvent, Plan
from launchtui.core.context import Context
from launchtui.probes.backup_files import manifest_path, utc_iso, write_manifest
from launchtui.probes.backup_verify import FOOTER
from launchtui.probes.dump_tools import DumpTool

# The connection's own flags stay out of the manifest: the host has its own member.
CONNECTION_FLAGS = ("--host=", "--port=", "--user=")


@dataclass(frozen=True)
class TableInfo:
    """A table or view as information_schema estimates it."""

    name: str
    kind: str
    rows: int
    data_bytes: int


def read_schema(db: Database) -> tuple[str, list[TableInfo]]:
    """The server's version and the database's tables (blocking); ActionError if unreachable."""
    import pymysql

    from launchtui.probes.database import verified_connection

    try:
        with (
            verified_connection(db.url, db.intent, timeout_s=QUERY_TIMEOUT_S) as conn,
            conn.cursor() as cur,
        ):
            cur.execute("SELECT VERSION()")
            version = str(cur.fetchone()[0])
            cur.execute(
                "SELECT table_name, table_type, COALESCE(table_rows, 0), "
                "COALESCE(data_length, 0) FROM information_schema.tables "
                "WHERE table_schema = %s ORDER BY table_name",
                (db.name,),
            )
            rows = cur.fetchall()
    except (pymysql.err.MySQLError, OSError) as exc:
        raise unreachable(db, exc, "nothing was backed up") from None
    return version, [TableInfo(str(r[0]), str(r[1]), int(r[2]), int(r[3])) for r in rows]


def prepare_dir(directory: Path) -> Path:
    """The backup dir, made 0700 if it is new; ActionError if it is not a writable directory."""
    fix = "point --backup-dir (or the profile's backup_dir) at a writable directory"
    try:
        if not directory.exists():
            directory.mkdir(parents=True, mode=0o700)
            os.chmod(directory, 0o700)  # whatever the umask: a dump holds the whole database
    except OSError as exc:
        raise ActionError(
            f"The backup directory {directory} cannot be created ({exc.strerror}); {fix}."
        ) from None
    if not directory.is_dir():
        raise ActionError(f"The backup directory {directory} is not a directory; {fix}.")
    if not os.access(directory, os.W_OK | os.X_OK):
        raise ActionError(f"The backup directory {directory} is not writable; {fix}.")
    return directory


def dump_failure(ran: Ran, tool: DumpTool, db: Database, directory: Path) -> str | None:
    """Why the dump is not good, as a sentence; None when it is."""
    kept = "The partial file was removed; no backup was kept."
    err = ran.error
    if isinstance(err, OSError) and err.errno in (errno.ENOSPC, errno.EDQUOT):
        return (
            f"The disk is full at {directory}: free space or point --backup-dir elsewhere. {kept}"
        )
    if isinstance(err, OSError):
        return f"Writing the backup to {directory} failed ({err.strerror or err}). {kept}"
    if err is not None:
        return f"The backup stream failed ({type(err).__name__}: {err}). {kept}"
    if ran.returncode != 0:
        return f"{tool_failure(tool.name, ran.returncode, ran.stderr, db, 'dump')} {kept}"
    if ran.pumped is None or not FOOTER.search(ran.pumped.tail):
        return (
            f"{tool.name} exited 0, but its output does not end with the `-- Dump completed` "
            f"footer, so the dump may be cut short. {kept}"
        )
    return None


def manifest_for(
    plan: Plan, name: str, ran: Ran, argv: Sequence[str], started: dt.datetime, seconds: float
) -> dict[str, Any]:
    d = plan.data
    db: Database = d["db"]
    tool: DumpTool = d["tool"]
    assert ran.pumped is not None and tool.version is not None
    footer = FOOTER.search(ran.pumped.tail)
    base = [t for t in d["tables"] if t.kind == "BASE TABLE"]
    return {
        "kind": "database",
        "format": 1,
        "file": name,
        "bytes": ran.pumped.stored,
        "sha256": ran.pumped.sha256,
        "database": db.name,
        "host": db.host,
        "tables": len(ran.pumped.tables),
        "tool": tool.name,
        "flavor": tool.version.flavor,
        "tool_version": tool.version.text,
        "started_at": utc_iso(started),
        "finished_at": utc_iso(),
        "complete": True,
        "compression": d["compression"],
        "encrypted_to": list(d["recipients_text"]),
        "footer": footer.group(0).decode("utf-8", "replace").strip() if footer else None,
        "server_version": d["version"],
        "flags": [f for f in shown_flags(argv) if not f.startswith(CONNECTION_FLAGS)],
        "row_estimates": {t.name: t.rows for t in base},
        "data_bytes": {t.name: t.data_bytes for t in base},
        "sql_bytes": ran.pumped.plain,
        "duration_ms": int(seconds * 1000),
        "tls": {"ca": db.ca_file, "ca_source": db.intent.ca_source},
        "verify_restore": None,
    }


def publish(partial: Path, final: Path, manifest: dict[str, Any]) -> None:
    """Rename the checked dump to its final name and write its manifest; undo both on error."""
    directory = final.parent
    if final.exists():
        raise ActionError(f"{final} already exists, so it was not overwritten; run it again.")
    try:
        os.rename(partial, final)
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)  # the rename itself is durable
        finally:
            os.close(fd)
        write_manifest(manifest_path(final), manifest)
    except OSError as exc:
        final.unlink(missing_ok=True)
        if exc.errno in (errno.ENOSPC, errno.EDQUOT):
            raise ActionError(
                f"The disk is full at {directory}: free space or point --backup-dir elsewhere. "
                "The dump was complete but its manifest could not be written, so it was removed."
            ) from None
        raise ActionError(
            f"The backup could not be put in place in {directory} ({exc.strerror}); it was removed."
        ) from None


async def dump_to(
    ctx: Context, plan: Plan, out_fd: int
) -> AsyncIterator[ActionEvent | tuple[Ran, list[str]]]:
    d = plan.data
    db: Database = d["db"]
    tables = [t for t in d["tables"] if t.kind == "BASE TABLE"]
    with option_file(db.password) as opt:
        argv = dump_argv(d["tool"], db, opt)
        async for event in run_dump(
            ctx,
            argv,
            tool_env(ctx),
            out_fd,
            compression=d["compression"],
            recipients=d["recipients"],
            total_bytes=d["total"] or None,
            total_tables=len(tables) or None,
            option_file=opt,
        ):
            yield (event, argv) if isinstance(event, Ran) else event
