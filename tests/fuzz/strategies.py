"""Shared settings and input strategies for the fuzz suite."""

from __future__ import annotations

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

# Deterministic (CI never flakes) and bounded (the suite runs in seconds on 2 cores).
FUZZ = settings(
    max_examples=150,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
# For properties that write files: fewer examples, each does real I/O.
FUZZ_IO = settings(FUZZ, max_examples=80)

# Any text an environment or file name can hold, lone surrogates included.
ANY_TEXT = st.text(st.characters(exclude_categories=()), max_size=80)
# Inputs that have broken parsers before: oversized numbers (int() refuses > 4300 digits),
# deep nesting (RecursionError), NULs, lone surrogates, odd digits and odd whitespace.
HUGE_DIGITS = "9" * 5000
NASTY = st.sampled_from(
    [
        HUGE_DIGITS,
        "1" * 4301,
        "[" * 3000,
        "{" * 3000,
        "(" * 3000,
        "\x00",
        "\udcff",
        "\ufeff",
        "\r\n",
        "\u2028",
        "\u0663\u0664",  # Arabic-Indic digits: \d matches them
        "\uff11",  # fullwidth digit one
        "-0",
        "1e999",
        "NaN",
        "0001-01-01T00:00:00+01:00",
        "9999-12-31T23:59:59-01:00",
        "99999999T999999Z",
        "20260230T256199Z",
    ]
)


def mixed(alphabet: str, max_size: int = 60) -> st.SearchStrategy[str]:
    """Text from `alphabet`, any text, and nasty fragments, glued together."""
    piece = st.text(alphabet=alphabet, max_size=max_size) | ANY_TEXT | NASTY
    return st.lists(piece, max_size=4).map("".join)


def mixed_bytes(alphabet: bytes, max_size: int = 200) -> st.SearchStrategy[bytes]:
    """Bytes: random, from `alphabet`, UTF-8 of nasty text, and invalid UTF-8."""
    piece = (
        st.binary(max_size=max_size)
        | st.text(alphabet=alphabet.decode("latin-1"), max_size=max_size).map(
            lambda s: s.encode("latin-1")
        )
        | NASTY.map(lambda s: s.encode("utf-8", "surrogatepass"))
        | st.sampled_from([b"\xff\xfe", b"\xc3", b"\xed\xa0\x80", b"\x00" * 3])
    )
    return st.lists(piece, max_size=5).map(b"".join)
