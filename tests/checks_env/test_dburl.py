"""DATABASE_URL parsing and TLS posture, checked against the real SQLAlchemy dialect and PyMySQL."""

from __future__ import annotations

import ssl
from pathlib import Path
from typing import Any

import pymysql
import pytest
import trustme
from sqlalchemy import create_engine, text
from sqlalchemy.dialects.mysql.pymysql import MySQLDialect_pymysql
from sqlalchemy.engine import make_url

from launchtui.probes.dburl import (
    SYSTEM_CA_BUNDLE,
    DbUrlError,
    effective_tls,
    intended_tls,
    parse_database_url,
    suggested_url,
    url_problems,
)

HOST = "gateway01.us-west-2.prod.aws.tidbcloud.com"


@pytest.fixture(scope="module")
def ca_file(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A real CA bundle on disk, so PyMySQL can load it when it builds its TLS context."""
    path = tmp_path_factory.mktemp("ca") / "ca.pem"
    trustme.CA().cert_pem.write_to_path(str(path))
    return str(path)


def real_connect_kwargs(url: str) -> dict[str, Any]:
    """What SQLAlchemy's pymysql dialect really hands to pymysql.connect."""
    _args, kwargs = MySQLDialect_pymysql().create_connect_args(make_url(url))
    return kwargs


def real_tls_context(url: str) -> pymysql.connections.Connection:
    """A PyMySQL connection object built (not connected) from the real dialect's kwargs."""
    return pymysql.connect(**real_connect_kwargs(url), defer_connect=True)


# The domain-facts table, row by row: (query, host checked, cert verified, CA dropped).
TABLE = [
    ("ssl_ca={ca}&ssl_verify_cert=true&ssl_verify_identity=true", False, True, ("ssl_ca",)),
    ("ssl_verify_cert=true&ssl_verify_identity=true", False, True, ()),
    ("ssl_ca={ca}", True, True, ()),
    ("ssl_ca={ca}&ssl_check_hostname=true", True, True, ()),
    ("", False, False, ()),
]
# Forms outside the table that users write, and what PyMySQL makes of them.
MORE = [
    ("ssl_ca={ca}&ssl_check_hostname=false", False, True, ()),
    ("ssl_verify_identity=false", False, True, ()),  # the string 'false' is truthy
    ("ssl_verify_cert=false", False, False, ()),
    ("ssl_verify_cert=true", False, True, ()),
    ("ssl_cipher=ECDHE-RSA-AES128-GCM-SHA256", False, False, ()),
    ("ssl_ca={ca}&ssl_verify_cert=false", False, False, ("ssl_ca",)),
]


@pytest.mark.parametrize(("query", "host_checked", "cert_verified", "dropped"), TABLE + MORE)
def test_posture_matches_the_ssl_context_pymysql_really_builds(
    ca_file: str, query: str, host_checked: bool, cert_verified: bool, dropped: tuple[str, ...]
) -> None:
    raw = f"mysql+pymysql://u.root:pw@{HOST}:4000/db" + (
        f"?{query.format(ca=ca_file)}" if query else ""
    )
    posture = effective_tls(parse_database_url(raw))
    conn = real_tls_context(raw)
    real_verified = conn.ctx.verify_mode in (ssl.CERT_REQUIRED, ssl.CERT_OPTIONAL)
    assert (posture.verify_cert, posture.verify_host) == (real_verified, conn.ctx.check_hostname)
    assert (posture.verify_cert, posture.verify_host) == (cert_verified, host_checked)
    assert posture.dropped == dropped
    assert posture.rejected_args == ()
    # The CA PyMySQL really loaded: only ours when it was not dropped.
    ours_only = len(conn.ctx.get_ca_certs()) == 1
    assert ours_only == (posture.ca_file == ca_file)


def test_url_values_reach_pymysql_as_strings_and_only_ssl_args_are_folded(ca_file: str) -> None:
    kwargs = real_connect_kwargs(
        f"mysql+pymysql://u:pw@h:4000/db?ssl_ca={ca_file}&ssl_verify_identity=false"
        "&ssl_check_hostname=true&charset=utf8mb4"
    )
    assert kwargs["ssl"] == {"ca": ca_file, "check_hostname": True}
    assert kwargs["ssl_verify_identity"] == "false"  # a non-empty string: truthy
    assert kwargs["charset"] == "utf8mb4"


def test_no_tls_arguments_mean_preferred_unverified_tls() -> None:
    posture = effective_tls(parse_database_url(f"mysql+pymysql://u.root:pw@{HOST}:4000/db"))
    conn = real_tls_context(f"mysql+pymysql://u.root:pw@{HOST}:4000/db")
    assert conn.ssl and not conn._ssl_required and conn.ctx.verify_mode == ssl.CERT_NONE
    assert not posture.tls_required and not posture.verify_cert
    assert "preferred" in posture.description


def test_ssl_disabled_false_switches_tls_off() -> None:
    raw = f"mysql+pymysql://u.root:pw@{HOST}:4000/db?ssl_disabled=false"
    posture = effective_tls(parse_database_url(raw))
    assert real_tls_context(raw).ssl is False
    assert not posture.tls_required and "switched off" in posture.description


@pytest.mark.parametrize("mode", ["VERIFIED", "VERIFY_IDENTITY"])
def test_ssl_mode_is_rejected_by_pymysql_on_first_connect(refused_port: int, mode: str) -> None:
    raw = f"mysql+pymysql://u.root:pw@127.0.0.1:{refused_port}/db?ssl_mode={mode}"
    kwargs = real_connect_kwargs(raw)
    assert kwargs["ssl_mode"] == mode
    with pytest.raises(TypeError, match="ssl_mode"):
        pymysql.connect(**kwargs, connect_timeout=2)
    posture = effective_tls(parse_database_url(raw))
    assert posture.rejected_args == ("ssl_mode",)
    assert "works only if the backend rewrites it" in posture.description


def test_ssl_mode_passes_create_engine_and_fails_unwrapped_at_connect(refused_port: int) -> None:
    engine = create_engine(f"mysql+pymysql://u:pw@127.0.0.1:{refused_port}/db?ssl_mode=VERIFIED")
    try:
        with pytest.raises(TypeError, match="unexpected keyword argument 'ssl_mode'"):
            engine.connect()
    finally:
        engine.dispose()


def test_the_suggested_form_is_accepted_by_pymysql(refused_port: int) -> None:
    url = parse_database_url(f"mysql+pymysql://u:pw@127.0.0.1:{refused_port}/db?ssl_mode=VERIFIED")
    fixed = suggested_url(url).replace("****", "pw")
    kwargs = real_connect_kwargs(fixed)
    # Accepted arguments: the connection gets as far as the refused TCP port.
    with pytest.raises(pymysql.err.OperationalError) as caught:
        pymysql.connect(**kwargs, connect_timeout=2)
    assert caught.value.args[0] == 2003


@pytest.mark.parametrize(
    ("query", "why"),
    [
        ("ssl_check_hostname=maybe", "not true/false"),
        ("connect_timeout=soon", "not a whole number"),
        ("charset=utf8&charset=utf8mb4", "more than once"),
        ("compress=true", "NotImplementedError"),
        ("sslmode=require", "TypeError"),
    ],
)
def test_arguments_sqlalchemy_or_pymysql_cannot_use_are_rejected(query: str, why: str) -> None:
    posture = effective_tls(parse_database_url(f"mysql+pymysql://u:pw@h/db?{query}"))
    assert posture.rejected_args
    assert any(why in note for note in posture.notes)


def test_bad_coercions_really_raise_in_sqlalchemy() -> None:
    for query in ("ssl_check_hostname=maybe", "connect_timeout=soon"):
        with pytest.raises(ValueError):
            real_connect_kwargs(f"mysql+pymysql://u:pw@h/db?{query}")


# -- against a real TLS MariaDB: what actually connects ---------------------------


def _connects(url: str) -> str:
    """'ok' if a real SQLAlchemy engine runs SELECT 1 with this URL, else the error text."""
    engine = create_engine(url, connect_args={"connect_timeout": 5, "read_timeout": 5})
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        return "ok"
    except Exception as exc:
        return str(exc)
    finally:
        engine.dispose()


def test_ssl_ca_alone_verifies_cert_and_host_on_a_real_server(mariadb_server: Any) -> None:
    db = mariadb_server
    assert _connects(db.url_for(query=f"ssl_ca={db.ca_pem}")) == "ok"
    wrong_host = _connects(db.url_for(host=db.unnamed_host, query=f"ssl_ca={db.ca_pem}"))
    assert "certificate is not valid" in wrong_host or "mismatch" in wrong_host
    wrong_ca = _connects(db.url_for(query=f"ssl_ca={db.wrong_ca_pem}"))
    assert "CERTIFICATE_VERIFY_FAILED" in wrong_ca


def test_verify_cert_and_identity_drop_the_ca_on_a_real_server(mariadb_server: Any) -> None:
    db = mariadb_server
    query = f"ssl_ca={db.ca_pem}&ssl_verify_cert=true&ssl_verify_identity=true"
    # The right CA is given, yet verification fails: PyMySQL used the system store instead.
    assert "CERTIFICATE_VERIFY_FAILED" in _connects(db.url_for(query=query))
    assert effective_tls(parse_database_url(db.url_for(query=query))).dropped == ("ssl_ca",)


def test_no_tls_arguments_connect_to_a_server_nobody_verified(mariadb_server: Any) -> None:
    db = mariadb_server
    assert _connects(db.url_for(host=db.unnamed_host, query="")) == "ok"
    assert not effective_tls(parse_database_url(db.url_for(query=""))).verify_cert


# -- parsing and masking ------------------------------------------------------------


def test_parse_reads_every_part_and_masks_the_password() -> None:
    url = parse_database_url(
        f"mysql+pymysql://4kQ.root:p%40ss%2Fw0rd@{HOST}:4000/app?ssl_ca=/x.pem&charset=utf8mb4"
    )
    assert (url.drivername, url.host, url.port, url.database) == (
        "mysql+pymysql",
        HOST,
        4000,
        "app",
    )
    assert url.username == "4kQ.root"
    assert url.password is not None and url.password.reveal() == "p@ss/w0rd"
    assert dict(url.query) == {"ssl_ca": "/x.pem", "charset": "utf8mb4"}
    assert (
        url.masked == f"mysql+pymysql://4kQ.root:****@{HOST}:4000/app?ssl_ca=/x.pem&charset=utf8mb4"
    )
    assert url.is_tidb_cloud


def test_masking_covers_unencoded_slashes_and_password_query_values() -> None:
    url = parse_database_url("mysql+pymysql://u:se/cr?et@h/db?ssl_key_password=k3y-pass&x=1")
    assert url.password is not None and url.password.reveal() == "se/cr?et"
    assert "se/cr" not in url.masked and "k3y-pass" not in url.masked
    assert url.masked.endswith("ssl_key_password=****&x=1")


def test_repeated_query_keys_keep_the_last_value_and_are_reported() -> None:
    url = parse_database_url("mysql+pymysql://u:p@h/db?charset=a&charset=b")
    assert url.query["charset"] == "b" and url.repeated == ("charset",)


@pytest.mark.parametrize(
    ("raw", "words"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("gateway01.tidbcloud.com:4000", "not a database URL"),
        ("mysql+pymysql://u:secretpw@h:40o0/db", "port"),
        ("mysql+pymysql://u:pa@ss@h:4000/db", "%40"),
    ],
)
def test_unusable_urls_raise_a_safe_sentence(raw: str, words: str) -> None:
    with pytest.raises(DbUrlError) as caught:
        parse_database_url(raw)
    assert words in str(caught.value)
    assert "secretpw" not in str(caught.value) and "pa@ss" not in str(caught.value)


# -- what a probe should do, and the form launchtui recommends ------------------------


def test_intended_tls_never_drops_below_certificate_verification() -> None:
    for query in ("", "ssl_mode=REQUIRED", "ssl_verify_cert=false", "ssl_disabled=true"):
        assert intended_tls(parse_database_url(f"mysql+pymysql://u:p@h/db?{query}")).verify_cert


def test_intended_tls_keeps_host_checking_unless_the_author_turned_it_off() -> None:
    def host(q: str) -> bool:
        return intended_tls(parse_database_url(f"mysql+pymysql://u:p@h/db?{q}")).verify_host

    assert host("ssl_mode=VERIFIED") and host("ssl_mode=VERIFY_IDENTITY") and host("")
    assert host("ssl_verify_cert=true&ssl_verify_identity=true")
    assert not host("ssl_check_hostname=false")
    assert not host("ssl_mode=VERIFY_CA")


def test_intended_tls_prefers_the_urls_own_ca_then_the_given_one(
    ca_file: str, tmp_path: Path
) -> None:
    url = parse_database_url(f"mysql+pymysql://u:p@h/db?ssl_ca={ca_file}")
    assert intended_tls(url).ca_file == ca_file
    # The backend verifies with the URL's CA, so the probe does too, whatever --ca-file says.
    given = intended_tls(url, "/given/ca.pem")
    assert (given.ca_file, given.ca_source) == (ca_file, "url")
    assert "--ca-file /given/ca.pem is not used" in given.ca_why
    remote = parse_database_url(f"mysql+pymysql://u:p@h/db?ssl_ca={tmp_path}/absent.pem")
    assert intended_tls(remote).ca_file is None  # the backend's path, not this machine's
    assert intended_tls(remote).ca_source == "system"
    fallback = intended_tls(remote, "/given/ca.pem")
    assert (fallback.ca_file, fallback.ca_source) == ("/given/ca.pem", "flag")
    assert "does not exist on this machine" in fallback.ca_why
    bare = intended_tls(parse_database_url("mysql+pymysql://u:p@h/db"), "/given/ca.pem")
    assert (bare.ca_file, bare.ca_source) == ("/given/ca.pem", "flag")
    assert "names no ssl_ca" in bare.ca_why


@pytest.mark.parametrize(
    "query",
    ["ssl_mode=VERIFIED", "", "ssl_verify_cert=true&ssl_verify_identity=true", "charset=utf8mb4"],
)
def test_suggested_url_verifies_cert_and_host(query: str) -> None:
    url = parse_database_url(f"mysql+pymysql://u.root:pw@{HOST}:4000/db?{query}")
    fixed = suggested_url(url)
    assert "pw@" not in fixed and ":****@" in fixed
    posture = effective_tls(parse_database_url(fixed))
    assert posture.verify_cert and posture.verify_host and not posture.rejected_args
    assert f"ssl_ca={SYSTEM_CA_BUNDLE}" in fixed


def test_url_problems_list_failures_before_warnings() -> None:
    url = parse_database_url("mysql+pymysql://root:pw@gw.tidbcloud.com/db?ssl_mode=VERIFIED")
    problems = url_problems(url)
    assert [p.fails for p in problems] == sorted((p.fails for p in problems), reverse=True)
    assert any("cluster prefix" in p.summary for p in problems)
    assert any("ssl_mode=VERIFIED" in p.summary for p in problems)
