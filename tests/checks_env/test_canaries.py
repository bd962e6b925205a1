"""Canary secrets through every env/frontend check and every report format: never shown."""

from __future__ import annotations

import pytest

from launchtui.core import report

from .conftest import ENV_IDS, run_checks_with

PW = "CanaryDbPw7731"
KEY = "CanarySecretKey9f2c4e8a1b7d3f6e0a5c9b2d8e4f1a7c3b6d0e9f2a5c8b1d4e7"
JWT = "CanaryJwtKey4XVmMrGk097fFqbwNvjqx8orFNget8mZtiZnulUs74KUjjMWiLyHY"
API_SECRET = "CanaryApiSecret55Qx"
API_KEY = "884422113355779"
CANARIES = (PW, KEY, JWT, API_SECRET, API_KEY)
HOST = "gateway01.us-west-2.prod.aws.tidbcloud.com"

SCENARIOS = {
    "healthy": {
        "DATABASE_URL": f"mysql+pymysql://4kQ.root:{PW}@{HOST}:4000/app?ssl_ca=/etc/ssl/certs/ca.crt",
        "SECRET_KEY": KEY,
        "JWT_SECRET_KEY": JWT,
        "CLOUDINARY_URL": f"cloudinary://{API_KEY}:{API_SECRET}@my-cloud",
        "CORS_ORIGINS": "https://shop.example.com",
        "VITE_API_URL": "https://api.shop.example.com",
        "VITE_CLOUDINARY_CLOUD_NAME": "my-cloud",
    },
    "everything wrong": {
        "DATABASE_URL": f"mysql://root:{PW}@{HOST}/app?ssl_mode=VERIFIED&ssl_key_password={PW}",
        "SECRET_KEY": KEY[:20],
        "JWT_SECRET_KEY": KEY[:20],
        "CLOUDINARY_URL": f"cloudinary://{API_KEY}:{API_SECRET}@",
        "CORS_ORIGINS": f"https://u:{PW}@shop.example.com/, http://localhost:3000",
        "FLASK_DEBUG": "on",
        "VITE_API_URL": f"https://u:{PW}@api.shop.example.com/",
        "VITE_CLOUDINARY_CLOUD_NAME": f"cloudinary://{API_KEY}:{API_SECRET}@my-cloud",
    },
    "unparsable": {
        "DATABASE_URL": f"mysql+pymysql://u:{PW}@pw@{HOST}:4000/app",
        "SECRET_KEY": f"{KEY}\n",
        "JWT_SECRET_KEY": JWT,
        "CLOUDINARY_URL": f"cloudinary://{API_KEY}:{API_SECRET}@[my-cloud",
        "CORS_ORIGINS": "\udcff,\x00",
        "VITE_API_URL": "\udcff",
    },
    "sloppy": {
        "DATABASE_URL": f"mysql+pymysql://root:{PW}@{HOST}/app?ssl_ca=/x&ssl_verify_cert=true",
        "SECRET_KEY": KEY[:40],
        "JWT_SECRET_KEY": JWT[:40],
        "CLOUDINARY_URL": f"cloudinary://{API_KEY}:{API_SECRET}@My-Cloud/?secure=false&timeout=2",
        "CORS_ORIGINS": "https://shop.example.com, https://x.example.com,",
        "VITE_CLOUDINARY_CLOUD_NAME": "my-cloud",
    },
    "password with raw slashes": {
        "DATABASE_URL": f"mysql+pymysql://u:{PW}/x?y@{HOST}:4000/app?ssl_verify_cert=true",
        "SECRET_KEY": f"openssl rand -hex 32 {KEY}",
        "CLOUDINARY_URL": f"CLOUDINARY_URL=cloudinary://{API_KEY}:{API_SECRET}@c",
    },
}


@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
async def test_canary_secrets_appear_in_no_result_and_no_report(scenario: str) -> None:
    env = SCENARIOS[scenario]
    results, final = await run_checks_with(
        env,
        ENV_IDS,
        backend_url="https://api.shop.example.com",
        frontend_url="https://x.example.com",
    )
    assert set(results) == set(ENV_IDS)
    outputs = [
        report.to_json(final, "production"),
        report.to_text(final, "production"),
        report.to_markdown(final, "production"),
        report.to_junit(final, "production"),
    ]
    for r in results.values():
        outputs += [r.summary, r.remediation, r.command or "", *r.evidence, *r.evidence.values()]
    everything = "\n".join(outputs)
    for canary in CANARIES:
        assert canary not in everything
        assert canary[:10] not in everything  # no fragment either


async def test_the_canary_scenarios_really_exercise_failures() -> None:
    results, _final = await run_checks_with(SCENARIOS["everything wrong"], ENV_IDS)
    assert all(r.status.value == "fail" for r in results.values()), {
        cid: r.status.value for cid, r in results.items()
    }
