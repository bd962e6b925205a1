"""Checklist 3.3: security headers are sent, and no Werkzeug debugger is exposed."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Mapping
from typing import Any

from launchtui.checks.web import get_page, live_site, site_url, tls_for
from launchtui.core.context import Context
from launchtui.core.model import Verdict, failed, needs_input, passed, warned
from launchtui.core.registry import check
from launchtui.probes import http as probe

FLASK_HEADERS_FIX = (
    "Backend (Flask): add an @app.after_request hook that sets "
    "`X-Content-Type-Options: nosniff`, `X-Frame-Options: DENY` and "
    "`Referrer-Policy: strict-origin-when-cross-origin` (or use flask-talisman; behind "
    "Railway/Render's proxy give it force_https=False or ProxyFix)."
)
VERCEL_HEADERS_FIX = (
    'Frontend (Vercel): add to vercel.json `{"headers": [{"source": "/(.*)", "headers": '
    '[{"key": "X-Content-Type-Options", "value": "nosniff"}, {"key": "X-Frame-Options", '
    '"value": "DENY"}, {"key": "Referrer-Policy", "value": '
    '"strict-origin-when-cross-origin"}]}]}` and redeploy.'
)
DEBUG_FIX = (
    "Set FLASK_DEBUG=0 (or remove it) in the Railway/Render variables, never call "
    "app.run(debug=True) in production, serve with gunicorn (Procfile: "
    "`web: gunicorn app:app`), and redeploy."
)


# -- security.headers ------------------------------------------------------------------


def missing_headers(headers: Mapping[str, str]) -> list[str]:
    """The protective headers a response lacks (header lookups are case-insensitive)."""
    out: list[str] = []
    if headers.get("x-content-type-options", "").strip().lower() != "nosniff":
        out.append("X-Content-Type-Options: nosniff")
    frame = headers.get("x-frame-options", "").strip().upper()
    if (
        frame not in ("DENY", "SAMEORIGIN")
        and "frame-ancestors" not in headers.get("content-security-policy", "").lower()
    ):
        out.append("X-Frame-Options (or CSP frame-ancestors)")
    # A comma list is a fallback chain: browsers use the last policy they know.
    policy = headers.get("referrer-policy", "").split(",")[-1].strip().lower()
    if policy in ("", "unsafe-url", "no-referrer-when-downgrade"):
        out.append("Referrer-Policy")
    return out


@check("security.headers", section="3.3", title="Security headers are sent", kind="live")
async def security_headers(ctx: Context) -> Verdict:
    """nosniff, frame protection and Referrer-Policy on the frontend and backend (warn only)."""
    sites: dict[str, str] = {}
    if ctx.frontend_url:
        sites["frontend"] = ctx.frontend_url
    if ctx.backend_url:
        site = site_url(ctx, ctx.backend_url, "backend")
        sites["backend"] = (
            site.at(ctx.settings.health_path) if isinstance(site, probe.SiteURL) else ""
        )
    if not sites:
        return needs_input(
            "No site to probe: pass --frontend-url and/or --backend-url (profile keys "
            "frontend_url, backend_url; the backend defaults to VITE_API_URL).",
            "frontend_url",
            "backend_url",
        )
    try:
        async with asyncio.timeout(probe.CHECK_BUDGET):
            answers = await asyncio.gather(*(get_page(ctx, url) for url in sites.values()))
    except TimeoutError:
        return warned(f"The sites did not answer within {probe.CHECK_BUDGET:g} s.", sites)
    evidence: dict[str, str] = {}
    problems: list[str] = []
    fixes: list[str] = []
    for (role, url), resp in zip(sites.items(), answers, strict=True):
        if not url or isinstance(resp, probe.ProbeError):
            evidence[role] = f"not checked: {resp if url else 'the URL does not parse'}"
            problems.append(f"the {role} could not be fetched (see https.{role})")
            continue
        missing = missing_headers(resp.headers)
        evidence[role] = ("missing " + ", ".join(missing)) if missing else "all present"
        if missing:
            problems.append(f"the {role} lacks {', '.join(missing)}")
            fixes.append(FLASK_HEADERS_FIX if role == "backend" else VERCEL_HEADERS_FIX)
    if not problems:
        return passed(
            "The " + " and ".join(sites) + " send nosniff, frame protection and a Referrer-Policy.",
            evidence,
        )
    return warned(
        f"Protective headers are missing: {'; '.join(problems)}.",
        evidence,
        remediation=" ".join(fixes),
    )


# -- security.debugger -----------------------------------------------------------------

DEBUGGER_MARKERS = ("Werkzeug Debugger", "The debugger caught an exception", "__debugger__")
TRACEBACK_MARKER = "Traceback (most recent call last)"
DEBUGGER_JS_MARKER = "EVALEX"  # a variable of Werkzeug's debugger.js since 0.11


@check("security.debugger", section="3.3", title="No debugger exposed", kind="live")
async def security_debugger(ctx: Context) -> Verdict:
    """No Werkzeug debugger, console or traceback page is reachable on the backend."""
    site = live_site(ctx, "backend")
    if isinstance(site, Verdict):
        return site
    health = site.at(ctx.settings.health_path)
    probes = {
        "404 page": ("GET", site.at(f"/launchtui-probe-{secrets.token_hex(4)}"), {}),
        "debugger.js": ("GET", f"{health}?__debugger__=yes&cmd=resource&f=debugger.js", {}),
        "/console": ("GET", site.at("/console"), {}),
        "bad JSON": (
            "POST",
            health,
            {"content": b"{", "headers": {"Content-Type": "application/json"}},
        ),
    }

    async def ask(method: str, url: str, kw: dict[str, Any]) -> Any:
        async with probe.client(ctx.settings.ca_file, verify=await tls_for(ctx)) as http:
            try:
                return await probe.read_capped(http, method, url, cap=256 * 1024, **kw)
            except Exception as exc:
                return probe.describe_error(exc, url)

    try:
        async with asyncio.timeout(probe.CHECK_BUDGET):
            answers = await asyncio.gather(*(ask(*p) for p in probes.values()))
    except TimeoutError:
        return failed(f"The backend did not answer within {probe.CHECK_BUDGET:g} s.")
    evidence: dict[str, Any] = {}
    debugger, traceback_at, servers = [], [], set()
    answered = 0
    for name, answer in zip(probes, answers, strict=True):
        if isinstance(answer, probe.ProbeError):
            evidence[name] = f"no answer: {answer}"
            continue
        answered += 1
        resp, body, _cut = answer
        text = body.decode("utf-8", "replace")
        evidence[name] = str(resp.status_code)
        if resp.headers.get("server"):
            servers.add(resp.headers["server"])
        if name == "debugger.js":
            hit = resp.status_code == 200 and DEBUGGER_JS_MARKER in text
        else:
            hit = any(m in text for m in DEBUGGER_MARKERS)
        if hit:
            debugger.append(name)
        elif TRACEBACK_MARKER in text:
            traceback_at.append(name)
    if servers:
        evidence["server"] = ", ".join(sorted(servers))
    if debugger:
        return failed(
            f"The backend exposes the Werkzeug debugger ({', '.join(debugger)}): anyone who "
            "reaches it can run Python on the server; turn FLASK_DEBUG off.",
            evidence,
            remediation=DEBUG_FIX,
        )
    if traceback_at:
        return failed(
            f"The backend shows Python tracebacks to visitors ({', '.join(traceback_at)}), "
            "leaking code and settings; turn FLASK_DEBUG off and return plain error pages.",
            evidence,
            remediation=DEBUG_FIX + " Error handlers must not return traceback.format_exc().",
        )
    if not answered:
        return failed("The backend did not answer any probe (see https.backend).", evidence)
    werkzeug = sorted(s for s in servers if "werkzeug" in s.lower())
    if werkzeug:
        return warned(
            f"The backend runs on the Werkzeug development server ({werkzeug[0]}), which is "
            "not built for production traffic; serve it with gunicorn.",
            evidence,
            remediation="Start the app with gunicorn (Procfile: `web: gunicorn app:app`) and "
            "keep FLASK_DEBUG off.",
        )
    return passed(
        "No Werkzeug debugger, console or traceback page answers on the backend.", evidence
    )
