"""Runbook 4.2, api-500: the Flask backend on Railway/Render, layer by layer, and its database.

Steps: the backend URL (VITE_API_URL, what the deployed frontend calls; else
--backend-url), DNS, TCP, TLS, the health endpoint's status and body, a CORS preflight
from the frontend's origin, the database (one layered probe: an API 500 is often the
database), and Werkzeug debugger exposure. The database runs alongside the web layers;
health, CORS and the debugger wait for TLS.
"""

from __future__ import annotations

import asyncio
import dataclasses
import html
import re
import time
from collections.abc import Mapping
from typing import Any

from launchtui.checks.cors_preflight import CORS_FIX, _judge_allowed, allowed_origins
from launchtui.checks.database import backend_database
from launchtui.checks.security import DEBUG_FIX, security_debugger
from launchtui.checks.web import NO_BACKEND, Findings, tls_for
from launchtui.core.config import Settings
from launchtui.core.context import Context
from launchtui.core.model import Result, Status, Verdict, failed, passed, skipped, warned
from launchtui.core.registry import Registry
from launchtui.core.runbooks import Layer, Runbook, RunbookVerdict, first_failure
from launchtui.probes import http as probe
from launchtui.probes.http import SiteURL
from launchtui.runbooks.web_layers import (
    STEP_TIMEOUT_S,
    add_layer_steps,
    checklist_next,
    https_site,
    start_watch,
)

SECTION = "4.2"
steps = Registry()

# Each request of the health, CORS and debugger steps ends within this (then the step says
# which layer gave no answer), under the steps' own 10 s timeout.
REQUEST_BUDGET_S = 8.0
# The database probe's own budget is 10 s; this leaves room for the thread hand-off.
DATABASE_TIMEOUT_S = 12.0
BODY_CAP = 64 * 1024
BODY_SHOWN = 160

WEB = ("api.config", "api.dns", "api.tcp", "api.tls")
LAYER_OF: dict[str, Layer] = {
    "api.config": "config",
    "api.dns": "dns",
    "api.tcp": "tcp",
    "api.tls": "tls",
}
FIXES = {
    "dns": "Check the backend's domain: on Railway (Settings > Networking) or Render "
    "(Settings > Custom Domains) the CNAME it shows must match the DNS record; a deleted "
    "service loses its *.up.railway.app or *.onrender.com name.",
    "tcp": "Nothing accepts connections at the backend's address: check that the service is "
    "deployed and running on Railway/Render, and that the app listens on $PORT.",
    "tls": "Check the backend's certificate on Railway/Render (custom domains get one only "
    "while their DNS points at the platform); the handshake hanging means the app or its "
    "proxy is stuck: restart the service.",
    "expiring": "Railway and Render renew certificates themselves: if this one is not "
    "renewing, check that the custom domain's DNS still points at the platform.",
}
HEALTH_FIX = (
    "Read the backend's logs for the traceback of this request; if the last deploy broke "
    "it, roll back to the previous deployment on Railway/Render."
)
PROXY_FIX = (
    "The platform's proxy got no good answer from the app: check that the service is up, "
    "that gunicorn binds 0.0.0.0:$PORT, and that it is not crash-looping (see the logs)."
)


def backend_url(ctx: Context) -> str | None:
    """VITE_API_URL (what the deployed frontend's users call), else --backend-url."""
    return ctx.frontend("VITE_API_URL") or ctx.settings.backend_url


def _site(ctx: Context) -> SiteURL | None:
    site = ctx.fact("api.config", "site")
    return site if isinstance(site, SiteURL) else None


@steps.check(
    "api.config",
    section=SECTION,
    title="The backend URL is set and https",
    kind="live",
    timeout=STEP_TIMEOUT_S,
)
async def api_config(ctx: Context) -> Verdict:
    """VITE_API_URL (else --backend-url) is an https URL; starts the layered probe of health."""
    url = backend_url(ctx)
    site = await https_site(
        ctx,
        url,
        "backend",
        no_url=NO_BACKEND,
        plain_http=(
            ": browsers block it from the https frontend (mixed content), so every API call fails.",
            "Set VITE_API_URL to the backend's https:// URL on Vercel and redeploy.",
        ),
    )
    if isinstance(site, Verdict):
        return site
    assert url is not None  # https_site refused an unset one
    evidence = {"url": site.url, "health": site.at(ctx.settings.health_path)}
    other = ctx.settings.backend_url
    facts = {"watch": start_watch(ctx, site, ctx.settings.health_path), "site": site}
    if other and other.rstrip("/") != url.rstrip("/") and ctx.frontend("VITE_API_URL"):
        evidence["--backend-url"] = other
        return warned(
            f"Probing {site.origin} from VITE_API_URL, what the deployed frontend calls; "
            f"--backend-url names another backend ({other}).",
            evidence,
            facts=facts,
        )
    return passed(f"The backend URL is {site.origin}.", evidence, facts=facts)


def _snippet(body: bytes) -> str:
    """A bit of the body on one line: tags and runs of whitespace dropped, cut short."""
    text = body.decode("utf-8", "replace")
    text = html.unescape(re.sub(r"<[^>]*>", " ", text))
    text = " ".join(text.split())
    return text if len(text) <= BODY_SHOWN else text[: BODY_SHOWN - 1] + "…"


# DNS, TCP and TLS: each a layer of the probe the config step began.
add_layer_steps(steps, "api", "backend", SECTION, FIXES)


@steps.check(
    "api.health",
    section=SECTION,
    title="The health endpoint answers",
    kind="live",
    needs=WEB,
    timeout=STEP_TIMEOUT_S,
)
async def api_health(ctx: Context) -> Verdict:
    """GET --health-path: its status, time, and a bit of its body."""
    site = _site(ctx)
    if site is None:
        return skipped("Skipped: api.config found no backend URL.")
    url = site.at(ctx.settings.health_path)
    t0 = time.perf_counter()
    try:
        async with (
            asyncio.timeout(REQUEST_BUDGET_S),
            probe.client(ctx.settings.ca_file, verify=await tls_for(ctx)) as http,
        ):
            resp, body, _cut = await probe.read_capped(http, "GET", url, cap=BODY_CAP)
    except TimeoutError:
        return failed(
            f"GET {url} got no answer within {REQUEST_BUDGET_S:g} s: the app accepts "
            "connections but hangs (a stuck worker, or a query that never returns).",
            {"url": url},
            remediation=HEALTH_FIX,
        )
    except Exception as exc:
        err = probe.describe_error(exc, url)
        return failed(f"GET {url} failed: {err}.", {"url": url}, remediation=HEALTH_FIX)
    ms = int((time.perf_counter() - t0) * 1000)
    status = resp.status_code
    shown = _snippet(body)
    evidence = {"url": url, "status": status, "time": f"{ms} ms", "body": shown or "(empty)"}
    if resp.headers.get("server"):
        evidence["server"] = resp.headers["server"]
    facts = {"status": status}
    if status < 400:
        return passed(f"GET {url} answers {status} in {ms} ms.", evidence, facts=facts)
    if status in (502, 503, 504):
        why = (
            f"GET {url} answers {status}: the platform is up but the app behind it is not "
            "answering (crashed, restarting, or not listening on $PORT)."
        )
        return failed(why, evidence, remediation=PROXY_FIX, facts=facts)
    if status >= 500:
        why = f"GET {url} answers {status}: the app itself fails on this request."
        return failed(why, evidence, remediation=HEALTH_FIX, facts=facts)
    if status == 404:
        why = f"GET {url} answers 404: the app runs but has no route at {ctx.settings.health_path}."
        fix = "Pass --health-path with the backend's real health route (profile key health_path)."
        return failed(why, evidence, remediation=fix, facts=facts)
    why = f"GET {url} answers {status}, so the health endpoint turns the request away."
    return failed(why, evidence, remediation=HEALTH_FIX, facts=facts)


def frontend_origin(ctx: Context) -> str | None:
    """The origin the frontend's pages call from: --frontend-url, else CORS_ORIGINS' first."""
    if ctx.frontend_url:
        try:
            return probe.parse_site_url(ctx.frontend_url).origin
        except ValueError:
            pass
    origins, _notes = allowed_origins(ctx.get("CORS_ORIGINS") or "")
    return origins[0] if origins else None


@steps.check(
    "api.cors",
    section=SECTION,
    title="A preflight from the frontend is allowed",
    kind="live",
    needs=WEB,
    timeout=STEP_TIMEOUT_S,
)
async def api_cors(ctx: Context) -> Verdict:
    """A real preflight from the frontend's origin gets its Access-Control-Allow-Origin."""
    site = _site(ctx)
    origin = frontend_origin(ctx)
    if site is None:
        return skipped("Skipped: api.config found no backend URL.")
    if origin is None:
        return skipped(
            "No frontend origin to send the preflight from: pass --frontend-url (profile "
            "key frontend_url), or set CORS_ORIGINS in --env-file."
        )
    target = site.at(ctx.settings.health_path)
    headers = {
        "Origin": origin,
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type, authorization",
    }
    evidence: dict[str, Any] = {"preflight to": target, "origin": origin}
    try:
        async with (
            asyncio.timeout(REQUEST_BUDGET_S),
            probe.client(ctx.settings.ca_file, verify=await tls_for(ctx)) as http,
        ):
            resp = await http.options(target, headers=headers)
    except Exception as exc:
        err = (
            f"no answer within {REQUEST_BUDGET_S:g} s"
            if isinstance(exc, TimeoutError)
            else str(probe.describe_error(exc, target))
        )
        # No answer at all is the app, not its CORS policy.
        return failed(
            f"The preflight from {origin} got no answer: {err}.", evidence, facts={"layer": "http"}
        )
    acao = resp.headers.get("access-control-allow-origin")
    creds = resp.headers.get("access-control-allow-credentials", "").lower() == "true"
    evidence["answer"] = f"{resp.status_code}, Access-Control-Allow-Origin: {acao or '(none)'}"
    found = Findings()
    _judge_allowed(found, origin, resp, acao, creds)
    return found.verdict(
        f"The backend's preflight allows {origin} (Access-Control-Allow-Origin: {acao}).",
        evidence,
        {"layer": "cors"},
    )


@steps.check(
    "api.database",
    section=SECTION,
    title="The database answers",
    kind="live",
    timeout=DATABASE_TIMEOUT_S,
)
async def api_database(ctx: Context) -> Verdict:
    """DATABASE_URL probed layer by layer (DNS, TCP, TLS, login, SELECT 1), as the backend."""
    from launchtui.probes.database import PROBE_BUDGET_S, probe_database

    parsed = await ctx.to_thread(backend_database, ctx)  # parsing imports SQLAlchemy
    if isinstance(parsed, Verdict):
        return parsed
    url, intent = parsed
    db = await ctx.to_thread(probe_database, url, intent, PROBE_BUDGET_S)
    evidence = {"url": url.masked, "target": db.target, "timings": db.timings() or "-"}
    if not db.ok:
        return failed(
            db.summary,  # names the layer itself: "Authentication failed: ..."
            evidence,
            remediation=db.remediation,
            command=db.command,
            facts={"layer": db.layer},
        )
    latency = db.latency_ms or 0.0
    return passed(
        f"The database answers over verified TLS (SELECT 1 in {latency:.1f} ms).",
        {**evidence, "server": db.server_version or "?"},
        facts={"layer": "none"},
    )


def _backend_view(ctx: Context, url: str) -> Context:
    """The run's context with the backend set to `url`, for checks that read ctx.backend_url.

    Everything else is the run's own (results, secrets, thread pool, shared TLS context).
    """
    if ctx.backend_url == url:
        return ctx
    return dataclasses.replace(ctx, settings=dataclasses.replace(ctx.settings, backend_url=url))


@steps.check(
    "api.debugger",
    section=SECTION,
    title="No debugger exposed",
    kind="live",
    needs=WEB,
    timeout=STEP_TIMEOUT_S,
)
async def api_debugger(ctx: Context) -> Verdict:
    """No Werkzeug debugger, console or traceback page answers (the check security.debugger)."""
    site = _site(ctx)
    if site is None:
        return skipped("Skipped: api.config found no backend URL.")
    await tls_for(ctx)  # builds the run's thread pool before the view shares it
    verdict = await security_debugger(_backend_view(ctx, site.url))
    exposed = verdict.status is Status.FAIL and verdict.remediation.startswith(DEBUG_FIX)
    if verdict.status is Status.FAIL and not exposed:
        # Probes that got no answer say nothing about a debugger: not the finding here.
        return warned(
            f"Whether a debugger is exposed is unknown: {verdict.summary}", verdict.evidence
        )
    return verdict


def _log_command(settings: Settings) -> tuple[str, ...]:
    """`railway logs` or `render logs`, by which console the profile links; Railway first."""
    if settings.links.get("railway"):
        return ("railway", "logs")
    if settings.links.get("render"):
        return ("render", "logs")
    return ("railway", "logs")


def _db_layer(db: Result | None) -> Layer | None:
    if db is None or db.status not in (Status.FAIL, Status.ERROR):
        return None
    layer = db.facts.get("layer")
    return layer if layer in ("dns", "tcp", "tls", "auth", "query") else "query"


def _judge(results: Mapping[str, Result]) -> tuple[Layer, str, list[str]] | None:
    """The broken layer, why, and its fix; None when everything probed is healthy."""
    r = first_failure(results, WEB)
    if r is not None:
        summary = r.summary
        if r.status is Status.ERROR:
            summary = f"The {r.id} step did not finish: {r.summary}"
        return LAYER_OF[r.id], summary, [r.remediation] if r.remediation else []
    health, db = results.get("api.health"), results.get("api.database")
    db_layer = _db_layer(db)
    db_next = [db.remediation] if db is not None and db.remediation else []
    db_next.append("Run `launchtui runbook db-down` for the database layer by layer.")
    unhealthy = health is not None and health.status in (Status.FAIL, Status.ERROR)
    if unhealthy and db_layer is not None:
        assert health is not None and db is not None
        status = health.facts.get("status")
        what = f"answers {status}" if status else "fails"
        return (
            db_layer,
            f"The health endpoint {what}, most likely because the database is failing: "
            f"{db.summary}",
            db_next,
        )
    if unhealthy:
        assert health is not None
        return "http", health.summary, [health.remediation] if health.remediation else []
    if db_layer is not None:
        assert db is not None
        return (
            db_layer,
            "The health endpoint answers, but every route that queries the database will "
            f"answer 500: {db.summary}",
            db_next,
        )
    cors = results.get("api.cors")
    if cors is not None and cors.status in (Status.FAIL, Status.ERROR):
        layer: Layer = "http" if cors.facts.get("layer") == "http" else "cors"
        return layer, cors.summary, [CORS_FIX] if layer == "cors" else []
    debugger = results.get("api.debugger")
    if debugger is not None and debugger.status in (Status.FAIL, Status.ERROR):
        return "http", debugger.summary, [DEBUG_FIX]
    return None


def verdict(ctx: Context, results: Mapping[str, Result]) -> RunbookVerdict:
    """The most likely broken layer (the database when it explains the 500), why, and next."""
    logs = checklist_next(ctx, SECTION, ("railway", "render"), " ".join(_log_command(ctx.settings)))
    found = _judge(results)
    if found is None:
        return RunbookVerdict(
            "none",
            "The backend answers at every layer probed: DNS, TCP, verified TLS, the health "
            "endpoint, CORS, the database, and no debugger.",
            ("If users still see 500s, " + logs[0][0].lower() + logs[0][1:], *logs[1:]),
        )
    layer, summary, first = found
    return RunbookVerdict(layer, summary, (*first, *logs))


RUNBOOK = Runbook(
    name="api-500",
    section=SECTION,
    title="API 500 error",
    steps=steps,
    verdict=verdict,
    log_command=_log_command,
    doc=__doc__ or "",
)
