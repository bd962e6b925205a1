"""frontend.api_url and frontend.cloud_name: the Vercel build variables against the backend."""

from __future__ import annotations

import pytest

from launchtui.core.model import Result, Status

from .conftest import GOOD_SETTINGS, RunChecks, env_with

API = ("frontend.api_url",)
CLOUD = ("frontend.cloud_name",)
BACKEND = "https://api.shop.example.com"


async def api(run_checks: RunChecks, value: str | None, backend: str | None = BACKEND) -> Result:
    results = await run_checks(env_with(VITE_API_URL=value), API, backend_url=backend)
    return results["frontend.api_url"]


@pytest.mark.parametrize(
    ("value", "backend"),
    [
        (BACKEND, BACKEND),
        ("https://API.shop.example.com", BACKEND + "/"),
        ("https://api.shop.example.com:443", BACKEND),
        ("https://api.shop.example.com/api", BACKEND),
    ],
)
async def test_an_https_url_equal_to_the_backend_passes(
    run_checks: RunChecks, value: str, backend: str
) -> None:
    r = await api(run_checks, value, backend)
    assert r.status is Status.PASS, r.summary
    assert "equals the backend URL, https://api.shop.example.com" in r.summary


async def test_without_a_backend_url_the_static_parts_pass_uncompared(
    run_checks: RunChecks,
) -> None:
    r = await api(run_checks, BACKEND, None)
    assert r.status is Status.PASS
    assert "could not be compared" in r.summary
    assert "--backend-url" in r.evidence["backend URL"]


async def test_a_missing_vite_api_url_fails_with_the_vercel_rebuild_fix(
    run_checks: RunChecks,
) -> None:
    r = await api(run_checks, None)
    assert r.status is Status.FAIL
    assert "VITE_API_URL is not set" in r.summary
    assert "Vercel's Environment Variables" in r.remediation and "redeploy" in r.remediation
    assert "build time" in r.remediation


@pytest.mark.parametrize(
    ("value", "words"),
    [
        ("http://api.shop.example.com", "mixed content"),
        ("api.shop.example.com", "has no https://"),
        ("/api", "has no https://"),
        ("http://localhost:5000", "plain http"),
        ("https://localhost:5000", "cannot reach"),
        ("https://backend.railway.internal", "cannot reach"),
        ("https://10.0.0.5", "cannot reach"),
        ('"https://api.shop.example.com"', "wrapped in quotes"),
        ("https://api.shop.example.com?v=1", "?query"),
        ("https://api.shop.example.com:99999", "not a URL"),
        ("ws://api.shop.example.com", "not an https:// URL"),
    ],
)
async def test_urls_a_browser_cannot_use_fail(
    run_checks: RunChecks, value: str, words: str
) -> None:
    r = await api(run_checks, value)
    assert r.status is Status.FAIL, r.summary
    assert words in r.summary
    assert "Vercel" in r.remediation


async def test_a_url_pointing_at_another_server_fails(run_checks: RunChecks) -> None:
    r = await api(run_checks, "https://your-backend.railway.app")
    assert r.status is Status.FAIL
    assert "points at https://your-backend.railway.app but the backend is" in r.summary
    assert f"Set VITE_API_URL to {BACKEND}" in r.remediation


async def test_a_trailing_slash_warns(run_checks: RunChecks) -> None:
    r = await api(run_checks, BACKEND + "/")
    assert r.status is Status.WARN
    assert "double slash" in r.summary


# -- VITE_CLOUDINARY_CLOUD_NAME -------------------------------------------------------


async def cloud(run_checks: RunChecks, vite: str | None, url: str | None = "keep") -> Result:
    env = env_with(VITE_CLOUDINARY_CLOUD_NAME=vite)
    if url != "keep":
        env = env_with(VITE_CLOUDINARY_CLOUD_NAME=vite, CLOUDINARY_URL=url)
    results = await run_checks(env, CLOUD, **GOOD_SETTINGS)
    return results["frontend.cloud_name"]


async def test_matching_cloud_names_pass(run_checks: RunChecks) -> None:
    r = await cloud(run_checks, "my-cloud")
    assert r.status is Status.PASS
    assert "both use Cloudinary cloud my-cloud" in r.summary


async def test_a_missing_cloud_name_fails_and_corrects_the_checklist(run_checks: RunChecks) -> None:
    r = await cloud(run_checks, None)
    assert r.status is Status.FAIL
    assert "VITE_CLOUDINARY_CLOUD_NAME is not set" in r.summary
    assert "both are needed" in r.summary
    assert "Set VITE_CLOUDINARY_CLOUD_NAME to my-cloud" in r.remediation
    assert "Vercel" in r.remediation and "redeploy" in r.remediation


async def test_a_different_cloud_fails_naming_both(run_checks: RunChecks) -> None:
    r = await cloud(run_checks, "dsrb7j7rm")
    assert r.status is Status.FAIL
    assert "cloud dsrb7j7rm but the backend uploads to my-cloud" in r.summary


async def test_a_case_only_difference_warns(run_checks: RunChecks) -> None:
    r = await cloud(run_checks, "My-Cloud")
    assert r.status is Status.WARN
    assert "only in letter case" in r.summary


async def test_a_cloudinary_url_pasted_into_the_vite_variable_fails_without_echoing_it(
    run_checks: RunChecks,
) -> None:
    pasted = "cloudinary://123456789012345:Pasted-Secret-77@my-cloud"
    r = await cloud(run_checks, pasted)
    assert r.status is Status.FAIL
    assert "ships it to every browser" in r.summary
    assert "rotate" in r.remediation
    assert "Pasted-Secret-77" not in " ".join([r.summary, r.remediation, *r.evidence.values()])


@pytest.mark.parametrize(
    ("url", "words"),
    [(None, "CLOUDINARY_URL is not set"), ("https://nope", "not a valid cloudinary:// URL")],
)
async def test_without_a_usable_cloudinary_url_the_comparison_warns(
    run_checks: RunChecks, url: str | None, words: str
) -> None:
    r = await cloud(run_checks, "my-cloud", url)
    assert r.status is Status.WARN
    assert "could not compare" in r.summary and words in r.summary


async def test_cloud_name_is_read_from_the_env_check_fact(run_checks: RunChecks) -> None:
    env = env_with(CLOUDINARY_URL="cloudinary://123456789012345:S3cr3tValue9@other-cloud")
    results = await run_checks(env, ("env.cloudinary_url", "frontend.cloud_name"))
    assert results["env.cloudinary_url"].facts["cloud_name"] == "other-cloud"
    assert "backend uploads to other-cloud" in results["frontend.cloud_name"].summary
