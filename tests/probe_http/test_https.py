"""https.frontend and https.backend against real loopback TLS sites."""

from __future__ import annotations

import datetime as dt
import time

import pytest

from launchtui.core.config import Settings
from launchtui.core.model import Status
from launchtui.probes.http import CHECK_BUDGET
from tests.probe_http.conftest import SiteCheck
from tests.probe_http.support import run_check
from tests.runner import run_checks
from tests.servers.https import HSTS_GOOD, Certs, ServeFn, flask_backend, frontend_site


def frontend(hsts: str | None = HSTS_GOOD) -> object:
    return frontend_site(
        "https://api.example.com", headers={"Strict-Transport-Security": hsts} if hsts else {}
    )


async def test_healthy_frontend_passes_with_certificate_hsts_and_redirect(
    serve: ServeFn, https_certs: Certs
) -> None:
    site = serve(frontend())
    r = await run_check("https.frontend", frontend_url=site.url, ca_file=https_certs.ca_file)
    assert r.status is Status.PASS, r
    assert "valid certificate" in r.summary and "HSTS" in r.summary
    assert r.evidence["status"] == "200"
    assert r.evidence["tls version"].startswith("TLSv1.")
    assert r.evidence["plain http"] == f"301 → {site.url}/"
    assert int(r.evidence["days left"]) > 300
    assert "includeSubDomains" in r.evidence["hsts"]


async def test_healthy_backend_passes_and_reports_its_health_status(
    serve: ServeFn, https_certs: Certs
) -> None:
    site = serve(flask_backend())
    r = await run_check("https.backend", backend_url=site.url, ca_file=https_certs.ca_file)
    assert r.status is Status.PASS, r
    assert r.evidence["url"] == f"{site.url}/health"
    assert r.evidence["status"] == "200"


async def test_backend_url_defaults_to_vite_api_url(serve: ServeFn, https_certs: Certs) -> None:
    site = serve(flask_backend())
    r = await run_check(
        "https.backend", environ={"VITE_API_URL": site.url}, ca_file=https_certs.ca_file
    )
    assert r.status is Status.PASS, r


async def test_backend_health_500_fails_naming_the_status(check_site: SiteCheck) -> None:
    r = await check_site("https.backend", flask_backend(health_status=500))
    assert r.status is Status.FAIL
    assert "GET /health on the backend answered 500, not 200" in r.summary
    assert "--health-path" in r.remediation


async def test_certificate_expiring_in_5_days_fails(check_site: SiteCheck) -> None:
    r = await check_site("https.frontend", frontend(), cert="expiring")
    assert r.status is Status.FAIL
    assert "expires in 5 days" in r.summary and "renewal is failing" in r.summary
    assert r.evidence["days left"] == "5"


@pytest.mark.parametrize(
    ("served", "status", "words"),
    [
        pytest.param(
            {"cert": "soon"}, Status.WARN, ["expires in 20 days"], id="expiring-in-20-days-warns"
        ),
        pytest.param(
            {"cert": "untrusted"},
            Status.FAIL,
            ["issuer, Stranger CA, is", "not in the trusted CA bundle"],
            id="unknown-ca-fails-as-untrusted",
        ),
        pytest.param({"cert": "self_signed"}, Status.FAIL, ["self-signed"], id="self-signed-fails"),
        pytest.param(
            {"plain": "temporary"},
            Status.WARN,
            ["redirect is temporary (302)"],
            id="temporary-redirect-warns",
        ),
        pytest.param(
            {"plain": "elsewhere"},
            Status.WARN,
            ["redirects to https://elsewhere.example/", "another host"],
            id="redirect-to-another-host-warns",
        ),
    ],
)
async def test_a_certificate_or_redirect_problem_gives_its_verdict(
    check_site: SiteCheck, served: dict[str, str], status: Status, words: list[str]
) -> None:
    r = await check_site("https.frontend", frontend(), **served)
    assert r.status is status
    for phrase in words:
        assert phrase in r.summary


async def test_expired_certificate_fails_naming_its_expiry_date(check_site: SiteCheck) -> None:
    r = await check_site("https.frontend", frontend(), cert="expired")
    assert r.status is Status.FAIL
    day = (dt.datetime.now(dt.UTC) - dt.timedelta(days=3)).date().isoformat()
    assert f"the certificate expired on {day}" in r.summary
    assert "expired" in r.evidence["verify error"]
    assert r.evidence["days left"].startswith("expired")


async def test_wrong_host_certificate_fails_naming_the_host_it_is_for(
    check_site: SiteCheck,
) -> None:
    r = await check_site("https.frontend", frontend(), cert="wrong_host")
    assert r.status is Status.FAIL
    assert "the certificate is for wrong-host.example, not 127.0.0.1" in r.summary
    assert "custom domain" in r.remediation


async def test_private_ca_is_untrusted_without_ca_file(serve: ServeFn) -> None:
    site = serve(frontend())
    r = await run_check("https.frontend", frontend_url=site.url)
    assert r.status is Status.FAIL
    assert "Browsers reject the frontend's HTTPS" in r.summary
    assert "--ca-file" in r.remediation


async def test_site_served_over_plain_http_without_redirect_fails(check_site: SiteCheck) -> None:
    r = await check_site("https.frontend", frontend(), plain="serve")
    assert r.status is Status.FAIL
    assert "serves pages over plain http (200) without redirecting" in r.summary
    assert r.evidence["plain http"] == "200"


async def test_missing_hsts_warns(check_site: SiteCheck) -> None:
    r = await check_site("https.frontend", frontend(hsts=None))
    assert r.status is Status.WARN
    assert "no Strict-Transport-Security header" in r.summary
    assert r.evidence["hsts"] == "(missing)"
    assert "max-age=31536000" in r.remediation


async def test_short_hsts_max_age_warns_and_notes_missing_includesubdomains(
    check_site: SiteCheck,
) -> None:
    r = await check_site("https.frontend", frontend(hsts="max-age=300"))
    assert r.status is Status.WARN
    assert "HSTS max-age is 300 s" in r.summary and "15552000" in r.summary
    assert r.evidence["hsts"] == "max-age=300 (no includeSubDomains)"


async def test_several_problems_keep_the_worst_as_summary_and_list_the_rest(
    check_site: SiteCheck,
) -> None:
    r = await check_site("https.frontend", frontend(hsts=None), cert="expiring", plain="temporary")
    assert r.status is Status.FAIL
    assert "expires in 5 days" in r.summary
    assert "Strict-Transport-Security" in r.evidence["also"]
    assert "temporary (302)" in r.evidence["also"]


async def test_http_url_fails_because_production_must_use_https(serve: ServeFn) -> None:
    site = serve(flask_backend(), plain="serve")
    r = await run_check("https.backend", backend_url=site.plain_url)
    assert r.status is Status.FAIL
    assert "is plain http: production must use HTTPS" in r.summary


@pytest.mark.parametrize(
    "url", ["not a url", "https://exa mple.com", "ftp://x.example", "https://:443"]
)
async def test_garbage_url_gives_a_verdict_not_a_traceback(url: str) -> None:
    r = await run_check("https.backend", backend_url=url)
    assert r.status is Status.FAIL
    assert "is not usable" in r.summary
    assert "--backend-url" in r.remediation


async def test_missing_urls_skip_naming_the_flag_and_profile_key() -> None:
    front = await run_check("https.frontend")
    back = await run_check("https.backend")
    assert front.status is Status.SKIP and back.status is Status.SKIP
    assert "--frontend-url" in front.summary and "frontend_url" in front.summary
    assert "--backend-url" in back.summary and "VITE_API_URL" in back.summary


async def test_dead_port_fails_at_once_naming_the_refusal(dead_port: str) -> None:
    t0 = time.perf_counter()
    r = await run_check("https.backend", backend_url=dead_port)
    elapsed = time.perf_counter() - t0
    assert r.status is Status.FAIL
    assert "refused the connection" in r.summary
    assert elapsed < 3


async def test_silent_server_fails_every_live_web_check_within_the_budget(
    silent_server: str,
) -> None:
    ids = [
        "https.frontend",
        "https.backend",
        "security.headers",
        "security.debugger",
        "cors.preflight",
        "frontend.bundle",
    ]
    environ = {"CORS_ORIGINS": "https://app.example.com", "VITE_API_URL": silent_server}
    settings = Settings(frontend_url=silent_server, backend_url=silent_server)
    t0 = time.perf_counter()
    final = await run_checks(ids, environ, settings)
    elapsed = time.perf_counter() - t0
    got = {r.id: r for r in final.results}
    assert elapsed < CHECK_BUDGET
    assert {i: got[i].status for i in ids} == {
        **{i: Status.FAIL for i in ids},
        "security.headers": Status.WARN,  # headers are warn-only; https.* carry the failure
    }
    assert "no TLS handshake completed in 3 s" in got["https.backend"].summary
    assert "did not complete a connection within 3 s" in got["frontend.bundle"].summary
    assert "did not answer any probe" in got["security.debugger"].summary


async def test_password_in_a_url_never_reaches_the_result(dead_port: str) -> None:
    canary = "canary-Url-Pw-93b1"
    live = dead_port.replace("https://", f"https://ops:{canary}@")
    garbage = f"https://ops:{canary}@exa mple.com"
    runs = [
        (check_id, {"backend_url": url, "environ": {"CORS_ORIGINS": "https://app.example.com"}})
        for check_id in ("https.backend", "security.debugger", "cors.preflight")
        for url in (live, garbage)
    ]
    runs += [
        ("frontend.bundle", {"frontend_url": url, "environ": {"VITE_API_URL": "https://a.example"}})
        for url in (live, garbage)
    ]
    for check_id, kw in runs:
        r = await run_check(check_id, **kw)
        assert r.status is Status.FAIL, (check_id, r)
        text = " ".join([r.summary, r.remediation, *r.evidence.keys(), *r.evidence.values()])
        assert canary not in text, (check_id, text)
