"""Checklist 2.2 and 2.3: the dump tool, and the newest database and media backups.

The dump tool is looked up on the run's PATH: `ctx.env["PATH"]` (the process environment
as the run was given it, which tests set explicitly), else the process's own, else the
system default.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from launchtui.core.config import default_backup_dir
from launchtui.core.context import Context
from launchtui.core.model import Verdict, errored, failed, passed, skipped, warned
from launchtui.core.registry import check
from launchtui.probes import dump_tools
from launchtui.probes.backup_files import (
    BackupFile,
    BackupListing,
    PartialFile,
    Verification,
    list_backups,
    verify_db_backup,
    verify_media_inventory,
)

DB_WARN_AGE = 24 * 3600.0
MEDIA_WARN_AGE = 7 * 24 * 3600.0
# Older backups verified when the newest is broken, looking for one to fall back on.
LOOKBACK = 5
# Reading a multi-GB dump takes a while; the verification stops itself before the runner.
VERIFY_BUDGET = 100.0
BACKUP_TIMEOUT = VERIFY_BUDGET + 10.0
TOOLS_TIMEOUT = 2 * dump_tools.VERSION_TIMEOUT + 5.0

DB_COMMAND = "launchtui backup db"
MEDIA_COMMAND = "launchtui backup media"
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


def _path_env(ctx: Context) -> str:
    return ctx.env.get("PATH") or os.environ.get("PATH") or os.defpath


# -- backup.tools ----------------------------------------------------------


@check("backup.tools", section="2.2", title="mysqldump is installed", timeout=TOOLS_TIMEOUT)
async def backup_tools(ctx: Context) -> Verdict:
    """mysqldump or mariadb-dump is on PATH; its flavor, version, and the flags it needs."""
    path_env = _path_env(ctx)
    found, gzip = await ctx.to_thread(
        lambda: (dump_tools.find_dump_tools(path_env), shutil.which("gzip", path=path_env))
    )
    evidence: dict[str, Any] = {}
    if not found:
        return failed(
            "Neither mysqldump nor mariadb-dump is on PATH, so this box cannot take a "
            "database backup.",
            {"PATH": path_env, "gzip": gzip or "not on PATH"},
            remediation="Install a MySQL-compatible client: `apt-get install mariadb-client` "
            "on Debian/Ubuntu (or `default-mysql-client`), then re-run this check.",
            command="sudo apt-get install -y mariadb-client",
        )
    # mysqldump is often a symlink to mariadb-dump: run each real program once.
    programs: dict[str, tuple[str, Path]] = {}
    for name, path in found:
        programs.setdefault(os.path.realpath(path), (name, path))
    probes = await asyncio.gather(
        *(
            ctx.to_thread(dump_tools.probe_dump_tool, name, path, path_env=path_env)
            for name, path in programs.values()
        )
    )
    by_real = dict(zip(programs, probes, strict=True))
    tools = [by_real[os.path.realpath(path)] for _, path in found]
    for (name, path), tool in zip(found, tools, strict=True):
        same = f" (same program as {tool.name})" if tool.name != name else ""
        status = tool.broken or (tool.version.line if tool.version else "unrecognized version")
        evidence[name] = f"{path}{same}: {status}"
    evidence["gzip"] = gzip or "not on PATH"
    chosen = next((t for t in tools if t.version is not None), None)
    broken = [(n, t) for (n, _), t in zip(found, tools, strict=True) if t.broken]
    if chosen is None:
        return _no_usable_tool(found, tools, evidence)
    # The checklist's command names `mysqldump`: try its flags on exactly that program.
    seed = next(((p, t) for (n, p), t in zip(found, tools, strict=True) if n == "mysqldump"), None)
    return await _tool_verdict(ctx, chosen, broken, evidence, path_env, seed)


def _no_usable_tool(
    found: list[tuple[str, Path]], tools: list[dump_tools.DumpTool], evidence: dict[str, Any]
) -> Verdict:
    name, path = found[0]
    tool = tools[0]
    if all(t.broken for t in tools):
        return failed(
            f"{name} at {path} {tool.broken}, so no database backup can be taken.",
            evidence,
            remediation="Reinstall the client (`apt-get install --reinstall mariadb-client`) "
            "or put a working mysqldump first on PATH.",
            command="sudo apt-get install --reinstall -y mariadb-client",
        )
    odd = next(t for t in tools if not t.broken)
    return warned(
        f"{odd.name} at {odd.path} runs but its version line is not one launchtui knows, "
        "so it cannot tell which TLS flags it takes.",
        {**evidence, "version output": odd.run.first_error_line or "(empty)"},
        remediation="Install Debian's `mariadb-client` or `default-mysql-client`, whose "
        "version lines launchtui reads.",
    )


async def _tool_verdict(
    ctx: Context,
    tool: dump_tools.DumpTool,
    broken: list[tuple[str, dump_tools.DumpTool]],
    evidence: dict[str, Any],
    path_env: str,
    seed: tuple[Path, dump_tools.DumpTool] | None,
) -> Verdict:
    """A working tool: the flags it takes, and whether the checklist's command works with it."""
    v = tool.version
    assert v is not None
    ca = ctx.settings.ca_file and str(ctx.settings.ca_file)
    ca = ca or await ctx.to_thread(dump_tools.system_ca_file)
    ca_shown = ca or "PATH/TO/ca.pem"
    flags = dump_tools.dump_flags(v, ca_shown)
    jobs = [ctx.to_thread(dump_tools.try_flags, tool.path, flags, path_env=path_env)]
    if seed is not None and seed[1].broken is None:
        checklist_flags = dump_tools.CHECKLIST_FLAGS
        jobs.append(
            ctx.to_thread(dump_tools.try_flags, seed[0], checklist_flags, path_env=path_env)
        )
    ours, *rest = await asyncio.gather(*jobs)
    seed_fails, seed_note = _checklist_note(seed[1] if seed else None, rest[0] if rest else None)
    label = f"{tool.name} {v.text} ({'MariaDB' if v.flavor == 'mariadb' else 'MySQL'})"
    verify_note = (
        "MariaDB verifies by default since 11.4; launchtui still asks explicitly"
        if dump_tools.verifies_by_default(v)
        else "without --ssl-verify-server-cert MariaDB before 11.4 checks no certificate"
        if v.flavor == "mariadb"
        else ""
    )
    evidence.update(
        {
            "using": str(tool.path),
            "flavor": v.flavor,
            "version": v.text + (f" (client {v.client})" if v.client else ""),
            "TLS flags": " ".join(dump_tools.tls_flags(v, ca_shown))
            + (f" ({verify_note})" if verify_note else ""),
            "safe flags": " ".join(dump_tools.safe_flags(v)),
            "password": "in a 0600 option file passed as --defaults-extra-file=PATH, the first "
            "argument; never -p<password>, which anyone can read in `ps`",
            "CA bundle": ca or "none found: pass --ca-file",
            "flags checked": _trial_note(ours),
            "checklist command": seed_note,
        }
    )
    if seed_fails:
        evidence["works instead"] = dump_tools.example_command(tool.name, v, ca_shown)
    if dump_tools.writes_sandbox_line(v):
        evidence["restore note"] = (
            "dumps start with MariaDB's sandbox-mode line, which a MySQL client refuses; "
            "restore them with a MariaDB client"
        )
    facts = {"path": str(tool.path), "flavor": v.flavor, "version": v.version}
    if ours.accepted is False:
        return failed(
            f"{label} rejects the flags launchtui dumps with "
            f"({', '.join(ours.rejected) or f'exit code {ours.returncode}'}), so "
            f"`{DB_COMMAND}` would fail.",
            evidence,
            remediation="Install Debian's `mariadb-client` or `default-mysql-client` "
            "(a current client) and re-run this check.",
            facts=facts,
        )
    if ours.accepted is None:
        return warned(
            f"{label} gave no clear answer when offered launchtui's dump flags (exit "
            f"{ours.returncode}), so `{DB_COMMAND}` may fail with it.",
            evidence,
            remediation="Run the `works instead` command by hand against the database to see "
            "its error.",
            facts=facts,
        )
    if broken:
        names = ", ".join(f"{n} {t.broken}" for n, t in broken)
        return warned(
            f"{label} is ready, but {names}, so scripts that call it will fail.",
            evidence,
            remediation=f"Reinstall or remove the broken one; `{DB_COMMAND}` uses {tool.path}.",
            facts=facts,
        )
    if seed_fails:
        summary = (
            f"{label} is ready, but the checklist's own mysqldump command fails here: "
            f"{seed_fails}; use the command shown."
        )
    else:
        summary = f"{label} is ready and takes verified-TLS dump flags."
    return passed(
        summary,
        evidence,
        remediation=f"`{DB_COMMAND}` runs it with these flags and the password in an option file.",
        command=DB_COMMAND,
        facts=facts,
    )


def _checklist_note(
    tool: dump_tools.DumpTool | None, trial: dump_tools.FlagTrial | None
) -> tuple[str | None, str]:
    """Why the checklist's mysqldump command fails on this box (None if it does not), in full."""
    leak = "; its -p<password> would also show the password in `ps`"
    if tool is None:
        why = "there is no `mysqldump` on PATH"
        return why, f"fails on this box: {why}{leak}"
    if tool.broken or trial is None:
        why = f"mysqldump {tool.broken}"
        return why, f"fails on this box: {why}{leak}"
    if trial.accepted is False:
        why = f"mysqldump rejects {', '.join(f'--{r}' for r in trial.rejected) or 'its flags'}"
        return why, f"fails on this box: {why} (unknown variable, exit {trial.returncode}){leak}"
    if trial.accepted:
        return None, "mysqldump here accepts its flags" + leak
    return None, f"mysqldump here gave no clear answer to its flags (exit {trial.returncode}){leak}"


def _trial_note(trial: dump_tools.FlagTrial) -> str:
    if trial.accepted:
        return "this binary accepts all of them (offered without connecting)"
    if trial.accepted is False:
        return f"this binary rejects {', '.join(trial.rejected) or 'some'}"
    return f"no clear answer from this binary (exit {trial.returncode})"


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
    return skipped(
        f"No {kind_words} yet: the backup directory {directory} {where}.",
        evidence,
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


@check("backup.media", section="2.3", title="A recent media inventory", timeout=BACKUP_TIMEOUT)
async def backup_media(ctx: Context) -> Verdict:
    """The newest Cloudinary inventory is complete, matches its manifest, and is recent."""
    deadline = time.monotonic() + VERIFY_BUDGET
    listing, trouble, v, stale = await _survey(ctx, "media", verify_media_inventory, deadline)
    if listing is None or v is None:
        note = {"checklist snippet": SEED_SNIPPET}
        return _no_backup("media inventory", _backup_dir(ctx), trouble, stale, MEDIA_COMMAND, note)
    evidence = _common_evidence(v, listing, len(listing.media))
    m = v.manifest or {}
    if m:
        evidence["cloud"] = m["cloud_name"]
        evidence["resources"] = m["resources"]
        evidence["by type"] = ", ".join(f"{k} {n}" for k, n in sorted(m["by_type"].items()))
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
            remediation="Delete the .partial file.",
        )
    return passed(
        f"The newest media inventory {v.path.name} is complete: {v.lines} resources, "
        f"{format_age(age)} old.",
        evidence,
    )
