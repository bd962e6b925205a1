"""Properties over arbitrary input: always a verdict, never a traceback, never a password."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from launchtui.checks.env import assess_database_url
from launchtui.checks.env_cloudinary import assess_cloudinary_url
from launchtui.checks.env_cors import assess_cors_origins, judge_origin
from launchtui.checks.env_debug import assess_flask_debug
from launchtui.checks.env_keys import assess_key
from launchtui.checks.frontend import assess_api_url, assess_cloud_name
from launchtui.core.model import Status, Verdict

FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
# Any text an environment can hold, including lone surrogates (undecodable bytes on Linux).
ANY_TEXT = st.text(st.characters(exclude_categories=()), max_size=80)
URLISH = st.text(alphabet="abcXYZ019.:/@?&=%#[]*_-+ \t,é\udcff", max_size=60)
CANARY = "Zq7CANARYpw"


def all_text(v: Verdict) -> str:
    return " ".join([v.summary, v.remediation, v.command or "", *v.evidence, *v.evidence.values()])


def is_sane(v: Verdict) -> bool:
    """A real verdict whose every string is printable on a UTF-8 terminal."""
    text = all_text(v)
    text.encode("utf-8")
    return isinstance(v.status, Status) and bool(v.summary) and text.isprintable()


@FAST
@given(ANY_TEXT | URLISH.map(lambda s: "mysql+pymysql://" + s))
def test_any_database_url_text_gets_a_verdict(raw: str) -> None:
    assert is_sane(assess_database_url(raw))


@FAST
@given(ANY_TEXT | URLISH, st.none() | ANY_TEXT | URLISH)
def test_any_cors_origins_text_gets_a_verdict(raw: str, frontend: str | None) -> None:
    assert is_sane(assess_cors_origins(raw, frontend))
    for entry in raw.split(","):
        fixed, _problem, _fails = judge_origin(entry)
        assert fixed is None or fixed.startswith("https://")


@FAST
@given(ANY_TEXT, ANY_TEXT, st.none() | ANY_TEXT)
def test_the_other_assessors_never_raise(a: str, b: str, c: str | None) -> None:
    for v in (
        assess_key("SECRET_KEY", a, ("JWT_SECRET_KEY", b)),
        assess_cloudinary_url(a, c),
        assess_cloudinary_url("cloudinary://" + a, c),
        assess_flask_debug(a, c),
        assess_api_url(a, c),
        assess_api_url("https://" + a, "https://" + b),
        assess_cloud_name(a, c),
    ):
        assert is_sane(v)


PASSWORDS = st.text(alphabet="abc019%:/?#&=+ é", max_size=8).map(lambda s: CANARY + s)
HOSTS = st.sampled_from(["gw.tidbcloud.com", "h", "", "[::1]", "h:4000", "h:x", "é.com"])
QUERIES = st.sampled_from(
    ["", "?ssl_mode=VERIFIED", "?ssl_ca=/x", "?a=1&a=2", "?ssl_key_password=p"]
)


@FAST
@given(
    st.sampled_from(["mysql+pymysql", "mysql", "postgresql", "mariadb+pymysql"]),
    st.text(alphabet="ab.z", max_size=6),
    PASSWORDS,
    HOSTS,
    st.text(alphabet="db_/", max_size=5),
    QUERIES,
)
def test_a_database_password_never_appears_in_the_verdict(
    driver: str, user: str, password: str, host: str, db: str, query: str
) -> None:
    v = assess_database_url(f"{driver}://{user}:{password}@{host}/{db}{query}")
    assert CANARY not in all_text(v)


@FAST
@given(
    st.text(alphabet="0123456789ab", max_size=16),
    st.text(alphabet="abcXYZ_-019/:?", max_size=10).map(lambda s: CANARY + s),
    st.text(alphabet="my-cloud/?=.", max_size=12),
)
def test_a_cloudinary_secret_never_appears_in_the_verdict(key: str, secret: str, rest: str) -> None:
    v = assess_cloudinary_url(f"cloudinary://{key}:{secret}@{rest}")
    assert CANARY not in all_text(v)
    assert CANARY not in all_text(assess_cloud_name(f"cloudinary://{key}:{secret}@{rest}", "c"))


@FAST
@given(ANY_TEXT.map(lambda s: CANARY + s))
def test_a_signing_key_never_appears_in_the_verdict(key: str) -> None:
    assert CANARY not in all_text(assess_key("SECRET_KEY", key, ("JWT_SECRET_KEY", key)))
