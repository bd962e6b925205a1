"""Live database checks: the layered connection probe (1.1/4.3) and the migrations head (2.1)."""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import TYPE_CHECKING, Any

from launchtui.core.model import Verdict, failed, needs_input, passed, skipped, warned
from launchtui.core.registry import check

if TYPE_CHECKING:
    from alembic.script import ScriptDirectory

    from launchtui.core.context import Context
    from launchtui.probes.database import DbProbe
    from launchtui.probes.dburl import DbUrl, TlsIntent

# The probe's own budget (10 s) plus room for the thread hand-off.
_CONNECT_TIMEOUT_S = 14.0
_MYSQL_DRIVERS = ("mysql", "mariadb")
_UPGRADE = "flask db upgrade"
# The failing layer's words are the summary itself; passed layers keep theirs.
_STEP_WORDS = {"fail": "✘ failed here (see the summary)", "skip": "– not tried"}


def backend_database(ctx: Context) -> tuple[DbUrl, TlsIntent] | Verdict:
    """DATABASE_URL parsed, with the TLS the backend will get (its own CA first), or a skip."""
    from launchtui.probes.dburl import DbUrlError, intended_tls, parse_database_url

    raw = ctx.secret("DATABASE_URL")
    if raw is None:
        return needs_input(
            "DATABASE_URL is not set, so there is no database to probe; set it in the "
            "environment or in the file given with --env-file (profile key env_file).",
            "env_file",
        )
    try:
        url = parse_database_url(raw.reveal())
    except DbUrlError as exc:
        return skipped(
            f"Skipped: DATABASE_URL cannot be parsed ({exc}), so there is nothing to probe; "
            "env.database_url says what to fix."
        )
    if url.password is not None:
        ctx.redactor.add(url.password)
    if url.drivername.split("+", 1)[0] not in _MYSQL_DRIVERS:
        return skipped(
            f"Skipped: DATABASE_URL uses {url.drivername}, not MySQL/TiDB "
            "(mysql+pymysql://...); env.database_url says what to fix."
        )
    ca_file = str(ctx.settings.ca_file) if ctx.settings.ca_file else None
    return url, intended_tls(url, ca_file=ca_file)


def _ca_words(intent: TlsIntent) -> str:
    """Which CA verified the server, and why that one."""
    from launchtui.probes.database_failures import ca_in_use

    words = f"{ca_in_use(intent)}: {intent.ca_why}" if intent.ca_why else ca_in_use(intent)
    return words + ("; host name checked" if intent.verify_host else "; host name NOT checked")


def _product(version: str) -> str:
    low = version.lower()
    if "tidb" in low:
        return "TiDB"
    return "MariaDB" if "mariadb" in low else "MySQL"


@check(
    "db.connect",
    section="1.1",
    title="The database answers over verified TLS",
    kind="live",
    after=("env.database_url",),
    timeout=_CONNECT_TIMEOUT_S,
)
async def db_connect(ctx: Context) -> Verdict:
    """Probe DNS, TCP, the verified TLS handshake, login and SELECT 1; name the first failing layer."""
    from launchtui.probes.database import PROBE_BUDGET_S, probe_database

    parsed = await ctx.to_thread(backend_database, ctx)  # parsing imports SQLAlchemy
    if isinstance(parsed, Verdict):
        return parsed
    url, intent = parsed
    probe: DbProbe = await ctx.to_thread(probe_database, url, intent, PROBE_BUDGET_S)
    evidence: dict[str, Any] = {"url": url.masked, "target": probe.target}
    url_check = ctx.result("env.database_url")
    url_broken = url_check is not None and url_check.status in ("fail", "error")
    if not probe.ok:
        for step in probe.steps:
            evidence[step.layer] = _STEP_WORDS.get(step.status) or f"✔ {step.summary}"
        evidence["CA in use"] = _ca_words(intent)
        evidence["timings"] = probe.timings() or "-"
        remediation = probe.remediation
        console = ctx.settings.links.get("tidb_console")
        if console and probe.layer in ("tcp", "query"):
            remediation += f" Console: {console}"
        return failed(
            probe.summary,
            evidence,
            remediation=remediation,
            command=probe.command,
            facts={"layer": probe.layer, "probe": probe},
        )
    evidence["address"] = ", ".join(probe.addresses)
    version = probe.server_version or "?"
    latency = probe.latency_ms or 0.0
    evidence.update(
        {
            "server": f"{_product(version)} {version}",
            "tls": f"{probe.tls_version}, {probe.cipher}",
            "CA in use": _ca_words(intent),
            "latency": f"{latency:.1f} ms (SELECT 1 round trip)",
            "wait_timeout": f"{probe.wait_timeout} s (live @@wait_timeout)",
            "timings": probe.timings(),
        }
    )
    summary = (
        f"The database answers over verified TLS ({_product(version)}, {probe.tls_version}, "
        f"SELECT 1 in {latency:.1f} ms)"
    )
    if url_broken:
        summary += (
            ", but env.database_url failed, so the backend may not connect with DATABASE_URL "
            "as written"
        )
        evidence["env.database_url"] = f"{url_check.status}: {url_check.summary}"
    return passed(
        summary + ".",
        evidence,
        facts={
            "layer": "none",
            "wait_timeout": probe.wait_timeout,
            "is_tidb": probe.is_tidb,
            "server_version": version,
            "latency_ms": latency,
            "probe": probe,
        },
    )


def _scripts(migrations: Path) -> ScriptDirectory:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    cfg = Config()
    cfg.set_main_option("script_location", str(migrations))
    return ScriptDirectory.from_config(cfg)


def _database_heads(url: DbUrl, intent: TlsIntent) -> tuple[tuple[str, ...], list[str]]:
    """The database's Alembic revisions and its other tables, over a verified connection."""
    import sqlalchemy
    from alembic.runtime.migration import MigrationContext

    from launchtui.probes.database import verified_engine

    with verified_engine(url, intent) as engine, engine.connect() as conn:
        heads = tuple(MigrationContext.configure(conn).get_current_heads())
        tables = [t for t in sqlalchemy.inspect(conn).get_table_names() if t != "alembic_version"]
    return heads, tables


def _message(script: ScriptDirectory, rev: str) -> str:
    """The first line of a revision's message ("add posts"), or ""."""
    doc = (script.get_revision(rev).doc or "").strip().splitlines()
    return doc[0].strip() if doc else ""


def _describe(script: ScriptDirectory, rev: str) -> str:
    message = _message(script, rev)
    return f"{rev} ({message})" if message else rev


def _upgradable(script: ScriptDirectory, pending: list[str]) -> dict[str, Any]:
    """Facts for `launchtui migrate`: what `flask db upgrade` would apply, in apply order.

    Only the verdicts that `flask db upgrade` alone resolves carry them (at head: nothing).
    """
    return {"pending": tuple(pending), "messages": {r: _message(script, r) for r in pending}}


def _migrations_verdict(
    script: ScriptDirectory, heads: list[str], db_heads: tuple[str, ...], tables: list[str]
) -> Verdict:
    """Compare the repository's heads with the database's revisions."""
    from alembic.util import CommandError

    evidence: dict[str, Any] = {
        "migrations heads": ", ".join(_describe(script, h) for h in heads) or "(none)",
        "database revision": ", ".join(db_heads) or "(no alembic_version row)",
    }
    if len(heads) > 1:
        return failed(
            f"migrations/ has {len(heads)} heads ({', '.join(heads)}): the history is branched, "
            f"so `{_UPGRADE}` refuses to run until the branches are merged.",
            evidence,
            remediation="Merge the heads in a new revision, commit it, and deploy that.",
            command='flask db merge heads -m "merge"',
        )
    if not heads:
        return warned(
            "migrations/ has no revision files, so there is nothing to compare the database with.",
            evidence,
            remediation="Create the first revision with `flask db migrate`, or point --backend-dir "
            "at the real backend checkout.",
        )
    head = heads[0]
    if not db_heads:
        if tables:
            evidence["other tables"] = ", ".join(sorted(tables)[:8]) + (
                " ..." if len(tables) > 8 else ""
            )
            return failed(
                f"The database has no alembic_version row but already has {len(tables)} "
                f"table{'s' if len(tables) != 1 else ''}, so Alembic does not know which "
                "migrations are applied.",
                evidence,
                remediation="Existing tables suggest the schema was made without Alembic: if it "
                f"matches revision {head}, record that with `flask db stamp head`; if it is "
                f"older, stamp the matching revision, then run `{_UPGRADE}`.",
                command="flask db stamp head",
            )
        everything = [r.revision for r in script.iterate_revisions(head, "base")]
        return failed(
            "The database has no alembic_version table and no tables: no migration was ever "
            "applied, so the app will fail on its first query.",
            evidence,
            remediation=f"Run `{_UPGRADE}` against this database (Procfile `release:` line).",
            command=_UPGRADE,
            facts=_upgradable(script, everything[::-1]),
        )
    unknown = []
    for rev in db_heads:
        try:
            script.get_revision(rev)
        except CommandError:
            unknown.append(rev)
    if unknown:
        return failed(
            f"The database is at revision {', '.join(unknown)}, which is not in migrations/: it "
            "was migrated from another branch, or it is ahead of this checkout.",
            evidence,
            remediation="Check out the commit that is deployed (or the branch that added that "
            "revision) before migrating; do not downgrade blind.",
            command=f"git log --all --oneline -S {shlex.quote(unknown[0])} -- migrations/",
        )
    if db_heads == (head,):
        return passed(
            f"The database is at the migrations head, {_describe(script, head)}.",
            evidence,
            facts=_upgradable(script, []),
        )
    pending = []
    for rev in db_heads:
        try:
            pending.extend(r.revision for r in script.iterate_revisions(head, rev))
        except CommandError:
            return failed(
                f"The database is at {rev}, which is in migrations/ but not an ancestor of the "
                f"head {head}: it was migrated along a branch this checkout does not follow.",
                evidence,
                remediation="Merge the branches in migrations/ (or check out the deployed "
                f"commit), then run `{_UPGRADE}`.",
                command=_UPGRADE,
            )
    pending = list(dict.fromkeys(pending))
    evidence["pending"] = ", ".join(_describe(script, r) for r in reversed(pending))
    n = len(pending)
    return failed(
        f"The database is at {', '.join(db_heads)}, {n} revision{'s' if n != 1 else ''} behind "
        f"the migrations head {head}: the deployed code expects a schema it does not have yet.",
        evidence,
        remediation=f"Run `{_UPGRADE}` before the app serves traffic (Procfile `release:` line).",
        command=_UPGRADE,
        facts=_upgradable(script, pending[::-1]),
    )


@check(
    "db.migrations",
    section="2.1",
    title="The database schema is at the migrations head",
    kind="live",
    needs=("db.connect",),
)
async def db_migrations(ctx: Context) -> Verdict:
    """The database's alembic_version equals the single head of the backend's migrations/."""
    backend = ctx.settings.backend_dir
    if backend is None:
        return needs_input(
            "No backend checkout was given, so the migrations head is unknown; pass "
            "--backend-dir PATH (profile key backend_dir: the directory with config.py and "
            "migrations/).",
            "backend_dir",
        )
    migrations = Path(backend) / "migrations"
    if not migrations.is_dir():
        return skipped(
            f"{migrations} does not exist, so there are no migrations to compare; point "
            "--backend-dir at the Flask backend checkout."
        )
    try:
        script = await ctx.to_thread(_scripts, migrations)
        heads = list(await ctx.to_thread(script.get_heads))
    except Exception as exc:
        return failed(
            f"Alembic cannot read {migrations} ({type(exc).__name__}: {exc}), so "
            f"`{_UPGRADE}` would fail the same way.",
            {"migrations": str(migrations)},
            remediation="Fix the revision file Alembic names (a broken import or down_revision).",
            command="flask db heads",
        )
    parsed = await ctx.to_thread(backend_database, ctx)  # parsing imports SQLAlchemy
    if isinstance(parsed, Verdict):
        return parsed
    url, intent = parsed
    try:
        db_heads, tables = await ctx.to_thread(_database_heads, url, intent)
    except Exception as exc:
        return failed(
            f"Reading alembic_version from the database failed ({type(exc).__name__}: {exc}).",
            {"url": url.masked},
            remediation="Re-run db.connect to see which layer fails, then retry.",
        )
    verdict = await ctx.to_thread(_migrations_verdict, script, heads, db_heads, tables)
    return Verdict(
        verdict.status,
        verdict.summary,
        {"migrations": str(migrations), **verdict.evidence},
        verdict.remediation,
        verdict.command,
        {**verdict.facts, "repo_heads": tuple(heads), "db_heads": db_heads},
    )
