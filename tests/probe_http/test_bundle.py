"""frontend.bundle against a loopback Vite-style build: index.html, entry and chunks."""

from __future__ import annotations

from launchtui.checks.frontend_bundle import api_candidates
from launchtui.core.model import Status
from tests.probe_http.conftest import SiteCheck
from tests.probe_http.support import run_check
from tests.servers.https import INDEX_HTML, Certs, ServeFn, frontend_site, static_site

API = "https://api.example.com"
OLD = "https://old-backend.up.railway.app"


async def test_build_with_the_right_api_url_passes_naming_the_chunk(check_site: SiteCheck) -> None:
    r = await check_site("frontend.bundle", frontend_site(API), environ={"VITE_API_URL": API + "/"})
    assert r.status is Status.PASS, r
    # The URL sits in a chunk the entry imports: one level deep.
    assert r.summary == f"The live build calls {API} (found in assets/api-Q2w8r.js)."
    files = r.evidence["js files"]
    assert "assets/index-B7xk2.js" in files and "assets/vendor-C4n9q.js" in files
    assert "assets/About-Z9y8x.js" in files  # a dynamic import() chunk is followed too
    assert r.evidence["not fetched (other origin)"] == "1"


async def test_build_with_an_old_api_url_fails_naming_it(
    serve: ServeFn, https_certs: Certs
) -> None:
    site = serve(frontend_site(OLD))
    r = await run_check(
        "frontend.bundle",
        frontend_url=site.url,
        backend_url=API,
        ca_file=https_certs.ca_file,
    )
    assert r.status is Status.FAIL
    assert f"The live build talks to {OLD}, not {API}" in r.summary
    assert "redeploy Vercel after changing VITE_API_URL" in r.summary
    assert "Vite inlines env at build time" in r.summary
    assert r.evidence["other API URLs"] == OLD


async def test_build_without_the_api_url_fails_listing_the_https_origins_it_holds(
    check_site: SiteCheck,
) -> None:
    r = await check_site("frontend.bundle", frontend_site(None), environ={"VITE_API_URL": API})
    assert r.status is Status.FAIL
    assert f"do not contain {API}, so it was built with another VITE_API_URL" in r.summary
    # Library hosts (vuejs.org, w3.org) are noise; what is left is what the build calls.
    assert r.evidence["https origins in the build"] == "(none)"
    assert "redeploy without the build cache" in r.remediation
    assert r.command == "vercel --prod --force"


async def test_an_old_backend_url_is_named_among_the_https_origins(
    serve: ServeFn, https_certs: Certs
) -> None:
    site = serve(frontend_site(OLD))
    r = await run_check(
        "frontend.bundle", frontend_url=site.url, backend_url=API, ca_file=https_certs.ca_file
    )
    assert r.evidence["https origins in the build"].startswith(OLD)
    assert f"Set VITE_API_URL to {API} on Vercel" in r.remediation


async def test_index_without_scripts_warns(check_site: SiteCheck) -> None:
    r = await check_site(
        "frontend.bundle",
        frontend_site(API, index="<!doctype html><title>Coming soon</title>"),
        environ={"VITE_API_URL": API},
    )
    assert r.status is Status.WARN
    assert "loads no same-origin script" in r.summary


async def test_missing_script_file_is_listed_not_fatal(check_site: SiteCheck) -> None:
    index = INDEX_HTML.replace("/assets/vendor-C4n9q.js", "/assets/gone-0000.js")
    r = await check_site(
        "frontend.bundle", frontend_site(API, index=index), environ={"VITE_API_URL": API}
    )
    assert r.status is Status.PASS, r
    assert "gone-0000.js: HTTP 404" in r.evidence["unfetchable"]


async def test_frontend_404_fails(serve: ServeFn, https_certs: Certs) -> None:
    site = serve(frontend_site(API))
    r = await run_check(
        "frontend.bundle",
        frontend_url=site.url + "/missing-page",
        ca_file=https_certs.ca_file,
        environ={"VITE_API_URL": API},
    )
    assert r.status is Status.FAIL
    assert "answered 404 for index.html" in r.summary


async def test_unreachable_frontend_fails(dead_port: str) -> None:
    r = await run_check("frontend.bundle", frontend_url=dead_port, environ={"VITE_API_URL": API})
    assert r.status is Status.FAIL
    assert "refused the connection" in r.summary


async def test_skips_name_what_to_set(serve: ServeFn) -> None:
    no_front = await run_check("frontend.bundle", environ={"VITE_API_URL": API})
    no_api = await run_check("frontend.bundle", frontend_url="https://app.example.com")
    assert no_front.status is Status.SKIP and "--frontend-url" in no_front.summary
    assert no_api.status is Status.SKIP
    assert "VITE_API_URL" in no_api.summary and "--backend-url" in no_api.summary


def test_api_candidates_ignore_library_urls() -> None:
    js = (
        'const a="http://www.w3.org/2000/svg",b="https://vuejs.org/x",'
        'c="https://res.cloudinary.com/demo",d="http://localhost:5000",e="https://api.example.com"'
    )
    assert api_candidates(js, "https://api.example.com") == ["http://localhost:5000"]


async def test_odd_bytes_in_index_and_scripts_give_a_verdict(check_site: SiteCheck) -> None:
    index = b"\xff\xfe<html><script type=module src='/a.js'></script><scr\x00ipt src=</html"
    app = static_site(
        {
            "/": (200, "text/html", index),
            "/a.js": (200, "application/javascript", b"\x00\xff" + API.encode() + b"\xfe"),
        }
    )
    r = await check_site("frontend.bundle", app, environ={"VITE_API_URL": API})
    assert r.status is Status.PASS, r
    assert "found in a.js" in r.summary
