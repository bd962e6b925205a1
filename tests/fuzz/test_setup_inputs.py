"""The setup screen's inputs: any typed text is judged, any env file is read or refused,
and any value written into a profile reads back as exactly that value, or is refused."""

from __future__ import annotations

import tempfile
import tomllib
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from launchtui.core.setup import (
    FIELD_KEYS,
    ProfileWriteError,
    discover,
    judge_env_file,
    judge_local,
    profile_text,
    write_profile,
)
from tests.fuzz.strategies import ANY_TEXT, FUZZ, FUZZ_IO, mixed, mixed_bytes

TYPED = mixed("~/.:s3https@ %\\\"'\x00", 40) | st.sampled_from(["a\x00b", "s3://b\x00"])


@FUZZ_IO
@given(st.sampled_from(FIELD_KEYS), TYPED)
def test_any_typed_text_gets_a_judgement_or_goes_to_the_network(key: str, text: str) -> None:
    with tempfile.TemporaryDirectory() as d:
        judgement = judge_local(key, text, Path(d))
    if judgement is None:  # a URL whose form is right: it is asked, never crashed on
        assert key in ("frontend_url", "backend_url", "offsite_endpoint")
        return
    assert judgement.level in ("ok", "warn", "bad", "empty")
    assert judgement.reason and "\n" not in judgement.reason


@FUZZ_IO
@given(mixed_bytes(b"ABC_=\"' #$\\{}\nexport \r\tVITE_DATABASE_URL CORS_ORIGINS https://", 160))
def test_any_env_file_is_judged_and_offered_without_a_crash(data: bytes) -> None:
    with tempfile.TemporaryDirectory() as d:
        root = Path(d)
        (root / ".env.production").write_bytes(data)
        for frontend in (False, True):
            judgement = judge_env_file(".env.production", root, frontend=frontend)
            assert judgement.level in ("ok", "warn", "bad")
            for value in judgement.offers.values():
                assert value.startswith(("https://", "http://"))
        found = discover(root)
        assert set(found.values) <= set(FIELD_KEYS)


VALUES = st.one_of(st.none(), st.just(""), ANY_TEXT, st.sampled_from(["a\x00b", "x\udcff"]))


@FUZZ
@given(
    st.dictionaries(
        st.sampled_from(("frontend_url", "backend_url", "offsite", "migrate_command")),
        VALUES,
        max_size=4,
    ),
    st.one_of(st.none(), mixed("[]profiles.production=\"'\n #frontend_url", 80)),
)
def test_a_written_value_reads_back_as_itself_or_is_refused(
    values: dict[str, str | None], existing: str | None
) -> None:
    try:
        text = profile_text(existing, "production", values, Path("/srv/app"))
    except ProfileWriteError as exc:
        assert str(exc)
        return
    text.encode("utf-8")  # what is accepted can be written
    body = tomllib.loads(text)["profiles"]["production"]
    for key, value in values.items():
        if value is None or value.strip() == "":
            assert key not in body
        else:
            assert body[key] == value.strip()


@FUZZ_IO
@given(st.dictionaries(st.sampled_from(FIELD_KEYS), VALUES, max_size=5))
def test_write_profile_writes_a_loadable_file_or_refuses_and_leaves_none(
    values: dict[str, str | None],
) -> None:
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "launchtui.toml"
        try:
            _words, settings = write_profile(path, "production", values)
        except ProfileWriteError as exc:
            assert str(exc)
            assert sorted(p.name for p in Path(d).iterdir()) == []  # no half-written file
            return
        assert settings.config_path == path
