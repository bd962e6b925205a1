"""`backup db --verify-restore`: load the dump into a scratch database and compare every table.

The scratch database `<db>_launchtui_verify_<stamp>` lives on the source's server and is
dropped afterwards, also on error or cancel (`--restore-into URL` names another one,
which is kept). Every base table is compared by its exact row count (`SELECT COUNT(*)`)
and, when both servers are the same product and answer it with a number, by `CHECKSUM
TABLE` (TiDB has none that can prove a copy: its checksum includes the table's id). The
source is read as it is now, after the dump, so a table written to since differs too.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from launchtui.actions.db_common import (
    Database,
    client_argv,
    mysql_error,
    option_file,
    quote_ident,
    tool_env,
)
from launchtui.actions.db_run import Ran, load_failure, run_load
from launchtui.core.actions import ActionError, Output, Progress
from launchtui.core.context import Context
from launchtui.probes.backup_files import utc_iso
from launchtui.probes.dump_tools import DumpTool

SCRATCH_INFIX = "_launchtui_verify_"
_NAME_MAX = 64
# Counting a big table is a full scan: allow it time.
_COMPARE_TIMEOUT_S = 900.0
_CHECKSUM_BATCH = 50
NOTE = (
    "The source is compared as it is now, after the dump: a table written to during or "
    "after the dump differs too."
)


@dataclass(frozen=True)
class Verified:
    """The end of a restore test: the proof recorded in the manifest."""

    proof: dict[str, Any]


def scratch_name(db: str, stamp: str) -> str:
    """`<db>_launchtui_verify_<stamp>`, the database part cut to fit MySQL's 64 characters."""
    suffix = f"{SCRATCH_INFIX}{stamp}"
    return db[: _NAME_MAX - len(suffix)] + suffix


def _product(version: str) -> str:
    low = version.lower()
    return "tidb" if "tidb" in low else "mariadb" if "mariadb" in low else "mysql"


def _execute(db: Database, sql: str, timeout_s: float = 30.0) -> None:
    """One statement on db's server, no database selected (blocking)."""
    from launchtui.probes.database import verified_connection

    with (
        verified_connection(db.url, db.intent, database="", timeout_s=timeout_s) as conn,
        conn.cursor() as cur,
    ):
        cur.execute(sql)


def create_scratch(source: Database, name: str) -> Database:
    """CREATE DATABASE on the source's server (blocking); ActionError, nothing made, if refused."""
    import pymysql

    try:
        _execute(source, f"CREATE DATABASE {quote_ident(name)}")
    except pymysql.err.MySQLError as exc:
        code, message = mysql_error(exc)
        if code in (1044, 1045, 1142, 1227):
            raise ActionError(
                f"User {source.user!r} may not create databases on {source.host} ({code}: "
                f"{message}), so the scratch database {name} for --verify-restore was not "
                f"created and nothing was dumped. Grant it CREATE and DROP on "
                f"`{source.name}\\_launchtui\\_verify\\_%`.*, or restore into a database of "
                "your own with --restore-into URL."
            ) from None
        if code == 1007:
            raise ActionError(
                f"The scratch database {name} already exists on {source.host}; nothing was "
                "dumped. Drop it, or wait a second and run the backup again."
            ) from None
        raise ActionError(
            f"The scratch database {name} could not be created on {source.host} ({code}: "
            f"{message}), so nothing was dumped."
        ) from None
    return Database(source.url, source.intent, source.ca_file, name, source.password)


def drop_scratch(source: Database, name: str) -> str | None:
    """DROP DATABASE the scratch copy (blocking); None when it is gone, else why not."""
    import pymysql

    try:
        _execute(source, f"DROP DATABASE IF EXISTS {quote_ident(name)}", timeout_s=120.0)
    except pymysql.err.MySQLError as exc:
        code, message = mysql_error(exc)
        return (
            f"the scratch database {name} could not be dropped ({code}: {message}); drop it by "
            f"hand: DROP DATABASE {quote_ident(name)};"
        )
    return None


async def make_scratch(ctx: Context, source: Database, name: str) -> Database:
    """create_scratch in a thread; a cancel waits for it, then drops what it made."""
    task = asyncio.ensure_future(ctx.to_thread(create_scratch, source, name))
    try:
        return await asyncio.shield(task)
    except asyncio.CancelledError:
        # The CREATE may already have run: let it end, and undo it if it did.
        await asyncio.wait({task})
        if not task.cancelled() and task.exception() is None:
            await ctx.to_thread(drop_scratch, source, name)
        raise


def _base_tables(cur: Any, db: str) -> list[str]:
    cur.execute(
        "SELECT table_name FROM information_schema.tables "
        "WHERE table_schema = %s AND table_type = 'BASE TABLE' ORDER BY table_name",
        (db,),
    )
    return [str(row[0]) for row in cur.fetchall()]


def _counts(cur: Any, db: str, tables: Iterable[str]) -> dict[str, int]:
    out = {}
    for table in tables:
        cur.execute(f"SELECT COUNT(*) FROM {quote_ident(db)}.{quote_ident(table)}")
        out[table] = int(cur.fetchone()[0])
    return out


def _checksums(cur: Any, db: str, tables: Sequence[str]) -> dict[str, int | None]:
    """CHECKSUM TABLE per table; {} when the server has none (TiDB) or refuses it."""
    import pymysql

    out: dict[str, int | None] = {}
    try:
        for i in range(0, len(tables), _CHECKSUM_BATCH):
            batch = tables[i : i + _CHECKSUM_BATCH]
            names = ", ".join(f"{quote_ident(db)}.{quote_ident(t)}" for t in batch)
            cur.execute(f"CHECKSUM TABLE {names}")
            for table, row in zip(batch, cur.fetchall(), strict=False):
                out[table] = None if row[1] is None else int(row[1])
    except pymysql.err.MySQLError:
        return {}
    return out


def compare(source: Database, target: Database) -> dict[str, Any]:
    """Row counts and checksums of every source table, here and in the restored copy."""
    from launchtui.probes.database import verified_connection

    with (
        verified_connection(
            source.url, source.intent, database=source.name, timeout_s=_COMPARE_TIMEOUT_S
        ) as s,
        verified_connection(
            target.url, target.intent, database=target.name, timeout_s=_COMPARE_TIMEOUT_S
        ) as t,
        s.cursor() as sc,
        t.cursor() as tc,
    ):
        sc.execute("SELECT VERSION()")
        tc.execute("SELECT VERSION()")
        products = {_product(str(sc.fetchone()[0])), _product(str(tc.fetchone()[0]))}
        # TiDB's checksum includes the table's internal id: equal data, different sums.
        same_product = len(products) == 1 and "tidb" not in products
        tables = _base_tables(sc, source.name)
        restored = set(_base_tables(tc, target.name))
        src_rows = _counts(sc, source.name, tables)
        dst_rows = _counts(tc, target.name, [x for x in tables if x in restored])
        present = [x for x in tables if x in restored]
        src_sum = _checksums(sc, source.name, present) if same_product else {}
        dst_sum = _checksums(tc, target.name, present) if src_sum else {}
    return _findings(tables, restored, src_rows, dst_rows, src_sum, dst_sum)


def _findings(
    tables: Sequence[str],
    restored: set[str],
    src_rows: dict[str, int],
    dst_rows: dict[str, int],
    src_sum: dict[str, int | None],
    dst_sum: dict[str, int | None],
) -> dict[str, Any]:
    differs, summed = [], 0
    for table in tables:
        item: dict[str, Any] = {"table": table, "source_rows": src_rows[table]}
        if table not in restored:
            differs.append({**item, "restored_rows": None, "why": "missing from the copy"})
            continue
        item["restored_rows"] = dst_rows[table]
        a, b = src_sum.get(table), dst_sum.get(table)
        checked = a is not None and b is not None
        summed += checked
        if src_rows[table] != dst_rows[table]:
            differs.append({**item, "why": "row counts differ"})
        elif checked and a != b:
            differs.append({**item, "why": "CHECKSUM TABLE differs"})
    if summed:
        compared = (
            f"exact row counts (SELECT COUNT(*)) of {len(tables)} tables, and CHECKSUM TABLE "
            f"of the {summed} where both servers gave one"
        )
    else:
        compared = (
            f"exact row counts (SELECT COUNT(*)) of {len(tables)} tables; no CHECKSUM TABLE "
            "(the servers differ, give NULL, or have none that proves a copy, as TiDB)"
        )
    return {
        "ok": not differs,
        "compared": compared,
        "tables": len(tables),
        "checksums": summed,
        "rows": sum(dst_rows.values()),
        "differs": differs,
        "note": NOTE,
    }


async def restore_test(
    ctx: Context,
    *,
    source: Database,
    target: Database,
    scratch: bool,
    client: DumpTool,
    path: Path,
    name: str,
    identities: Sequence[Any],
    tables: int | None,
) -> AsyncIterator[Output | Progress | Verified]:
    """Load `path` (the dump, perhaps still `.partial`) into `target`, then compare."""
    assert client.version is not None
    t0 = time.monotonic()
    where = f"the scratch database {target.where}" if scratch else target.where
    yield Output(f"Restore test: loading the dump into {where} with {client.name}.")
    ran: Ran | None = None
    with option_file(target.password) as opt:
        argv = client_argv(client, target, opt)
        async for event in run_load(
            ctx,
            argv,
            tool_env(ctx),
            path,
            name=name,
            identities=identities,
            strip_sandbox=client.version.flavor == "mysql",
            total_tables=tables,
        ):
            if isinstance(event, Ran):
                ran = event
            else:
                yield Progress(
                    event.done, event.total, event.unit, f"restore test: {event.message}"
                )
    assert ran is not None
    failure = load_failure(ran, client.name, target, "restore test")
    if failure:
        raise ActionError(failure)
    yield Output("Restore test: comparing every table with the source.")
    try:
        found = await ctx.to_thread(compare, source, target)
    except Exception as exc:
        code, message = mysql_error(exc)
        raise ActionError(
            f"The restored copy could not be compared with the source ({code}: {message})."
        ) from None
    proof = {
        "at": utc_iso(),
        "target": "scratch" if scratch else "restore_into",
        "database": target.name,
        "host": target.host,
        "dropped": False,
        "client": f"{client.name} ({client.version.label})",
        **found,
        "duration_ms": int((time.monotonic() - t0) * 1000),
    }
    yield Verified(proof)
