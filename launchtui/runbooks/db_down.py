"""Runbook 4.3, `db-down`: the database, layer by layer, and whether it has a free connection.

The steps: DATABASE_URL and its TLS posture (`db.config`), then the layered probe's own
layers as steps of their own (`db.dns`, `db.tcp`, `db.tls`, `db.auth`, `db.query`), then
`db.saturation`: connections in use against `max_connections` and the longest-running
statements. The layered probe runs once per pass (shared by the five layer steps) and
reads the connection count on its own connection once SELECT 1 has answered, so a pass
costs one login: about 10 ms against a healthy loopback server, at most its 10 s budget
against a black hole, and never two of the last free slots of a saturated server.
"""

from __future__ import annotations

import asyncio
import functools
import re
import socket
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from launchtui.core.model import Result, Verdict, failed, passed, skipped, warned
from launchtui.core.registry import INCIDENT_STEPS, Registry
from launchtui.core.runbooks import LayerFutures, Runbook, RunbookVerdict, first_failure

if TYPE_CHECKING:
    from launchtui.core.context import Context
    from launchtui.probes.database import DbProbe, LayerStep
    from launchtui.probes.dburl import DbUrl, TlsIntent

SECTION = "4.3"
steps = Registry()

# The layered probe holds itself to 10 s (PROBE_BUDGET_S); the steps that wait for it get
# room for the thread hand-off, as db.connect does.
_LAYER_TIMEOUT_S = 14.0
# db.saturation reads on the probe's connection, under the probe's own timeouts and budget.
_SATURATION_TIMEOUT_S = _LAYER_TIMEOUT_S
# In use at or above this share of max_connections, new logins are about to fail (1040).
SATURATED_PERCENT = 90.0
BUSY_PERCENT = 75.0
# A statement running this long is worth a warning: it may hold locks others wait on.
LONG_STATEMENT_S = 60
_TOP_STATEMENTS = 3
_STATEMENT_CHARS = 80

_TOO_MANY = re.compile(r"\b1040\b|too many connections", re.I)
_LAYER_TITLES = {
    "dns": "The database host name resolves",
    "tcp": "The database port accepts a TCP connection",
    "tls": "The TLS handshake verifies the server (the backend's CA)",
    "auth": "DATABASE_URL's user and password log in",
    "query": "SELECT 1 answers (latency, wait_timeout)",
}
# A step's layer when its result carries none (a step that timed out or crashed).
_STEP_LAYER = {
    "db.config": "config",
    "db.dns": "dns",
    "db.tcp": "tcp",
    "db.tls": "tls",
    "db.auth": "auth",
    "db.query": "query",
    "db.saturation": "query",
}
ORDER = tuple(_STEP_LAYER)


# -- db.config -----------------------------------------------------------------------


def _read_config(ctx: Context) -> tuple[DbUrl, TlsIntent, Any] | Verdict:
    """DATABASE_URL parsed (the CA the backend will use first) and its real TLS posture."""
    from launchtui.checks.database import backend_database
    from launchtui.probes.dburl import effective_tls

    parsed = backend_database(ctx)
    if isinstance(parsed, Verdict):
        return parsed
    url, intent = parsed
    return url, intent, effective_tls(url)


def _config_failure(skip: Verdict) -> Verdict:
    """The check's skip, as a runbook failure: without a usable URL nothing can be probed."""
    summary = skip.summary.removeprefix("Skipped: ")
    summary = summary.replace(
        "env.database_url says what to fix",
        "`launchtui check --only env.database_url` says what to fix",
    )
    summary = summary[:1].upper() + summary[1:]
    return failed(
        summary,
        remediation="Copy the connection string from the TiDB Cloud console's Connect dialog "
        "into DATABASE_URL (mysql+pymysql://USER:PASSWORD@HOST:4000/DATABASE?ssl_ca=...), "
        "or pass the backend's variables with --env-file.",
        command="launchtui check --only env.database_url",
        facts={"layer": "config"},
    )


@steps.check("db.config", section=SECTION, title="DATABASE_URL parses; its TLS posture")
async def db_config(ctx: Context) -> Verdict:
    """DATABASE_URL parses as the backend's SQLAlchemy reads it; what its TLS really checks."""
    from launchtui.checks.database import _ca_words

    read = await ctx.to_thread(_read_config, ctx)  # parsing imports SQLAlchemy
    if isinstance(read, Verdict):
        return _config_failure(read)
    url, intent, posture = read
    evidence: dict[str, Any] = {
        "url": url.masked,
        "backend's TLS": posture.description,
        "probe verifies with": _ca_words(intent),
    }
    # The probe runs from here on; each layer step waits for its own layer of it.
    facts = {"layer": "none", "url": url, "intent": intent, "watch": _DbWatch(ctx, url, intent)}
    if posture.rejected_args:
        # It may have worked until now because the backend rewrites the URL, so this alone
        # is not named the broken layer; the layers below say whether the server answers.
        return warned(
            f"DATABASE_URL has {', '.join(posture.rejected_args)}, which PyMySQL refuses: "
            "the backend's first connection raises TypeError unless it rewrites the URL.",
            evidence,
            remediation="If the backend does not rewrite it, use ssl_ca=PATH instead "
            "(launchtui check --only env.database_url shows the fixed URL).",
            facts=facts,
        )
    if not posture.verify_cert:
        return warned(
            "DATABASE_URL parses, but the backend's TLS verifies no certificate, so it would "
            "also talk to an impostor; the probe below verifies anyway.",
            evidence,
            remediation="Add ssl_ca=/etc/ssl/certs/ca-certificates.crt to DATABASE_URL.",
            facts=facts,
        )
    return passed(
        f"DATABASE_URL parses ({url.masked.split('?', 1)[0]}) and its TLS verifies the "
        "server's certificate.",
        evidence,
        facts=facts,
    )


# -- the layered probe, once per pass ------------------------------------------------


class _DbWatch:
    """This pass's one layered probe (with db.saturation's reads on its connection), and a
    future per layer that resolves as soon as the probe is past that layer."""

    def __init__(self, ctx: Context, url: DbUrl, intent: TlsIntent) -> None:
        from launchtui.probes.database import LAYERS, PROBE_BUDGET_S, probe_database

        self._layers: LayerFutures[LayerStep] = LayerFutures(LAYERS)
        fn = functools.partial(
            probe_database,
            url,
            intent,
            PROBE_BUDGET_S,
            then=read_saturation,
            on_step=self._seen,
        )
        self.task = asyncio.ensure_future(self._run(ctx, fn))

    def _seen(self, step: LayerStep) -> None:  # on the probe's thread
        self._layers.seen_from_thread(step.layer, step)

    async def _run(self, ctx: Context, fn: Callable[[], DbProbe]) -> DbProbe:
        try:
            return await ctx.to_thread(fn)
        finally:  # layers the probe never reached: None
            self._layers.end()

    async def layer(self, name: str) -> LayerStep | None:
        return await self._layers.layer(name)

    async def probe(self) -> DbProbe:
        return await asyncio.shield(self.task)


async def _probe(ctx: Context) -> DbProbe:
    """The layered probe of this pass, which db.config started."""
    watch = ctx.fact("db.config", "watch")
    assert isinstance(watch, _DbWatch), "db.config passed without starting the probe"
    return await watch.probe()


def _saturated_at_login(probe: DbProbe) -> bool:
    """The server refused the connection itself with 1040 Too many connections."""
    return not probe.ok and bool(_TOO_MANY.search(probe.summary))


def _layer_verdict(probe: DbProbe, layer: str, intent: TlsIntent) -> Verdict:
    """One layer of the probe as a step: its pass, its failure (with the fix), or a skip."""
    from launchtui.checks.database import _ca_words

    step: LayerStep | None = probe.step(layer)
    evidence: dict[str, Any] = {"target": probe.target}
    if layer == "tls":
        evidence["CA in use"] = _ca_words(intent)
    if _saturated_at_login(probe) and (step is None or step.status != "pass"):
        # 1040 comes before the greeting or ends the login: this layer was never judged.
        return skipped(
            "Not judged: the server refused the connection with 1040 Too many connections "
            "before the login finished (see db.saturation).",
            evidence,
        )
    if step is None:
        return skipped("Not reached: the server ended the connection before this step.", evidence)
    if step.status == "pass" and layer != "query":
        return _passed_layer(step, layer, probe.target, intent)
    if step.ms is not None:
        evidence["time"] = f"{step.ms:.1f} ms"
    if step.status == "skip":
        return skipped(step.summary, evidence)
    if step.status == "fail":
        return failed(
            probe.summary,
            evidence,
            remediation=probe.remediation,
            command=probe.command,
            facts={"layer": layer},
        )
    summary = step.summary
    if layer == "query":
        evidence["latency"] = f"{probe.latency_ms or 0.0:.1f} ms (SELECT 1 round trip)"
        evidence["wait_timeout"] = f"{probe.wait_timeout} s (live @@wait_timeout)"
        evidence["server"] = probe.server_version or "?"
        summary = (
            f"SELECT 1 answered in {probe.latency_ms or 0.0:.1f} ms; the server closes idle "
            f"connections after {probe.wait_timeout} s (wait_timeout)."
        )
    return passed(summary, evidence, facts={"layer": "none"})


def _passed_layer(step: LayerStep, layer: str, target: str, intent: TlsIntent) -> Verdict:
    from launchtui.checks.database import _ca_words

    evidence: dict[str, Any] = {"target": target}
    if layer == "tls":
        evidence["CA in use"] = _ca_words(intent)
    if step.ms is not None:
        evidence["time"] = f"{step.ms:.1f} ms"
    return passed(step.summary, evidence, facts={"layer": "none"})


def _layer_step(layer: str) -> None:
    async def run(ctx: Context) -> Verdict:
        watch = ctx.fact("db.config", "watch")
        intent = ctx.fact("db.config", "intent")
        if isinstance(watch, _DbWatch) and layer != "query":
            # A layer that passed is told at once, while the probe goes on below it.
            step = await watch.layer(layer)
            if step is not None and step.status == "pass":
                from launchtui.probes.database import target_of

                return _passed_layer(step, layer, target_of(ctx.fact("db.config", "url")), intent)
        return _layer_verdict(await _probe(ctx), layer, intent)

    run.__doc__ = f"The layered database probe's {layer} layer (run once, shared)."
    steps.check(
        f"db.{layer}",
        section=SECTION,
        title=_LAYER_TITLES[layer],
        kind="live",
        needs=("db.config",),
        timeout=_LAYER_TIMEOUT_S,
    )(run)


for _layer in ("dns", "tcp", "tls", "auth", "query"):
    _layer_step(_layer)


# -- db.saturation -------------------------------------------------------------------


def read_saturation(conn: Any) -> dict[str, Any]:
    """Connections in use, max_connections, and the longest-running statements, read on
    an open connection (the layered probe's)."""
    out: dict[str, Any] = {"threads": None, "max": None, "statements": [], "notes": []}
    with conn.cursor() as cur:
        cur.execute("SELECT @@max_connections, CONNECTION_ID(), VERSION()")
        max_connections, own_id, version = cur.fetchone()
        out["max"] = int(max_connections)
        cur.execute("SHOW GLOBAL STATUS LIKE 'Threads_connected'")
        row = cur.fetchone()
        if row is not None:
            out["threads"] = int(row[1])
    # TiDB spreads sessions over several servers: only CLUSTER_PROCESSLIST sees them all.
    is_tidb = "tidb" in str(version).lower()
    tables = ["CLUSTER_PROCESSLIST", "PROCESSLIST"] if is_tidb else ["PROCESSLIST"]
    for table in tables:
        try:
            with conn.cursor() as cur:
                cur.execute(
                    "SELECT ID, USER, DB, COMMAND, TIME, INFO FROM "
                    f"INFORMATION_SCHEMA.{table} WHERE ID <> %s",
                    (own_id,),
                )
                rows = list(cur.fetchall())
        except Exception as exc:  # no privilege, or a server without that table
            out["notes"].append(f"{table} could not be read ({type(exc).__name__}: {exc})")
            continue
        out["sessions"] = len(rows)
        out["table"] = table
        running = [r for r in rows if str(r[3]).lower() not in ("sleep", "daemon")]
        running.sort(key=lambda r: int(r[4] or 0), reverse=True)
        out["statements"] = running[:_TOP_STATEMENTS]
        break
    return out


def _statement(row: tuple[Any, ...]) -> str:
    """One running statement in a line: how long, who, and the start of its text."""
    _id, user, db, command, seconds, info = row
    text = " ".join(str(info or command).split())
    if len(text) > _STATEMENT_CHARS:
        text = text[: _STATEMENT_CHARS - 3] + "..."
    return f"{int(seconds or 0)} s, user {user}, database {db or '-'}: {text}"


@steps.check(
    "db.saturation",
    section=SECTION,
    title="Connections in use against max_connections; longest statements",
    kind="live",
    after=("db.query",),
    timeout=_SATURATION_TIMEOUT_S,
)
async def db_saturation(ctx: Context) -> Verdict:
    """Whether the server has a free connection, and what has run longest."""
    if ctx.result("db.config") is None or ctx.fact("db.config", "url") is None:
        return skipped("Not tried: DATABASE_URL cannot be used (see db.config).")
    probe = await _probe(ctx)
    if _saturated_at_login(probe):
        return failed(
            "The database refused a new connection with 1040 Too many connections: every "
            "max_connections slot is taken, so the backend cannot connect either.",
            {"target": probe.target, "server said": probe.summary},
            remediation="Find what holds the connections (a pool too large for the plan, "
            "leaked connections, many workers each with a pool) and restart or shrink it; "
            "check the cluster's connection count in the TiDB Cloud console.",
            facts={"layer": "query"},
        )
    if not probe.ok:
        return skipped(f"Not tried: the database did not answer (db.{probe.layer} failed).")
    exc = probe.then_error
    if isinstance(exc, TimeoutError | socket.timeout) or (
        exc is not None and "timed out" in str(exc)
    ):
        return failed(
            "The database answered SELECT 1 but not the connection count in time: it is "
            "overloaded.",
            {"target": probe.target},
            remediation="Check the cluster's load and connection count in the TiDB Cloud console.",
            facts={"layer": "query"},
        )
    if exc is not None:
        return warned(
            f"The connection count could not be read ({type(exc).__name__}: {exc}).",
            {"target": probe.target},
            remediation="Read it in the TiDB Cloud console (Monitoring → Connection Count).",
            facts={"layer": "none"},
        )
    return _saturation_verdict(probe, probe.then)


def _saturation_verdict(probe: DbProbe, seen: Mapping[str, Any]) -> Verdict:
    maximum: int = seen["max"]
    threads: int | None = seen["threads"]
    evidence: dict[str, Any] = {"target": probe.target, "max_connections": maximum}
    if threads is None:
        # Without the status variable, count the sessions the process list shows.
        in_use = seen.get("sessions")
        how = (
            f"sessions in {seen.get('table', 'the process list')} (this user may see only its own)"
        )
    else:
        in_use = max(threads - 1, 0)  # our own connection is not the backend's
        how = "Threads_connected, not counting this probe's own connection"
    statements = [_statement(r) for r in seen["statements"]]
    for i, text in enumerate(statements, 1):
        evidence[f"longest {i}"] = text
    if not statements:
        evidence["running statements"] = "none besides this probe's"
    for i, note in enumerate(seen["notes"], 1):
        evidence[f"note {i}"] = note
    facts: dict[str, Any] = {"layer": "none", "in_use": in_use, "max_connections": maximum}
    if in_use is None or maximum <= 0:
        evidence["connections in use"] = "not reported"
        return warned(
            "The database answers, but launchtui could not count the connections in use.",
            evidence,
            remediation="Read the connection count in the TiDB Cloud console.",
            facts=facts,
        )
    pct = in_use * 100.0 / maximum
    evidence["connections in use"] = f"{in_use} of {maximum} ({pct:.0f}%), from {how}"
    share = f"{in_use} of {maximum} connections ({pct:.0f}%) are in use"
    if pct >= SATURATED_PERCENT:
        return failed(
            f"The database is saturated: {share}, so new logins are about to fail with 1040 "
            "Too many connections.",
            evidence,
            remediation="Find what holds the connections (pool size times workers, leaked "
            "connections, the longest statements below) and shrink or restart it.",
            facts={**facts, "layer": "query"},
        )
    longest = int(seen["statements"][0][4] or 0) if seen["statements"] else 0
    if longest >= LONG_STATEMENT_S:
        return warned(
            f"{share}; one statement has run for {longest} s and may hold locks the backend "
            "waits on.",
            evidence,
            remediation="Look at that statement (longest 1) and KILL it if it is stuck.",
            facts=facts,
        )
    if pct >= BUSY_PERCENT:
        return warned(
            f"{share}: close to the limit, where new logins fail with 1040.",
            evidence,
            remediation="Shrink the backend's pool or raise the plan's connection limit.",
            facts=facts,
        )
    return passed(f"The database has room: {share}.", evidence, facts=facts)


# -- the verdict ---------------------------------------------------------------------


def _console_line(ctx: Context) -> str:
    step, _keys = INCIDENT_STEPS[SECTION]
    url = ctx.settings.links.get("tidb_console")
    if url:
        return f"{step[:-1]}: {url}"
    return f"{step[:-1]} (set links.tidb_console in the launchtui.toml profile to link it here)."


def verdict(ctx: Context, results: Mapping[str, Result]) -> RunbookVerdict:
    """The first broken layer, in probe order, and what to do about it."""
    broken = first_failure(results, ORDER)
    if broken is None:
        query = results.get("db.query")
        summary = "Every layer answers: DNS, TCP, verified TLS, login and SELECT 1"
        if query is not None and query.evidence.get("latency"):
            summary += f" ({query.evidence['latency'].split(' (')[0]})"
        room = results.get("db.saturation")
        if room is not None and room.status == "pass":
            summary += f", and {room.summary[0].lower()}{room.summary[1:-1]}"
        return RunbookVerdict(
            "none",
            summary + ".",
            (
                "The database is healthy from here; if the backend still fails, run "
                "`launchtui runbook api-500` and read the backend's logs.",
                _console_line(ctx),
            ),
        )
    layer = broken.facts.get("layer") or _STEP_LAYER[broken.id]
    nexts = [n for n in (broken.remediation,) if n]
    if broken.command:
        nexts.append(f"Run: {broken.command}")
    nexts.append(_console_line(ctx))
    return RunbookVerdict(layer, broken.summary, tuple(nexts))


RUNBOOK = Runbook(
    name="db-down",
    section=SECTION,
    title="Database connection failure",
    steps=steps,
    verdict=verdict,
    log_command=None,  # TiDB Cloud has no log CLI: the console is the next step
    doc=__doc__ or "",
)
