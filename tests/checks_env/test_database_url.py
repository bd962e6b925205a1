"""env.database_url through the real runner: every way the URL can fail, and the form that passes."""

from __future__ import annotations

import pytest

from launchtui.core.model import Result, Status

from .conftest import RunChecks, env_with

ID = ("env.database_url",)
TIDB = "mysql+pymysql://4kQ2x9.root:tidb-pw-1@gateway01.us-west-2.prod.aws.tidbcloud.com"
BUNDLE = "ssl_ca=/etc/ssl/certs/ca-certificates.crt"


async def verdict(run_checks: RunChecks, url: str | None) -> Result:
    return (await run_checks(env_with(DATABASE_URL=url), ID))["env.database_url"]


@pytest.mark.parametrize(
    "url",
    [
        f"{TIDB}:4000/appdb?{BUNDLE}",
        f"{TIDB}:4000/appdb?{BUNDLE}&ssl_check_hostname=true&charset=utf8mb4",
        "mysql+pymysql://app:pw@db.internal.example.com/appdb?ssl_ca=/etc/ssl/private-ca.pem",
    ],
)
async def test_a_url_with_verified_tls_passes(run_checks: RunChecks, url: str) -> None:
    r = await verdict(run_checks, url)
    assert r.status is Status.PASS, r.summary
    assert "verifies the certificate and the host name" in r.summary
    assert "checks the host name" in r.evidence["TLS"]
    assert ":****@" in r.evidence["URL"]
    assert r.facts["url"].database == "appdb"


async def test_a_missing_url_fails_and_says_where_to_set_it(run_checks: RunChecks) -> None:
    r = await verdict(run_checks, None)
    assert r.status is Status.FAIL
    assert "DATABASE_URL is not set" in r.summary
    assert "Railway/Render" in r.remediation


@pytest.mark.parametrize("mode", ["VERIFIED", "VERIFY_IDENTITY"])
async def test_the_checklists_ssl_mode_form_fails_with_the_working_form(
    run_checks: RunChecks, mode: str
) -> None:
    r = await verdict(run_checks, f"{TIDB}:4000/appdb?ssl_mode={mode}")
    assert r.status is Status.FAIL
    assert f"ssl_mode={mode}" in r.summary
    assert "works only if the backend rewrites the URL" in r.summary
    working = f"{TIDB.replace('tidb-pw-1', '****')}:4000/appdb?{BUNDLE}"
    assert r.evidence["working form"] == working
    assert working in r.remediation
    assert any("TypeError" in v for k, v in r.evidence.items() if k.startswith("why"))


@pytest.mark.parametrize(
    ("query", "words"),
    [
        ("", "without checking the server"),
        ("ssl_disabled=false", "without checking the server"),
        ("ssl_verify_cert=false", "never checks the server certificate"),
        ("ssl_cipher=ECDHE-RSA-AES128-GCM-SHA256", "never checks the server certificate"),
        ("ssl_verify_cert=true&ssl_verify_identity=true", "not the host name"),
        ("ssl_verify_identity=false", "not the host name"),
        (f"{BUNDLE}&ssl_check_hostname=false", "not the host name"),
        (f"{BUNDLE}&ssl_verify_cert=true&ssl_verify_identity=true", "ssl_ca is silently dropped"),
    ],
)
async def test_tls_that_does_not_verify_cert_and_host_fails(
    run_checks: RunChecks, query: str, words: str
) -> None:
    r = await verdict(run_checks, f"{TIDB}:4000/appdb?{query}")
    assert r.status is Status.FAIL
    assert words in r.summary
    assert f"?{BUNDLE}" in r.remediation


@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("mysql://u.root:pw@gw.tidbcloud.com:4000/db?ssl_ca=/x", "MySQLdb"),
        ("mysql+mysqldb://u.root:pw@gw.tidbcloud.com:4000/db?ssl_ca=/x", "MySQLdb"),
        ("mariadb+pymysql://u.root:pw@gw.tidbcloud.com:4000/db?ssl_ca=/x", "not MariaDB"),
        ("mysql+aiomysql://u.root:pw@gw.tidbcloud.com:4000/db?ssl_ca=/x", "uses PyMySQL"),
        ("postgresql://u:pw@h/db?ssl_ca=/x", "not a MySQL one"),
        ("MySQL+PyMySQL://u.root:pw@gw.tidbcloud.com:4000/db?ssl_ca=/x", "capitals"),
    ],
)
async def test_a_driver_other_than_pymysql_fails_with_the_fix(
    run_checks: RunChecks, url: str, words: str
) -> None:
    r = await verdict(run_checks, url)
    assert r.status is Status.FAIL
    assert words in r.summary
    assert "mysql+pymysql://" in r.remediation


@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("mysql+pymysql://u:pw@/appdb?ssl_ca=/x", "no host"),
        ("mysql+pymysql://u:pw@db.example.com?ssl_ca=/x", "no database"),
        ("mysql+pymysql://db.example.com/appdb?ssl_ca=/x", "no user name"),
        ("mysql+pymysql://u:pw@db.example.com:70000/appdb?ssl_ca=/x", "not a TCP port"),
        ("not a url at all", "not a database URL"),
        ("mysql+pymysql://u:pw@db.example.com:4k/appdb", "not a number"),
        ("mysql+pymysql://u:p@ss@db.example.com/appdb", "%40"),
    ],
)
async def test_a_url_missing_a_part_or_unparsable_fails(
    run_checks: RunChecks, url: str, words: str
) -> None:
    r = await verdict(run_checks, url)
    assert r.status is Status.FAIL
    assert words in r.summary


@pytest.mark.parametrize(
    ("url", "words"),
    [
        (f"{TIDB}/appdb?{BUNDLE}", "uses 3306"),
        (f"{TIDB}:3306/appdb?{BUNDLE}", "listens on 4000"),
        (f"mysql+pymysql://root:pw@gw.tidbcloud.com:4000/appdb?{BUNDLE}", "cluster prefix"),
        (f"mysql+pymysql://4kQ.root@gw.tidbcloud.com:4000/appdb?{BUNDLE}", "no password"),
    ],
)
async def test_tidb_cloud_shape_problems_warn(run_checks: RunChecks, url: str, words: str) -> None:
    r = await verdict(run_checks, url)
    assert r.status is Status.WARN
    assert words in r.summary


async def test_several_problems_are_all_listed(run_checks: RunChecks) -> None:
    r = await verdict(run_checks, "mysql://root:pw@gw.tidbcloud.com/appdb?ssl_mode=VERIFIED")
    assert r.status is Status.FAIL
    assert "more problems below" in r.summary
    listed = " ".join(v for k, v in r.evidence.items() if k.startswith("problem"))
    assert "ssl_mode" in listed and "cluster prefix" in listed and "3306" in listed
