"""Helpers: run the env/frontend checks through the real runner with an explicit environment."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from pathlib import Path
from typing import Any

import pytest

from launchtui.core.config import Settings
from launchtui.core.model import Result, RunFinished
from tests import runner

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "env"

ENV_IDS = (
    "env.database_url",
    "env.secret_key",
    "env.jwt_secret_key",
    "env.cloudinary_url",
    "env.cors_origins",
    "env.flask_debug",
    "frontend.api_url",
    "frontend.cloud_name",
)

# A production environment every check passes on; tests change one thing at a time.
GOOD_ENV: dict[str, str] = {
    "DATABASE_URL": "mysql+pymysql://4kQ2x9.root:tidb-pw-1@gateway01.us-west-2.prod.aws"
    ".tidbcloud.com:4000/appdb?ssl_ca=/etc/ssl/certs/ca-certificates.crt",
    "SECRET_KEY": "500251ad629afdbf0e61d98e0292a1ca5c58bd5388a1370ce7f307d955037dc1",
    "JWT_SECRET_KEY": "XVmMrGk097fFqbwNvjqx8orFNget8mZtiZnulUs74KUjjMWiLyHYPdjjrAC_KXSk",
    "CLOUDINARY_URL": "cloudinary://123456789012345:B9llNNfh9vEn3zsEx112q9_3MVg@my-cloud",
    "CORS_ORIGINS": "https://shop.example.com,https://www.shop.example.com",
    "FLASK_DEBUG": "0",
    "VITE_API_URL": "https://api.shop.example.com",
    "VITE_CLOUDINARY_CLOUD_NAME": "my-cloud",
}
GOOD_SETTINGS: dict[str, Any] = {
    "backend_url": "https://api.shop.example.com",
    "frontend_url": "https://shop.example.com",
}

RunChecks = Callable[..., Awaitable[dict[str, Result]]]


async def run_checks_with(
    environ: Mapping[str, str], ids: tuple[str, ...] = ENV_IDS, **settings: Any
) -> tuple[dict[str, Result], RunFinished]:
    """Run `ids` through the real runner; results by id, and the final event."""
    final = await runner.run_checks(ids, environ, Settings(**settings))
    return {r.id: r for r in final.results}, final


@pytest.fixture
def run_checks() -> RunChecks:
    """`await run_checks(env, ids, **settings)` -> {id: Result}."""

    async def go(
        environ: Mapping[str, str], ids: tuple[str, ...] = ENV_IDS, **settings: Any
    ) -> dict[str, Result]:
        results, _final = await run_checks_with(environ, ids, **settings)
        return results

    return go


def env_with(**changes: str | None) -> dict[str, str]:
    """GOOD_ENV with some variables replaced (None removes one)."""
    env = dict(GOOD_ENV)
    for k, v in changes.items():
        if v is None:
            env.pop(k, None)
        else:
            env[k] = v
    return env
