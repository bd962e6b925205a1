"""A password written into a CORS_ORIGINS entry never reaches any output."""

from __future__ import annotations

from tests.cli import check_json

CANARY = "canary-origin-pw-5150"


def test_a_password_in_a_later_cors_origin_is_masked_in_every_verdict(dead_port: str) -> None:
    origins = f"https://app.example.com,https://deploy:{CANARY}@preview.example.com"
    p, doc = check_json(
        "--only",
        "cors.preflight",
        "env.cors_origins",
        "--backend-url",
        dead_port,
        env={"CORS_ORIGINS": origins},
    )
    by_id = {r["id"]: r for r in doc["results"]}
    assert by_id["cors.preflight"]["status"] == "fail"
    assert "did not answer the preflight" in by_id["cors.preflight"]["summary"]
    assert "tested as https://preview.example.com" in by_id["cors.preflight"]["evidence"]["note"]
    assert "carries a user name or password" in p.stdout
    assert CANARY not in p.stdout + p.stderr


def test_a_password_with_a_slash_in_a_cors_origin_is_masked(dead_port: str) -> None:
    # Base64 passwords hold '/', which ends a URL's host part for urllib but not for people.
    origins = f"https://app.example.com,https://deploy:ab/{CANARY}@preview.example.com"
    p, doc = check_json(
        "--only",
        "cors.preflight",
        "env.cors_origins",
        "--backend-url",
        dead_port,
        env={"CORS_ORIGINS": origins},
    )
    assert {r["status"] for r in doc["results"]} == {"fail"}
    assert CANARY not in p.stdout + p.stderr
