"""Checklist 3.1: pool_recycle is short enough for TiDB Serverless, and pre-ping is on."""

from __future__ import annotations

import re

from launchtui.checks.config_source import config_line, read_config, value_origin
from launchtui.core.context import Context
from launchtui.core.model import Status, Verdict, passed, warned
from launchtui.core.registry import check
from launchtui.probes.backend_source import allows_only_below
from launchtui.probes.config_values import Evaluated

ENGINE_OPTIONS_LINE = 'SQLALCHEMY_ENGINE_OPTIONS = {"pool_recycle": 280, "pool_pre_ping": True}'
# TiDB Cloud Serverless advises a connection max lifetime starting at 5 minutes.
RECYCLE_LIMIT_S = 300
# TiDB Cloud Serverless may close any connection older than 30 minutes.
TIDB_CLOSE_S = 1800
FLASK_SQLALCHEMY_MYSQL_DEFAULT_S = 7200
_GOOD = (Status.PASS, Status.WARN)


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
    src = await read_config(ctx)
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
    recycle: Evaluated | None = None
    if opts is not None:
        evidence["SQLALCHEMY_ENGINE_OPTIONS"] = f"{opts.source} ({config_line(opts.line)})"
        recycle = src.evaluate_key(opts, "pool_recycle", ctx.env)
    if recycle is None and legacy is not None:
        recycle = src.evaluate(legacy, ctx.env)
        evidence["SQLALCHEMY_POOL_RECYCLE"] = f"{legacy.source} ({config_line(legacy.line)})"
        spec = src.requirements.get("flask-sqlalchemy")
        if not (spec and allows_only_below(spec[1], 3)):
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
                    f"pool_recycle is the string {value!r}{value_origin(recycle)}; SQLAlchemy compares it with a number and fails at the first checkout; wrap it in int()",
                )
            )
        elif isinstance(value, bool) or not isinstance(value, int | float):
            issues.append((Status.FAIL, f"pool_recycle is {value!r}, not a number of seconds"))
        else:
            evidence["pool_recycle"] = f"{value:g} s{value_origin(recycle)}"
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
