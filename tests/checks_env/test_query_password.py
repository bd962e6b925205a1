"""A password given as a DATABASE_URL query argument (PyMySQL takes `?password=`) is never shown."""

from __future__ import annotations

import pytest

from launchtui.core import report
from launchtui.core.model import Status

from .conftest import run_checks_with

CANARY = "CanaryQueryPw8842"
HOST = "gateway01.us-west-2.prod.aws.tidbcloud.com"


@pytest.mark.parametrize("key", ["password", "passwd", "ssl_key_password"])
async def test_a_query_password_is_masked_in_the_verdict_and_the_working_form(key: str) -> None:
    url = f"mysql+pymysql://4kQ.root@{HOST}:4000/app?ssl_mode=VERIFIED&{key}={CANARY}"
    results, final = await run_checks_with({"DATABASE_URL": url}, ["env.database_url"])
    r = results["env.database_url"]
    assert r.status is Status.FAIL
    assert "ssl_mode=VERIFIED (the checklist's form)" in r.summary
    everything = "\n".join(
        [r.summary, r.remediation, *r.evidence.values(), report.to_json(final, None)]
    )
    assert f"{key}=****" in r.evidence["URL"]
    assert CANARY not in everything


def test_the_parsed_url_repr_shows_no_password_from_userinfo_or_query() -> None:
    from launchtui.probes.dburl import parse_database_url

    url = parse_database_url(
        f"mysql+pymysql://4kQ.root:{CANARY}x@{HOST}:4000/app?password={CANARY}&ssl_ca=/ca.pem"
    )
    assert url.query["ssl_ca"] == "/ca.pem"
    assert "Secret('****')" in repr(url)
    assert CANARY not in repr(url)
