"""Checklist 3.2: temp files are cleaned by a cron job, not inside requests, and none are stale."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from launchtui.checks.config_source import config_line, read_config, value_origin
from launchtui.core.context import Context
from launchtui.core.model import Verdict, passed, skipped, warned
from launchtui.core.registry import check
from launchtui.probes.backend_source import BackendSource, Setting
from launchtui.probes.config_values import Evaluated
from launchtui.probes.request_handlers import HandlerScan, scan_handlers
from launchtui.probes.tempfiles import DirStats, measure_dir

STALE_AFTER_S = 24 * 3600
_TEMP_NAME = re.compile(
    r"^(?:[A-Z0-9]+_)*(?:UPLOADS?|TEMP|TMP)(?:_[A-Z0-9]+)*_(?:FOLDER|DIR|DIRECTORY|PATH|ROOT)$"
)


def human_size(n: int) -> str:
    size = float(n)
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{n} B"


def _files(n: int) -> str:
    return f"{n} file" if n == 1 else f"{n} files"


def human_age(s: float) -> str:
    if s >= 2 * 86400:
        return f"{s / 86400:.0f} days"
    if s >= 3600:
        return f"{s / 3600:.0f} h"
    return f"{s / 60:.0f} min"


@dataclass(frozen=True)
class TempDirSetting:
    """A temp/upload dir setting of config.py: where it is, its value, and the dir it names."""

    setting: Setting
    evaluated: Evaluated
    path: Path | None  # None when the value cannot be read statically

    @property
    def label(self) -> str:
        return f"{self.setting.name} ({config_line(self.setting.line)})"


def temp_dir_settings(src: BackendSource, env: Any) -> list[TempDirSetting]:
    """The production config's temp/upload dir settings (any class's without one), evaluated.

    A relative value is taken from the backend dir, as the app run from there would.
    """
    if src.production:
        scopes = [src.production.settings, src.module]
    else:
        scopes = [c.settings for c in src.classes.values()] + [src.module]
    for scope in scopes:
        found = [s for name, s in scope.items() if _TEMP_NAME.match(name)]
        if found:
            return [_temp_dir(src, s, src.evaluate(s, env)) for s in found[:3]]
    return []


def _temp_dir(src: BackendSource, setting: Setting, ev: Evaluated) -> TempDirSetting:
    if not (ev.known and isinstance(ev.value, str | Path) and str(ev.value).strip()):
        return TempDirSetting(setting, ev, None)
    p = Path(ev.value).expanduser()
    return TempDirSetting(setting, ev, p if p.is_absolute() else src.backend_dir / p)


def _inspect_temp(backend_dir: Path, paths: list[Path]) -> tuple[HandlerScan, list[DirStats]]:
    return scan_handlers(backend_dir), [measure_dir(p, STALE_AFTER_S) for p in paths]


@check("tmp.cleanup", section="3.2", title="Temporary files are cleaned outside requests")
async def tmp_cleanup(ctx: Context) -> Verdict:
    """The temp/upload dir holds no stale files and cleanup does not run inside request handlers."""
    src = await read_config(ctx)
    if isinstance(src, Verdict):
        return src
    backend_dir = src.backend_dir
    evidence: dict[str, str] = {}
    paths: list[Path] = []
    if ctx.settings.tmp_dir is not None:  # the profile's tmp_dir (or the dir cleanup used)
        paths.append(Path(ctx.settings.tmp_dir))
        evidence["tmp_dir (launchtui profile)"] = str(ctx.settings.tmp_dir)
    for td in temp_dir_settings(src, ctx.env):
        if td.path is None:
            evidence[td.label] = f"cannot be read statically: {td.evaluated.source}"
            continue
        if td.path not in paths:
            paths.append(td.path)
        evidence[td.label] = f"{td.path}{value_origin(td.evaluated)}"
    scan, stats = await ctx.to_thread(_inspect_temp, backend_dir, paths)
    evidence["modules scanned"] = f"{scan.files}" + (" (capped)" if scan.capped else "")
    if scan.unparsable:
        evidence["modules not parsed"] = ", ".join(scan.unparsable[:5])
    homes = [str(p) for p in scan.cli_commands] or [str(p) for p in scan.cleanup_functions[:3]]
    if homes:
        evidence["cleanup lives in"] = "; ".join(homes)
    command = scan.cli_commands[0].text if scan.cli_commands else "flask cleanup-temp"
    cron = f"*/30 * * * * cd /app && {command}"
    remedy = (
        f"Run cleanup from a standalone cron job calling a CLI command (`{command}`), not during "
        f"HTTP requests; a crontab line, with /app the backend's folder on the server: `{cron}`. "
        "To clean up now, `launchtui cleanup` lists the old files (a dry run) and "
        "`launchtui cleanup --yes` deletes them; `launchtui cleanup --print-cron` prints the "
        "crontab line that runs that as the standalone job."
    )
    issues: list[str] = []
    if scan.in_handlers:
        first = scan.in_handlers[0]
        evidence["in request handlers"] = "; ".join(str(p) for p in scan.in_handlers[:5])
        issues.append(
            f"Cleanup runs inside a request handler ({first.file}:{first.line}), so a user's request waits for it; the checklist recommends a cron job"
        )
    for st in stats:
        if not st.exists or not st.is_dir:
            why = "is not a directory" if not st.error else f"cannot be read: {st.error}"
            evidence[str(st.path)] = "does not exist on this machine" if not st.exists else why
            if st.exists and not st.error:
                issues.append(
                    f"{st.path} is a file, not a directory, so saving uploads there fails"
                )
            continue
        size = f"{_files(st.files)}, {human_size(st.bytes)}" + (
            " (walk capped)" if st.capped else ""
        )
        oldest = f"; oldest {human_age(st.oldest_age_s)}" if st.oldest_age_s is not None else ""
        evidence[str(st.path)] = size + oldest + (f"; unreadable: {st.error}" if st.error else "")
        if st.stale:
            issues.append(
                f"{st.path} holds {_files(st.stale)} older than 24 h (oldest {human_age(st.oldest_age_s or 0)}), so temp cleanup is not running"
            )
    if issues:
        return warned(issues[0] + ".", evidence, remediation=remedy, command=cron)
    where = f" ({homes[0]})" if homes else ""
    if not paths:
        if not evidence.keys() - {"modules scanned", "cleanup lives in", "modules not parsed"}:
            return skipped(
                "config.py sets no temp/upload folder (UPLOAD_FOLDER, TEMP_DIR, TMP_DIR), so there is no temp dir to watch.",
                evidence,
            )
        return skipped(
            "The temp/upload folder in config.py is computed at run time, so launchtui cannot find it.",
            evidence,
        )
    live = [st for st in stats if st.exists and st.is_dir]
    if not live:
        return passed(
            f"Cleanup is not called from request handlers{where}; {paths[0]} {evidence[str(paths[0])]}, so its size and age were not measured.",
            evidence,
            remediation=remedy,
        )
    st = live[0]
    return passed(
        f"{st.path} holds {_files(st.files)} ({human_size(st.bytes)}), none older than 24 h, and cleanup is not called from request handlers{where}.",
        evidence,
    )
