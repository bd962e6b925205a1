"""Checklist 3.2: `launchtui cleanup` deletes the temp/upload dir's old files, dry run first.

The dir is `--tmp-dir`, else the profile's `tmp_dir`, else the temp/upload setting that
`tmp.cleanup` reads in config.py. How files are found and deleted without ever following a
symlink is in `launchtui.actions.cleanup_files`.
"""

from __future__ import annotations

import contextlib
import math
import os
import re
import shlex
import shutil
import sys
import threading
import time
from collections.abc import AsyncIterator, Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

from launchtui.actions import recheck
from launchtui.actions.cleanup_files import (
    HOW,
    MAX_ENTRIES,
    DirChanged,
    OldFile,
    Tally,
    TempDir,
    Walk,
    delete_batch,
    walk,
)
from launchtui.checks.tempfiles import human_age, human_size, temp_dir_settings
from launchtui.core.actions import (
    Action,
    ActionError,
    ActionEvent,
    Finished,
    Output,
    Plan,
    Progress,
)
from launchtui.core.config import ConfigError, Settings, backend_env, user_log_dir
from launchtui.core.context import Context
from launchtui.core.secrets import Redactor
from launchtui.probes.backend_source import read_backend_source

DEFAULT_OLDER_THAN = 24 * 3600.0
MAX_OLDER_THAN = 100 * 365 * 86400.0
STEP_LINES = 50
BATCH = 50  # files deleted per trip to a worker thread (cancel is checked before each file)


# -- --older-than ---------------------------------------------------------------------

_UNITS = {
    **dict.fromkeys(("s", "sec", "secs", "second", "seconds"), 1),
    **dict.fromkeys(("m", "min", "mins", "minute", "minutes"), 60),
    **dict.fromkeys(("h", "hr", "hrs", "hour", "hours"), 3600),
    **dict.fromkeys(("d", "day", "days"), 86400),
    **dict.fromkeys(("w", "wk", "week", "weeks"), 7 * 86400),
}
_DURATION = re.compile(r"([-+]?\d+(?:\.\d+)?)\s*([a-z]+)")
_USAGE = "--older-than takes a number and a unit: 90m, 36h, 7d"


def parse_duration(text: str) -> float:
    """`90m`, `36h`, `7d` (also `s` and `w`) as seconds; ValueError with the sentence to show."""
    m = _DURATION.fullmatch(text.strip().lower())
    if m is None or m[2] not in _UNITS:
        raise ValueError(f"{_USAGE} (not {text.strip()!r}).")
    seconds = float(m[1]) * _UNITS[m[2]]
    if seconds <= 0:
        raise ValueError(f"--older-than must be more than zero; {_USAGE}.")
    if not math.isfinite(seconds) or seconds > MAX_OLDER_THAN:
        raise ValueError(f"--older-than {text.strip()} is too long: at most 100 years ({_USAGE}).")
    return seconds


def format_duration(seconds: float) -> str:
    """The flag form of a duration: 86400 -> `24h`, 5400 -> `90m`, 604800 -> `7d`."""
    s = max(1, round(seconds))
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if s % size == 0 and (unit != "d" or s > 86400):
            return f"{s // size}{unit}"
    return f"{s}s"


def _age_words(seconds: float) -> str:
    """An age limit for sentences: `24 h`, `90 min`, `7 days`."""
    text = format_duration(seconds)
    n, unit = text[:-1], text[-1]
    return f"{n} " + {"d": "days", "h": "h", "m": "min", "s": "s"}[unit]


def _files(n: int) -> str:
    return f"{n} file" if n == 1 else f"{n} files"


# -- which dir --------------------------------------------------------------------------


def locate_dir(settings: Settings, options: Mapping[str, Any], env: Mapping[str, str]) -> TempDir:
    """`--tmp-dir`, else the profile's `tmp_dir`, else config.py's temp/upload setting."""
    if options.get("tmp_dir"):
        return TempDir(Path(options["tmp_dir"]).expanduser().absolute(), "--tmp-dir")
    if settings.tmp_dir:
        return TempDir(Path(settings.tmp_dir).expanduser().absolute(), "the profile's tmp_dir")
    if settings.backend_dir is None:
        raise ActionError(
            f"No temp dir is known: {HOW}, or point --backend-dir at the backend whose "
            "config.py sets UPLOAD_FOLDER."
        )
    src = read_backend_source(Path(settings.backend_dir))
    if src.problem is not None:
        raise ActionError(
            f"No temp dir is known: config.py cannot be read ({src.problem.message}); {HOW}."
        )
    found = temp_dir_settings(src, env)
    for td in found:
        if td.path is not None:
            return TempDir(td.path.absolute(), f"{td.setting.name} in config.py:{td.setting.line}")
    if found:
        raise ActionError(
            f"config.py's {found[0].label} is computed at run time, so launchtui cannot tell "
            f"which temp dir to clean: {HOW}."
        )
    raise ActionError(
        f"No temp dir is known: config.py sets no UPLOAD_FOLDER, TEMP_DIR or TMP_DIR; {HOW}."
    )


# -- plan: the walk ------------------------------------------------------------------------


def _notes(w: Walk) -> list[str]:
    notes = []
    if w.symlinks:
        what = "symlink" if w.symlinks == 1 else "symlinks"
        notes.append(f"{w.symlinks} {what} left alone: never followed, never deleted.")
    if w.others:
        notes.append(f"{w.others} other entries (sockets, pipes, devices) left alone.")
    for line in w.unreadable[:5]:
        notes.append(f"Not looked into: {line}.")
    if len(w.unreadable) > 5:
        notes.append(f"... and {len(w.unreadable) - 5} more folders not looked into.")
    if w.capped:
        notes.append(
            f"The walk stopped after {MAX_ENTRIES:,} entries; run cleanup again for the rest."
        )
    return notes


async def _plan(ctx: Context, options: Mapping[str, Any]) -> Plan:
    older_than = float(options.get("older_than") or DEFAULT_OLDER_THAN)
    where = await ctx.to_thread(locate_dir, ctx.settings, options, ctx.env)
    w = await ctx.to_thread(walk, where, older_than)
    limit = _age_words(older_than)
    data = {
        "where": where,
        "older_than": older_than,
        "files": w.old,
        "dirs": w.dirs,
        "symlinks": w.symlinks,
    }
    if not w.old:
        return Plan(
            f"No files older than {limit} in {where.path} ({_files(w.newer)} newer, kept).",
            steps=tuple(_notes(w)),
            nothing_to_do=True,
            fields={"files": 0, "bytes": 0, "dry_run": True},
            data=data,
        )
    total = sum(f[2] for f in w.old)
    now = time.time()
    steps = [
        f"{'/'.join((*rel, name))}  ({human_size(size)}, {human_age(now - mtime)} old)"
        for rel, name, size, mtime in w.old[:STEP_LINES]
    ]
    if len(w.old) > STEP_LINES:
        steps.append(f"... and {len(w.old) - STEP_LINES} more.")
    return Plan(
        f"Delete {_files(len(w.old))} ({human_size(total)}) older than {limit} from {where.path}.",
        steps=tuple(steps + _notes(w)),
        fields={"files": len(w.old), "bytes": total, "dry_run": True},
        data=data,
        confirm_label=f"Delete {_files(len(w.old))}",
    )


# -- execute -----------------------------------------------------------------------------------


def _outcome(t: Tally, planned: int, where: TempDir, limit: str, symlinks: int) -> str:
    said = (
        f"Deleted {_files(t.deleted)} ({human_size(t.freed)}) older than {limit} from {where.path}."
    )
    if t.gone:
        said += f" {_files(t.gone)} {'was' if t.gone == 1 else 'were'} already gone."
    if symlinks:
        said += f" {symlinks} {'symlink was' if symlinks == 1 else 'symlinks were'} left alone."
    if t.changed:
        said += f" {_files(t.changed)} changed since the plan and {'was' if t.changed == 1 else 'were'} kept."
    if not t.failed:
        return said
    names = ", ".join(f"{n} ({why})" for n, why in t.failed[:5])
    more = f", and {len(t.failed) - 5} more" if len(t.failed) > 5 else ""
    return (
        f"Could not delete {len(t.failed)} of {_files(planned)} in {where.path}: {names}{more}. "
        f"{said} Make those files deletable by this user (their folder must be writable and "
        "not immutable: see `lsattr -d`), then run cleanup again."
    )


async def _execute(
    ctx: Context, plan: Plan, options: Mapping[str, Any]
) -> AsyncIterator[ActionEvent]:
    data = plan.data
    items: list[OldFile] = list(data["files"])
    where: TempDir = data["where"]
    limit = _age_words(data["older_than"])
    cutoff = time.time() - data["older_than"]
    total, done = len(items), 0
    stop, tally = threading.Event(), Tally()
    try:
        yield Progress(0, total, "files", f"Deleting old files in {where.path}")
        for i in range(0, total, BATCH):
            seen = len(tally.failed)
            try:
                done += await ctx.to_thread(
                    delete_batch, where, data["dirs"], items[i : i + BATCH], cutoff, stop, tally
                )
            except DirChanged:
                why = (
                    f"{where.path} is no longer the folder the plan looked at (it was moved, "
                    f"removed or replaced), so cleanup stopped: {_files(tally.deleted)} had been "
                    "deleted. Run cleanup again."
                )
                fields = {"files": tally.deleted, "bytes": tally.freed, "dry_run": False}
                yield Finished(False, why, fields, error=why)
                return
            for shown, why in tally.failed[seen:]:
                yield Output(f"Could not delete {shown}: {why}.")
            yield Progress(done, total, "files", f"{tally.deleted} deleted")
    finally:
        stop.set()  # a cancelled batch stops before its next file
    # The verdict on the dir just cleaned, even when --tmp-dir named it.
    checks = await recheck(ctx, ["tmp.cleanup"], replace(ctx.settings, tmp_dir=where.path))
    fields: dict[str, Any] = {"files": tally.deleted, "bytes": tally.freed, "dry_run": False}
    if tally.gone:
        fields["already_gone"] = tally.gone
    if tally.failed:
        fields["failed"] = [n for n, _ in tally.failed[:100]]
    summary = _outcome(tally, total, where, limit, data["symlinks"])
    ok = not tally.failed
    yield Finished(ok, summary, fields, error=None if ok else summary, checks=checks)


# -- cron -----------------------------------------------------------------------------------


def _self_command() -> list[str]:
    """How cron, with its bare PATH, runs this launchtui: an absolute path."""
    argv0 = Path(sys.argv[0]) if sys.argv and sys.argv[0] else None
    if argv0 is not None and argv0.name == "launchtui" and os.access(argv0, os.X_OK):
        return [str(argv0.absolute())]
    beside = Path(sys.executable).parent / "launchtui"  # the venv's own entry point
    if os.access(beside, os.X_OK):
        return [str(beside.absolute())]
    found = shutil.which("launchtui")
    if found:
        return [str(Path(found).absolute())]
    return [str(Path(sys.executable).absolute()), "-m", "launchtui"]


def cron_line(settings: Settings, options: Mapping[str, Any]) -> str:
    """The crontab line that runs this cleanup hourly as a standalone job (no secrets in it)."""
    env = backend_env(settings)
    try:
        where = locate_dir(settings, options, env)
    except ActionError as exc:
        raise ConfigError(f"{exc} Then --print-cron can print the crontab line.") from None
    older = float(options.get("older_than") or DEFAULT_OLDER_THAN)
    parts = [*_self_command(), "cleanup", "--yes", "--older-than", format_duration(older)]
    if settings.config_path is not None:
        parts += ["--config", str(Path(settings.config_path).absolute())]
    if settings.profile:
        parts += ["--profile", settings.profile]
    if where.origin != "the profile's tmp_dir" or settings.config_path is None:
        parts += ["--tmp-dir", str(where.path)]  # cron has none of this shell's variables
    log_dir = user_log_dir()
    with contextlib.suppress(OSError):  # `>>` needs the folder
        log_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    log = shlex.quote(str(log_dir / "cleanup.log"))
    line = "17 * * * * " + " ".join(shlex.quote(p) for p in parts) + f" >> {log} 2>&1"
    redactor = Redactor()
    redactor.add_env(env)
    if redactor.scrub(line) != line:
        raise ConfigError("The crontab line would hold a secret, so it is not printed.")
    return line.replace("%", r"\%")  # cron reads a bare % as a newline


ACTION = Action(
    id="cleanup",
    title="Clean temp files",
    section="3.2",
    fixes=("tmp.cleanup",),
    plan=_plan,
    execute=_execute,
    unconfirmed="dry-run",
    help="Delete the temp/upload dir's files older than --older-than (default 24h); "
    "a dry run unless --yes. Symlinks are left alone; the dir itself is kept.",
)
