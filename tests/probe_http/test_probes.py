"""The reusable probes: layered DNS/TCP/TLS/HTTP, certificates, plain-http redirects."""

from __future__ import annotations

import time

import pytest

from launchtui.core.config import Settings
from launchtui.core.context import Context
from launchtui.probes import http as probe
from launchtui.probes.layered import probe_url
from launchtui.probes.tls import fetch_certificate
from tests.servers.https import Certs, ServeFn, flask_backend, loopback_alias


async def test_layered_probe_of_a_healthy_url_passes_every_layer(
    serve: ServeFn, https_certs: Certs
) -> None:
    site = serve(flask_backend())
    result = await probe_url(f"{site.url}/health", ca_file=https_certs.ca_file)
    assert [s.layer for s in result.steps] == ["dns", "tcp", "tls", "http"]
    assert result.ok and result.failed_layer is None
    tls, http = result.steps[2], result.steps[3]
    assert "The certificate verifies (TLSv1.3" in tls.summary
    assert tls.facts["days_left"] > 300
    assert http.facts["status"] == 200 and http.evidence["server"] == "gunicorn"


async def test_layered_probe_names_tcp_for_a_dead_port(dead_port: str) -> None:
    result = await probe_url(dead_port)
    assert result.failed_layer == "tcp"
    assert [s.ok for s in result.steps] == [True, False]
    assert "refused" in result.steps[-1].summary


async def test_layered_probe_names_tls_for_a_wrong_host_certificate(
    serve: ServeFn, https_certs: Certs
) -> None:
    site = serve(flask_backend(), cert="wrong_host")
    result = await probe_url(site.url, ca_file=https_certs.ca_file)
    assert result.failed_layer == "tls"
    assert "for wrong-host.example, not 127.0.0.1" in result.steps[-1].summary
    assert result.steps[-1].evidence["cert names"] == "wrong-host.example"


async def test_layered_probe_names_http_for_an_api_500(serve: ServeFn, https_certs: Certs) -> None:
    site = serve(flask_backend())
    result = await probe_url(
        f"{site.url}/api/boom", ca_file=https_certs.ca_file, expect=lambda s: s == 200
    )
    assert result.failed_layer == "http"
    assert "answers with an error: 500" in result.steps[-1].summary


async def test_layered_probe_of_a_silent_server_stops_at_tls_within_the_connect_timeout(
    silent_server: str,
) -> None:
    t0 = time.perf_counter()
    result = await probe_url(silent_server)
    elapsed = time.perf_counter() - t0
    assert result.failed_layer == "tls"
    assert "no TLS handshake completed" in result.steps[-1].summary
    assert elapsed < probe.CONNECT_TIMEOUT + 1.5


async def test_layered_probe_names_dns_for_an_unresolvable_host() -> None:
    result = await probe_url("https://no-such-host.invalid/health")
    assert result.failed_layer == "dns"
    assert "does not resolve" in result.steps[0].summary


async def test_layered_probe_rejects_garbage_as_config() -> None:
    result = await probe_url("https//missing-colon")
    assert result.failed_layer == "config"


def test_unverified_refetch_only_explains_and_never_verifies(
    serve: ServeFn, https_certs: Certs
) -> None:
    site = serve(flask_backend(), cert="expired")
    cert = fetch_certificate("127.0.0.1", site.port, https_certs.ca_file)
    assert cert.verified is False and cert.problem == "expired"
    assert cert.not_after is not None and (cert.days_left() or 0) < 0
    alias = loopback_alias()  # the session's certificates name this machine's alias too
    assert set(cert.names) == {"localhost", "127.0.0.1", *([alias] if alias else [])}
    assert cert.issuer == "launchtui test CA"


async def test_plain_http_probe_reads_the_redirect_without_following_it(serve: ServeFn) -> None:
    site = serve(flask_backend(), plain="redirect")
    plain = await probe.probe_plain_http(probe.parse_site_url(site.url + "/health"))
    assert plain.url == f"http://127.0.0.1:{site.port}/health"
    assert plain.status == 301 and plain.permanent
    assert plain.redirects_to_https_same_host


@pytest.mark.parametrize(
    ("url", "plain"),
    [
        ("https://app.example.com", "http://app.example.com/"),
        ("https://app.example.com:443/x", "http://app.example.com/x"),
        ("https://127.0.0.1:8443", "http://127.0.0.1:8443/"),
    ],
)
def test_plain_http_url_is_port_80_unless_a_port_is_named(url: str, plain: str) -> None:
    assert probe.plain_http_url(probe.parse_site_url(url)) == plain


async def test_layered_probe_stops_at_its_total_budget(silent_server: str) -> None:
    # The blocking TLS read runs in the run's probe pool, as a runbook would run it.
    ctx = Context.build(Settings(), environ={})
    t0 = time.perf_counter()
    try:
        result = await probe_url(silent_server, budget=1.0, run_blocking=ctx.to_thread)
    finally:
        ctx.close()
    elapsed = time.perf_counter() - t0
    assert result.failed_layer == "tls"
    assert "ran out of its 1 s budget at tls" in result.steps[-1].summary
    assert elapsed < 2.0
