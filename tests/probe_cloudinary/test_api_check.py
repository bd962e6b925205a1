"""cloudinary.api through the real runner, the real SDK and a loopback Admin API."""

from __future__ import annotations

import asyncio
import datetime as dt
import ssl
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from launchtui.core.config import Settings
from launchtui.core.model import Status
from launchtui.probes import cloudinary as probe
from tests.probe_cloudinary.support import env_for
from tests.runner import only_result, run_check, run_checks
from tests.servers.cloudinary_api import CloudinaryApi, SilentServer, refused_port


async def test_ping_passes_with_cloud_latency_and_rate_limit_evidence(
    cloudinary_api: CloudinaryApi,
) -> None:
    r = await run_check("cloudinary.api", env_for(cloudinary_api.cloudinary_url))
    assert r.status is Status.PASS, r
    assert "launch-cloud" in r.summary and "accepts the key" in r.summary
    assert r.evidence["cloud"] == "launch-cloud"
    assert r.evidence["latency"].endswith(" ms")
    assert r.evidence["rate limit"] == "499 of 500 requests left this hour"
    reset = cloudinary_api.accounts["launch-cloud"].reset_at
    assert r.evidence["rate limit resets"] == reset.strftime("%Y-%m-%d %H:%M UTC")
    pings = cloudinary_api.requests_to("ping")
    assert [(p.cloud, p.api_key, p.status) for p in pings] == [
        ("launch-cloud", cloudinary_api.key, 200)
    ]


async def test_wrong_secret_fails_and_says_where_to_find_the_keys(
    cloudinary_api: CloudinaryApi,
) -> None:
    url = cloudinary_api.cloudinary_url.replace(cloudinary_api.secret, "not-the-secret")
    r = await run_check("cloudinary.api", env_for(url))
    assert r.status is Status.FAIL
    assert "rejected the API key/secret" in r.summary and "401" in r.summary
    assert "Settings → API Keys" in r.remediation
    assert r.evidence["layer"] == "auth"


async def test_unknown_key_echoed_by_cloudinary_is_masked_in_the_evidence(
    cloudinary_api: CloudinaryApi,
) -> None:
    url = cloudinary_api.cloudinary_url.replace(cloudinary_api.key, "555000111222333")
    r = await run_check("cloudinary.api", env_for(url))
    assert r.status is Status.FAIL
    assert r.evidence["Cloudinary says"] == "Unknown API key ****"
    assert "555000111222333" not in repr(r) + repr(dict(r.facts))


async def test_spent_rate_limit_fails_naming_the_reset_time(cloudinary_api: CloudinaryApi) -> None:
    reset = dt.datetime(2026, 11, 25, 18, 0, tzinfo=dt.UTC)
    cloudinary_api.rate_limit(remaining=0, limit=500, reset_at=reset)
    r = await run_check("cloudinary.api", env_for(cloudinary_api.cloudinary_url))
    assert r.status is Status.FAIL
    assert "rate limited (420) until 2026-11-25 18:00 UTC" in r.summary
    assert r.evidence["rate limit"] == "0 of 500 requests left this hour"
    assert r.evidence["layer"] == "quota"


async def test_injected_429_with_rate_limit_headers_fails_as_rate_limited(
    cloudinary_api: CloudinaryApi,
) -> None:
    cloudinary_api.fail(429, endpoint="ping")
    r = await run_check("cloudinary.api", env_for(cloudinary_api.cloudinary_url))
    assert r.status is Status.FAIL
    assert "rate limited (429) until" in r.summary
    assert r.evidence["rate limit"] == "0 of 500 requests left this hour"


async def test_500_without_error_key_does_not_pass(cloudinary_api: CloudinaryApi) -> None:
    cloudinary_api.fail_500_without_error_key("ping")
    r = await run_check("cloudinary.api", env_for(cloudinary_api.cloudinary_url))
    assert r.status is Status.FAIL
    assert "Cloudinary answered 500" in r.summary
    assert r.evidence["HTTP status"] == "500"


async def test_500_with_error_key_fails_as_cloudinary_side(cloudinary_api: CloudinaryApi) -> None:
    cloudinary_api.fail(500, {"error": {"message": "General Error"}}, endpoint="ping")
    r = await run_check("cloudinary.api", env_for(cloudinary_api.cloudinary_url))
    assert r.status is Status.FAIL
    assert "Cloudinary answered 500" in r.summary and "its side" in r.summary
    assert r.evidence["Cloudinary says"] == "General Error"


async def test_html_from_a_proxy_is_not_taken_for_an_answer(cloudinary_api: CloudinaryApi) -> None:
    cloudinary_api.fail(200, b"<html>captive portal</html>", endpoint="ping")
    r = await run_check("cloudinary.api", env_for(cloudinary_api.cloudinary_url))
    assert r.status is Status.FAIL
    assert "non-JSON body" in r.summary


async def test_silent_server_fails_as_timeout_within_the_budget_and_without_retries(
    cloudinary_silent: SilentServer,
) -> None:
    started = time.perf_counter()
    r = await run_check("cloudinary.api", env_for(cloudinary_silent.cloudinary_url))
    elapsed = time.perf_counter() - started
    assert r.status is Status.FAIL
    assert "no answer within 5 s (timeout)" in r.summary
    assert r.evidence["layer"] == "query"
    assert probe.API_BUDGET_S - 0.2 < elapsed < probe.API_BUDGET_S + 1.0
    # urllib3 would have retried the GET three more times: one connection means retries are off.
    assert cloudinary_silent.accepted == 1


async def test_refused_port_fails_naming_connection_refused() -> None:
    port = refused_port()
    url = f"cloudinary://123456789012345:sEcReT-value-1@dead-cloud?upload_prefix=http://127.0.0.1:{port}"
    started = time.perf_counter()
    r = await run_check("cloudinary.api", env_for(url))
    assert r.status is Status.FAIL
    assert f"127.0.0.1:{port}: connection refused (TCP)" in r.summary
    assert r.evidence["layer"] == "tcp"
    assert time.perf_counter() - started < 2.0


async def test_unresolvable_api_host_fails_naming_dns() -> None:
    url = "cloudinary://123456789012345:sEcReT-value-1@c?upload_prefix=http://no-such-host.invalid"
    r = await run_check("cloudinary.api", env_for(url))
    assert r.status is Status.FAIL
    assert "does not resolve (DNS)" in r.summary


async def test_rate_limit_below_ten_percent_warns_and_ten_percent_passes(
    cloudinary_api: CloudinaryApi,
) -> None:
    env = env_for(cloudinary_api.cloudinary_url)
    cloudinary_api.rate_limit(remaining=51, limit=500)  # the ping spends one: 50 left = 10%
    r = await run_check("cloudinary.api", env)
    assert r.status is Status.PASS, r
    assert r.evidence["rate limit"] == "50 of 500 requests left this hour"
    r = await run_check("cloudinary.api", env)
    assert r.status is Status.WARN
    assert "only 49 of 500 Admin API requests are left until" in r.summary


async def test_string_query_args_are_ignored_and_mentioned(cloudinary_api: CloudinaryApi) -> None:
    url = cloudinary_api.cloudinary_url + "&timeout=2&secure=false"
    r = await run_check("cloudinary.api", env_for(url))
    assert r.status is Status.PASS, r
    assert "raises ValueError" in r.evidence["backend problem"]
    assert "truthy" in r.evidence["note 1"]


async def test_missing_url_skips_naming_the_env_check() -> None:
    r = await run_check("cloudinary.api", {})
    assert r.status is Status.SKIP
    assert "env.cloudinary_url" in r.summary


async def test_two_clouds_checked_at_once_keep_their_own_credentials(
    cloudinary_api: CloudinaryApi,
) -> None:
    import cloudinary

    second = cloudinary_api.add_account("second-cloud")
    # A process-global SDK config pointing elsewhere must not leak into either probe.
    cloudinary.config(cloud_name="global-cloud", api_key="1", api_secret="x", timeout="2")
    try:
        runs = [
            run_checks(["cloudinary.api"], env_for(cloudinary_api.url_for(cloud)))
            for _ in range(4)
            for cloud in ("launch-cloud", "second-cloud")
        ]
        finals = await asyncio.gather(*runs)
    finally:
        cloudinary.reset_config()
    clouds = [only_result(f, "cloudinary.api").evidence.get("cloud") for f in finals]
    assert clouds == ["launch-cloud", "second-cloud"] * 4
    assert all(only_result(f, "cloudinary.api").status is Status.PASS for f in finals)
    keys = {"launch-cloud": cloudinary_api.key, "second-cloud": second.key}
    pings = cloudinary_api.requests_to("ping")
    assert len(pings) == 8
    assert all(p.api_key == keys[p.cloud] and p.status == 200 for p in pings)


@pytest.fixture
def tls_api(tmp_path: Path) -> Iterator[tuple[CloudinaryApi, Path]]:
    """The loopback Admin API over HTTPS with a throwaway CA; yields it and the CA's PEM."""
    import trustme

    ca = trustme.CA()
    server_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(server_ctx)
    ca_pem = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_pem))
    api = CloudinaryApi.start(tls=server_ctx)
    try:
        yield api, ca_pem
    finally:
        api.stop()


async def test_untrusted_certificate_fails_naming_tls_and_ca_file_fixes_it(
    tls_api: tuple[CloudinaryApi, Path],
) -> None:
    api, ca_pem = tls_api
    env = env_for(api.cloudinary_url)
    untrusted = await run_check("cloudinary.api", env)
    assert untrusted.status is Status.FAIL
    assert (
        "TLS failed: certificate verify failed" in untrusted.summary
        and "(TLS)" in untrusted.summary
    )
    trusted = await run_check("cloudinary.api", env, Settings(ca_file=ca_pem))
    assert trusted.status is Status.PASS
