"""cors.preflight against a real Flask-CORS backend, allowed, refused and misconfigured."""

from __future__ import annotations

from launchtui.checks.cors_preflight import FOREIGN_ORIGIN, allowed_origins
from launchtui.core.model import Status
from tests.probe_http.conftest import SiteCheck
from tests.probe_http.support import run_check
from tests.servers.https import ServeFn, flask_backend, static_site

APP = "https://app.example.com"
PREVIEW = "https://app-git-main.example.vercel.app"


async def test_allowed_origins_pass_and_a_foreign_origin_gets_nothing(
    check_site: SiteCheck,
) -> None:
    r = await check_site(
        "cors.preflight",
        flask_backend(origins=[APP, PREVIEW]),
        environ={"CORS_ORIGINS": f"{APP}, {PREVIEW}"},
    )
    assert r.status is Status.PASS, r
    assert f"allows {APP}, {PREVIEW} and refuses a foreign origin" in r.summary
    assert r.evidence[f"origin {APP}"] == (
        f"200, Access-Control-Allow-Origin: {APP}, credentials: true"
    )
    # Flask-CORS answers a disallowed origin with 200 and no header: the header decides.
    assert r.evidence[f"origin {FOREIGN_ORIGIN}"] == "200, Access-Control-Allow-Origin: (none)"


async def test_origin_the_live_backend_does_not_allow_fails(check_site: SiteCheck) -> None:
    r = await check_site(
        "cors.preflight", flask_backend(origins=[APP]), environ={"CORS_ORIGINS": f"{APP},{PREVIEW}"}
    )
    assert r.status is Status.FAIL
    assert f"The live backend does not allow {PREVIEW}" in r.summary
    assert "no Access-Control-Allow-Origin, so browsers block" in r.summary
    assert "CORS(app, origins=" in r.remediation


async def test_backend_reflecting_any_origin_with_credentials_fails(check_site: SiteCheck) -> None:
    # Flask-CORS with origins="*" and credentials echoes whatever Origin it is sent.
    r = await check_site(
        "cors.preflight",
        flask_backend(origins="*", credentials=True),
        environ={"CORS_ORIGINS": APP},
    )
    assert r.status is Status.FAIL
    assert "reflects any origin into Access-Control-Allow-Origin with credentials" in r.summary
    assert "credentials theft" in r.summary
    assert FOREIGN_ORIGIN in r.evidence[f"origin {FOREIGN_ORIGIN}"]


async def test_backend_reflecting_any_origin_without_credentials_still_fails(
    check_site: SiteCheck,
) -> None:
    r = await check_site(
        "cors.preflight",
        flask_backend(origins="*", credentials=False),
        environ={"CORS_ORIGINS": APP},
    )
    assert r.status is Status.FAIL
    assert "reflects any origin into Access-Control-Allow-Origin, so any website" in r.summary
    assert "credentials theft" not in r.summary


async def test_trailing_slash_entry_is_tested_as_the_origin_browsers_send(
    check_site: SiteCheck,
) -> None:
    r = await check_site(
        "cors.preflight", flask_backend(origins=[APP + "/"]), environ={"CORS_ORIGINS": APP + "/"}
    )
    # Flask-CORS compares strings: "https://app.example.com/" never matches a real Origin.
    assert r.status is Status.FAIL
    assert f"does not allow {APP}" in r.summary
    assert f"'{APP}/' is tested as {APP}" in r.evidence["note"]


async def test_missing_cors_origins_skips_naming_the_variable(serve: ServeFn) -> None:
    site = serve(flask_backend())
    r = await run_check("cors.preflight", backend_url=site.url)
    assert r.status is Status.SKIP
    assert "CORS_ORIGINS" in r.summary and "--env-file" in r.summary


async def test_only_wildcards_fail_with_nothing_to_test(serve: ServeFn) -> None:
    site = serve(flask_backend())
    r = await run_check("cors.preflight", backend_url=site.url, environ={"CORS_ORIGINS": "*"})
    assert r.status is Status.FAIL
    assert "holds no origin a browser could send" in r.summary


async def test_unreachable_backend_fails(dead_port: str) -> None:
    r = await run_check("cors.preflight", backend_url=dead_port, environ={"CORS_ORIGINS": APP})
    assert r.status is Status.FAIL
    assert "did not answer the preflight" in r.summary and "refused" in r.summary


def test_cors_origins_are_normalised_and_odd_entries_noted() -> None:
    origins, notes = allowed_origins(" https://A.example.com/ ,, https://b.example.com:8443,*,x")
    assert origins == ["https://a.example.com", "https://b.example.com:8443"]
    assert len(notes) == 3


async def test_wildcard_allow_origin_fails(check_site: SiteCheck) -> None:
    api = static_site(
        {"/health": (200, "application/json", b"{}")}, {"Access-Control-Allow-Origin": "*"}
    )
    r = await check_site("cors.preflight", api, environ={"CORS_ORIGINS": APP})
    assert r.status is Status.FAIL
    assert "sends * as Access-Control-Allow-Origin, so any website" in r.summary


async def test_preflight_without_authorization_header_warns(check_site: SiteCheck) -> None:
    # A fixed allow-origin and no Access-Control-Allow-Headers: the JWT header is not allowed.
    api = static_site(
        {"/health": (200, "application/json", b"{}")}, {"Access-Control-Allow-Origin": APP}
    )
    r = await check_site("cors.preflight", api, environ={"CORS_ORIGINS": APP})
    assert r.status is Status.WARN
    assert "does not allow the Authorization header" in r.summary
