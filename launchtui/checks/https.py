"""Checklist 3.3: the frontend and backend are served over HTTPS (certificate, HSTS, redirect)."""

from __future__ import annotations

import asyncio
import re
import urllib.parse
from typing import Any

from launchtui.checks.web import (
    FLAG,
    Findings,
    get_page,
    no_site,
    site_url,
    tls_for,
)
from launchtui.core.context import Context
from launchtui.core.model import Status, Verdict, failed
from launchtui.core.registry import check
from launchtui.probes import http as probe
from launchtui.probes.tls import cert_evidence, fetch_certificate

HSTS_MIN_AGE = 15552000  # 180 days, Mozilla Observatory's bar
CERT_WARN_DAYS = 30
CERT_FAIL_DAYS = 7

CERT_FIX = {
    "expired": "Renew the certificate now: Vercel, Railway and Render renew theirs automatically "
    "only while the domain's DNS still points at them, so check the DNS records and the "
    "platform's domain settings.",
    "wrong host": "Add this exact host name as a custom domain on the platform so it issues a "
    "certificate for it, or use the URL the certificate was issued for.",
    "self-signed": "Serve a certificate from a public CA (the platforms issue one for every "
    "domain they host); if a private CA is intended, pass its bundle with --ca-file.",
}
CERT_FIX["untrusted"] = CERT_FIX["not yet valid"] = CERT_FIX["self-signed"]
RENEW_FIX = CERT_FIX["expired"]
HSTS_FIX = (
    "Send `Strict-Transport-Security: max-age=31536000; includeSubDomains` on every HTTPS "
    "response (Flask: an @app.after_request hook or flask-talisman; Vercel: vercel.json "
    '`"headers"`).'
)
REDIRECT_FIX = (
    "Redirect every plain http request to https on the same host with a 301 or 308 "
    "(the platforms do this for domains they serve; a custom proxy needs its force-HTTPS "
    "setting)."
)


@check("https.frontend", section="3.3", title="Frontend is served over HTTPS", kind="live")
async def https_frontend(ctx: Context) -> Verdict:
    """The frontend is https, redirects from http, has a valid certificate and HSTS."""
    if not ctx.frontend_url:
        return no_site("frontend")
    return await _https(ctx, "frontend", ctx.frontend_url)


@check("https.backend", section="3.3", title="Backend is served over HTTPS", kind="live")
async def https_backend(ctx: Context) -> Verdict:
    """The backend is https, redirects from http, has a valid certificate, HSTS and a health 200."""
    if not ctx.backend_url:
        return no_site("backend")
    return await _https(ctx, "backend", ctx.backend_url)


async def _https(ctx: Context, role: str, url: str) -> Verdict:
    site = site_url(ctx, url, role)
    if isinstance(site, Verdict):
        return site
    if site.scheme != "https":
        return failed(
            f"The {role} URL {site.url} is plain http: production must use HTTPS, or logins "
            "and tokens travel in clear text.",
            {"url": site.url},
            remediation=f"Use the https:// address in {FLAG[role]} and in VITE_API_URL.",
        )
    target = site.at(ctx.settings.health_path) if role == "backend" else site.url

    async def cert() -> Any:
        try:
            return await ctx.to_thread(
                fetch_certificate, site.host, site.port, ctx.settings.ca_file
            )
        except probe.ProbeError as exc:
            return exc

    try:
        async with asyncio.timeout(probe.CHECK_BUDGET):
            verify = await tls_for(ctx)
            info, resp, plain = await asyncio.gather(
                cert(), get_page(ctx, target), probe.probe_plain_http(site, verify)
            )
    except TimeoutError:
        return failed(f"The {role} did not answer within {probe.CHECK_BUDGET:g} s.", {"url": url})

    found = Findings()
    evidence: dict[str, Any] = {"url": target}
    facts: dict[str, Any] = {}
    days: float | None = None
    if isinstance(info, probe.ProbeError):
        found.add(Status.FAIL, f"The {role} is unreachable over HTTPS: {info}.")
    else:
        evidence.update(cert_evidence(info))
        days = info.days_left()
        facts.update(days_left=days, tls_version=info.tls_version, verified=info.verified)
        if not info.verified:
            found.add(
                Status.FAIL,
                f"Browsers reject the {role}'s HTTPS: {info.explain()}.",
                CERT_FIX.get(info.problem or "", CERT_FIX["self-signed"]),
            )
        elif days is not None and days < CERT_WARN_DAYS:
            when = info.not_after.date().isoformat() if info.not_after else "soon"
            bad = days < CERT_FAIL_DAYS
            found.add(
                Status.FAIL if bad else Status.WARN,
                f"The {role}'s certificate expires in {int(days)} days ({when})"
                + (
                    ": automatic renewal is failing."
                    if bad
                    else ": renewal should have run by now."
                ),
                RENEW_FIX,
            )
    if isinstance(resp, probe.ProbeError):
        if not found.items:
            found.add(Status.FAIL, f"The {role} did not answer over HTTPS: {resp}.")
    else:
        evidence["status"] = resp.status_code
        facts["status"] = resp.status_code
        _judge_status(found, role, ctx.settings.health_path, resp.status_code)
        _judge_hsts(found, role, resp.headers.get("strict-transport-security"), evidence, facts)
    evidence["plain http"] = plain.describe()
    if not isinstance(info, probe.ProbeError):  # an unreachable site needs no redirect advice
        _judge_plain(found, role, plain)
    left = f" ({int(days)} days left)" if days is not None else ""
    ok = f"The {role} serves HTTPS with a valid certificate{left}, HSTS and an http→https redirect."
    return found.verdict(ok, evidence, facts)


def _judge_status(found: Findings, role: str, health: str, status: int) -> None:
    if role == "backend" and status != 200:
        found.add(
            Status.FAIL,
            f"GET {health} on the backend answered {status}, not 200.",
            "Check the backend's logs; if the health endpoint lives elsewhere, pass "
            "--health-path (profile key health_path).",
        )
    elif role == "frontend" and status >= 400:
        found.add(
            Status.FAIL,
            f"The frontend answered {status}.",
            "Check the Vercel deployment logs.",
        )


def _judge_hsts(
    found: Findings, role: str, value: str | None, evidence: dict[str, Any], facts: dict[str, Any]
) -> None:
    evidence["hsts"] = value or "(missing)"
    if not value:
        found.add(
            Status.WARN,
            f"The {role} sends no Strict-Transport-Security header, so browsers may still "
            "try plain http first.",
            HSTS_FIX,
        )
        return
    m = re.search(r"max-age\s*=\s*\"?(\d+)", value, re.I)
    age = int(m.group(1)) if m else 0
    facts["hsts_max_age"] = age
    if age < HSTS_MIN_AGE:
        found.add(
            Status.WARN,
            f"The {role}'s HSTS max-age is {age} s, under the 6 months ({HSTS_MIN_AGE} s) "
            "browsers and scanners expect.",
            HSTS_FIX,
        )
    if "includesubdomains" not in value.lower():
        evidence["hsts"] = f"{value} (no includeSubDomains)"


def _judge_plain(found: Findings, role: str, plain: probe.PlainHttp) -> None:
    if plain.error:
        found.add(
            Status.WARN,
            f"Nothing answers plain http for the {role} ({plain.error}), so people who type "
            "the bare address get an error instead of a redirect.",
            REDIRECT_FIX,
        )
    elif plain.redirects_to_https_same_host:
        if not plain.permanent:
            found.add(
                Status.WARN,
                f"The {role}'s http→https redirect is temporary ({plain.status}), so browsers "
                "do not remember it.",
                REDIRECT_FIX,
            )
    elif plain.status is not None and plain.location and 300 <= plain.status < 400:
        target = urllib.parse.urljoin(plain.url, plain.location)
        to_https = target.startswith("https://")
        found.add(
            Status.WARN if to_https else Status.FAIL,
            f"Plain http for the {role} redirects to {target}, "
            + ("another host, instead of https on the same host." if to_https else "not https."),
            REDIRECT_FIX,
        )
    elif plain.status is not None and plain.status < 300:
        found.add(
            Status.FAIL,
            f"The {role} serves pages over plain http ({plain.status}) without redirecting to "
            "https, so a mistyped link sends tokens in clear text.",
            REDIRECT_FIX,
        )
    else:
        found.add(
            Status.WARN,
            f"The {role} answers plain http with {plain.status} instead of a redirect to https.",
            REDIRECT_FIX,
        )
