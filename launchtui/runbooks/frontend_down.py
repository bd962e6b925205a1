"""Runbook 4.1, frontend-down: the Vercel site probed layer by layer, then its build's API URL.

Steps: the URL itself (config), DNS, TCP, TLS and the certificate, the HTTP answer of `/`,
and the deployed bundle's API URL against VITE_API_URL. Each layer needs the one before
it (all of them, so a skip names the step that really broke first), so the first broken
layer is the only failure and the rest skip naming it. The bundle is fetched alongside the
layered probe rather than after it, and judged only once every layer has passed: a
healthy pass takes about the time of its slower half (two GETs of a CDN cost nothing).
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping

from launchtui.checks.frontend_bundle import frontend_bundle
from launchtui.checks.web import NO_FRONTEND
from launchtui.core.config import Settings
from launchtui.core.context import Context
from launchtui.core.model import Result, Status, Verdict, failed, passed
from launchtui.core.registry import Registry
from launchtui.core.runbooks import Layer, Runbook, RunbookVerdict, first_failure
from launchtui.probes.http import parse_site_url
from launchtui.runbooks.web_layers import (
    STEP_TIMEOUT_S,
    add_layer_steps,
    checklist_next,
    https_site,
    layer_verdict,
    start_watch,
    watch_of,
)

SECTION = "4.1"
steps = Registry()

# The bundle fetch (index.html and up to 20 scripts under its own 15 s bound) starts with
# the probe; its step waits at most this long for it once the layers have passed.
BUNDLE_TIMEOUT_S = 12.0

FIXES = {
    "dns": "Check the domain in Vercel (Project > Settings > Domains) and its DNS records at "
    "the registrar: the A or CNAME record must point at Vercel (cname.vercel-dns.com).",
    "tcp": "Nothing accepts connections at the frontend's address: check that the domain's "
    "DNS points at Vercel, not at an old server or a stale A record.",
    "tls": "Check the domain's certificate in Vercel (Project > Settings > Domains): Vercel "
    "issues one only while the DNS points at it; a proxy in front needs its own valid one.",
    "expiring": "Vercel renews its certificates itself: if this one is not renewing, check "
    "that the domain's DNS still points at Vercel.",
    "http": "Open the latest deployment in Vercel and read its build and runtime logs; if the "
    "new deployment is broken, promote the last good one (Instant Rollback).",
}
ORDER = (
    "frontend.config",
    "frontend.dns",
    "frontend.tcp",
    "frontend.tls",
    "frontend.http",
    "frontend.bundle",
)
LAYER_OF: dict[str, Layer] = {
    "frontend.config": "config",
    "frontend.dns": "dns",
    "frontend.tcp": "tcp",
    "frontend.tls": "tls",
    "frontend.http": "http",
}


@steps.check(
    "frontend.config",
    section=SECTION,
    title="The frontend URL is set and https",
    kind="live",
    timeout=STEP_TIMEOUT_S,
)
async def frontend_config(ctx: Context) -> Verdict:
    """--frontend-url is given and is an https URL; starts the layered probe of `/`."""
    site = await https_site(
        ctx,
        ctx.frontend_url,
        "frontend",
        no_url=NO_FRONTEND,
        plain_http=(
            "; Vercel serves sites over https, so probe (and link) the https:// URL.",
            "Pass --frontend-url https://... (profile key frontend_url).",
        ),
    )
    if isinstance(site, Verdict):
        return site
    # The probe runs from here on; the layer steps each wait for their own layer of it.
    # The bundle is fetched meanwhile: its step reads it only if every layer passes.
    watch = start_watch(ctx, site, "/")
    bundle = asyncio.ensure_future(frontend_bundle(ctx))
    return passed(
        f"The frontend URL is {site.origin}.",
        {"url": site.url},
        facts={"watch": watch, "site": site, "bundle": bundle},
    )


# DNS, TCP and TLS: each a layer of the probe the config step began.
add_layer_steps(steps, "frontend", "frontend", SECTION, FIXES)


@steps.check(
    "frontend.http",
    section=SECTION,
    title="The frontend answers /",
    kind="live",
    needs=("frontend.config", "frontend.dns", "frontend.tcp", "frontend.tls"),
    timeout=STEP_TIMEOUT_S,
)
async def frontend_http(ctx: Context) -> Verdict:
    """GET / answers below 400; its status and time."""
    verdict = await layer_verdict(ctx, "frontend.config", "http", "frontend", FIXES)
    watch = watch_of(ctx, "frontend.config")
    status = verdict.facts.get("status")
    if not isinstance(status, int) or watch is None:
        return verdict  # no HTTP answer at all: the probe's own words say why
    ms = verdict.evidence.get("layer time", "?")
    if verdict.status is Status.PASS:
        return passed(f"GET {watch.url} answers {status} in {ms}.", verdict.evidence)
    if status >= 500:
        why = (
            f"GET {watch.url} answers {status}: the deployment itself fails (a broken build, "
            "a crashing function, or a Vercel incident)."
        )
    elif status == 404:
        why = (
            f"GET {watch.url} answers 404: the deployment serves no index page (an empty "
            "build, the wrong output directory, or no production deployment)."
        )
    else:
        why = (
            f"GET {watch.url} answers {status}: visitors are turned away (Vercel "
            "authentication or password protection on production?)."
        )
    return failed(why, verdict.evidence, remediation=FIXES["http"], facts=verdict.facts)


@steps.check(
    "frontend.bundle",
    section=SECTION,
    title="The live build calls the right API",
    kind="live",
    needs=ORDER[:5],
    timeout=BUNDLE_TIMEOUT_S,
)
async def frontend_bundle_step(ctx: Context) -> Verdict:
    """The deployed JS contains VITE_API_URL (the check frontend.bundle, as a runbook step)."""
    started = ctx.fact("frontend.config", "bundle")
    if isinstance(started, asyncio.Future):
        return await started  # begun with the probe (a timeout here cancels it)
    return await frontend_bundle(ctx)


def _log_command(settings: Settings) -> tuple[str, ...] | None:
    """`vercel logs URL`, the URL without any user:password (argv shows in `ps`)."""
    if not settings.frontend_url:
        return None
    try:
        return ("vercel", "logs", parse_site_url(settings.frontend_url).url)
    except ValueError:
        return None


def _layer(r: Result) -> Layer:
    if r.id == "frontend.bundle":
        # Only a build with another API URL carries the redeploy command; the bundle not
        # loading at all is an HTTP problem.
        return "config" if r.command else "http"
    return LAYER_OF[r.id]


def verdict(ctx: Context, results: Mapping[str, Result]) -> RunbookVerdict:
    """The first broken layer in probe order, why, and what to do next."""
    started = ctx.fact("frontend.config", "bundle")
    if isinstance(started, asyncio.Future) and not started.done():
        started.cancel()  # a layer broke, so the bundle step never read it
    cmd = _log_command(ctx.settings)
    logs = checklist_next(
        ctx, SECTION, ("vercel",), " ".join(cmd) if cmd else "vercel logs <deployment URL>"
    )
    r = first_failure(results, ORDER)
    if r is None:
        bundle = results.get("frontend.bundle")
        extra = ""
        if bundle is not None and bundle.status is not Status.PASS:
            extra = f" (the bundle step: {bundle.status}: {bundle.summary})"
        return RunbookVerdict(
            "none",
            "The frontend answers at every layer: DNS, TCP, verified TLS and HTTP" + extra + ".",
            ("If visitors still see errors, " + logs[0][0].lower() + logs[0][1:], *logs[1:]),
        )
    layer = _layer(r)
    summary = r.summary
    if r.status is Status.ERROR:
        summary = f"The {r.id} step did not finish: {r.summary}"
    first = [r.remediation] if r.remediation else []
    return RunbookVerdict(layer, summary, (*first, *logs))


RUNBOOK = Runbook(
    name="frontend-down",
    section=SECTION,
    title="Frontend unreachable",
    steps=steps,
    verdict=verdict,
    log_command=_log_command,
    doc=__doc__ or "",
)
