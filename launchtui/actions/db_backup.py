"""`launchtui backup db` (2.2): a verified, streamed dump of DATABASE_URL's database.

The plan looks (tool, tables, sizes, the file it will write) and changes nothing but
making the backup dir. Execution runs the real mysqldump/mariadb-dump with the flags of
its flavor and TLS verified by the backend's CA, streams its output through zstd/gzip
and age into `.<name>.partial`, checks the exit code and the footer, fsyncs, optionally
restores it into a scratch database and compares, then renames it and writes the
manifest. Anything short of that removes the partial: nothing under a final name.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import time
from collections.abc import AsyncIterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from launchtui.actions.db_age import check_identity_fits, load_identities, parse_recipients
from launchtui.actions.db_common import (
    Database,
    dump_argv,
    find_client,
    find_dump_tool,
    shown_flags,
    source_database,
    target_database,
)
from launchtui.actions.db_dump import (
    CONNECTION_FLAGS,
    TableInfo,
    dump_failure,
    dump_to,
    manifest_for,
    prepare_dir,
    publish,
    read_schema,
)
from launchtui.actions.db_verify import (
    Verified,
    drop_scratch,
    make_scratch,
    restore_test,
    scratch_name,
)
from launchtui.checks.backups import format_size, restore_proof_words
from launchtui.core.actions import Action, ActionError, ActionEvent, Finished, Output, Plan
from launchtui.core.config import default_backup_dir
from launchtui.core.context import Context
from launchtui.core.files import partial_path
from launchtui.probes.backup_files import COMPRESSIONS, backup_name, manifest_path, utc_stamp
from launchtui.probes.backup_verify import just_written
from launchtui.probes.dump_tools import DumpTool

_SHOWN_TABLES = 40


def _table_lines(tables: Sequence[TableInfo]) -> list[str]:
    lines = [
        f"  {t.name[:28]:<28} ~{t.rows:>11,} rows {format_size(t.data_bytes):>10}"
        + ("" if t.kind == "BASE TABLE" else f" ({t.kind.lower()})")
        for t in tables[:_SHOWN_TABLES]
    ]
    if len(tables) > _SHOWN_TABLES:
        lines.append(f"  ... and {len(tables) - _SHOWN_TABLES} more")
    return lines


def _verify_target(
    ctx: Context, options: Mapping[str, Any], db: Database
) -> tuple[Database | None, list[str]]:
    into = options.get("restore_into")
    if not into:
        return None, []
    target, warnings = target_database(
        ctx, into, options.get("target_password"), db, "--restore-into"
    )
    if (target.host, target.port, target.name) == (db.host, db.port, db.name):
        raise ActionError(
            "--restore-into names the source database itself; the restore test would "
            "overwrite it. Name another database."
        )
    return target, warnings


async def plan(ctx: Context, options: Mapping[str, Any]) -> Plan:
    """What the backup would do: tool, tables and sizes, file, compression, encryption, tests."""
    db = source_database(ctx)
    compression = options.get("compress") or "zstd"
    if compression not in COMPRESSIONS:
        raise ActionError(f"--compress takes zstd, gzip or none, not {compression!r}.")
    recipients_text = [str(r).strip() for r in options.get("encrypt_to") or ctx.settings.encrypt_to]
    recipients = parse_recipients(recipients_text)
    verify = bool(options.get("verify_restore") or options.get("restore_into"))
    target, warnings = _verify_target(ctx, options, db)
    identities: list[Any] = []
    if verify and recipients:
        identity = options.get("identity")
        if not identity:
            raise ActionError(
                "--verify-restore of an encrypted backup needs --identity FILE (an age "
                "identity of one of the --encrypt-to recipients) to decrypt it for the test."
            )
        identities, publics = load_identities(Path(identity))
        check_identity_fits(publics, recipients_text, Path(identity))
    directory = prepare_dir(Path(ctx.settings.backup_dir or default_backup_dir()))
    tool: DumpTool = await ctx.to_thread(find_dump_tool, ctx)
    client = await ctx.to_thread(find_client, ctx) if verify else None
    version, tables = await ctx.to_thread(read_schema, db)
    if target is not None:
        await ctx.to_thread(read_schema, target)  # reachable, and the password works
    assert tool.version is not None
    base = [t for t in tables if t.kind == "BASE TABLE"]
    total = sum(t.data_bytes for t in base)
    now = dt.datetime.now(dt.UTC)
    path = directory / backup_name(
        db.name, now, compression=compression, encrypted=bool(recipients)
    )
    # Only the flags are shown: the option file's path is a placeholder here.
    argv = dump_argv(tool, db, Path("OPTION_FILE"))
    flags = [f for f in shown_flags(argv) if not f.startswith(CONNECTION_FLAGS)]

    steps = [
        f"tool: {tool.path} ({tool.version.label}), flags: {' '.join(flags)}",
        f"database: {db.where} ({version}), TLS verified with {db.ca_words}",
        f"tables: {len(base)} ({len(tables) - len(base)} views or other), about "
        f"{format_size(total)} (information_schema estimates):",
        *_table_lines(tables),
        f"file: {path} (mode 0600 in a 0700 directory, written as a .partial first)",
        f"compression: {compression}",
        f"encryption: age to {', '.join(recipients_text)}"
        if recipients
        else "encryption: none (--encrypt-to RECIPIENT encrypts it while it streams)",
    ]
    if target is not None:
        steps.append(f"restore test: into {target.where} (kept), then every table compared")
    elif verify:
        scratch = scratch_name(db.name, utc_stamp(now))
        steps.append(
            f"restore test: into the scratch database {scratch} on {db.host}, dropped after"
        )
    else:
        steps.append(
            "restore test: none (--verify-restore loads it into a scratch db and compares)"
        )
    from launchtui.actions.backup_after import plan_steps

    # The offsite copy and --keep come after the local backup; a bad --offsite fails here.
    steps.extend(plan_steps(ctx, options, "database") or ("offsite: none (--offsite URL)",))
    steps.extend(warnings)
    return Plan(
        summary=f"Back up {db.where} ({len(base)} tables, about {format_size(total)}) with "
        f"{tool.name} to {path}.",
        steps=tuple(steps),
        fields={"path": str(path), "tables": len(base)},
        data={
            "db": db,
            "tool": tool,
            "client": client,
            "directory": directory,
            "compression": compression,
            "recipients_text": recipients_text,
            "recipients": recipients,
            "identities": identities,
            "verify": verify,
            "target": target,
            "warnings": warnings,
            "version": version,
            "tables": tables,
            "total": total,
        },
        confirm_label=f"Back up {db.name} and restore it into {target.name}"
        if target is not None
        else f"Back up {db.name}",
        ask=target is not None,  # only a restore into another database changes what exists
    )


# -- carrying it out -------------------------------------------------------------


async def execute(
    ctx: Context, plan: Plan, options: Mapping[str, Any]
) -> AsyncIterator[ActionEvent]:
    """Dump, check, (restore-test), rename and record; then offsite and --keep; re-check."""
    from launchtui.actions import recheck

    d = plan.data
    db: Database = d["db"]
    tool: DumpTool = d["tool"]
    directory: Path = d["directory"]
    started = dt.datetime.now(dt.UTC)
    t0 = time.monotonic()
    name = backup_name(
        db.name, started, compression=d["compression"], encrypted=bool(d["recipients"])
    )
    final, partial = directory / name, partial_path(directory / name)
    for line in d["warnings"]:
        yield Output(line)
    yield Output(f"Dumping {db.where} with {tool.name} to {final}.")
    scratch: Database | None = None
    out_fd: int | None = None
    ours = False  # the .partial is ours to remove only once we created it
    try:
        if d["verify"] and d["target"] is None:
            scratch_db = scratch_name(db.name, utc_stamp(started))
            scratch = await make_scratch(ctx, db, scratch_db)
            yield Output(f"Created the scratch database {scratch.where} for the restore test.")
        try:
            out_fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            ours = True
        except OSError as exc:
            raise ActionError(
                f"{partial} cannot be created ({exc.strerror}); nothing was dumped."
            ) from None
        ran, argv = None, []
        async for event in dump_to(ctx, plan, out_fd):
            if isinstance(event, tuple):
                ran, argv = event
            else:
                yield event
        os.close(out_fd)
        out_fd = None
        assert ran is not None
        if why := dump_failure(ran, tool, db, directory):
            raise ActionError(why)
        assert ran.pumped is not None
        pumped = ran.pumped
        for line in ran.stderr:  # its warnings, if it printed any
            yield Output(f"{tool.name}: {line}")
        yield Output(
            f"Dump complete: {len(pumped.tables)} tables, {format_size(pumped.plain)} of SQL, "
            f"{format_size(pumped.stored)} on disk, in {ran.seconds:.1f} s."
        )
        proof: dict[str, Any] | None = None
        if d["verify"]:
            async for event in restore_test(
                ctx,
                source=db,
                target=scratch or d["target"],
                scratch=scratch is not None,
                client=d["client"],
                path=partial,
                name=name,
                identities=d["identities"],
                tables=len(pumped.tables),
            ):
                if isinstance(event, Verified):
                    proof = event.proof
                else:
                    yield event
            if scratch is not None and proof is not None:
                why = await ctx.to_thread(drop_scratch, db, scratch.name)
                proof["dropped"] = why is None
                if why:
                    yield Output(f"Warning: {why}")
                scratch = None
            if proof is not None:
                yield Output(f"Restore test {restore_proof_words(proof)}")
        manifest = manifest_for(plan, name, ran, argv, started, time.monotonic() - t0)
        manifest["verify_restore"] = proof
        publish(partial, final, manifest)
    except ActionError as exc:
        if scratch is not None and (why := await ctx.to_thread(drop_scratch, db, scratch.name)):
            raise ActionError(f"{exc} Also, {why}") from None
        scratch = None
        raise
    finally:
        if out_fd is not None:
            os.close(out_fd)
        if ours:
            partial.unlink(missing_ok=True)
        if scratch is not None:  # cancelled or an unexpected error: the scratch copy goes too
            with contextlib.suppress(Exception):
                await ctx.to_thread(drop_scratch, db, scratch.name)
    ended: Finished | None = None
    async for event in _finish(ctx, options, final, manifest, proof):
        if isinstance(event, Finished):
            ended = event
        else:
            yield event
    assert ended is not None
    # The re-check trusts the hash and footer seen while streaming, for this file unchanged.
    with just_written(final, manifest["sha256"], str(manifest.get("footer") or "")):
        checks = await recheck(ctx, ["backup.database"])
    yield Finished(ended.ok, ended.summary, ended.fields, ended.error, checks)


async def _finish(
    ctx: Context,
    options: Mapping[str, Any],
    final: Path,
    manifest: Mapping[str, Any],
    proof: Mapping[str, Any] | None,
) -> AsyncIterator[ActionEvent]:
    """The offsite copy and --keep (unless the restore test failed), ending with Finished."""
    fields: dict[str, Any] = {
        "path": str(final),
        "bytes": manifest["bytes"],
        "sha256": manifest["sha256"],
        "tables": manifest["tables"],
        "manifest": str(manifest_path(final)),
        "compression": manifest["compression"],
        "encrypted_to": manifest["encrypted_to"],
        "sql_bytes": manifest["sql_bytes"],
        "verify_restore": proof,
    }
    summary = (
        f"Backed up {manifest['database']}: {manifest['tables']} tables, "
        f"{format_size(manifest['bytes'])} in {final} (sha256 {manifest['sha256'][:12]}...)."
    )
    if proof is not None and not proof["ok"]:
        error = (
            f"The backup {final} is complete and kept, but its restore test did not match the "
            f"source: {restore_proof_words(proof)} The offsite copy and --keep were skipped."
        )
        yield Output(error)
        yield Finished(False, error, fields, error)
        return
    if proof is not None:
        where = "a scratch database" if proof["target"] == "scratch" else proof["database"]
        summary += f" The restore test into {where} passed: {proof['tables']} tables equal."
    wanted = (
        options.get("offsite") or ctx.settings.offsite or options.get("keep") or ctx.settings.keep
    )
    if wanted:
        from launchtui.actions.backup_after import AfterDone, after_backup

        async for event in after_backup(ctx, options, "database", final):
            if isinstance(event, AfterDone):
                fields.update(event.fields)
                if not event.ok:
                    error = f"The backup {final} is complete and kept locally, but {event.summary}"
                    yield Finished(False, error, fields, error)
                    return
                if event.summary:
                    summary += f" {event.summary}"
            else:
                yield event
    yield Finished(True, summary, fields)


ACTION = Action(
    id="backup-db",
    title="Back up the database",
    section="2.2",
    fixes=("backup.database",),
    plan=plan,
    execute=execute,
    unconfirmed="ask",
    help="Dump DATABASE_URL's database with mysqldump/mariadb-dump over verified TLS, "
    "streamed through zstd/gzip and age into the backup dir, checked (exit code, footer, "
    "sha256), optionally restore-tested, with a manifest; then offsite and --keep.",
)
