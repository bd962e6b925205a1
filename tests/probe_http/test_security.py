"""security.headers and security.debugger against real Flask apps and static sites."""

from __future__ import annotations

import pytest

from launchtui.checks.security import missing_headers
from launchtui.core.model import Status
from tests.probe_http.conftest import SiteCheck
from tests.probe_http.support import run_check
from tests.servers.https import SECURITY_HEADERS, Certs, ServeFn, flask_backend, frontend_site

# -- security.headers ---------------------------------------------------------


async def test_headers_pass_when_both_sites_send_them(serve: ServeFn, https_certs: Certs) -> None:
    front = serve(frontend_site("https://api.example.com", headers=SECURITY_HEADERS))
    back = serve(flask_backend())
    r = await run_check(
        "security.headers",
        frontend_url=front.url,
        backend_url=back.url,
        ca_file=https_certs.ca_file,
    )
    assert r.status is Status.PASS, r
    assert r.evidence == {"frontend": "all present", "backend": "all present"}


async def test_missing_headers_warn_per_site_with_flask_and_vercel_fixes(
    serve: ServeFn, https_certs: Certs
) -> None:
    front = serve(frontend_site("https://api.example.com", headers={"X-Frame-Options": "DENY"}))
    back = serve(flask_backend(security_headers=False))
    r = await run_check(
        "security.headers",
        frontend_url=front.url,
        backend_url=back.url,
        ca_file=https_certs.ca_file,
    )
    assert r.status is Status.WARN
    assert "the frontend lacks X-Content-Type-Options: nosniff, Referrer-Policy" in r.summary
    assert "the backend lacks X-Content-Type-Options: nosniff, X-Frame-Options" in r.summary
    assert r.evidence["frontend"] == "missing X-Content-Type-Options: nosniff, Referrer-Policy"
    assert "@app.after_request" in r.remediation
    assert "vercel.json" in r.remediation


async def test_unreachable_site_is_only_a_warning_here(
    serve: ServeFn, https_certs: Certs, dead_port: str
) -> None:
    back = serve(flask_backend())
    r = await run_check(
        "security.headers",
        frontend_url=dead_port,
        backend_url=back.url,
        ca_file=https_certs.ca_file,
    )
    assert r.status is Status.WARN
    assert "the frontend could not be fetched (see https.frontend)" in r.summary
    assert r.evidence["backend"] == "all present"


async def test_headers_skip_without_any_url() -> None:
    r = await run_check("security.headers")
    assert r.status is Status.SKIP
    assert "--frontend-url" in r.summary and "--backend-url" in r.summary


@pytest.mark.parametrize(
    ("headers", "missing"),
    [
        ({"Content-Security-Policy": "default-src 'self'; frame-ancestors 'none'"}, False),
        ({"X-Frame-Options": "sameorigin"}, False),
        ({"X-Frame-Options": "ALLOW-FROM https://a.example"}, True),
        ({}, True),
    ],
)
def test_frame_protection_accepts_csp_frame_ancestors(
    headers: dict[str, str], missing: bool
) -> None:
    lacks = missing_headers({k.lower(): v for k, v in headers.items()})
    assert ("X-Frame-Options (or CSP frame-ancestors)" in lacks) is missing


def test_unsafe_referrer_policy_counts_as_missing() -> None:
    assert "Referrer-Policy" in missing_headers({"referrer-policy": "unsafe-url"})
    assert "Referrer-Policy" not in missing_headers(
        {"referrer-policy": "no-referrer, strict-origin-when-cross-origin"}
    )


# -- security.debugger --------------------------------------------------------


async def test_clean_backend_passes(check_site: SiteCheck) -> None:
    r = await check_site("security.debugger", flask_backend())
    assert r.status is Status.PASS, r
    assert r.evidence["404 page"] == "404"
    assert r.evidence["debugger.js"] == "200"  # the health route answers, without the debugger
    assert r.evidence["server"] == "gunicorn"


async def test_werkzeug_debugger_fails_saying_turn_flask_debug_off(check_site: SiteCheck) -> None:
    r = await check_site("security.debugger", flask_backend(debug=True), server_header="gunicorn")
    assert r.status is Status.FAIL
    assert "exposes the Werkzeug debugger (debugger.js, /console)" in r.summary
    assert "turn FLASK_DEBUG off" in r.summary
    assert "FLASK_DEBUG=0" in r.remediation and "gunicorn" in r.remediation


async def test_traceback_in_error_pages_fails(check_site: SiteCheck) -> None:
    r = await check_site("security.debugger", flask_backend(leaky_errors=True))
    assert r.status is Status.FAIL
    assert "shows Python tracebacks to visitors (404 page, /console, bad JSON)" in r.summary
    assert "turn FLASK_DEBUG off" in r.summary


async def test_werkzeug_dev_server_in_production_warns(check_site: SiteCheck) -> None:
    r = await check_site(
        "security.debugger", flask_backend(), server_header="Werkzeug/3.1.9 Python/3.11.2"
    )
    assert r.status is Status.WARN
    assert "Werkzeug development server (Werkzeug/3.1.9 Python/3.11.2)" in r.summary
    assert "gunicorn" in r.summary


async def test_unreachable_backend_fails(dead_port: str) -> None:
    r = await run_check("security.debugger", backend_url=dead_port)
    assert r.status is Status.FAIL
    assert "did not answer any probe" in r.summary
