"""env.cors_origins and env.flask_debug, with Flask and Flask-CORS themselves as the oracle."""

from __future__ import annotations

import flask
import flask_cors
import pytest
from flask.helpers import get_debug_flag

from launchtui.core.model import Result, Status

from .conftest import RunChecks, env_with

CORS = ("env.cors_origins",)
DEBUG = ("env.flask_debug",)


async def cors(run_checks: RunChecks, value: str | None, **settings: str) -> Result:
    return (await run_checks(env_with(CORS_ORIGINS=value), CORS, **settings))["env.cors_origins"]


@pytest.mark.parametrize(
    "value",
    [
        "https://shop.example.com",
        "https://shop.example.com,https://admin.example.com:8443",
        "https://Shop.Example.com",  # Flask-CORS compares origins case-insensitively
    ],
)
async def test_exact_https_origins_pass(run_checks: RunChecks, value: str) -> None:
    r = await cors(run_checks, value, frontend_url="https://shop.example.com/app")
    assert r.status is Status.PASS, r.summary
    assert "CORS_ORIGINS allows" in r.summary and "https://shop.example.com" in r.summary


async def test_missing_cors_origins_fails(run_checks: RunChecks) -> None:
    r = await cors(run_checks, None)
    assert r.status is Status.FAIL
    assert "CORS_ORIGINS is not set" in r.summary and "Railway/Render" in r.remediation


@pytest.mark.parametrize(
    ("entry", "words", "fixed"),
    [
        ("https://shop.example.com/", "ends with a slash", "https://shop.example.com"),
        ("https://shop.example.com/app", "has a path", "https://shop.example.com"),
        ("http://shop.example.com", "plain http", "https://shop.example.com"),
        ("shop.example.com", "no https://", "https://shop.example.com"),
        ("https://shop.example.com:443", ":443", "https://shop.example.com"),
        ("*", "wildcard", None),
        ("https://*.vercel.app", "wildcard", None),
        ("http://localhost:5173", "local development origin", None),
        ("http://127.0.0.1:5000", "local development origin", None),
        ("http://0.0.0.0:8080", "local development origin", None),
        ("https://user:pw@shop.example.com", "user name or password", "https://shop.example.com"),
        ("ftp://shop.example.com", "not an https://host origin", None),
        ("https://[::1", "not a URL", None),
    ],
)
async def test_each_bad_entry_fails_by_name_with_the_corrected_list(
    run_checks: RunChecks, entry: str, words: str, fixed: str | None
) -> None:
    r = await cors(run_checks, f"https://admin.example.com,{entry}")
    assert r.status is Status.FAIL, r.summary
    assert "entry 2" in r.summary and words in r.summary
    assert words in r.evidence["origin 2"]
    expected = "https://admin.example.com" + (f",{fixed}" if fixed else "")
    assert f"Set CORS_ORIGINS to {expected} " in r.remediation


async def test_several_bad_entries_are_counted_and_each_named(run_checks: RunChecks) -> None:
    r = await cors(run_checks, "https://a.example.com/,http://localhost:3000,https://b.example.com")
    assert r.status is Status.FAIL
    assert r.summary.startswith("2 CORS_ORIGINS entries are wrong: entry 1")
    assert "local development" in r.evidence["problem 2"]
    assert r.evidence["origin 3"].endswith(": ok")
    assert "Set CORS_ORIGINS to https://a.example.com,https://b.example.com " in r.remediation


@pytest.mark.parametrize("value", [",,,", ",", " , ,", "*", "http://localhost:5173,,"])
async def test_a_list_that_allows_no_origin_fails_like_an_unset_variable(
    run_checks: RunChecks, value: str
) -> None:
    r = await cors(run_checks, value)
    assert r.status is Status.FAIL, r.summary
    assert r.summary.startswith("CORS_ORIGINS allows no origin"), r.summary
    assert "browsers on the frontend are blocked" in r.summary
    assert "Set CORS_ORIGINS to https://your-frontend.vercel.app " in r.remediation


async def test_no_usable_origin_fails_even_when_the_frontend_is_known(
    run_checks: RunChecks,
) -> None:
    r = await cors(run_checks, ",,,", frontend_url="https://shop.example.com")
    assert r.status is Status.FAIL
    assert r.summary.startswith("CORS_ORIGINS allows no origin")
    assert "https://shop.example.com is not in CORS_ORIGINS" in " ".join(r.evidence.values())


@pytest.mark.parametrize(
    ("value", "words"),
    [
        ("https://a.example.com,,https://b.example.com", "stray comma"),
        ("https://a.example.com,", "stray comma"),
        ("https://a.example.com, https://b.example.com", "spaces around it"),
        ("https://a.example.com,https://A.example.com", "listed twice"),
    ],
)
async def test_harmless_but_sloppy_entries_warn(
    run_checks: RunChecks, value: str, words: str
) -> None:
    r = await cors(run_checks, value)
    assert r.status is Status.WARN, r.summary
    assert words in r.summary
    assert "https://a.example.com" in r.remediation


async def test_the_frontend_origin_missing_from_the_list_fails(run_checks: RunChecks) -> None:
    r = await cors(run_checks, "https://admin.example.com", frontend_url="https://shop.example.com")
    assert r.status is Status.FAIL
    assert "frontend's origin https://shop.example.com is not in CORS_ORIGINS" in r.summary
    assert "https://admin.example.com,https://shop.example.com" in r.remediation


def test_flask_cors_really_ignores_a_trailing_slash_and_spaces() -> None:
    app = flask.Flask("cors")
    flask_cors.CORS(app, origins=["https://shop.example.com/", " https://b.example.com"])
    app.add_url_rule("/x", "x", lambda: "ok")
    client = app.test_client()
    for origin in ("https://shop.example.com", "https://b.example.com"):
        resp = client.get("/x", headers={"Origin": origin})
        assert "Access-Control-Allow-Origin" not in resp.headers
    ok = flask.Flask("cors-ok")
    flask_cors.CORS(ok, origins=["https://Shop.Example.com"])
    ok.add_url_rule("/x", "x", lambda: "ok")
    resp = ok.test_client().get("/x", headers={"Origin": "https://shop.example.com"})
    assert resp.headers["Access-Control-Allow-Origin"] == "https://shop.example.com"


# -- FLASK_DEBUG ------------------------------------------------------------------


async def debug(run_checks: RunChecks, value: str | None, flask_env: str | None = None) -> Result:
    env = env_with(FLASK_DEBUG=value, FLASK_ENV=flask_env)
    return (await run_checks(env, DEBUG))["env.flask_debug"]


@pytest.mark.parametrize("value", [None, "", "0", "false", "False", "FALSE", "no", "No"])
async def test_flask_debug_unset_or_off_passes(run_checks: RunChecks, value: str | None) -> None:
    r = await debug(run_checks, value)
    assert r.status is Status.PASS
    assert "FLASK_DEBUG is off" in r.summary


@pytest.mark.parametrize(
    ("value", "words"),
    [
        ("1", "Flask runs in debug mode"),
        ("true", "Flask runs in debug mode"),
        ("TRUE", "Flask runs in debug mode"),
        ("yes", "Flask runs in debug mode"),
        ("on", "Flask runs in debug mode"),
        ("off", "every value except 0, false and no"),
        ("disabled", "every value except 0, false and no"),
        (" 0", "spaces around the value"),
    ],
)
async def test_flask_debug_values_flask_reads_as_on_fail(
    run_checks: RunChecks, value: str, words: str
) -> None:
    r = await debug(run_checks, value)
    assert r.status is Status.FAIL
    assert "turns debug mode on" in r.summary and words in r.summary
    assert "FLASK_DEBUG=0" in r.remediation


@pytest.mark.parametrize(
    "value", ["0", "1", "false", "False", "no", "off", "OFF", "true", "on", "disabled", " 0", "n"]
)
async def test_flask_debug_verdict_agrees_with_flask_itself(
    run_checks: RunChecks, monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    monkeypatch.setenv("FLASK_DEBUG", value)
    r = await debug(run_checks, value)
    assert (r.status is Status.FAIL) == get_debug_flag()


async def test_flask_env_development_fails(run_checks: RunChecks) -> None:
    r = await debug(run_checks, "0", flask_env="development")
    assert r.status is Status.FAIL
    assert "FLASK_ENV=development" in r.summary and "before 2.3" in r.summary
    assert "Delete FLASK_ENV" in r.remediation


async def test_flask_env_production_passes(run_checks: RunChecks) -> None:
    r = await debug(run_checks, None, flask_env="production")
    assert r.status is Status.PASS
    assert r.evidence["FLASK_ENV"] == "production"
