"""Secrets mask themselves, and the redaction pass scrubs every known value."""

from __future__ import annotations

import json
import logging

import pytest

from launchtui.core.secrets import MASK, RedactingFilter, Redactor, Secret, mask_url, url_secrets


def test_secret_masks_itself_in_every_printable_form() -> None:
    s = Secret("canary-7f3a9")
    assert "canary" not in repr(s)
    assert "canary" not in str(s)
    assert "canary" not in f"{s} {s!r} {s:>20}"
    assert s.reveal() == "canary-7f3a9"
    with pytest.raises(TypeError):
        json.dumps(s)


def test_secret_cannot_be_pickled() -> None:
    import pickle

    with pytest.raises(TypeError):
        pickle.dumps(Secret("canary-7f3a9"))


def test_redactor_scrubs_long_values_anywhere_in_text() -> None:
    r = Redactor(["s3cr3t-canary"])
    assert r.scrub("error: password s3cr3t-canary rejected") == f"error: password {MASK} rejected"
    assert r.scrub("xs3cr3t-canaryx") == f"x{MASK}x"


def test_redactor_scrubs_short_values_only_as_whole_words() -> None:
    r = Redactor(["dev"])
    assert r.scrub("SECRET_KEY=dev") == f"SECRET_KEY={MASK}"
    assert r.scrub("the device is fine") == "the device is fine"


def test_redactor_learns_secrets_from_names_and_url_userinfo() -> None:
    r = Redactor()
    r.add_env(
        {
            "SECRET_KEY": "canary-secret-key",
            "DATABASE_URL": "mysql+pymysql://u.root:p%40ss-canary@h:4000/db",
            "CLOUDINARY_URL": "cloudinary://123456789:api-secret-canary@demo",
            "CORS_ORIGINS": "https://app.example.com",
        }
    )
    text = "canary-secret-key p@ss-canary p%40ss-canary api-secret-canary 123456789"
    scrubbed = r.scrub(text)
    for canary in (
        "canary-secret-key",
        "p@ss-canary",
        "p%40ss-canary",
        "api-secret-canary",
        "123456789",
    ):
        assert canary not in scrubbed
    assert r.scrub("https://app.example.com") == "https://app.example.com"


def test_scrub_any_walks_nested_structures() -> None:
    r = Redactor(["canary-value"])
    out = r.scrub_any({"a": ["x canary-value", ("canary-value",)], "b": Secret("other")})
    assert out == {"a": [f"x {MASK}", (MASK,)], "b": MASK}


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("mysql+pymysql://u:pw@h:4000/db", f"mysql+pymysql://u:{MASK}@h:4000/db"),
        ("mysql+pymysql://u@h/db", "mysql+pymysql://u@h/db"),
        ("cloudinary://123:abc@demo", f"cloudinary://{MASK}:{MASK}@demo"),
        ("https://example.com/path", "https://example.com/path"),
        ("mysql://u:pw@[bad", f"mysql://{MASK}@[bad"),
    ],
)
def test_mask_url_hides_password(url: str, expected: str) -> None:
    assert mask_url(url) == expected


def test_url_secrets_of_malformed_url_still_finds_the_password() -> None:
    assert "pw-canary" in url_secrets("mysql://u:pw-canary@[::1")


def test_logging_filter_scrubs_messages_and_args() -> None:
    records: list[logging.LogRecord] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record)

    logger = logging.getLogger("launchtui.test.redaction")
    handler = Keep()
    handler.addFilter(RedactingFilter(Redactor(["canary-log-secret"])))
    logger.addHandler(handler)
    try:
        logger.warning("connect failed with %s", "canary-log-secret")
    finally:
        logger.removeHandler(handler)
    assert records and "canary-log-secret" not in records[0].getMessage()
