"""`--older-than`/`--max-wait`/`--keep` flags, and dump tools' `--version` lines."""

from __future__ import annotations

import argparse

from hypothesis import given
from hypothesis import strategies as st

from launchtui.actions.cleanup import MAX_OLDER_THAN, format_duration, parse_duration
from launchtui.cli import _duration
from launchtui.cli_backup import _positive_int, _seconds
from launchtui.probes.dump_tools import (
    dump_flags,
    example_command,
    parse_version,
    safe_flags,
    verifies_by_default,
    writes_sandbox_line,
)
from tests.fuzz.strategies import ANY_TEXT, FUZZ, HUGE_DIGITS, NASTY, mixed

UNITS = st.sampled_from(["s", "m", "h", "d", "w", "min", "hours", "days", "weeks", "y", "", "ms"])
NUMBERS = st.sampled_from(["0", "-1", "+2", "1.5", ".5", "1.", "007", "1e3", HUGE_DIGITS]) | (
    st.integers(-(10**6), 10**12).map(str)
)
DURATIONS = (
    ANY_TEXT
    | NASTY
    | st.builds(lambda n, sp, u: f"{n}{sp}{u}", NUMBERS, st.sampled_from(["", " ", "\t"]), UNITS)
)


@FUZZ
@given(DURATIONS)
def test_any_duration_parses_or_raises_value_error(text: str) -> None:
    try:
        seconds = parse_duration(text)
    except ValueError as exc:
        assert str(exc).count("--older-than") >= 1
    else:
        assert 0 < seconds <= MAX_OLDER_THAN


@FUZZ
@given(DURATIONS | mixed("0123456789-+ ", 12))
def test_the_cli_flag_types_raise_only_argument_type_error(text: str) -> None:
    for convert in (_duration, _seconds, _positive_int):
        try:
            convert(text)
        except argparse.ArgumentTypeError as exc:
            assert str(exc)


@FUZZ
@given(st.integers(1, int(MAX_OLDER_THAN)))
def test_format_duration_round_trips(seconds: int) -> None:
    assert parse_duration(format_duration(seconds)) == seconds


VERSION_LINES = st.builds(
    lambda tool, a, b, c, tail: f"{tool} Ver {a}.{b}.{c}{tail}",
    st.sampled_from(["mysqldump ", "mariadb-dump ", "mysqldump  Ver 10.19 Distrib", ""]),
    st.integers(0, 99) | st.sampled_from([HUGE_DIGITS, "\u0663"]),
    st.integers(0, 99),
    st.integers(0, 99),
    st.sampled_from(["", "-MariaDB", " for Linux on x86_64", ", for debian-linux-gnu (x86_64)"]),
)
FROM_LINES = st.builds(
    lambda a, b, c, client: f"mariadb-dump from {a}.{b}.{c}-MariaDB, client {client}",
    st.integers(0, 99) | st.just(HUGE_DIGITS),
    st.integers(0, 99),
    st.integers(0, 99),
    mixed("0123456789.", 8),
)
OUTPUTS = st.lists(ANY_TEXT | NASTY | VERSION_LINES | FROM_LINES, max_size=4).map("\n".join)


@FUZZ
@given(OUTPUTS)
def test_any_version_output_parses_or_is_none(output: str) -> None:
    v = parse_version(output)
    if v is None:
        return
    assert v.flavor in ("mariadb", "mysql") and len(v.version) == 3
    assert v.label and v.line
    verifies_by_default(v)
    writes_sandbox_line(v)
    safe_flags(v)
    assert dump_flags(v, "/ca.pem")
    example_command("mysqldump", v, "/ca.pem")


@FUZZ
@given(st.integers(0, 99), st.integers(0, 99), st.integers(0, 99))
def test_a_mysql_version_line_round_trips(a: int, b: int, c: int) -> None:
    v = parse_version(
        f"mysqldump  Ver {a}.{b}.{c} for Linux on x86_64 (MySQL Community Server - GPL)"
    )
    assert v is not None and (v.flavor, v.version, v.text) == ("mysql", (a, b, c), f"{a}.{b}.{c}")
