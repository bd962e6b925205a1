"""db.connect against a real TLS MariaDB: each layer's failure is named, success has evidence."""

from __future__ import annotations

import time
from pathlib import Path

import pymysql
import pytest

from launchtui.core.model import Status
from launchtui.probes.database import PROBE_BUDGET_S, verified_connection
from launchtui.probes.dburl import intended_tls, parse_database_url
from tests.probe_db.support import db_connect, run_checks
from tests.servers.mariadb import MariaDB, SilentServer


def _all_text(result: object) -> str:
    r = result
    return " ".join(
        [r.summary, r.remediation, r.command or "", *r.evidence.keys(), *r.evidence.values()]  # type: ignore[attr-defined]
    )


async def test_healthy_database_passes_with_version_tls_latency_and_wait_timeout(
    mariadb: MariaDB,
) -> None:
    result = await db_connect(mariadb.url)
    assert result.status is Status.PASS, result.summary
    assert "answers over verified TLS" in result.summary
    assert "MariaDB" in result.summary
    assert "MariaDB 10." in result.evidence["server"]
    assert result.evidence["tls"].startswith("TLSv1.3, TLS_")
    assert result.evidence["latency"].endswith("ms (SELECT 1 round trip)")
    assert result.evidence["wait_timeout"].startswith("28800 s")
    assert "host name checked" in result.evidence["CA in use"]
    assert str(mariadb.ca_pem) in result.evidence["CA in use"]
    for layer in ("dns", "tcp", "tls", "auth", "query"):
        assert f"{layer} " in result.evidence["timings"]
    assert result.facts["layer"] == "none"
    assert result.facts["wait_timeout"] == 28800
    assert result.facts["is_tidb"] is False
    assert "MariaDB" in result.facts["server_version"]
    assert 0 < result.facts["latency_ms"] < 1000
    probe = result.facts["probe"]
    assert [s.status for s in probe.steps] == ["pass"] * 5
    assert mariadb.password not in _all_text(result)
    assert mariadb.password not in result.evidence["url"]


async def test_wrong_ca_fails_at_the_tls_layer_as_untrusted(mariadb: MariaDB) -> None:
    result = await db_connect(mariadb.url_for(query=""), ca_file=mariadb.wrong_ca_pem)
    assert result.status is Status.FAIL
    assert result.facts["layer"] == "tls"
    assert result.summary.startswith("TLS handshake failed:")
    assert "not trusted by the CA bundle in use" in result.summary
    assert "--ca-file" in result.remediation
    assert "/etc/ssl/certs/ca-certificates.crt" in result.remediation
    assert result.evidence["tcp"].startswith("✔")
    assert result.evidence["tls"] == "✘ failed here (see the summary)"
    assert result.evidence["auth"] == "– not tried"


async def test_the_urls_ca_wins_over_ca_file_so_a_wrong_url_ca_fails_at_tls(
    mariadb: MariaDB,
) -> None:
    # The backend verifies with the URL's ssl_ca: a right --ca-file must not hide a wrong one.
    wrong_in_url = mariadb.url_for(query=f"ssl_ca={mariadb.wrong_ca_pem}")
    result = await db_connect(wrong_in_url, ca_file=mariadb.ca_pem)
    assert result.status is Status.FAIL
    assert result.facts["layer"] == "tls"
    assert "the URL's own ssl_ca" in result.summary
    assert "the backend fails to connect the same way" in result.summary
    assert "ssl_ca in DATABASE_URL" in result.remediation
    assert str(mariadb.wrong_ca_pem) in result.evidence["CA in use"]
    assert "not used: the URL names its own CA" in result.evidence["CA in use"]


async def test_a_right_url_ca_passes_even_with_a_wrong_ca_file(mariadb: MariaDB) -> None:
    result = await db_connect(mariadb.url, ca_file=mariadb.wrong_ca_pem)
    assert result.status is Status.PASS, result.summary
    assert str(mariadb.ca_pem) in result.evidence["CA in use"]
    assert "the CA the backend will use" in result.evidence["CA in use"]


async def test_ca_file_serves_when_the_urls_ca_is_not_on_this_machine(
    mariadb: MariaDB, tmp_path: Path
) -> None:
    elsewhere = tmp_path / "on-the-backend-only.pem"
    url = mariadb.url_for(query=f"ssl_ca={elsewhere}")
    result = await db_connect(url, ca_file=mariadb.ca_pem)
    assert result.status is Status.PASS, result.summary
    shown = result.evidence["CA in use"]
    assert str(mariadb.ca_pem) in shown
    assert f"--ca-file, because the URL's ssl_ca {elsewhere} does not exist" in shown
    wrong_flag = await db_connect(url, ca_file=mariadb.wrong_ca_pem)
    assert wrong_flag.status is Status.FAIL
    assert wrong_flag.facts["layer"] == "tls"
    assert "--ca-file" in wrong_flag.remediation


async def test_certificate_for_another_host_fails_at_tls_naming_the_host(
    mariadb: MariaDB,
) -> None:
    # The server listens on this address too, but its certificate names only 127.0.0.1.
    result = await db_connect(mariadb.url_for(host=mariadb.unnamed_host))
    assert result.status is Status.FAIL
    assert result.facts["layer"] == "tls"
    assert "not issued for the host name '127.0.0.2'" in result.summary
    assert "mismatch" in result.summary
    assert "host name in DATABASE_URL" in result.remediation


async def test_wrong_password_fails_at_auth_and_names_the_plain_tls_possibility(
    mariadb: MariaDB,
) -> None:
    canary = "Canary" + "Wr0ngPassw0rd"
    result = await db_connect(mariadb.url_for(password=canary))
    assert result.status is Status.FAIL
    assert result.facts["layer"] == "auth"
    assert result.summary.startswith("Authentication failed:")
    assert "1045" in result.summary
    assert "password" in result.summary
    assert "without TLS while the server requires secure transport" in result.summary
    assert result.evidence["tls"].startswith("✔")
    probe = result.facts["probe"]
    raw = " ".join([probe.summary, probe.remediation, *(s.summary for s in probe.steps)])
    for secret in (canary, mariadb.password):
        assert secret not in raw
        assert secret not in _all_text(result)


def test_plain_client_gets_the_same_1045_as_a_wrong_password(mariadb: MariaDB) -> None:
    with pytest.raises(pymysql.err.OperationalError) as plain:
        pymysql.connect(
            host=mariadb.host,
            port=mariadb.port,
            user=mariadb.user,
            password=mariadb.password,
            ssl_disabled=True,
            connect_timeout=5,
            read_timeout=5,
        )
    assert plain.value.args[0] == 1045


async def test_unknown_database_fails_at_auth_saying_it_does_not_exist(mariadb: MariaDB) -> None:
    # A user with rights on every database learns that the database is missing (1049).
    mariadb.create_user("dba_1049", "Dba" + mariadb.password, ["*"])
    try:
        url = mariadb.url_for(user="dba_1049", password="Dba" + mariadb.password, database="nodb")
        result = await db_connect(url)
    finally:
        mariadb.root_sql("DROP USER 'dba_1049'@'%'")
    assert result.status is Status.FAIL
    assert result.facts["layer"] == "auth"
    assert "database 'nodb' does not exist (1049" in result.summary
    assert result.command == "CREATE DATABASE `nodb`;"


async def test_database_the_user_may_not_see_fails_at_auth_naming_both_causes(
    mariadb: MariaDB,
) -> None:
    # Everyone else gets 1044 whether the database is missing or merely forbidden.
    result = await db_connect(mariadb.url_for(database="no_such_db"))
    assert result.status is Status.FAIL
    assert result.facts["layer"] == "auth"
    assert "may not use database 'no_such_db', or it does not exist (1044" in result.summary


async def test_refused_port_fails_at_the_tcp_layer(mariadb: MariaDB, refused_port: int) -> None:
    result = await db_connect(mariadb.url_for(port=refused_port))
    assert result.status is Status.FAIL
    assert result.facts["layer"] == "tcp"
    assert f"127.0.0.1:{refused_port} refused the connection" in result.summary
    assert result.evidence["dns"].startswith("✔")
    assert result.command == f"nc -vz -w 5 127.0.0.1 {refused_port}"


async def test_unknown_host_fails_at_the_dns_layer(mariadb: MariaDB) -> None:
    result = await db_connect(mariadb.url_for(host="db.invalid"))
    assert result.status is Status.FAIL
    assert result.facts["layer"] == "dns"
    assert result.summary.startswith("DNS lookup failed: db.invalid does not resolve")
    assert result.command == "getent hosts db.invalid"


async def test_silent_server_fails_within_the_probe_budget(
    mariadb: MariaDB, silent_tcp_server: SilentServer
) -> None:
    started = time.perf_counter()
    result = await db_connect(mariadb.url_for(port=silent_tcp_server.port))
    elapsed = time.perf_counter() - started
    assert silent_tcp_server.accepted >= 1
    assert result.status is Status.FAIL
    assert elapsed < PROBE_BUDGET_S + 1.5, f"took {elapsed:.1f} s"
    assert result.facts["layer"] == "tls"
    assert "sent no MySQL greeting within 5 s" in result.summary
    print(f"silent server: db.connect failed after {elapsed:.2f} s")


async def test_ssl_mode_verified_url_is_still_probed_with_verification(mariadb: MariaDB) -> None:
    url = mariadb.url_for(query="ssl_mode=VERIFIED")
    results = await run_checks(
        {"DATABASE_URL": url}, ["env.database_url", "db.connect"], ca_file=mariadb.ca_pem
    )
    assert results["env.database_url"].status is Status.FAIL
    connect = results["db.connect"]
    assert connect.status is Status.PASS, connect.summary
    assert "env.database_url failed" in connect.summary
    assert "host name checked" in connect.evidence["CA in use"]
    # Without the CA the same URL is verified against the system store, which rejects it.
    unverified = await db_connect(url)
    assert unverified.status is Status.FAIL
    assert unverified.facts["layer"] == "tls"
    assert "system store" in unverified.summary


async def test_missing_or_unparsable_url_is_skipped_with_a_reason() -> None:
    unset = (await run_checks({}, ["db.connect"]))["db.connect"]
    assert unset.status is Status.SKIP
    assert "DATABASE_URL is not set" in unset.summary
    garbage = await db_connect("not a url \x00 at all")
    assert garbage.status is Status.SKIP
    assert "env.database_url" in garbage.summary


def test_verified_connection_runs_queries_and_refuses_an_untrusted_server(
    mariadb: MariaDB,
) -> None:
    url = parse_database_url(mariadb.url)
    with verified_connection(url, intended_tls(url)) as conn, conn.cursor() as cur:
        cur.execute("SELECT DATABASE()")
        assert cur.fetchone() == ("appdb",)
    bare = parse_database_url(mariadb.url_for(query=""))
    wrong = intended_tls(bare, ca_file=str(mariadb.wrong_ca_pem))
    with (
        pytest.raises(pymysql.err.OperationalError, match="CERTIFICATE_VERIFY_FAILED"),
        verified_connection(bare, wrong),
    ):
        pass
