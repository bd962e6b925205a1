"""Secrets as a type, and the one redaction pass every outgoing string goes through."""

from __future__ import annotations

import logging
import re
import urllib.parse
from collections.abc import Iterable, Mapping
from typing import Any

MASK = "****"

# Environment variable names whose whole value is a secret.
_SECRET_NAME = re.compile(r"(SECRET|PASSWORD|PASSWD|TOKEN|PRIVATE|API_KEY|_KEY$|CREDENTIAL)", re.I)
# Environment variables holding URLs whose userinfo part is secret.
_URL_NAME = re.compile(r"(URL|URI|DSN)$", re.I)
# Query argument names whose values are secrets.
_QUERY_SECRET = re.compile(r"(password|passwd|secret|token)", re.I)
# SQLAlchemy's rule for user:password@ (the password may hold '/', which ends urllib's netloc).
_LOOSE_USERINFO = re.compile(r"^[A-Za-z][\w+.-]*://([^:/@]*:[^@]*)@")
# Secrets shorter than this are matched only as whole words, so "dev" does not mask "device".
_SUBSTRING_MIN = 6


class Secret:
    """A value that masks itself wherever it could be printed.

    `reveal()` is the only way to get the value back, so every use is visible in code.
    """

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __bool__(self) -> bool:
        return bool(self._value)

    def __len__(self) -> int:
        return len(self._value)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(("Secret", self._value))

    def __repr__(self) -> str:
        return f"Secret({MASK!r})"

    def __str__(self) -> str:
        return MASK

    def __format__(self, spec: str) -> str:
        return MASK

    def __reduce__(self) -> Any:  # pickling would carry the value out in clear
        raise TypeError("a Secret cannot be pickled")


def is_secret_name(name: str) -> bool:
    """True for environment variable names whose value is a secret as a whole."""
    return bool(_SECRET_NAME.search(name))


def url_secrets(value: str) -> list[str]:
    """The password and (for cloudinary://) API key of a URL, raw and percent-decoded."""
    out: list[str] = []
    try:
        parts = urllib.parse.urlsplit(value.strip())
        netloc = parts.netloc
        # Drivers take a password as a query argument too (`?password=`, `?ssl_key_password=`).
        out += [v for k, v in urllib.parse.parse_qsl(parts.query) if _QUERY_SECRET.search(k)]
    except ValueError:
        netloc = ""
    if "@" not in netloc:
        # Fall back to a loose match so even a malformed URL's password is caught.
        m = _LOOSE_USERINFO.match(value.strip()) or re.match(
            r"^[A-Za-z][\w+.-]*://([^@/]*)@", value.strip()
        )
        if not m:
            return out
        userinfo = m.group(1)
    else:
        userinfo = netloc.rsplit("@", 1)[0]
    user, sep, password = userinfo.partition(":")
    candidates = [password] if sep else []
    if value.strip().lower().startswith("cloudinary:"):
        candidates.append(user)  # the API key is an identifier, but keep it off screens too
    for c in candidates:
        if c:
            out.append(c)
            decoded = urllib.parse.unquote(c)
            if decoded != c:
                out.append(decoded)
    return out


class Redactor:
    """Knows every secret value in play and scrubs them from outgoing text."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        self._values: set[str] = set()
        self._pattern: re.Pattern[str] | None = None
        self.add(*secrets)

    def add(self, *values: str | Secret | None) -> None:
        changed = False
        for v in values:
            raw = v.reveal() if isinstance(v, Secret) else v
            if raw and raw.strip() and raw not in self._values:
                self._values.add(raw)
                changed = True
        if changed:
            self._pattern = None

    def add_env(self, env: Mapping[str, str]) -> None:
        """Learn the secrets in an environment: whole values by name, userinfo of URLs."""
        for name, value in env.items():
            if not value:
                continue
            if is_secret_name(name) and not _URL_NAME.search(name):
                self.add(value)
            if "://" in value:
                self.add(*url_secrets(value))
                # A list of URLs (CORS_ORIGINS): each entry may carry its own password.
                for piece in re.split(r"[,\s]+", value):
                    if "://" in piece and piece != value:
                        self.add(*url_secrets(piece))

    @property
    def known(self) -> int:
        return len(self._values)

    def _compiled(self) -> re.Pattern[str] | None:
        if self._pattern is None and self._values:
            alts = []
            for v in sorted(self._values, key=len, reverse=True):
                esc = re.escape(v)
                if len(v) < _SUBSTRING_MIN:
                    esc = rf"(?<![\w]){esc}(?![\w])"
                alts.append(esc)
            self._pattern = re.compile("|".join(alts))
        return self._pattern

    def scrub(self, text: str) -> str:
        """The text with every known secret value replaced by the mask."""
        if not text:
            return text
        pattern = self._compiled()
        return pattern.sub(MASK, text) if pattern else text

    def scrub_any(self, value: Any) -> Any:
        """Scrub strings inside dicts, lists and tuples; reveal no Secret."""
        if isinstance(value, Secret):
            return MASK
        if isinstance(value, str):
            return self.scrub(value)
        if isinstance(value, Mapping):
            return {self.scrub(str(k)): self.scrub_any(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return type(value)(self.scrub_any(v) for v in value)
        return value


def mask_url(value: str) -> str:
    """A URL with its password (and a cloudinary:// API key) replaced by the mask."""
    try:
        parts = urllib.parse.urlsplit(value)
        netloc = parts.netloc
    except ValueError:
        return _mask_loose(value)
    if "@" not in netloc:
        return _mask_loose(value) if "@" in value.split("?", 1)[0] else value
    userinfo, host = netloc.rsplit("@", 1)
    user, sep, _password = userinfo.partition(":")
    if parts.scheme.lower() == "cloudinary":
        user = MASK if user else user
    masked = f"{user}:{MASK}@{host}" if sep else f"{user}@{host}"
    return urllib.parse.urlunsplit(parts._replace(netloc=masked))


def _mask_loose(value: str) -> str:
    m = _LOOSE_USERINFO.match(value)
    if m:
        return value[: m.start(1)] + MASK + value[m.end(1) :]
    return re.sub(r"^([A-Za-z][\w+.-]*://)([^@/]*)@", lambda m: f"{m.group(1)}{MASK}@", value)


class RedactingFilter(logging.Filter):
    """A logging filter that scrubs secrets from every record it passes."""

    def __init__(self, redactor: Redactor) -> None:
        super().__init__()
        self.redactor = redactor

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = self.redactor.scrub(record.getMessage())
        record.args = None
        # A traceback ends with the exception's message, which may embed a secret.
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        record.exc_info = None
        if record.exc_text:
            record.exc_text = self.redactor.scrub(record.exc_text)
        if record.stack_info:
            record.stack_info = self.redactor.scrub(record.stack_info)
        return True
