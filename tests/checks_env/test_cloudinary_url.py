"""env.cloudinary_url: all three parts, and the query arguments the real SDK misreads."""

from __future__ import annotations

import cloudinary
import cloudinary.api
import pytest

from launchtui.checks.env_cloudinary import parse_cloudinary_url
from launchtui.core.model import Result, Status
from tests.cloudinary_sdk import SdkConfig

from .conftest import RunChecks, env_with

ID = ("env.cloudinary_url",)
SECRET = "B9llNNfh9vEn3zsEx112q9_3MVg"


async def verdict(run_checks: RunChecks, url: str | None, **extra: str) -> Result:
    return (await run_checks(env_with(CLOUDINARY_URL=url, **extra), ID))["env.cloudinary_url"]


async def test_a_complete_url_passes_with_cloud_name_fact(run_checks: RunChecks) -> None:
    r = await verdict(run_checks, f"cloudinary://123456789012345:{SECRET}@my-cloud")
    assert r.status is Status.PASS
    assert "names cloud my-cloud" in r.summary
    assert r.evidence["cloud name"] == "my-cloud"
    assert r.evidence["URL"] == "cloudinary://****:****@my-cloud"
    assert r.facts["cloud_name"] == "my-cloud"


async def test_a_missing_url_fails(run_checks: RunChecks) -> None:
    r = await verdict(run_checks, None)
    assert r.status is Status.FAIL
    assert "CLOUDINARY_URL is not set" in r.summary
    assert "Railway/Render" in r.remediation


@pytest.mark.parametrize(
    ("url", "words"),
    [
        (f"cloudinary://:{SECRET}@my-cloud", "no API key"),
        ("cloudinary://123456789012345@my-cloud", "no API secret"),
        ("cloudinary://123456789012345:@my-cloud", "no API secret"),
        (f"cloudinary://123456789012345:{SECRET}@", "no cloud name"),
        (f"https://123456789012345:{SECRET}@my-cloud", "must start with cloudinary://"),
        ("my-cloud", "must start with cloudinary://"),
        (f"CLOUDINARY_URL=cloudinary://123456789012345:{SECRET}@my-cloud", "variable name"),
        (f"cloudinary://1:{SECRET}@[my-cloud", "not a URL"),
    ],
)
async def test_broken_urls_fail(run_checks: RunChecks, url: str, words: str) -> None:
    r = await verdict(run_checks, url)
    assert r.status is Status.FAIL, r.summary
    assert words in r.summary
    assert SECRET not in " ".join([r.summary, r.remediation, *r.evidence.values()])


@pytest.mark.parametrize(
    ("url", "words"),
    [
        (f"cloudinary://abcdefg:{SECRET}@my-cloud", "not a number"),
        (f"cloudinary://123456789012345:{SECRET}@my-cloud?secure=false", "counts as true"),
        (f"cloudinary://123456789012345:{SECRET}@my-cloud?timeout=2", "raise ValueError"),
        (f"cloudinary://123456789012345:{SECRET}@My-Cloud", "lowercases"),
        (f"cloudinary://123456789012345:{SECRET}@my-cloud/cdn.example.com", "private CDN"),
        (f"cloudinary://123456789012345:{SECRET}@my-cloud/", "my-cloud-res.cloudinary.com"),
    ],
)
async def test_sdk_pitfalls_warn(run_checks: RunChecks, url: str, words: str) -> None:
    r = await verdict(run_checks, url)
    assert r.status is Status.WARN, r.summary
    assert words in r.summary


async def test_cloudinary_cloud_name_variable_shadowing_the_url_warns(
    run_checks: RunChecks,
) -> None:
    r = await verdict(
        run_checks,
        f"cloudinary://123456789012345:{SECRET}@my-cloud",
        CLOUDINARY_CLOUD_NAME="other",
    )
    assert r.status is Status.WARN
    assert "SDK ignores CLOUDINARY_URL" in r.summary


@pytest.mark.parametrize(
    "url",
    [
        f"cloudinary://123456789012345:{SECRET}@my-cloud",
        f"cloudinary://123456789012345:{SECRET}@My-Cloud",
        f"cloudinary://abc:{SECRET}@dsrb7j7rm?secure=false",
    ],
)
def test_cloud_name_and_key_agree_with_the_real_sdk(sdk_config: SdkConfig, url: str) -> None:
    config = sdk_config(url)
    ours = parse_cloudinary_url(url)
    assert ours.cloud_name == config.cloud_name
    assert ours.api_key.reveal() == config.api_key
    assert ours.api_secret.reveal() == config.api_secret


def test_the_sdk_really_reads_query_values_as_text(sdk_config: SdkConfig) -> None:
    config = sdk_config(f"cloudinary://1:{SECRET}@c?secure=false&timeout=2")
    assert config.secure == "false" and bool(config.secure)
    assert config.timeout == "2"
    with pytest.raises(ValueError, match="Timeout value"):
        cloudinary.api.ping()


def test_the_sdk_really_reads_a_trailing_slash_as_a_private_cdn(sdk_config: SdkConfig) -> None:
    sdk_config(f"cloudinary://1:{SECRET}@my-cloud")
    assert "//res.cloudinary.com/my-cloud/" in cloudinary.utils.cloudinary_url("sample")[0]
    sdk_config(f"cloudinary://1:{SECRET}@my-cloud/")
    assert "//my-cloud-res.cloudinary.com/" in cloudinary.utils.cloudinary_url("sample")[0]
