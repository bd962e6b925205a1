"""CORS_ORIGINS: origin_of, judge_origin and the verdict over whole lists."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from launchtui.checks.env_cors import assess_cors_origins, judge_origin, origin_of
from tests.fuzz.strategies import ANY_TEXT, FUZZ, NASTY, mixed

SCHEMES = st.sampled_from(["https://", "http://", "", "HTTPS://", "ftp://", "//", "https:/"])
HOSTS = st.sampled_from(
    ["app.example.com", "localhost", "10.0.0.1", "[::1]", "[::1", "é.example", "xn--zz", "a..b"]
) | mixed("abc.-[]:@é*", 16)
TAILS = st.sampled_from(["", "/", ":443", ":8443", ":0", ":x", ":99999", "/path?q#f", ":\u0663"])
ORIGINS = st.builds(lambda s, h, t: f"{s}{h}{t}", SCHEMES, HOSTS, TAILS)
ENTRIES = ANY_TEXT | NASTY | ORIGINS


@FUZZ
@given(ENTRIES)
def test_origin_of_is_none_or_a_normal_origin(url: str) -> None:
    origin = origin_of(url)
    if origin is not None:
        scheme, sep, _host = origin.partition("://")
        assert sep and scheme == scheme.lower()
        if origin.isascii() and origin.isprintable() and " " not in origin:
            assert origin_of(origin) == origin


@FUZZ
@given(ENTRIES)
def test_a_corrected_origin_is_accepted_as_it_is(entry: str) -> None:
    fixed, problem, fails = judge_origin(entry)
    assert problem is not None or not fails
    if fixed is not None:
        assert fixed.startswith("https://")
        assert judge_origin(fixed) == (fixed, None, False), fixed
        assert origin_of(fixed) == fixed


@FUZZ
@given(st.lists(ENTRIES, max_size=6), st.sampled_from([",", ", ", " ,"]), st.none() | ENTRIES)
def test_any_origins_list_gets_a_verdict(
    entries: list[str], sep: str, frontend: str | None
) -> None:
    v = assess_cors_origins(sep.join(entries), frontend)
    assert v.summary
    for origin in v.facts.get("origins", ()):
        assert judge_origin(origin) == (origin, None, False) or origin == origin_of(frontend or "")
