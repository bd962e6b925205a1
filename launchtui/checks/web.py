"""Live web checks (3.3, 1.2): HTTPS and certificates, headers, the debugger, CORS, the live bundle."""

from __future__ import annotations

import asyncio
import re
import secrets
import urllib.parse
from collections.abc import Mapping
from typing import Any

from launchtui.core.context import Context
from launchtui.core.model import Status, Verdict, failed, passed, skipped, warned
from launchtui.core.registry import check
from launchtui.core.secrets import url_secrets
from launchtui.probes import http as probe

HSTS_MIN_AGE = 15552000  # 180 days, Mozilla Observatory's bar
CERT_WARN_DAYS = 30
CERT_FAIL_DAYS = 7
FOREIGN_ORIGIN = "https://launchtui-probe.invalid"

NO_FRONTEND = (
    "No frontend URL to probe: pass --frontend-url https://your-app.vercel.app "
    "(profile key frontend_url)."
)
NO_BACKEND = (
    "No backend URL to probe: pass --backend-url https://your-api.up.railway.app "
    "(profile key backend_url), or set VITE_API_URL in --frontend-env-file."
)
FLAG = {
    "frontend": "--frontend-url (profile key frontend_url)",
    "backend": "--backend-url (profile key backend_url) or VITE_API_URL",
}

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


class Findings:
    """Problems found by one check; the worst decides the status, the first of those the summary."""

    def __init__(self) -> None:
        self.items: list[tuple[Status, str, str]] = []

    def add(self, status: Status, sentence: str, fix: str = "") -> None:
        self.items.append((status, sentence, fix))

    def verdict(self, ok: str, evidence: Mapping[str, Any], facts: Mapping[str, Any]) -> Verdict:
        if not self.items:
            return passed(ok, evidence, facts=facts)
        worst = max(self.items, key=lambda item: item[0].rank)
        others = [item[1] for item in self.items if item is not worst]
        evidence = {**evidence, **({"also": " ".join(others)} if others else {})}
        fixes = " ".join(dict.fromkeys(fix for _s, _t, fix in self.items if fix))
        make = failed if worst[0] is Status.FAIL else warned
        return make(worst[1], evidence, remediation=fixes, facts=facts)


def _site(ctx: Context, url: str, role: str) -> probe.SiteURL | Verdict:
    ctx.redactor.add(*url_secrets(url))  # a password in a URL never reaches the output
    try:
        return probe.parse_site_url(url)
    except ValueError as exc:
        return failed(
            f"The {role} URL {url!r} is not usable: {exc}.",
            {"url": url},
            remediation=f"Fix {FLAG[role]}: it must look like https://host.example.com.",
        )


async def _get(ctx: Context, url: str, **kw: Any) -> Any:
    """A GET (following redirects) or the ProbeError that explains why it failed."""
    async with probe.client(ctx.settings.ca_file, follow_redirects=True) as http:
        try:
            resp, _body, _cut = await probe.read_capped(http, "GET", url, cap=1 << 20, **kw)
        except Exception as exc:
            return probe.describe_error(exc, url)
    return resp


# -- https.frontend / https.backend --------------------------------------------------


@check("https.frontend", section="3.3", title="Frontend is served over HTTPS", kind="live")
async def https_frontend(ctx: Context) -> Verdict:
    """The frontend is https, redirects from http, has a valid certificate and HSTS."""
    if not ctx.frontend_url:
        return skipped(NO_FRONTEND)
    return await _https(ctx, "frontend", ctx.frontend_url)


@check("https.backend", section="3.3", title="Backend is served over HTTPS", kind="live")
async def https_backend(ctx: Context) -> Verdict:
    """The backend is https, redirects from http, has a valid certificate, HSTS and a health 200."""
    if not ctx.backend_url:
        return skipped(NO_BACKEND)
    return await _https(ctx, "backend", ctx.backend_url)


async def _https(ctx: Context, role: str, url: str) -> Verdict:
    site = _site(ctx, url, role)
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
                probe.fetch_certificate, site.host, site.port, ctx.settings.ca_file
            )
        except probe.ProbeError as exc:
            return exc

    try:
        async with asyncio.timeout(probe.CHECK_BUDGET):
            info, resp, plain = await asyncio.gather(
                cert(), _get(ctx, target), probe.probe_plain_http(site)
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
        evidence.update(probe.cert_evidence(info))
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
        site = _site(ctx, ctx.backend_url, "backend")
        sites["backend"] = (
            site.at(ctx.settings.health_path) if isinstance(site, probe.SiteURL) else ""
        )
    if not sites:
        return skipped(
            "No site to probe: pass --frontend-url and/or --backend-url (profile keys "
            "frontend_url, backend_url; the backend defaults to VITE_API_URL)."
        )
    try:
        async with asyncio.timeout(probe.CHECK_BUDGET):
            answers = await asyncio.gather(*(_get(ctx, url) for url in sites.values()))
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
    if not ctx.backend_url:
        return skipped(NO_BACKEND)
    site = _site(ctx, ctx.backend_url, "backend")
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
        async with probe.client(ctx.settings.ca_file) as http:
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


# -- cors.preflight --------------------------------------------------------------------


def allowed_origins(raw: str) -> tuple[list[str], list[str]]:
    """CORS_ORIGINS as browsers send origins (scheme://host[:port]), and notes on odd entries."""
    origins: list[str] = []
    notes: list[str] = []
    for item in (part.strip() for part in raw.split(",")):
        if not item:
            continue
        if "*" in item:
            notes.append(f"{item!r} is a wildcard, not testable")
            continue
        try:
            origin = probe.parse_site_url(item).origin
        except ValueError as exc:
            notes.append(f"{item!r} is not an origin: {exc}")
            continue
        if origin != item:
            notes.append(f"{item!r} is tested as {origin}, what browsers send")
        origins.append(origin)
    return list(dict.fromkeys(origins)), notes


@check(
    "cors.preflight",
    section="1.1",
    title="CORS preflight allows the frontend",
    kind="live",
    after=("env.cors_origins",),
)
async def cors_preflight(ctx: Context) -> Verdict:
    """Each allowed origin gets its own Access-Control-Allow-Origin; a foreign origin gets none."""
    if not ctx.backend_url:
        return skipped(NO_BACKEND)
    raw = ctx.get("CORS_ORIGINS")
    if not raw:
        return skipped(
            "No CORS_ORIGINS to test: set it in --env-file (the frontend origins the backend "
            "allows, comma-separated)."
        )
    site = _site(ctx, ctx.backend_url, "backend")
    if isinstance(site, Verdict):
        return site
    origins, notes = allowed_origins(raw)
    if not origins:
        return failed(
            f"CORS_ORIGINS holds no origin a browser could send ({'; '.join(notes)}).",
            remediation="Set CORS_ORIGINS to the frontend's origins, like "
            "https://your-app.vercel.app (see env.cors_origins).",
        )
    target = site.at(ctx.settings.health_path)

    async def preflight(origin: str) -> Any:
        headers = {
            "Origin": origin,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type, authorization",
        }
        async with probe.client(ctx.settings.ca_file) as http:
            try:
                return await http.options(target, headers=headers)
            except Exception as exc:
                return probe.describe_error(exc, target)

    try:
        async with asyncio.timeout(probe.CHECK_BUDGET):
            answers = await asyncio.gather(*(preflight(o) for o in [*origins, FOREIGN_ORIGIN]))
    except TimeoutError:
        return failed(f"The backend did not answer within {probe.CHECK_BUDGET:g} s.")
    evidence: dict[str, Any] = {"preflight to": target}
    found = Findings()
    for origin, resp in zip([*origins, FOREIGN_ORIGIN], answers, strict=True):
        if isinstance(resp, probe.ProbeError):
            evidence[f"origin {origin}"] = f"no answer: {resp}"
            if not found.items:
                found.add(Status.FAIL, f"The backend did not answer the preflight: {resp}.")
            continue
        acao = resp.headers.get("access-control-allow-origin")
        creds = resp.headers.get("access-control-allow-credentials", "").lower() == "true"
        evidence[f"origin {origin}"] = (
            f"{resp.status_code}, Access-Control-Allow-Origin: {acao or '(none)'}"
            + (", credentials: true" if creds else "")
        )
        if origin == FOREIGN_ORIGIN:
            _judge_foreign(found, acao, creds)
        else:
            _judge_allowed(found, origin, resp, acao, creds)
    if notes:
        evidence["note"] = "; ".join(notes)
    ok = f"The backend allows {', '.join(origins)} and refuses a foreign origin."
    return found.verdict(ok, evidence, {"origins": origins})


CORS_FIX = (
    "Make Flask-CORS allow exactly the frontend origins: "
    "`CORS(app, origins=os.environ['CORS_ORIGINS'].split(','), supports_credentials=True)`, "
    "with CORS_ORIGINS like https://your-app.vercel.app (no trailing slash), then redeploy."
)


def _judge_allowed(found: Findings, origin: str, resp: Any, acao: str | None, creds: bool) -> None:
    if acao is None:
        found.add(
            Status.FAIL,
            f"The live backend does not allow {origin}: its preflight got {resp.status_code} "
            "with no Access-Control-Allow-Origin, so browsers block the frontend's API calls.",
            CORS_FIX,
        )
    elif acao == "*" and creds:
        found.add(
            Status.FAIL,
            f"The backend answers {origin} with Access-Control-Allow-Origin * and credentials, "
            "which browsers refuse.",
            CORS_FIX,
        )
    elif acao not in (origin, "*"):
        found.add(
            Status.FAIL,
            f"The backend answers {origin} with Access-Control-Allow-Origin {acao}, so browsers "
            "block the frontend's API calls.",
            CORS_FIX,
        )
    elif not 200 <= resp.status_code < 300:
        found.add(
            Status.FAIL,
            f"The preflight from {origin} got {resp.status_code}; browsers need a 2xx answer.",
            CORS_FIX,
        )
    else:
        allowed = resp.headers.get("access-control-allow-headers", "").lower()
        if "*" not in allowed and "authorization" not in allowed:
            found.add(
                Status.WARN,
                f"The preflight from {origin} does not allow the Authorization header, so "
                "requests that carry a JWT are blocked.",
                "Let Flask-CORS allow the Authorization and Content-Type headers "
                "(`allow_headers=['Content-Type', 'Authorization']`).",
            )


def _judge_foreign(found: Findings, acao: str | None, creds: bool) -> None:
    if acao not in (FOREIGN_ORIGIN, "*"):
        return  # none, or a fixed origin that does not match: browsers refuse the foreign site
    what = "reflects any origin into" if acao == FOREIGN_ORIGIN else "sends * as"
    risk = (
        "so any website can call the API as the logged-in user and read the answers "
        "(credentials theft)"
        if creds
        else "so any website can call the API from a visitor's browser and read the answers"
    )
    found.add(
        Status.FAIL,
        f"The backend {what} Access-Control-Allow-Origin"
        + (" with credentials" if creds else "")
        + f", {risk}.",
        CORS_FIX,
    )


# -- frontend.bundle -------------------------------------------------------------------

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
    if not ctx.frontend_url:
        return skipped(NO_FRONTEND)
    expected = (ctx.frontend("VITE_API_URL") or ctx.settings.backend_url or "").rstrip("/")
    if not expected:
        return skipped(
            "No API URL to look for: set VITE_API_URL in --frontend-env-file, or pass "
            "--backend-url (profile key backend_url)."
        )
    site = _site(ctx, ctx.frontend_url, "frontend")
    if isinstance(site, Verdict):
        return site
    try:
        async with asyncio.timeout(probe.CHECK_BUDGET):
            bundle = await probe.fetch_bundle(site.url, ctx.settings.ca_file)
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
    others = list(
        dict.fromkeys(c for t in bundle.scripts.values() for c in api_candidates(t, origin))
    )
    if others:
        evidence["other API URLs"] = ", ".join(others[:5])
        return failed(
            f"The live build talks to {others[0]}, not {expected}: redeploy Vercel after "
            "changing VITE_API_URL (Vite inlines env at build time).",
            evidence,
            remediation="Set VITE_API_URL on Vercel for the Production environment, then "
            "redeploy without the build cache so the new value is inlined.",
        )
    return warned(
        f"The live build's {len(bundle.scripts)} JS files do not contain {expected}; if the app "
        "reaches the API through a vercel.json rewrite that is expected, else redeploy Vercel.",
        evidence,
        remediation="Vite inlines VITE_API_URL at build time: set it on Vercel and redeploy.",
    )
