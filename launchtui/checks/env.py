"""Checklist 1.1: the backend's production environment variables, read without any I/O.

Here: what every env check shares (one-line verdicts, problems folded into one verdict)
and DATABASE_URL. The other variables live in env_keys, env_cloudinary, env_cors, env_debug.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import ParamSpec

from launchtui.core.config import INPUT_SOURCES
from launchtui.core.context import Context
from launchtui.core.model import MISSING_INPUT, Verdict, failed, passed, warned
from launchtui.core.registry import check
from launchtui.probes.dburl import (
    DbUrl,
    DbUrlError,
    effective_tls,
    parse_database_url,
    url_problems,
)
from launchtui.probes.dburl import suggested_url as suggested_db_url

P = ParamSpec("P")
WHERE = "in the backend service's variables on Railway/Render and redeploy"


def printable(text: str) -> str:
    """Text safe for any terminal and UTF-8 output: control and undecodable characters escaped."""
    if text.isprintable():
        return text
    return "".join(
        c if c.isprintable() else c.encode("unicode_escape", "backslashreplace").decode("ascii")
        for c in text
    )


def one_line(fn: Callable[P, Verdict]) -> Callable[P, Verdict]:
    """Escape what a verdict echoes of the input (env values may hold any byte)."""

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> Verdict:
        v = fn(*args, **kwargs)
        return dataclasses.replace(
            v,
            summary=printable(v.summary),
            evidence={printable(k): printable(x) for k, x in v.evidence.items()},
            remediation=printable(v.remediation),
            command=printable(v.command) if v.command else v.command,
        )

    return wrapper


def unparsable(summary: str, raw: str, fix: str) -> Verdict:
    """The fail for a value that does not parse; its evidence is only the length (it may be secret)."""
    return failed(summary, {"length": f"{len(raw)} characters"}, remediation=fix)


def not_set(
    name: str, consequence: str, command: str | None = None, *, ctx: Context | None = None
) -> Verdict:
    """The fail for a variable that is not set, saying what that breaks.

    With no env file given, the variable was looked for in this shell only: the evidence
    says so, and the verdict carries the missing input (the TUI's `s` sets it up).
    """
    verdict = failed(
        f"{name} is not set, so {consequence}.",
        {"variable": f"{name} (not set)"},
        remediation=f"Set {name} {WHERE}.",
        command=command,
    )
    if ctx is not None and ctx.settings.env_file is None:
        return shell_only(verdict, "env_file")
    return verdict


def shell_only(verdict: Verdict, key: str) -> Verdict:
    """`verdict`, saying its variables were looked for in this shell only, because the env
    file input `key` was not given; it carries `key` as the missing input."""
    evidence = {
        **verdict.evidence,
        "looked in": f"this shell's environment only: no {INPUT_SOURCES[key]} was given",
    }
    facts = {**verdict.facts, MISSING_INPUT: (key,)}
    return dataclasses.replace(verdict, evidence=evidence, facts=facts)


@dataclass
class Findings:
    """Problems found in one value, worst first when read back."""

    fails: list[tuple[str, str]] = field(default_factory=list)
    warns: list[tuple[str, str]] = field(default_factory=list)

    def fail(self, summary: str, fix: str = "") -> None:
        self.fails.append((summary, fix))

    def warn(self, summary: str, fix: str = "") -> None:
        self.warns.append((summary, fix))

    def verdict(
        self,
        ok: str,
        evidence: Mapping[str, str],
        *,
        command: str | None = None,
        facts: Mapping[str, object] | None = None,
    ) -> Verdict:
        """Pass with `ok`, or the worst problem as summary and every other one as evidence."""
        found = self.fails + self.warns
        if not found:
            return passed(ok, evidence, command=command, facts=facts)
        summary = found[0][0]
        if len(found) > 1:
            more = len(found) - 1
            summary = f"{summary[:-1]}; {more} more problem{'s' if more > 1 else ''} below."
        ev = dict(evidence)
        for i, (text, _fix) in enumerate(found[1:], 2):
            ev[f"problem {i}"] = text
        fixes = " ".join(dict.fromkeys(fix for _s, fix in found if fix))
        make = failed if self.fails else warned
        return make(summary, ev, remediation=fixes, command=command, facts=facts)


# -- DATABASE_URL -------------------------------------------------------------


@one_line
def assess_database_url(raw: str) -> Verdict:
    """The verdict on a DATABASE_URL value: parse, driver, host/port, effective TLS."""
    try:
        url = parse_database_url(raw)
    except DbUrlError as exc:
        return unparsable(
            str(exc),
            raw,
            f"Set DATABASE_URL to {suggested_db_url(None)} (percent-encode special characters "
            f"in the password) {WHERE}.",
        )
    tls = effective_tls(url)
    f = Findings()
    for p in url_problems(url, tls):
        (f.fail if p.fails else f.warn)(p.summary, p.fix)
    evidence = {
        "URL": url.masked,
        "driver": url.drivername,
        "host": url.host or "(none)",
        "port": str(url.port) if url.port is not None else "(not set: PyMySQL uses 3306)",
        "database": url.database or "(none)",
        "user": url.username or "(none)",
        "TLS": tls.description,
    }
    if tls.rejected_args:
        evidence["TLS without " + ", ".join(tls.rejected_args)] = tls.detail
    for i, note in enumerate(tls.notes, 1):
        evidence[f"why {i}"] = note
    if f.fails or f.warns:
        evidence["working form"] = suggested_db_url(url)
    ok = (
        f"DATABASE_URL is a mysql+pymysql URL for {url.host}:{url.port or 3306}/{url.database} "
        "whose TLS verifies the certificate and the host name."
    )
    return f.verdict(ok, evidence, facts={"url": url, "tls": tls})


@check("env.database_url", section="1.1", title="DATABASE_URL is a verified-TLS TiDB URL")
async def database_url(ctx: Context) -> Verdict:
    """DATABASE_URL parses, uses PyMySQL, and gets verified TLS from SQLAlchemy + PyMySQL."""
    raw = ctx.secret("DATABASE_URL")
    if raw is None:
        return not_set("DATABASE_URL", "the backend has no database to connect to", ctx=ctx)
    verdict = await ctx.to_thread(assess_database_url, raw.reveal())
    url = verdict.facts.get("url")
    if isinstance(url, DbUrl):
        ctx.redactor.add(url.password)
    return verdict
