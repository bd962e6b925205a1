"""DATABASE_URL: parsing, TLS posture, problems, the suggested fix and the mask."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from launchtui.core.secrets import MASK
from launchtui.probes.dburl import (
    DbUrlError,
    effective_tls,
    intended_tls,
    mask_database_url,
    parse_database_url,
    suggested_url,
    url_problems,
)
from tests.fuzz.strategies import ANY_TEXT, FUZZ, NASTY, mixed

DRIVERS = st.sampled_from(["mysql+pymysql", "mysql", "MYSQL+PyMySQL", "mariadb", "pg", "x+y+z"])
TLS_KEYS = st.sampled_from(
    [
        "ssl_ca",
        "ssl_key",
        "ssl_cert",
        "ssl_capath",
        "ssl_cipher",
        "ssl_check_hostname",
        "ssl_verify_cert",
        "ssl_verify_identity",
        "ssl_disabled",
        "ssl_key_password",
        "ssl_mode",
        "ssl",
        "compress",
        "local_infile",
        "connect_timeout",
        "read_timeout",
        "client_flag",
        "charset",
        "named_pipe",
        "unix_socket",
        "bogus",
    ]
)
VALUES = st.sampled_from(
    [
        "",
        "1",
        "0",
        "true",
        "false",
        "VERIFIED",
        "VERIFY_IDENTITY",
        "/etc/ssl/certs/ca-certificates.crt",
    ]
) | mixed("abc019%&=/ ", 10)
QUERY = st.lists(st.tuples(TLS_KEYS, VALUES), max_size=5).map(
    lambda kv: "&".join(f"{k}={v}" for k, v in kv)
)
HOSTS = st.sampled_from(
    ["gw.tidbcloud.com", "h", "", "[::1]", "[::1", "1.2.3.4", "é.com", "a@b"]
) | mixed("ab.-:[]", 12)
PORTS = st.sampled_from(["", ":4000", ":0", ":65536", ":x", ":-1", ":99999999999", ":\u0663"])
URLS = st.builds(
    lambda d, u, p, h, port, db, q: f"{d}://{u}:{p}@{h}{port}/{db}?{q}",
    DRIVERS,
    mixed("ab.%:@", 8),
    mixed("pw%:@/?#&=", 8),
    HOSTS,
    PORTS,
    mixed("db_/?%", 8),
    QUERY,
)


def exercise(raw: str) -> None:
    """Everything the checks, actions and runbooks do with a DATABASE_URL."""
    mask_database_url(raw)
    try:
        url = parse_database_url(raw)
    except DbUrlError as exc:
        assert str(exc)
        return
    tls = effective_tls(url)
    assert isinstance(tls.description, str) and tls.description
    for p in url_problems(url, tls):
        assert p.summary and p.fix
    intended_tls(url)
    intended_tls(url, "/no/such/ca.pem")
    suggested_url(url)
    suggested_url(url, "/etc/ssl/certs/ca-certificates.crt")
    repr(url)


@FUZZ
@given(ANY_TEXT | NASTY | URLS)
def test_any_database_url_parses_or_raises_db_url_error(raw: str) -> None:
    exercise(raw)


@FUZZ
@given(URLS)
def test_the_suggested_url_verifies_certificate_and_host(raw: str) -> None:
    try:
        url = parse_database_url(raw)
    except DbUrlError:
        return
    fixed = parse_database_url(suggested_url(url))
    tls = effective_tls(fixed)
    assert tls.verify_cert and tls.verify_host and not tls.rejected_args, suggested_url(url)
    assert fixed.drivername == "mysql+pymysql"


@FUZZ
@given(ANY_TEXT | URLS)
def test_masking_is_idempotent_and_hides_the_password(raw: str) -> None:
    once = mask_database_url(raw)
    assert mask_database_url(once) == once
    try:
        url = parse_database_url(raw)
    except DbUrlError:
        return
    if url.password is not None:
        # SQLAlchemy reads the mask, not the password, from the masked URL.
        masked = parse_database_url(url.masked).password
        assert masked is not None and masked.reveal() == MASK
