"""env.secret_key and env.jwt_secret_key: placeholders, variety, randomness, reuse."""

from __future__ import annotations

import base64
import random
import secrets
from collections.abc import Callable

import pytest

from launchtui.checks.env_keys import assess_key
from launchtui.core.model import Status

from .conftest import GOOD_ENV, RunChecks, env_with

KEY_IDS = ("env.secret_key", "env.jwt_secret_key")


@pytest.mark.parametrize(
    "value",
    [
        secrets.token_hex(32),  # openssl rand -hex 32
        secrets.token_hex(32).upper(),
        secrets.token_urlsafe(48),
        secrets.token_urlsafe(32),
    ],
)
async def test_random_keys_pass_for_both_variables(run_checks: RunChecks, value: str) -> None:
    jwt = secrets.token_hex(32)
    results = await run_checks(env_with(SECRET_KEY=value, JWT_SECRET_KEY=jwt), KEY_IDS)
    r = results["env.secret_key"]
    assert r.status is Status.PASS, r.summary
    assert "looks random" in r.summary
    assert results["env.jwt_secret_key"].status is Status.PASS
    assert r.command is None


@pytest.mark.parametrize("name", ["SECRET_KEY", "JWT_SECRET_KEY"])
async def test_a_missing_key_fails_with_the_command(run_checks: RunChecks, name: str) -> None:
    results = await run_checks(env_with(**{name: None}), KEY_IDS)
    r = results[f"env.{name.lower()}"]
    assert r.status is Status.FAIL
    assert f"{name} is not set" in r.summary
    assert r.command == "openssl rand -hex 32"
    assert "Railway/Render" in r.remediation


@pytest.mark.parametrize(
    "value",
    [
        "dev",
        "changeme",
        "Change-Me",
        "your-secret-key",
        "YOUR_SECRET_KEY_HERE",
        "flask-secret",
        "super-secret-key",
        "you-will-never-guess",
        "django-insecure-" + secrets.token_urlsafe(40),
        "${SECRET_KEY}",
        "<generate-a-random-key>",
        "my-production-secret-" + secrets.token_hex(32),
    ],
)
async def test_placeholders_fail(run_checks: RunChecks, value: str) -> None:
    r = (await run_checks(env_with(SECRET_KEY=value), ("env.secret_key",)))["env.secret_key"]
    assert r.status is Status.FAIL
    assert "well-known placeholder" in r.summary
    assert "forge session cookies" in r.summary
    assert r.command == "openssl rand -hex 32"


@pytest.mark.parametrize(
    ("value", "words"),
    [
        ("ab" * 40, "only 2 distinct characters"),
        ("0" * 64, "only 1 distinct characters"),
        ("a1b2" * 20, "only 4 distinct characters"),
        ("k9Qz!" * 16, "repeated or sequential"),
        ("abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMN", "repeated or sequential"),
        ("9f86d081884c7d65", "too short"),  # 16 hex characters: 64 bits
        ("f66cf16036416661", "too short"),  # as random, but few distinct and many steps
        ("Tr0ub4dor&3", "too short"),
    ],
)
async def test_weak_keys_fail_and_say_why(run_checks: RunChecks, value: str, words: str) -> None:
    r = (await run_checks(env_with(SECRET_KEY=value), ("env.secret_key",)))["env.secret_key"]
    assert r.status is Status.FAIL, r.summary
    assert words in r.summary


def test_a_random_128_bit_key_with_many_steps_warns_and_is_not_called_a_pattern() -> None:
    # Drawn by secrets.token_hex(16): 16 of its 31 neighbours are equal or next in code point.
    v = assess_key("SECRET_KEY", "556e8766e52e876345631ef67669834e")
    assert v.status is Status.WARN, v.summary
    assert "128 bits" in v.summary


def _urlsafe(rng: random.Random, n: int) -> str:
    return base64.urlsafe_b64encode(rng.randbytes(n)).rstrip(b"=").decode()


@pytest.mark.parametrize(
    ("make", "status"),
    [
        (lambda rng: rng.randbytes(16).hex(), Status.WARN),  # shortest key judged for patterns
        (lambda rng: rng.randbytes(32).hex(), Status.PASS),
        (lambda rng: _urlsafe(rng, 16), Status.WARN),
        (lambda rng: _urlsafe(rng, 32), Status.PASS),
    ],
)
def test_random_keys_get_a_verdict_by_length_alone(
    make: Callable[[random.Random], str], status: Status
) -> None:
    rng = random.Random(20261206)  # seeded: the same keys on every run
    verdicts = {assess_key("SECRET_KEY", make(rng)).status for _ in range(5_000)}
    assert verdicts == {status}


@pytest.mark.parametrize("value", ["openssl rand -hex 32", "$(openssl rand -hex 32)"])
async def test_the_checklists_command_pasted_as_the_value_fails(
    run_checks: RunChecks, value: str
) -> None:
    r = (await run_checks(env_with(SECRET_KEY=value), ("env.secret_key",)))["env.secret_key"]
    assert r.status is Status.FAIL
    assert "holds the command that makes a key, not its output" in r.summary
    # The openssl text is now a known secret (and masked), so the fix is given in Python.
    assert r.command == "python3 -c 'import secrets; print(secrets.token_hex(32))'"


async def test_a_128_bit_key_warns_below_the_256_bit_floor(run_checks: RunChecks) -> None:
    r = (await run_checks(env_with(SECRET_KEY=secrets.token_hex(16)), ("env.secret_key",)))[
        "env.secret_key"
    ]
    assert r.status is Status.WARN
    assert "128 bits" in r.summary and "256" in r.summary


async def test_jwt_key_equal_to_secret_key_fails(run_checks: RunChecks) -> None:
    same = GOOD_ENV["SECRET_KEY"]
    results = await run_checks(env_with(JWT_SECRET_KEY=same), KEY_IDS)
    assert results["env.secret_key"].status is Status.PASS
    r = results["env.jwt_secret_key"]
    assert r.status is Status.FAIL
    assert "same as SECRET_KEY" in r.summary


async def test_jwt_placeholder_fails_with_token_wording(run_checks: RunChecks) -> None:
    r = (await run_checks(env_with(JWT_SECRET_KEY="jwt-secret-key"), KEY_IDS))["env.jwt_secret_key"]
    assert r.status is Status.FAIL
    assert "forge login tokens" in r.summary


async def test_evidence_describes_the_key_without_showing_it(run_checks: RunChecks) -> None:
    value = "x7" + secrets.token_hex(31)
    r = (await run_checks(env_with(SECRET_KEY=value), ("env.secret_key",)))["env.secret_key"]
    assert r.evidence["length"] == "64 characters"
    assert int(r.evidence["distinct characters"]) >= 5
    text = " ".join([r.summary, r.remediation, *r.evidence.values()])
    assert value not in text and value[:12] not in text
