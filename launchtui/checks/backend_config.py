"""Checks that read the Flask backend's source (config.py, Procfile, handlers), never run it."""

from __future__ import annotations

import ast
import functools
import json
import re
import shlex
from pathlib import Path
from typing import Any

from launchtui.core.context import Context
from launchtui.core.model import Status, Verdict, errored, failed, passed, skipped, warned
from launchtui.core.registry import check
from launchtui.core.secrets import is_secret_name, mask_url
from launchtui.probes import backend_source as bs

NO_BACKEND_DIR = (
    "No backend dir is configured, so config.py cannot be read: pass `--backend-dir PATH` "
    "or set `backend_dir` in launchtui.toml."
)
ENGINE_OPTIONS_LINE = 'SQLALCHEMY_ENGINE_OPTIONS = {"pool_recycle": 280, "pool_pre_ping": True}'
# TiDB Cloud Serverless advises a connection max lifetime starting at 5 minutes.
RECYCLE_LIMIT_S = 300
# TiDB Cloud Serverless may close any connection older than 30 minutes.
TIDB_CLOSE_S = 1800
FLASK_SQLALCHEMY_MYSQL_DEFAULT_S = 7200
STALE_AFTER_S = 24 * 3600
_TEMP_NAME = re.compile(
    r"^(?:[A-Z0-9]+_)*(?:UPLOADS?|TEMP|TMP)(?:_[A-Z0-9]+)*_(?:FOLDER|DIR|DIRECTORY|PATH|ROOT)$"
)
_GOOD = (Status.PASS, Status.WARN)


async def _load(ctx: Context) -> bs.BackendSource | Verdict:
    """The shared reading of config.py, or the verdict explaining why there is none."""
    if ctx.settings.backend_dir is None:
        return skipped(NO_BACKEND_DIR)
    backend_dir = Path(ctx.settings.backend_dir)
    src = await ctx.shared("backend_source", functools.partial(bs.read_backend_source, backend_dir))
    return src if src.problem is None else _problem(src.problem, backend_dir)


def _problem(p: bs.SourceProblem, backend_dir: Path) -> Verdict:
    compile_cmd = f"python -m py_compile {shlex.quote(str(p.path))}"
    if p.kind == "missing":
        return failed(
            f"{backend_dir} has no config.py, so launchtui cannot read the backend's settings.",
            {"backend dir": backend_dir},
            remediation="Point `--backend-dir` (or `backend_dir` in launchtui.toml) at the Flask "
            "backend folder, the one that holds config.py.",
        )
    if p.kind == "encoding":
        return failed(
            f"{p.where} is not valid UTF-8 ({p.message}), so Python refuses to import it and "
            "the backend cannot start.",
            {"file": p.path, "line": p.line or "?"},
            remediation="Re-save config.py as UTF-8, or delete the stray bytes on that line.",
            command=compile_cmd,
        )
    if p.kind == "syntax":
        return failed(
            f"{p.where} has a syntax error ({p.message}), so the backend crashes at import.",
            {"file": p.path, "line": p.line or "?"},
            remediation="Fix that line, then confirm with the command below.",
            command=compile_cmd,
        )
    return errored(
        f"launchtui could not read config.py: {p.message}.",
        {"file": p.path},
        remediation="Make config.py readable by this user (or check the path), then re-run.",
    )


def _where(line: int) -> str:
    return f"config.py:{line}"


def _listed(names: list[str], limit: int = 4) -> str:
    shown = ", ".join(names[:limit])
    return shown + (f" and {len(names) - limit} more" if len(names) > limit else "")


# -- 1.1 Environment variables that config.py reads ---------------------------------------


@check("env.undeclared", section="1.1", title="Variables config.py reads are set")
async def env_undeclared(ctx: Context) -> Verdict:
    """Every variable config.py reads is set in the backend's environment."""
    src = await _load(ctx)
    if isinstance(src, Verdict):
        return src
    prod = set(src.production.lineage) if src.production else set()
    required: dict[str, list[bs.EnvRead]] = {}
    optional: dict[str, list[bs.EnvRead]] = {}
    elsewhere: dict[str, list[bs.EnvRead]] = {}
    empty: list[str] = []
    set_names: dict[str, None] = {}  # ordered set
    computed = [r for r in src.env_reads if r.name is None]
    for r in src.env_reads:
        if r.name is None:
            continue
        if r.name in ctx.env:
            set_names[r.name] = None
            if ctx.get(r.name) is None and r.name not in empty:
                empty.append(r.name)
            continue
        bucket = required if r.required else optional
        # Defaults only a development/testing class reads do not matter in production.
        if not r.required and r.owner and r.owner not in prod:
            bucket = elsewhere
        bucket.setdefault(r.name, []).append(r)
    for name in required:
        optional.pop(name, None)
        elsewhere.pop(name, None)
    for name in optional:
        elsewhere.pop(name, None)

    evidence: dict[str, str] = {}
    for name, reads in required.items():
        r = reads[0]
        when = "at import" if r.function is None else f"when {r.function}() runs"
        evidence[name] = f"unset; {_where(r.line)} reads {r.form} with no default (KeyError {when})"
    for name, reads in optional.items():
        evidence[name] = f"unset; {_where(reads[0].line)} falls back to {_default(name, reads[0])}"
    for name, reads in elsewhere.items():
        classes = ", ".join(sorted({r.owner for r in reads}))
        evidence[name] = f"unset; only {classes} reads it ({_where(reads[0].line)}), not production"
    for name in empty:
        evidence[name] = "set but empty"
    if set_names:
        evidence["set"] = ", ".join(set_names)
    if computed:
        evidence["computed names"] = ", ".join(_where(r.line) for r in computed)
    if src.production:
        evidence["production config"] = f"{src.production.name} ({src.production_how})"

    total = len({r.name for r in src.env_reads if r.name})
    where = ctx.settings.env_file or "the backend's environment (Railway/Render variables)"
    if required:
        names = list(required)
        return failed(
            f"config.py reads {_listed(names)} with os.environ[...] but "
            f"{'it is' if len(names) == 1 else 'they are'} unset, so the backend crashes "
            "with KeyError at start-up.",
            evidence,
            remediation=f"Set {', '.join(names)} in {where}, or give config.py a default.",
        )
    if optional or empty:
        names = list(optional) + empty
        return warned(
            f"{_listed(names)} {'is' if len(names) == 1 else 'are'} unset or empty, so config.py "
            "falls back to built-in defaults in production.",
            evidence,
            remediation=f"Set {', '.join(names)} in {where} (or confirm each default is right "
            "for production).",
        )
    if not total:
        return passed("config.py reads no environment variables.", evidence)
    if elsewhere:
        return passed(
            f"All {len(set_names)} variables config.py reads for production are set "
            f"({_listed(list(elsewhere))}, read only by development classes, "
            f"{'is' if len(elsewhere) == 1 else 'are'} not).",
            evidence,
        )
    return passed(f"All {total} variables config.py reads are set.", evidence)


def _default(name: str, read: bs.EnvRead) -> str:
    if read.default is None:
        return "None"
    if is_secret_name(name) or re.search(r"(?i)secret|password|token", read.default):
        return "a hard-coded default (not shown: it looks secret)"
    if "://" in read.default:
        try:
            return json.dumps(mask_url(ast.literal_eval(read.default)))
        except (ValueError, SyntaxError, TypeError, AttributeError):
            return "a URL default (not shown: it may hold a password)"
    return read.default


# -- 2.1 Run migrations before serving ------------------------------------------------------


def _read_deploy(backend_dir: Path) -> dict[str, Any]:
    path = bs.find_procfile(backend_dir)
    proc = bs.read_procfile(path) if path else None
    steps: dict[str, list[bs.Step]] = {}
    if isinstance(proc, bs.Procfile):
        for p in proc.processes:
            steps[p.name] = bs.shell_steps(p.command, proc.path.parent)
    platform = [
        (f, key, cmd, bs.shell_steps(cmd, backend_dir))
        for f, key, cmd in bs.platform_commands(backend_dir)
    ]
    return {"proc": proc, "steps": steps, "platform": platform}


def _upgrade_first(steps: list[bs.Step]) -> tuple[Status, str] | None:
    """How a `web:`/start command orders the migration and the server; None: no migration."""
    kinds = [s.kind for s in steps]
    if "upgrade" not in kinds:
        return None
    m = kinds.index("upgrade")
    if "server" not in kinds:
        return Status.WARN, "runs `flask db upgrade` but starts no web server launchtui knows"
    s = kinds.index("server")
    if s < m:
        return Status.FAIL, (
            "runs `flask db upgrade` after the web server starts; the server never exits, "
            "so the migration never runs"
        )
    joiners = {st.joiner for st in steps[m + 1 : s + 1]}
    if "||" in joiners:
        return (
            Status.FAIL,
            "joins the migration and the server with `||`, so the server starts only if the migration fails",
        )
    if joiners & {"&", "|"}:
        return Status.FAIL, "runs the migration and the server at the same time"
    if ";" in joiners:
        return Status.WARN, "joins them with `;`, so the server serves even if the migration fails"
    return Status.PASS, "runs `flask db upgrade &&` before the server"


@check("deploy.procfile", section="2.1", title="Procfile runs migrations before serving")
async def deploy_procfile(ctx: Context) -> Verdict:
    """The Procfile (or a platform pre-deploy command) runs `flask db upgrade` before serving."""
    if ctx.settings.backend_dir is None:
        return skipped(NO_BACKEND_DIR)
    backend_dir = Path(ctx.settings.backend_dir)
    found = await ctx.to_thread(_read_deploy, backend_dir)
    proc, steps, platform = found["proc"], found["steps"], found["platform"]
    if isinstance(proc, bs.SourceProblem):
        return errored(f"launchtui could not read the Procfile: {proc.message}.")
    evidence: dict[str, str] = {}
    for f, key, cmd, _ in platform:
        evidence[f"{f} {key}"] = cmd
    pre_ok = [
        (f, key)
        for f, key, _, st in platform
        if key == "preDeployCommand" and "upgrade" in {x.kind for x in st}
    ]
    railway = any(f.startswith("railway") for f, *_ in platform)
    add_release = (
        f"printf 'release: flask db upgrade\\n' >> {shlex.quote(str(backend_dir / 'Procfile'))}"
    )
    if proc is None:
        if pre_ok:
            f, key = pre_ok[0]
            return passed(
                f"There is no Procfile, but {f}'s {key} runs `flask db upgrade` before each deploy.",
                evidence,
            )
        return failed(
            f"There is no Procfile in {backend_dir}, so nothing runs `flask db upgrade` before the app serves traffic.",
            evidence,
            remediation="Add a Procfile with the line `release: flask db upgrade` (Heroku runs it before "
            "each release); on Railway or Render, set the service's pre-deploy command to `flask db upgrade`.",
            command=add_release,
        )
    evidence["Procfile"] = str(proc.path)
    for p in proc.processes:
        evidence[f"{p.name}: (line {p.line})"] = p.command
    for note in proc.notes:
        evidence.setdefault("notes", note)

    for p in proc.processes:
        if "migrate" in {s.kind for s in steps[p.name]}:
            return failed(
                f"The Procfile's `{p.name}:` line runs `flask db migrate`, which generates new migration "
                "files in production instead of applying the committed ones.",
                evidence,
                remediation="Replace `flask db migrate` with `flask db upgrade`; generate migrations on a "
                "developer machine and commit them.",
            )
    release, web = proc.get("release"), proc.get("web")
    release_steps = steps["release"] if release else []
    release_ok = "upgrade" in {s.kind for s in release_steps}
    web_order = _upgrade_first(steps["web"]) if web else None
    server = next((s.text for s in steps.get("web", []) if s.kind == "server"), "gunicorn app:app")
    evidence["platforms"] = (
        "Heroku runs `release:` before each release; Railway does not run `release:` (use a "
        "pre-deploy command, or `flask db upgrade &&` before the server in the start command); "
        "Render uses its own pre-deploy command."
    )
    fix_web = f"web: flask db upgrade && {server}"

    if web_order and web_order[0] is Status.FAIL:
        sentence = f"The Procfile's `web:` line {web_order[1]}."
        remedy = f"Change the web line to `{fix_web}`, or add `release: flask db upgrade`."
        if release_ok or pre_ok:
            return warned(
                sentence + " A release/pre-deploy step migrates first, so this is only noise.",
                evidence,
                remediation=f"Remove `flask db upgrade` from the web line: `web: {server}`.",
            )
        return failed(sentence, evidence, remediation=remedy)
    if release_ok:
        after = release_steps[[s.kind for s in release_steps].index("upgrade") + 1 :]
        if any(s.joiner in (";", "||") for s in after):
            return warned(
                "The Procfile's `release:` line masks a failed `flask db upgrade`, so a broken migration would not stop the deploy.",
                evidence,
                remediation="Make the release line exactly `release: flask db upgrade`.",
            )
        if railway and not pre_ok:
            return warned(
                "The Procfile migrates in `release:`, but this service has a Railway config and Railway does not run `release:` lines.",
                evidence,
                remediation="Set Railway's pre-deploy command to `flask db upgrade` "
                "(deploy.preDeployCommand in railway.toml), or start with `" + fix_web[5:] + "`.",
            )
        return passed(
            "The Procfile's `release:` line runs `flask db upgrade` before the new release serves traffic.",
            evidence,
        )
    if web_order and web_order[0] is Status.PASS:
        return passed(f"The Procfile's `web:` line {web_order[1]}.", evidence)
    if web_order:
        return warned(
            f"The Procfile's `web:` line {web_order[1]}.",
            evidence,
            remediation=f"Use `&&`: `{fix_web}`.",
        )
    if pre_ok:
        f, key = pre_ok[0]
        return passed(
            f"{f}'s {key} runs `flask db upgrade` before each deploy (the Procfile does not).",
            evidence,
        )
    return failed(
        "The Procfile never runs `flask db upgrade`, so new code can serve traffic against an old schema.",
        evidence,
        remediation="Add the line `release: flask db upgrade` to the Procfile (Heroku); on Railway or "
        f"Render set the pre-deploy command to `flask db upgrade`, or use `{fix_web}`.",
        command=add_release,
    )


# -- 3.1 Connection pool ----------------------------------------------------------------------


def _origin(ev: bs.Evaluated) -> str:
    parts = [
        f"{n} from the environment" if from_env else f"{n} unset, so its default"
        for n, from_env in ev.env
    ]
    return f" ({'; '.join(parts)})" if parts else ""


def _db_connect(ctx: Context) -> tuple[int | None, bool | None, str]:
    """The live `@@wait_timeout` and TiDB-ness from db.connect, and why they may be missing."""
    r = ctx.result("db.connect")
    if r is None:
        return None, None, "not compared (db.connect did not run)"
    if r.status not in _GOOD:
        return None, None, f"not compared (db.connect: {r.status})"
    wait = r.facts.get("wait_timeout")
    if not isinstance(wait, int) or isinstance(wait, bool):
        return None, None, "not compared (db.connect reported no wait_timeout)"
    is_tidb = r.facts.get("is_tidb")
    return wait, is_tidb if isinstance(is_tidb, bool) else None, f"{wait} s (db.connect)"


@check(
    "pool.recycle",
    section="3.1",
    title="pool_recycle is short enough for TiDB Serverless",
    after=("db.connect",),
)
async def pool_recycle(ctx: Context) -> Verdict:
    """`pool_recycle` in the production config is set, <= 300 s, and below the live wait_timeout."""
    src = await _load(ctx)
    if isinstance(src, Verdict):
        return src
    remedy = f"In {src.production.name if src.production else 'ProductionConfig'} of config.py set `{ENGINE_OPTIONS_LINE}`."
    if src.production is None:
        return warned(
            f"config.py has no ProductionConfig (classes: {', '.join(src.classes) or 'none'}), so launchtui cannot tell which pool settings production uses.",
            {},
            remediation=remedy,
        )
    prod = src.production
    evidence: dict[str, str] = {"production config": f"{prod.name} ({src.production_how})"}
    wait, is_tidb, live = _db_connect(ctx)
    evidence["live wait_timeout"] = live
    if is_tidb is False:
        evidence["server"] = (
            "not TiDB; the 300 s limit is TiDB Serverless's advice, kept for production"
        )
    issues: list[tuple[Status, str]] = []

    opts = src.find("SQLALCHEMY_ENGINE_OPTIONS")
    legacy = src.find("SQLALCHEMY_POOL_RECYCLE")
    recycle: bs.Evaluated | None = None
    if opts is not None:
        evidence["SQLALCHEMY_ENGINE_OPTIONS"] = f"{opts.source} ({_where(opts.line)})"
        recycle = src.evaluate_key(opts, "pool_recycle", ctx.env)
    if recycle is None and legacy is not None:
        recycle = src.evaluate(legacy, ctx.env)
        evidence["SQLALCHEMY_POOL_RECYCLE"] = f"{legacy.source} ({_where(legacy.line)})"
        spec = src.requirements.get("flask-sqlalchemy")
        if not (spec and bs.allows_only_below(spec[1], 3)):
            issues.append(
                (
                    Status.FAIL,
                    "config.py sets only the legacy SQLALCHEMY_POOL_RECYCLE, which Flask-SQLAlchemy 3.x ignores, so pooled connections live 7200 s",
                )
            )
    if recycle is None:
        issues.append(
            (
                Status.FAIL,
                f'{prod.name} does not set pool_recycle, so Flask-SQLAlchemy keeps MySQL connections {FLASK_SQLALCHEMY_MYSQL_DEFAULT_S} s and TiDB Serverless drops them first ("MySQL server has gone away")',
            )
        )
    elif not recycle.known:
        issues.append(
            (
                Status.WARN,
                f"pool_recycle is computed at run time ({recycle.source}), so launchtui cannot read its value: {recycle.reason}",
            )
        )
    else:
        value = recycle.value
        if isinstance(value, str) and re.fullmatch(r"\s*-?\d+\s*", value):
            issues.append(
                (
                    Status.FAIL,
                    f"pool_recycle is the string {value!r}{_origin(recycle)}; SQLAlchemy compares it with a number and fails at the first checkout; wrap it in int()",
                )
            )
        elif isinstance(value, bool) or not isinstance(value, int | float):
            issues.append((Status.FAIL, f"pool_recycle is {value!r}, not a number of seconds"))
        else:
            evidence["pool_recycle"] = f"{value:g} s{_origin(recycle)}"
            if value < 0:
                issues.append(
                    (
                        Status.FAIL,
                        f"pool_recycle is {value:g}, which turns recycling off, so TiDB Serverless drops idle connections under the pool",
                    )
                )
            elif value >= TIDB_CLOSE_S:
                issues.append(
                    (
                        Status.FAIL,
                        f'pool_recycle is {value:g} s, but TiDB Serverless may close connections older than 30 minutes, so stale ones cause "MySQL server has gone away"',
                    )
                )
            elif value > RECYCLE_LIMIT_S:
                issues.append(
                    (
                        Status.WARN,
                        f"pool_recycle is {value:g} s, above the 300 s max lifetime TiDB Serverless advises",
                    )
                )
            if wait is not None and value >= wait:
                issues.append(
                    (
                        Status.FAIL,
                        f"pool_recycle ({value:g} s) is not below the live server's wait_timeout ({wait} s), so the server closes idle connections before the pool recycles them",
                    )
                )
    ping = src.evaluate_key(opts, "pool_pre_ping", ctx.env) if opts is not None else None
    evidence["pool_pre_ping"] = (
        "not set" if ping is None else (repr(ping.value) if ping.known else ping.source)
    )
    if ping is None or not ping.known or ping.value is not True:
        issues.append(
            (
                Status.WARN,
                f"pool_pre_ping is not True in {prod.name}, so a connection the server already closed is handed to a request instead of being replaced",
            )
        )

    found = evidence.get("pool_recycle", "not set" if recycle is None else "unreadable")
    evidence["checklist says"] = f'"Updated to 280 seconds" in ProductionConfig; config.py: {found}'
    if issues:
        worst = max(s.rank for s, _ in issues)
        status, sentence = next((s, t) for s, t in issues if s.rank == worst)
        for n, (_, text) in enumerate(t for t in issues if t[1] != sentence):
            evidence[f"also ({n + 1})"] = text
        return Verdict(status, sentence + ".", evidence, remediation=remedy)
    assert recycle is not None
    if wait is not None:
        return passed(
            f"{prod.name} recycles pooled connections after {recycle.value:g} s, within TiDB's 300 s advice and the server's {wait} s wait_timeout, and pings them before use.",
            evidence,
        )
    return passed(
        f"{prod.name} recycles pooled connections after {recycle.value:g} s (within TiDB's 300 s advice) and pings them before use; the live wait_timeout was {live}.",
        evidence,
    )


# -- 3.2 Temporary file cleanup --------------------------------------------------------------


def _human_size(n: int) -> str:
    size = float(n)
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{n} B"


def _files(n: int) -> str:
    return f"{n} file" if n == 1 else f"{n} files"


def _human_age(s: float) -> str:
    if s >= 2 * 86400:
        return f"{s / 86400:.0f} days"
    if s >= 3600:
        return f"{s / 3600:.0f} h"
    return f"{s / 60:.0f} min"


def _temp_dirs(src: bs.BackendSource, env: Any) -> list[tuple[bs.Setting, bs.Evaluated]]:
    """The production config's temp/upload dir settings (any class's without one), evaluated."""
    if src.production:
        scopes = [src.production.settings, src.module]
    else:
        scopes = [c.settings for c in src.classes.values()] + [src.module]
    for scope in scopes:
        found = [s for name, s in scope.items() if _TEMP_NAME.match(name)]
        if found:
            return [(s, src.evaluate(s, env)) for s in found[:3]]
    return []


def _inspect_temp(backend_dir: Path, paths: list[Path]) -> tuple[bs.HandlerScan, list[bs.DirStats]]:
    return bs.scan_handlers(backend_dir), [bs.measure_dir(p, STALE_AFTER_S) for p in paths]


@check("tmp.cleanup", section="3.2", title="Temporary files are cleaned outside requests")
async def tmp_cleanup(ctx: Context) -> Verdict:
    """The temp/upload dir holds no stale files and cleanup does not run inside request handlers."""
    src = await _load(ctx)
    if isinstance(src, Verdict):
        return src
    backend_dir = src.backend_dir
    evidence: dict[str, str] = {}
    paths: list[Path] = []
    for setting, ev in _temp_dirs(src, ctx.env):
        label = f"{setting.name} ({_where(setting.line)})"
        if ev.known and isinstance(ev.value, str | Path) and str(ev.value).strip():
            p = Path(ev.value).expanduser()
            p = p if p.is_absolute() else backend_dir / p
            paths.append(p)
            evidence[label] = f"{p}{_origin(ev)}"
        else:
            evidence[label] = f"cannot be read statically: {ev.source}"
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
        "`launchtui cleanup` deletes old temp files by hand, with a dry-run first."
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
        size = f"{_files(st.files)}, {_human_size(st.bytes)}" + (
            " (walk capped)" if st.capped else ""
        )
        oldest = f"; oldest {_human_age(st.oldest_age_s)}" if st.oldest_age_s is not None else ""
        evidence[str(st.path)] = size + oldest + (f"; unreadable: {st.error}" if st.error else "")
        if st.stale:
            issues.append(
                f"{st.path} holds {_files(st.stale)} older than 24 h (oldest {_human_age(st.oldest_age_s or 0)}), so temp cleanup is not running"
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
        f"{st.path} holds {_files(st.files)} ({_human_size(st.bytes)}), none older than 24 h, and cleanup is not called from request handlers{where}.",
        evidence,
    )


# -- 3.3 SQLAlchemy track modifications ------------------------------------------------------


@check("config.track_modifications", section="3.3", title="SQLALCHEMY_TRACK_MODIFICATIONS is off")
async def track_modifications(ctx: Context) -> Verdict:
    """SQLALCHEMY_TRACK_MODIFICATIONS is False (or unset on Flask-SQLAlchemy >= 3.0) in production."""
    src = await _load(ctx)
    if isinstance(src, Verdict):
        return src
    if src.production is None:
        return warned(
            f"config.py has no ProductionConfig (classes: {', '.join(src.classes) or 'none'}), so launchtui cannot tell what production sets.",
            remediation="Add `class ProductionConfig(Config):` with `SQLALCHEMY_TRACK_MODIFICATIONS = False`.",
        )
    prod = src.production
    evidence: dict[str, str] = {
        "production config": f"{prod.name} ({src.production_how})",
        "checklist says": "False",
    }
    remedy = f"Set `SQLALCHEMY_TRACK_MODIFICATIONS = False` in {prod.name} (config.py)."
    setting = src.find("SQLALCHEMY_TRACK_MODIFICATIONS")
    spec = src.requirements.get("flask-sqlalchemy")
    if spec:
        evidence["requirements.txt"] = f"line {spec[0]}: Flask-SQLAlchemy{spec[1]}"
    ev = src.evaluate(setting, ctx.env) if setting is not None else None
    if setting is not None:
        evidence["SQLALCHEMY_TRACK_MODIFICATIONS"] = (
            f"{setting.source} ({_where(setting.line)}, in {setting.owner or 'module'})"
        )
    # None is Flask-SQLAlchemy's own "not set" value, so it means whatever unset means.
    if ev is None or (ev.known and ev.value is None):
        if spec and bs.allows_only_below(spec[1], 3):
            return warned(
                f"{prod.name} leaves SQLALCHEMY_TRACK_MODIFICATIONS unset and requirements.txt pins Flask-SQLAlchemy{spec[1]}, where unset means tracking is on (memory overhead and a signal per change).",
                evidence,
                remediation=remedy,
            )
        return passed(
            f"{prod.name} leaves SQLALCHEMY_TRACK_MODIFICATIONS unset, which is off since Flask-SQLAlchemy 3.0.",
            evidence,
        )
    if not ev.known:
        return warned(
            f"SQLALCHEMY_TRACK_MODIFICATIONS is computed at run time ({ev.source}), so launchtui cannot read it.",
            evidence,
            remediation=remedy,
        )
    if ev.value:
        return failed(
            f"{prod.name} sets SQLALCHEMY_TRACK_MODIFICATIONS to {ev.value!r}{_origin(ev)}, so every model change costs memory and emits a signal.",
            evidence,
            remediation=remedy,
        )
    return passed(
        f"{prod.name} sets SQLALCHEMY_TRACK_MODIFICATIONS to {ev.value!r}, as the checklist asks.",
        evidence,
    )
