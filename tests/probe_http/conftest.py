"""A live web check run against a loopback site served over real TLS."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import pytest

from launchtui.core.model import Result
from tests.probe_http.support import run_check
from tests.servers.https import Certs, ServeFn, WSGIApp

SiteCheck = Callable[..., Awaitable[Result]]

# The checks that probe the frontend's URL; the other web checks probe the backend's.
FRONTEND_CHECKS = ("https.frontend", "frontend.bundle")


@pytest.fixture
def check_site(serve: ServeFn, https_certs: Certs) -> SiteCheck:
    """`await check_site(check_id, app, environ=..., cert=..., plain=...)`: the check's result
    against `app` served over TLS, with the test CA trusted."""

    async def go(
        check_id: str,
        app: WSGIApp,
        *,
        environ: Mapping[str, str] | None = None,
        **serve_kw: Any,
    ) -> Result:
        site = serve(app, **serve_kw)
        url = "frontend_url" if check_id in FRONTEND_CHECKS else "backend_url"
        return await run_check(
            check_id, environ=environ, ca_file=https_certs.ca_file, **{url: site.url}
        )

    return go
