"""cloudinary.quota: usage() percentages against the exact 80% / 95% thresholds."""

from __future__ import annotations

import pytest

from launchtui.core.model import Status
from tests.probe_cloudinary.support import env_for
from tests.runner import only_result, run_check, run_checks
from tests.servers.cloudinary_api import CloudinaryApi


@pytest.mark.parametrize(
    ("percent", "status"),
    [
        (50.0, Status.PASS),
        (79.99, Status.PASS),
        (80.0, Status.WARN),
        (85.0, Status.WARN),
        (94.99, Status.WARN),
        (95.0, Status.FAIL),
        (96.0, Status.FAIL),
    ],
)
async def test_credits_percent_maps_to_status_at_the_exact_thresholds(
    cloudinary_api: CloudinaryApi, percent: float, status: Status
) -> None:
    cloudinary_api.set_usage("Plus", credits=percent)
    r = await run_check("cloudinary.quota", env_for(cloudinary_api.cloudinary_url))
    assert r.status is status, r
    assert (
        f"credit use is at {percent:g}%" in r.summary or f"credit use at {percent:g}%" in r.summary
    )
    assert r.evidence["plan"] == "Plus"
    assert r.evidence["credits"] == f"{round(25 * percent / 100, 2):g} of 25 ({percent:g}%)"


async def test_pass_warn_and_fail_summaries_say_what_it_means(
    cloudinary_api: CloudinaryApi,
) -> None:
    env = env_for(cloudinary_api.cloudinary_url)
    cloudinary_api.set_usage(credits=50.0)
    ok = await run_check("cloudinary.quota", env)
    assert "usage has room" in ok.summary
    cloudinary_api.set_usage(credits=85.0)
    warn = await run_check("cloudinary.quota", env)
    assert "at 95% launch is at risk of images not loading" in warn.summary
    cloudinary_api.set_usage(credits=96.0)
    fail = await run_check("cloudinary.quota", env)
    assert "stops serving images" in fail.summary and "images not loading" in fail.summary
    assert "usage page" in fail.remediation


async def test_worst_metric_is_named_and_every_metric_is_listed(
    cloudinary_api: CloudinaryApi,
) -> None:
    cloudinary_api.set_usage("Advanced", bandwidth=90.0, storage=40.0, objects=12.5)
    r = await run_check("cloudinary.quota", env_for(cloudinary_api.cloudinary_url))
    assert r.status is Status.WARN
    assert r.summary.startswith("Cloudinary bandwidth is at 90% of the Advanced plan's limit")
    assert r.evidence["bandwidth"] == "22.50 GB of 25.00 GB (90%)"
    assert r.evidence["storage"] == "10.00 GB of 25.00 GB (40%)"
    assert r.evidence["objects"] == "31,250 of 250,000 (12.5%)"
    assert r.evidence["credits"] == "2.5 of 25 (10%)"
    assert r.facts["worst"] == "bandwidth"


async def test_percent_is_computed_when_only_usage_and_limit_are_given(
    cloudinary_api: CloudinaryApi,
) -> None:
    cloudinary_api.set_usage(
        body={"plan": "Legacy", "storage": {"usage": 97 * 1024**3, "limit": 100 * 1024**3}}
    )
    r = await run_check("cloudinary.quota", env_for(cloudinary_api.cloudinary_url))
    assert r.status is Status.FAIL
    assert "storage is at 97%" in r.summary


async def test_usage_without_limits_warns_that_it_cannot_tell(
    cloudinary_api: CloudinaryApi,
) -> None:
    cloudinary_api.set_usage(body={"plan": "Custom", "bandwidth": {"usage": 10}})
    r = await run_check("cloudinary.quota", env_for(cloudinary_api.cloudinary_url))
    assert r.status is Status.WARN
    assert "gives no limits" in r.summary


async def test_usage_500_without_error_key_fails_the_quota_check(
    cloudinary_api: CloudinaryApi,
) -> None:
    cloudinary_api.fail_500_without_error_key("usage")
    final = await run_checks(
        ["cloudinary.api", "cloudinary.quota"], env_for(cloudinary_api.cloudinary_url)
    )
    assert only_result(final, "cloudinary.api").status is Status.PASS
    r = only_result(final, "cloudinary.quota")
    assert r.status is Status.FAIL
    assert "Cloudinary answered 500 to the usage report" in r.summary


async def test_quota_is_skipped_naming_the_api_check_when_the_key_is_rejected(
    cloudinary_api: CloudinaryApi,
) -> None:
    url = cloudinary_api.cloudinary_url.replace(cloudinary_api.secret, "wrong-secret")
    r = await run_check("cloudinary.quota", env_for(url))
    assert r.status is Status.SKIP
    assert "cloudinary.api (fail)" in r.summary
    assert cloudinary_api.requests_to("usage") == []
