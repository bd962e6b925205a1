"""`launchtui restore db BACKUP --into URL` (2.2): load a checked backup into a database.

The plan checks the file against its manifest first (sha256, size, complete; the footer
for a readable one), and refuses a target that already has tables unless `--force`.
It always asks, and the TUI has the user type the target database's name. The load
streams the file through age (with `--identity`) and zstd/gzip into the real
`mariadb`/`mysql` client, password in an option file; MySQL's client gets the dump
without MariaDB's sandbox line, which it refuses.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Mapping
from pathlib import Path
from typing import Any

from launchtui.actions.db_age import check_identity_fits, load_identities
from launchtui.actions.db_common import (
    QUERY_TIMEOUT_S,
    Database,
    client_argv,
    find_client,
    mysql_error,
    option_file,
    quote_ident,
    source_database,
    target_database,
    tool_env,
    unreachable,
)
from launchtui.actions.db_run import Ran, load_failure, run_load
from launchtui.checks.backups import format_size
from launchtui.core.actions import Action, ActionError, ActionEvent, Finished, Output, Plan
from launchtui.core.context import Context
from launchtui.probes.backup_verify import verify_db_backup
from launchtui.probes.dump_tools import DumpTool

_SHOWN_TABLES = 8


def target_state(db: Database) -> tuple[bool, list[str]]:
    """Whether the target database exists, and its tables (blocking); ActionError if unreachable."""
    import pymysql

    from launchtui.probes.database import verified_connection

    try:
        with (
            verified_connection(db.url, db.intent, database="", timeout_s=QUERY_TIMEOUT_S) as conn,
            conn.cursor() as cur,
        ):
            cur.execute(
                "SELECT COUNT(*) FROM information_schema.schemata WHERE schema_name = %s",
                (db.name,),
            )
            exists = bool(cur.fetchone()[0])
            cur.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = %s "
                "ORDER BY table_name",
                (db.name,),
            )
            tables = [str(r[0]) for r in cur.fetchall()]
    except (pymysql.err.MySQLError, OSError) as exc:
        raise unreachable(db, exc, "nothing was restored") from None
    return exists, tables


def create_database(db: Database) -> None:
    """CREATE DATABASE for a target that does not exist yet (blocking)."""
    import pymysql

    from launchtui.probes.database import verified_connection

    try:
        with (
            verified_connection(db.url, db.intent, database="") as conn,
            conn.cursor() as cur,
        ):
            cur.execute(f"CREATE DATABASE {quote_ident(db.name)}")
    except pymysql.err.MySQLError as exc:
        code, message = mysql_error(exc)
        raise ActionError(
            f"The database {db.where} does not exist and user {db.user!r} cannot create it "
            f"({code}: {message}); create it first (CREATE DATABASE {quote_ident(db.name)}) "
            "and run the restore again. Nothing was restored."
        ) from None


def _checked_backup(path: Path) -> dict[str, Any]:
    """The backup's manifest, once the file is proven to match it; ActionError otherwise."""
    v = verify_db_backup(path)
    if not v.good:
        problems = "; ".join(v.problems) or "it is not complete"
        raise ActionError(
            f"{path.name} does not check out against its manifest, so nothing was restored: "
            f"{problems}."
        )
    assert v.manifest is not None
    return v.manifest


def _identities(options: Mapping[str, Any], path: Path, manifest: Mapping[str, Any]) -> list[Any]:
    if not path.name.endswith(".age"):
        return []
    recipients = list(manifest.get("encrypted_to") or [])
    identity = options.get("identity")
    if not identity:
        to = f" (to {', '.join(recipients)})" if recipients else ""
        raise ActionError(
            f"{path.name} is encrypted with age{to}, so it cannot be read without its key; "
            "pass --identity FILE with the identity (AGE-SECRET-KEY-1...) it was encrypted "
            "to. Nothing was restored."
        )
    identities, publics = load_identities(Path(identity))
    check_identity_fits(publics, recipients, Path(identity))
    return identities


async def plan(ctx: Context, options: Mapping[str, Any]) -> Plan:
    """Check the file, the key, the target and the client; refuse a target with tables."""
    path = Path(options["backup"])
    manifest = await ctx.to_thread(_checked_backup, path)
    identities = _identities(options, path, manifest)
    try:
        source: Database | None = source_database(ctx)
    except ActionError:
        source = None  # DATABASE_URL only lends its password and CA to the same server
    target, warnings = target_database(
        ctx, str(options["into"]), options.get("target_password"), source, "--into"
    )
    client: DumpTool = await ctx.to_thread(find_client, ctx)
    exists, tables = await ctx.to_thread(target_state, target)
    if tables and not options.get("force"):
        shown = ", ".join(tables[:_SHOWN_TABLES]) + (" ..." if len(tables) > _SHOWN_TABLES else "")
        raise ActionError(
            f"{target.where} already has {len(tables)} tables ({shown}), so nothing was "
            "restored: the dump would drop and replace those it contains. Restore into an "
            "empty database, or pass --force to load over them."
        )
    assert client.version is not None
    strip = client.version.flavor == "mysql"
    steps = [
        f"backup: {path} ({format_size(manifest['bytes'])}, {manifest['tables']} tables of "
        f"{manifest['database']} from {manifest['host']}, taken {manifest['finished_at']}; "
        "sha256 matches its manifest)",
        f"target: {target.where}, TLS verified with {target.ca_words}",
        "target database: "
        + (
            f"has {len(tables)} tables; --force loads over them"
            if tables
            else ("exists and is empty" if exists else "does not exist: it will be created")
        ),
        f"client: {client.path} ({client.version.label})"
        + ("; MariaDB's sandbox line is dropped for MySQL's client" if strip else ""),
    ]
    if identities:
        steps.append(f"decryption: age, with the identity in {options['identity']}")
    steps.extend(warnings)
    return Plan(
        summary=f"Restore {path.name} ({manifest['tables']} tables, "
        f"{format_size(manifest['bytes'])}) into {target.where}.",
        steps=tuple(steps),
        fields={"tables": manifest["tables"], "database": target.name},
        data={
            "path": path,
            "manifest": dict(manifest),
            "identities": identities,
            "target": target,
            "client": client,
            "exists": exists,
            "strip": strip,
            "warnings": warnings,
        },
        confirm_label=f"Restore into {target.name}",
        ask=True,
        confirm_word=target.name,
    )


async def execute(
    ctx: Context, plan: Plan, options: Mapping[str, Any]
) -> AsyncIterator[ActionEvent]:
    """Stream the backup into the client; the target's tables afterwards."""
    d = plan.data
    path: Path = d["path"]
    manifest: dict[str, Any] = d["manifest"]
    target: Database = d["target"]
    client: DumpTool = d["client"]
    t0 = time.monotonic()
    for line in d["warnings"]:
        yield Output(line)
    if not d["exists"]:
        await ctx.to_thread(create_database, target)
        yield Output(f"Created the database {target.where}.")
    yield Output(f"Restoring {path.name} into {target.where} with {client.name}.")
    ran: Ran | None = None
    with option_file(target.password) as opt:
        async for event in run_load(
            ctx,
            client_argv(client, target, opt),
            tool_env(ctx),
            path,
            name=path.name,
            identities=d["identities"],
            strip_sandbox=d["strip"],
            total_tables=manifest["tables"] or None,
        ):
            if isinstance(event, Ran):
                ran = event
            else:
                yield event
    assert ran is not None
    if failure := load_failure(ran, client.name, target, "restore"):
        raise ActionError(
            f"{failure} {target.where} may hold part of the backup now; fix the cause and "
            "restore again with --force."
        )
    assert ran.pumped is not None
    for line in ran.stderr:  # its warnings, if it printed any
        yield Output(f"{client.name}: {line}")
    if ran.pumped.sha256 != manifest["sha256"]:
        raise ActionError(
            f"{path.name} changed while it was being restored (its sha256 no longer matches "
            f"its manifest), so {target.where} may not hold what the manifest describes; "
            "restore again from an intact copy with --force."
        )
    _exists, tables = await ctx.to_thread(target_state, target)
    restored = len(ran.pumped.tables)
    fields = {
        "tables": restored,
        "database": target.name,
        "host": target.host,
        "path": str(path),
        "bytes": ran.pumped.stored,
        "sql_bytes": ran.pumped.plain,
        "sandbox_line_dropped": ran.stripped_sandbox,
        "tables_in_target": len(tables),
    }
    yield Finished(
        True,
        f"Restored {path.name} into {target.where}: {restored} tables, "
        f"{format_size(ran.pumped.plain)} of SQL in {time.monotonic() - t0:.1f} s.",
        fields,
    )


ACTION = Action(
    id="restore-db",
    title="Restore a database backup",
    section="2.2",
    fixes=(),
    plan=plan,
    execute=execute,
    unconfirmed="ask",
    help="Check a backup against its manifest, then load it (decrypting with --identity) "
    "into --into URL with the mariadb/mysql client; refuses a target with tables unless "
    "--force.",
)
