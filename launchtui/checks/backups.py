"""Checklist 2.2 and 2.3: the newest database and media backups are complete and recent."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from launchtui.checks.backup_tools import DB_COMMAND
from launchtui.core.config import default_backup_dir
from launchtui.core.context import Context
from launchtui.core.model import (
    MISSING_INPUT,
    Verdict,
    errored,
    failed,
    passed,
    skipped,
    warned,
)
from launchtui.core.registry import check
from launchtui.probes.backup_files import (
    BackupFile,
    BackupListing,
    PartialFile,
    list_backups,
    media_state_path,
)
from launchtui.probes.backup_verify import Verification, verify_db_backup, verify_media_inventory

DB_WARN_AGE = 24 * 3600.0
MEDIA_WARN_AGE = 7 * 24 * 3600.0
# Older backups verified when the newest is broken, looking for one to fall back on.
LOOKBACK = 5
# Reading a multi-GB dump takes a while; the verification stops itself before the runner.
VERIFY_BUDGET = 100.0
BACKUP_TIMEOUT = VERIFY_BUDGET + 10.0
MEDIA_COMMAND = "launchtui backup media"
MEDIA_RESUME = f"{MEDIA_COMMAND} --resume"
MEDIA_DOWNLOAD_RESUME = f"{MEDIA_COMMAND} --download --resume"
MEDIA_RESUME_FIX = (
    f"Run `{MEDIA_RESUME}`: it continues the interrupted listing from its saved cursors "
    "(a new run without --resume starts over)."
)
SEED_SNIPPET = (
    'the checklist\'s resources(type="upload", max_results=500) lists only the first 500 '
    "image uploads: no next_cursor paging, no video or raw files, no private or "
    f"authenticated ones; `{MEDIA_COMMAND}` lists every type and page"
)


# -- formatting ------------------------------------------------------------


def format_age(seconds: float) -> str:
    """An age as a person says it: `40 s`, `12 min`, `5 h`, `3 days`."""
    if seconds < 90:
        return f"{int(seconds)} s"
    if seconds < 90 * 60:
        return f"{round(seconds / 60)} min"
    if seconds < 48 * 3600:
        return f"{round(seconds / 3600)} h"
    return f"{round(seconds / 86400)} days"


def format_size(size: float) -> str:
    """A byte count as a person reads it: `812 bytes`, `1.2 MB`."""
    if size < 1000:
        return f"{int(size)} bytes"
    for unit in ("KB", "MB"):
        size /= 1000
        if size < 1000:
            return f"{size:.1f} {unit}"
    return f"{size / 1000:.1f} GB"


def restore_proof_words(proof: Mapping[str, Any]) -> str:
    """A manifest's `verify_restore` proof in one sentence: when, where, what, the result."""
    host, db = proof.get("host", "?"), proof.get("database", "?")
    if proof.get("target") == "scratch":
        gone = " (dropped afterwards)" if proof.get("dropped") else " (NOT dropped)"
        where = f"the scratch database {db} on {host}{gone}"
    else:
        where = f"{db} on {host} (--restore-into)"
    head = f"restored at {proof.get('at', '?')} into {where}; compared {proof.get('compared', '?')}"
    differs = proof.get("differs") or []
    if proof.get("ok") and not differs:
        return f"passed: {head}: every table is equal ({proof.get('rows', '?')} rows)."
    shown = []
    for d in differs[:5]:
        rows = f"source {d.get('source_rows')} rows, restored {d.get('restored_rows')}"
        shown.append(f"{d.get('table')} ({d.get('why')}: {rows})")
    more = f" and {len(differs) - 5} more" if len(differs) > 5 else ""
    n = len(differs)
    return (
        f"FAILED: {head}: {n} of {proof.get('tables', '?')} tables differ: "
        f"{', '.join(shown)}{more}. {proof.get('note', '')}".rstrip()
    )


# -- backup.database and backup.media --------------------------------------


def _backup_dir(ctx: Context) -> Path:
    return ctx.settings.backup_dir or default_backup_dir()


async def _listing(ctx: Context, directory: Path) -> tuple[BackupListing | None, str]:
    """The backup directory's contents, listed once per run for both checks."""

    def scan() -> tuple[BackupListing | None, str]:
        try:
            return list_backups(directory), ""
        except FileNotFoundError:
            return None, "missing"
        except NotADirectoryError:
            return None, "is not a directory"
        except OSError as exc:
            return None, f"cannot be read ({exc.strerror or exc})"

    return await ctx.shared(f"backups.listing:{directory}", scan)


async def _older_good(
    ctx: Context,
    older: Sequence[BackupFile],
    verify: Callable[..., Verification],
    deadline: float,
) -> tuple[Verification | None, str]:
    """The newest good backup among older ones, or why none was found."""
    if not older:
        return None, "there is no older backup to fall back on"
    for candidate in older[:LOOKBACK]:
        v = await ctx.to_thread(verify, candidate.path, deadline=deadline)
        if v.timed_out:
            return None, f"the older ones could not all be verified within {VERIFY_BUDGET:g} s"
        if v.good:
            return v, ""
    n = min(len(older), LOOKBACK)
    return None, f"none of the {n} older ones checked is good either"


def _partials_note(stale: list[PartialFile]) -> str:
    p = stale[0]
    more = f" and {len(stale) - 1} more" if len(stale) > 1 else ""
    return f"{p.path.name}{more} ({format_age(p.age())} old)"


def _common_evidence(v: Verification, listing: BackupListing, count: int) -> dict[str, Any]:
    return {
        "backup dir": str(listing.directory),
        "newest": v.path.name,
        "finished": f"{v.finished_at:%Y-%m-%d %H:%M:%S} UTC ({format_age(v.age_seconds())} ago)",
        "size": format_size(v.size),
        "sha256": (v.sha256 or "?")[:16] + "…",
        "backups here": count,
    }


async def _survey(
    ctx: Context, kind: str, verify: Callable[..., Verification], deadline: float
) -> tuple[BackupListing | None, str, Verification | None, list[PartialFile]]:
    """The listing, why there is none, the newest backup verified, and stale partials."""
    directory = _backup_dir(ctx)
    listing, trouble = await _listing(ctx, directory)
    if listing is None:
        return None, trouble, None, []
    stale = listing.stale_partials(kind)
    files = listing.databases if kind == "database" else listing.media
    if not files:
        return listing, "", None, stale
    v = await ctx.to_thread(verify, files[0].path, deadline=deadline)
    return listing, "", v, stale


def _no_backup(
    kind_words: str,
    directory: Path,
    trouble: str,
    stale: list[PartialFile],
    command: str,
    extra: dict[str, str] | None = None,
) -> Verdict:
    """No backup to verify: a missing dir or none yet (skip), an unusable dir (fail)."""
    evidence = {"backup dir": str(directory), **(extra or {})}
    if trouble and trouble != "missing":
        return failed(
            f"The backup directory {directory} {trouble}, so no {kind_words} can be checked "
            "or written there.",
            evidence,
            remediation="Fix its permissions, or point --backup-dir (or the profile's "
            "backup_dir) at a writable directory.",
        )
    if stale:
        evidence["interrupted"] = _partials_note(stale)
        return warned(
            f"No finished {kind_words} in {directory}: the only trace is an interrupted one "
            f"({_partials_note(stale)}).",
            evidence,
            remediation=f"Delete the .partial file and take a new one with `{command}`.",
            command=command,
        )
    where = "does not exist yet" if trouble == "missing" else "holds none"
    elsewhere = ""
    facts: dict[str, Any] = {}
    if directory == default_backup_dir():  # the default: the backups may be elsewhere
        elsewhere = " (the default; --backup-dir, profile key backup_dir, names another)"
        facts[MISSING_INPUT] = ("backup_dir",)
    return skipped(
        f"No {kind_words} yet: the backup directory {directory} {where}{elsewhere}.",
        evidence,
        facts=facts,
        remediation=f"Take one with `{command}` and schedule it (cron or a CI job).",
        command=command,
    )


@check("backup.database", section="2.2", title="A recent database backup", timeout=BACKUP_TIMEOUT)
async def backup_database(ctx: Context) -> Verdict:
    """The newest dump in the backup dir is complete, matches its manifest, and is recent."""
    deadline = time.monotonic() + VERIFY_BUDGET
    listing, trouble, v, stale = await _survey(ctx, "database", verify_db_backup, deadline)
    if listing is None or v is None:
        return _no_backup("database backup", _backup_dir(ctx), trouble, stale, DB_COMMAND)
    evidence = _common_evidence(v, listing, len(listing.databases))
    m = v.manifest or {}
    for key in ("database", "host", "tables"):
        if key in m:
            evidence[key] = m[key]
    if m:
        evidence["dump tool"] = f"{m['tool']} ({m['flavor']} {m['tool_version']})"
    evidence["footer"] = v.footer or "missing"
    if v.encrypted and v.footer:
        evidence["footer"] += (
            " (checked while the dump streamed, at backup time: the file is encrypted and "
            "launchtui holds no identity to read it; its sha256 is checked now)"
        )
    if m.get("compression"):
        evidence["compression"] = m["compression"]
    if m.get("encrypted_to"):
        evidence["encrypted to"] = ", ".join(m["encrypted_to"])
    proof = m.get("verify_restore")
    if isinstance(proof, dict):
        evidence["restore proof"] = restore_proof_words(proof)
    elif m:
        evidence["restore proof"] = f"none: `{DB_COMMAND} --verify-restore` restores and compares"
    if stale:
        evidence["interrupted"] = _partials_note(stale)
    if v.timed_out:
        return errored(
            f"launchtui could not read {v.path.name} ({format_size(v.size)} so far) within "
            f"{VERIFY_BUDGET:g} s, so it is not verified.",
            evidence,
            remediation="Re-run the check on a less busy box, or verify by hand with `sha256sum`.",
        )
    if not v.good:
        older = listing.databases[1:]
        return await _broken(ctx, v, older, verify_db_backup, deadline, evidence, DB_COMMAND)
    age = v.age_seconds()
    detail = f"{format_age(age)} old, {m['tables']} tables, {format_size(v.size)}"
    if age > DB_WARN_AGE:
        return warned(
            f"The newest database backup is {format_age(age)} old ({v.path.name}), so a "
            "failure now would lose more than a day of data.",
            evidence,
            remediation=f"Take one now with `{DB_COMMAND}` and schedule it at least daily.",
            command=DB_COMMAND,
        )
    if isinstance(proof, dict) and not proof.get("ok"):
        return warned(
            f"The newest database backup {v.path.name} is complete ({detail}), but its restore "
            f"test did not match the source: {restore_proof_words(proof)}",
            evidence,
            remediation=f"If the app was writing during the dump, run `{DB_COMMAND} "
            "--verify-restore` again at a quiet time; otherwise restore the backup by hand "
            "and compare the tables named.",
            command=f"{DB_COMMAND} --verify-restore",
        )
    if stale:
        return warned(
            f"The newest database backup {v.path.name} is good ({detail}), but an interrupted "
            f"backup was left behind: {_partials_note(stale)}.",
            evidence,
            remediation="Delete the .partial file; if backups run on a schedule, find out why "
            "that run stopped.",
        )
    return passed(
        f"The newest database backup {v.path.name} is complete and matches its checksum "
        f"({detail}).",
        evidence,
    )


async def _broken(
    ctx: Context,
    v: Verification,
    older: Sequence[BackupFile],
    verify: Callable[..., Verification],
    deadline: float,
    evidence: dict[str, Any],
    command: str,
) -> Verdict:
    """A broken newest backup: what is wrong, and the newest good one to fall back on."""
    what = "database backup" if v.kind == "database" else "media inventory"
    good, why_none = await _older_good(ctx, older, verify, deadline)
    evidence["problems"] = "; ".join(v.problems)
    if good is not None:
        fallback = (
            f"the newest good one is {good.path.name} from {format_age(good.age_seconds())} ago"
        )
        evidence["newest good"] = good.path.name
    else:
        fallback = why_none
    return failed(
        f"The newest {what} {v.path.name} is broken: {v.problems[0]}; {fallback}.",
        evidence,
        remediation=f"Take a fresh one with `{command}`, then move the broken file out of the "
        "backup directory.",
        command=command,
    )


def _resumable(stale: list[PartialFile]) -> bool:
    """An interrupted inventory that `backup media --resume` can continue (its state is there)."""
    for p in stale:
        final = p.path.with_name(p.path.name[1:].removesuffix(".partial"))
        if media_state_path(final).exists():
            return True
    return False


@check("backup.media", section="2.3", title="A recent media inventory", timeout=BACKUP_TIMEOUT)
async def backup_media(ctx: Context) -> Verdict:
    """The newest Cloudinary inventory is complete, matches its manifest, and is recent."""
    deadline = time.monotonic() + VERIFY_BUDGET
    listing, trouble, v, stale = await _survey(ctx, "media", verify_media_inventory, deadline)
    if listing is None or v is None:
        note = {"checklist snippet": SEED_SNIPPET}
        verdict = _no_backup(
            "media inventory", _backup_dir(ctx), trouble, stale, MEDIA_COMMAND, note
        )
        if stale and _resumable(stale):
            verdict = dataclasses.replace(
                verdict, remediation=MEDIA_RESUME_FIX, command=MEDIA_RESUME
            )
        return verdict
    evidence = _common_evidence(v, listing, len(listing.media))
    m = v.manifest or {}
    if m:
        evidence["cloud"] = m["cloud_name"]
        evidence["resources"] = m["resources"]
        sizes = m.get("bytes_by_type") or {}
        evidence["by type"] = ", ".join(
            f"{k} {n}" + (f" ({format_size(sizes[k])})" if k in sizes else "")
            for k, n in sorted(m["by_type"].items())
        )
    if stale:
        evidence["interrupted"] = _partials_note(stale)
    evidence["checklist snippet"] = SEED_SNIPPET
    if v.timed_out:
        return errored(
            f"launchtui could not read {v.path.name} within {VERIFY_BUDGET:g} s, so it is "
            "not verified.",
            evidence,
            remediation="Re-run the check on a less busy box.",
        )
    if v.resumable:
        evidence["resume from"] = "next_cursor in its manifest"
        return warned(
            f"The newest media inventory {v.path.name} stopped early after {v.lines} resources "
            "(a rate limit), so the rest are not listed.",
            evidence,
            remediation=f"Run `{MEDIA_COMMAND}` again to finish the listing.",
            command=MEDIA_COMMAND,
        )
    if not v.good:
        older = listing.media[1:]
        return await _broken(
            ctx, v, older, verify_media_inventory, deadline, evidence, MEDIA_COMMAND
        )
    age = v.age_seconds()
    if age > MEDIA_WARN_AGE:
        return warned(
            f"The newest media inventory is {format_age(age)} old ({v.path.name}), so uploads "
            "since then are not listed anywhere.",
            evidence,
            remediation=f"Run `{MEDIA_COMMAND}` now and schedule it at least weekly.",
            command=MEDIA_COMMAND,
        )
    if stale:
        return warned(
            f"The newest media inventory {v.path.name} is good, but an interrupted one was left "
            f"behind: {_partials_note(stale)}.",
            evidence,
            remediation=MEDIA_RESUME_FIX if _resumable(stale) else "Delete the .partial file.",
            command=MEDIA_RESUME if _resumable(stale) else None,
        )
    download = m.get("download")
    if isinstance(download, dict):
        words, complete = _download_words(download)
        evidence["originals"] = words
        if not complete:
            return warned(
                f"The newest media inventory {v.path.name} is complete, but the download of "
                f"its originals is not ({words}), so those files exist only on Cloudinary.",
                evidence,
                remediation=f"Run `{MEDIA_DOWNLOAD_RESUME}`: it fetches only what is missing.",
                command=MEDIA_DOWNLOAD_RESUME,
            )
    return passed(
        f"The newest media inventory {v.path.name} is complete: {v.lines} resources, "
        f"{format_age(age)} old.",
        evidence,
    )


def _download_words(record: Mapping[str, Any]) -> tuple[str, bool]:
    """How the download of an inventory's originals went, as its manifest records it."""
    files, failed = record.get("files"), record.get("failed")
    folder = record.get("dir") if isinstance(record.get("dir"), str) else "the download folder"
    count = f"{files:,} originals" if isinstance(files, int) and files >= 0 else "the originals"
    if record.get("complete") is True:
        return f"all {count} in {folder}", True
    if "finished_at" not in record:
        return f"stopped before it finished, {count} in {folder}", False
    if isinstance(failed, int) and failed > 0:
        return f"{failed:,} of {count} could not be fetched into {folder}", False
    return f"not every one of {count} is in {folder}", False
