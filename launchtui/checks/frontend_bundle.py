"""Checklist 1.2: the deployed frontend's JavaScript calls the backend in VITE_API_URL."""

from __future__ import annotations

import asyncio
import re
import urllib.parse
from typing import Any

from launchtui.checks.web import live_site, tls_for
from launchtui.core.context import Context
from launchtui.core.model import Verdict, failed, passed, warned
from launchtui.core.registry import check
from launchtui.probes import http as probe
from launchtui.probes.bundle import fetch_bundle

# Hosts that show up in every Vue/Vite bundle and are never the app's API.
_NOISE = re.compile(
    r"(^|\.)(w3\.org|vuejs\.org|vuejs\.github\.io|github\.com|mozilla\.org|"
    r"cloudinary\.com|googleapis\.com|gstatic\.com|unpkg\.com|jsdelivr\.net|"
    r"invalid|example\.com|reactjs\.org|npmjs\.com|sentry\.io)$"
)
_API_HINT = re.compile(
    r"(railway\.app|onrender\.com|herokuapp\.com|fly\.dev|vercel\.app|"
    r"^localhost$|^127\.|api|backend|server)"
)
_URL = re.compile(r"https?://[A-Za-z0-9.-]+(?::\d+)?")
NO_API_URL = (
    "No API URL to look for: set VITE_API_URL in --frontend-env-file (profile key "
    "frontend_env_file), or pass --backend-url (profile key backend_url)."
)


def api_candidates(text: str, expected_origin: str) -> list[str]:
    """Origins in JS that look like an API base URL, other than the expected one."""
    out: list[str] = []
    for url in dict.fromkeys(_URL.findall(text)):
        host = urllib.parse.urlsplit(url).hostname or ""
        if url == expected_origin or _NOISE.search(host) or not _API_HINT.search(host):
            continue
        out.append(url)
    return out


@check(
    "frontend.bundle",
    section="1.2",
    title="The live build talks to the right backend",
    kind="live",
    after=("frontend.api_url",),
)
async def frontend_bundle(ctx: Context) -> Verdict:
    """The deployed frontend's JS contains the VITE_API_URL value."""
    expected = (ctx.frontend("VITE_API_URL") or ctx.settings.backend_url or "").rstrip("/")
    site = live_site(
        ctx, "frontend", missing=None if expected else (NO_API_URL, "frontend_env_file")
    )
    if isinstance(site, Verdict):
        return site
    try:
        async with asyncio.timeout(probe.CHECK_BUDGET):
            bundle = await fetch_bundle(site.url, ctx.settings.ca_file, await tls_for(ctx))
    except TimeoutError:
        return failed(f"The frontend did not answer within {probe.CHECK_BUDGET:g} s.")
    except Exception as exc:
        err = probe.describe_error(exc, site.url)
        return failed(f"The frontend is unreachable: {err}.", {"url": site.url})
    short = {u: urllib.parse.urlsplit(u).path.lstrip("/") for u in bundle.scripts}
    evidence: dict[str, Any] = {
        "index.html": bundle.index_status,
        "js files": ", ".join(list(short.values())[:8]) or "(none)",
        "bytes scanned": sum(len(t) for t in bundle.scripts.values()),
    }
    if bundle.cross_origin:
        evidence["not fetched (other origin)"] = len(bundle.cross_origin)
    if bundle.failed:
        evidence["unfetchable"] = "; ".join(f"{u}: {why}" for u, why in bundle.failed.items())
    if bundle.index_status != 200:
        return failed(
            f"The frontend answered {bundle.index_status} for index.html.",
            evidence,
            remediation="Check the Vercel deployment logs.",
        )
    if not bundle.scripts:
        return warned(
            f"index.html at {site.url} loads no same-origin script, so launchtui cannot tell "
            "which backend the build talks to.",
            evidence,
        )
    for url, text in bundle.scripts.items():
        if expected in text:
            return passed(
                f"The live build calls {expected} (found in {short[url]}).",
                evidence,
                facts={"found_in": url},
            )
    try:
        origin = probe.parse_site_url(expected).origin
    except ValueError:
        origin = expected
    texts = list(bundle.scripts.values())
    others = list(dict.fromkeys(c for t in texts for c in api_candidates(t, origin)))
    seen = https_origins(texts)
    evidence["https origins in the build"] = ", ".join(seen[:8]) or "(none)"
    redeploy = (
        f"Set VITE_API_URL to {expected} on Vercel for the Production environment, then "
        "redeploy without the build cache (Deployments > Redeploy, untick 'Use existing Build "
        "Cache', or `vercel --prod --force`) so the new value is inlined."
    )
    # Vite inlines VITE_API_URL at build time: a build without it was made with another value.
    if others:
        evidence["other API URLs"] = ", ".join(others[:5])
        return failed(
            f"The live build talks to {others[0]}, not {expected}: redeploy Vercel after "
            "changing VITE_API_URL (Vite inlines env at build time).",
            evidence,
            remediation=redeploy,
            command="vercel --prod --force",
        )
    return failed(
        f"The live build's {len(bundle.scripts)} JS files do not contain {expected}, so it "
        "was built with another VITE_API_URL (Vite inlines the value at build time).",
        evidence,
        remediation=redeploy,
        command="vercel --prod --force",
    )


def https_origins(texts: list[str]) -> list[str]:
    """Every https origin the JS names, library hosts left out, API-looking ones first."""
    found: list[str] = []
    for text in texts:
        for url in _URL.findall(text):
            host = urllib.parse.urlsplit(url).hostname or ""
            if url.startswith("https://") and not _NOISE.search(host) and url not in found:
                found.append(url)
    return sorted(
        found, key=lambda u: not _API_HINT.search(urllib.parse.urlsplit(u).hostname or "")
    )
