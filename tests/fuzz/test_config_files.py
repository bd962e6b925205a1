"""Dotenv files and `launchtui.toml` profiles: their values, or a ConfigError."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from launchtui.core.config import (
    LINK_KEYS,
    PATH_KEYS,
    STR_KEYS,
    ConfigError,
    Settings,
    load_settings,
    read_dotenv,
    read_profiles,
)
from tests.fuzz.strategies import FUZZ_IO, HUGE_DIGITS, NASTY, mixed, mixed_bytes

DOTENV_BYTES = mixed_bytes(b"ABC_=\"' #$\\{}\nexport \r\t", 120)


@FUZZ_IO
@given(DOTENV_BYTES)
def test_any_dotenv_bytes_read_or_raise_config_error(data: bytes) -> None:
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / ".env"
        path.write_bytes(data)
        try:
            values = read_dotenv(path)
        except ConfigError as exc:
            assert str(exc)
            return
    assert all(isinstance(k, str) and isinstance(v, str) for k, v in values.items())


NAMES = st.from_regex(r"[A-Z_][A-Z0-9_]{0,12}", fullmatch=True)
PLAIN = st.text(alphabet="abcXYZ019-_./:@%+=,", max_size=30)


@FUZZ_IO
@given(st.dictionaries(NAMES, PLAIN, max_size=6), st.sampled_from(["", "export "]))
def test_plain_dotenv_values_round_trip(env: dict[str, str], prefix: str) -> None:
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / ".env"
        path.write_text("".join(f'{prefix}{k}="{v}"\n' for k, v in env.items()), "utf-8")
        assert read_dotenv(path) == env


TOML_TEXT = mixed("[]profiles.production=\"'\n env_filekeep{}#,1", 80)


def run_profile(text: bytes, flags: dict[str, Any] | None = None) -> Settings | None:
    """read_profiles and load_settings on one config file; None when it is refused."""
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "launchtui.toml"
        path.write_bytes(text)
        try:
            read_profiles(path)
        except ConfigError as exc:
            assert str(exc)
        try:
            return load_settings({"config": str(path), **(flags or {})}, cwd=Path(d))
        except ConfigError as exc:
            assert str(exc)
            return None


@FUZZ_IO
@given(TOML_TEXT | NASTY.map(lambda s: f"a = {s}\n") | NASTY)
def test_any_toml_text_loads_or_raises_config_error(text: str) -> None:
    run_profile(text.encode("utf-8", "surrogatepass"))


@FUZZ_IO
@given(mixed_bytes(b'[]profiles.="\n', 80))
def test_any_config_bytes_load_or_raise_config_error(data: bytes) -> None:
    run_profile(data)


def toml_value(value: Any) -> str:
    """A TOML literal for a JSON-like value (strings as basic strings)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    return "{" + ", ".join(f"{json.dumps(k)} = {toml_value(v)}" for k, v in value.items()) + "}"


# TOML strings cannot hold control characters but escaped ones; json.dumps escapes all but DEL.
TOML_STR = st.text(
    st.characters(exclude_categories=("Cs",), exclude_characters="\x7f"), max_size=20
)
SCALARS = (
    TOML_STR
    | st.integers(-(2**63), 2**63 - 1)
    | st.booleans()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.sampled_from(["production", "~", ".", "..", "a\x00b", "/etc/passwd", "age1xyz"])
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(TOML_STR, inner, max_size=3),
    max_leaves=8,
)
KEYS = st.sampled_from([*PATH_KEYS, *STR_KEYS, "links", "silence", "encrypt_to", "keep", "bogus"])
LINKS = st.dictionaries(st.sampled_from([*LINK_KEYS, "bogus"]), VALUES, max_size=3)
PROFILE = st.dictionaries(KEYS, VALUES | LINKS, max_size=6)


@FUZZ_IO
@given(
    st.dictionaries(st.sampled_from(["production", "staging", "a b", ""]), PROFILE, max_size=3),
    st.none() | st.sampled_from(["production", "staging", "nope"]),
    st.none() | st.frozensets(st.sampled_from(["env.cors_origins", "x"])),
)
def test_any_profile_structure_loads_or_raises_config_error(
    profiles: dict[str, dict[str, Any]], name: str | None, known: frozenset[str] | None
) -> None:
    lines = []
    for pname, body in profiles.items():
        lines.append(f"[profiles.{json.dumps(pname)}]")
        lines += [f"{k} = {toml_value(v)}" for k, v in body.items()]
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "launchtui.toml"
        path.write_text("\n".join(lines) + "\n", "utf-8")
        try:
            loaded = read_profiles(path)
        except ConfigError:
            loaded = None
        else:
            assert set(loaded) == set(profiles)  # the TOML written is the structure given
        try:
            load_settings({"config": str(path), "profile": name}, cwd=Path(d), known_ids=known)
        except ConfigError as exc:
            assert str(exc)


def test_an_oversized_integer_in_a_profile_is_a_config_error() -> None:
    assert run_profile(f"[profiles.production]\nkeep = {HUGE_DIGITS}\n".encode()) is None
