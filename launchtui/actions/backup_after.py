"""The shared last step of `backup db` and `backup media`: the offsite copy, then --keep.

Both backup actions call `after_backup` once their local file and its manifest are
complete under their final names. This step never deletes or damages that backup: a
failed upload leaves it in place and ends with `AfterDone(ok=False, ...)`, whose summary
says so. Cancelling it (CancelledError) aborts a multipart upload and re-raises.

The actions can call `plan_steps` from their `plan` to show (and validate, before any
dump starts) what this step will do: a malformed `--offsite` is an ActionError there.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from launchtui.actions.offsite import (
    UPLOAD_TIMEOUTS,
    OffsiteLocation,
    UploadDone,
    describe_error,
    make_client,
    resolve_location,
    upload_backup,
)
from launchtui.actions.retention import media_folder, name_parts, prune_local, prune_offsite
from launchtui.checks.backups import format_size
from launchtui.core.actions import ActionError, Output, Progress
from launchtui.core.context import Context
from launchtui.probes.backup_files import (
    manifest_path,
    read_manifest,
    validate_manifest,
    write_manifest,
)

Kind = Literal["database", "media"]


@dataclass(frozen=True)
class AfterDone:
    """The end of the after-backup step, merged into the backup action's ending.

    `summary` is "" when neither an offsite copy nor --keep was asked for; otherwise one
    or more full sentences. `fields` holds `offsite` (the object's s3:// URL, or None when
    the copy failed, with `offsite_error`), `pruned` (local file names removed) and
    `pruned_offsite` (s3:// URLs removed), each only when that part was asked for.
    """

    ok: bool
    summary: str
    fields: dict[str, Any] = field(default_factory=dict)


def resolve_keep(ctx: Context, options: Mapping[str, Any]) -> int | None:
    """How many complete backups to keep (flag over profile), or None for all."""
    if options.get("keep") is not None:
        keep, source = options["keep"], "--keep"
    else:
        keep, source = ctx.settings.keep, "The profile's `keep` key"
    if keep is None:
        return None
    if isinstance(keep, bool) or not isinstance(keep, int) or keep < 1:
        raise ActionError(f"{source} must be a whole number of backups, 1 or more.")
    return keep


def plan_steps(ctx: Context, options: Mapping[str, Any], kind: Kind) -> tuple[str, ...]:
    """The plan lines of this step; ActionError when its options are malformed."""
    loc = resolve_location(ctx, options)
    keep = resolve_keep(ctx, options)
    words = "database backups" if kind == "database" else "media inventories"
    steps = []
    if loc is not None:
        steps.append(
            f"Copy it and its manifest to {loc.url()} on {loc.where}, then verify size and sha256."
        )
    if keep is not None:
        where = " here and offsite" if loc is not None else ""
        steps.append(f"Keep the newest {keep} complete {words} of the same name{where}.")
    return tuple(steps)


async def after_backup(
    ctx: Context,
    options: Mapping[str, Any],
    kind: Kind,
    path: Path,
) -> AsyncIterator[Output | Progress | AfterDone]:
    """The offsite copy (options["offsite"] or ctx.settings.offsite), then --keep retention
    (options["keep"] or ctx.settings.keep); always ends with one AfterDone."""
    scrub = ctx.redactor.scrub
    try:
        loc = resolve_location(ctx, options)
        keep = resolve_keep(ctx, options)
    except ActionError as exc:
        msg = f"{exc} The local backup {path.name} is kept; nothing was copied or pruned."
        yield AfterDone(False, scrub(msg), {"offsite": None, "offsite_error": scrub(str(exc))})
        return
    if loc is None and keep is None:
        yield AfterDone(True, "", {})
        return

    ok, sentences, fields = True, [], {}
    copied = False
    if loc is not None:
        async for event in _copy(ctx, loc, kind, path):
            if isinstance(event, UploadDone):
                copied = event.ok
                if event.ok and event.record is not None:
                    fields["offsite"] = event.record["url"]
                    size = format_size(event.record["bytes"])
                    sentences.append(f"Copied to {event.record['url']} ({size}, sha256 verified).")
                else:
                    ok = False
                    fields["offsite"] = None
                    fields["offsite_error"] = scrub(event.message)
                    sentences.append(f"{event.message} The local backup {path.name} is kept.")
            else:
                yield _scrubbed(ctx, event)

    if keep is not None:
        async for event in _retain(ctx, loc if copied else None, kind, path, keep, fields):
            if isinstance(event, str):
                sentences.append(event)
            elif isinstance(event, bool):
                ok = ok and event
            else:
                yield _scrubbed(ctx, event)
        if loc is not None and not copied:
            sentences.append("Offsite backups were not pruned, since this copy did not get there.")
    yield AfterDone(ok, scrub(" ".join(sentences)), ctx.redactor.scrub_any(fields))


def _scrubbed(ctx: Context, event: Output | Progress) -> Output | Progress:
    if isinstance(event, Output):
        return Output(ctx.redactor.scrub(event.line))
    return Progress(event.done, event.total, event.unit, ctx.redactor.scrub(event.message))


async def _copy(
    ctx: Context, loc: OffsiteLocation, kind: Kind, path: Path
) -> AsyncIterator[Output | Progress | UploadDone]:
    """Check the local backup against its manifest, upload it, record the copy."""
    mpath = manifest_path(path)
    data, trouble = await ctx.to_thread(read_manifest, path)
    problems = [trouble] if data is None else validate_manifest(data, kind)
    if problems:
        yield UploadDone(
            False,
            f"{path.name} was not copied offsite because {problems[0]}.",
        )
        return
    assert data is not None
    try:
        size = (await ctx.to_thread(path.stat)).st_size
    except OSError as exc:
        yield UploadDone(False, f"{path.name} cannot be read ({exc.strerror or exc}).")
        return
    if size != data["bytes"]:
        yield UploadDone(
            False,
            f"{path.name} is {size} bytes but its manifest says {data['bytes']}, so it was "
            "not copied offsite.",
        )
        return
    done: UploadDone | None = None
    async for event in upload_backup(ctx, loc, path, data, mpath.name):
        if isinstance(event, UploadDone):
            done = event
        else:
            yield event
    assert done is not None
    if not done.ok or done.record is None:
        yield done
        return
    try:
        await ctx.to_thread(write_manifest, mpath, {**data, "offsite": done.record})
    except (OSError, ValueError) as exc:
        yield UploadDone(
            False,
            f"{path.name} was copied to {done.record['url']} and verified, but its local "
            f"manifest could not record that ({exc}).",
        )
        return
    yield Output(
        f"Verified {done.record['url']}: {format_size(done.record['bytes'])}, sha256 matches "
        f"the manifest; recorded in {mpath.name}."
    )
    folder = media_folder(path)
    if kind == "media" and await ctx.to_thread(folder.is_dir):
        yield Output(
            f"The downloaded originals in {folder.name}/ stay local only; the inventory and "
            "its manifest are offsite."
        )
    yield done


async def _retain(
    ctx: Context,
    loc: OffsiteLocation | None,
    kind: Kind,
    path: Path,
    keep: int,
    fields: dict[str, Any],
) -> AsyncIterator[Output | str | bool]:
    """Prune local (and, given `loc`, offsite) backups; yields lines, sentences, and ok."""
    words = "database backups" if kind == "database" else "media inventories"
    parts = name_parts(path.name)
    if parts is None:
        yield (
            f"{path.name} is not named like a {kind} backup, so --keep pruned nothing "
            "(it would not know which backups are its siblings)."
        )
        yield False
        return
    label = parts[1]
    try:
        removed = await ctx.to_thread(prune_local, path.parent, kind, keep, path)
    except OSError as exc:
        fields["pruned"] = []
        yield (
            f"Pruning old {words} in {path.parent} failed ({exc.strerror or exc}); "
            f"the new backup is kept."
        )
        yield False
        removed = None
    if removed is not None:
        fields["pruned"] = [r.name for r in removed]
        for r in removed:
            also = f" and {', '.join(r.also)}" if r.also else ""
            yield Output(f"Removed {r.name}{also} (keeping the newest {keep}).")
        yield f"Kept the newest {keep} {words} of {label} here, removed {len(removed)}."
    if loc is None:
        return
    try:
        client = await ctx.to_thread(make_client, ctx, loc, UPLOAD_TIMEOUTS)
        deleted = await ctx.to_thread(prune_offsite, client, loc, kind, keep, path.name)
    except asyncio.CancelledError:
        raise
    except Exception as exc:  # boto errors: the copy itself is done and verified
        fields["pruned_offsite"] = []
        yield describe_error(exc, loc, f"pruning old {words} under {loc.url()}")
        yield False
        return
    fields["pruned_offsite"] = [f"s3://{loc.bucket}/{k}" for k in deleted]
    for k in deleted:
        yield Output(f"Removed s3://{loc.bucket}/{k} (keeping the newest {keep} offsite).")
    n = sum(1 for k in deleted if name_parts(k.rsplit("/", 1)[-1]) is not None)
    yield f"Kept the newest {keep} offsite, removed {n}."
