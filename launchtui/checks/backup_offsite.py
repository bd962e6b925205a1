"""Checklist 2.2: the newest complete backups also exist offsite, byte for byte.

For the newest complete backup of each kind in the backup dir, the object under the
profile's `offsite` location must exist with the local file's size and the manifest's
sha256 in its metadata (what `launchtui backup ... --offsite` stores; an ETag is no
checksum of a multipart object), and its manifest object must be there too. This reads
only object metadata (HEAD), never the objects themselves, so it stays quick.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from launchtui.actions.offsite import (
    CHECK_TIMEOUTS,
    OffsiteLocation,
    describe_error,
    head,
    make_client,
    mismatch,
    resolve_location,
)
from launchtui.actions.retention import is_complete
from launchtui.checks.backups import format_size
from launchtui.core.actions import ActionError
from launchtui.core.config import default_backup_dir
from launchtui.core.context import Context
from launchtui.core.model import Verdict, failed, needs_input, passed, skipped
from launchtui.core.registry import check
from launchtui.probes.backup_files import BackupFile, list_backups, manifest_path, read_manifest

# Each HEAD is bounded by CHECK_TIMEOUTS (4 s connect, 8 s read, 2 attempts); no new
# call starts after the budget, so a dead endpoint fails well before the runner's timeout.
BUDGET = 30.0
OFFSITE_TIMEOUT = BUDGET + 2 * (CHECK_TIMEOUTS["connect"] + CHECK_TIMEOUTS["read"])
COMMANDS = {"database": "launchtui backup db", "media": "launchtui backup media"}
WORDS = {"database": "database backup", "media": "media inventory"}


def _newest_complete(directory: Path) -> dict[str, tuple[BackupFile, dict[str, Any]]]:
    """The newest complete backup of each kind, with its manifest (blocking)."""
    try:
        listing = list_backups(directory)
    except OSError:
        return {}  # backup.database says what is wrong with the dir
    out: dict[str, tuple[BackupFile, dict[str, Any]]] = {}
    for kind, files in (("database", listing.databases), ("media", listing.media)):
        for b in files:
            if is_complete(b):
                data, _ = read_manifest(b.path)
                if data is not None:
                    out[kind] = (b, data)
                    break
    return out


def _fix_command(kind: str, loc: OffsiteLocation) -> str:
    cmd = f"{COMMANDS[kind]} --offsite {loc.url()}"
    if loc.endpoint:
        cmd += f" --offsite-endpoint {loc.where}"
    return cmd


@check(
    "backup.offsite",
    section="2.2",
    title="Backups copied offsite",
    kind="live",
    timeout=OFFSITE_TIMEOUT,
)
async def backup_offsite(ctx: Context) -> Verdict:
    """The newest complete backup of each kind exists offsite with the same size and sha256."""
    directory = ctx.settings.backup_dir or default_backup_dir()
    try:
        loc = resolve_location(ctx, {})
    except ActionError as exc:
        return failed(
            str(exc), {"backup dir": str(directory)}, remediation="Fix the profile's key."
        )
    if loc is None:
        return needs_input(
            "No offsite location is configured, so no backup is known to survive losing "
            "this machine.",
            "offsite",
            evidence={"backup dir": str(directory)},
            remediation='Set `offsite = "s3://bucket/prefix"` in the profile (and '
            "`offsite_endpoint` for R2, B2 or MinIO); `--offsite` on `launchtui backup db` "
            "copies one backup, but this check reads the profile.",
        )
    evidence: dict[str, Any] = {
        "offsite": loc.url(),
        "endpoint": loc.where,
        "backup dir": str(directory),
    }
    newest = await ctx.to_thread(_newest_complete, directory)
    if not newest:
        return skipped(
            f"No complete backup in {directory} to compare with {loc.url()}.",
            evidence,
            remediation=f"Take one with `{_fix_command('database', loc)}`.",
            command=_fix_command("database", loc),
        )
    try:
        client = await ctx.to_thread(make_client, ctx, loc, CHECK_TIMEOUTS)
    except ActionError as exc:
        return failed(str(exc), evidence, remediation="Set the AWS variables in the env file.")

    deadline = time.monotonic() + BUDGET
    problems: list[tuple[str, str]] = []  # (kind, sentence)
    for kind, (b, manifest) in newest.items():
        key, mkey = loc.key(b.path.name), loc.key(manifest_path(b.path).name)
        evidence[f"newest {kind}"] = f"{b.path.name} ({format_size(b.size)})"
        try:
            if time.monotonic() > deadline:
                raise TimeoutError
            remote = await ctx.to_thread(head, client, loc, key)
            why = mismatch(remote, int(manifest["bytes"]), str(manifest["sha256"]))
            if why is None:
                if time.monotonic() > deadline:
                    raise TimeoutError
                if await ctx.to_thread(head, client, loc, mkey) is None:
                    why = f"its manifest object {loc.url(mkey)} is missing"
        except TimeoutError:
            return failed(
                f"{loc.where} did not answer within {BUDGET:g} s, so the offsite copies "
                "are not confirmed.",
                evidence,
                remediation="Check the endpoint and the network, then run the check again.",
            )
        except Exception as exc:  # boto errors: a dead endpoint, bad keys, no bucket
            msg = ctx.redactor.scrub(describe_error(exc, loc, f"checking {loc.url(key)}"))
            return failed(
                msg,
                evidence,
                remediation="Fix the offsite settings (profile keys offsite, offsite_endpoint, "
                "and the AWS variables), then run the check again.",
            )
        if why is None:
            evidence[f"offsite {kind}"] = "same size and sha256"
        else:
            evidence[f"offsite {kind}"] = why
            problems.append((kind, f"the newest {WORDS[kind]} {b.path.name} is not offsite: {why}"))
    if problems:
        kind = problems[0][0]
        text = "; ".join(p for _, p in problems)
        return failed(
            f"{text[0].upper()}{text[1:]}.",
            evidence,
            remediation=f"Take a backup that is copied offsite with `{_fix_command(kind, loc)}`.",
            command=_fix_command(kind, loc),
        )
    names = " and ".join(b.path.name for b, _ in newest.values())
    return passed(
        f"The newest {'backups' if len(newest) > 1 else 'backup'} ({names}) "
        f"{'are' if len(newest) > 1 else 'is'} at {loc.url()} with the same size and sha256.",
        evidence,
    )
