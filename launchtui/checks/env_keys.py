"""Checklist 1.1: SECRET_KEY and JWT_SECRET_KEY are strong, judged without revealing them."""

from __future__ import annotations

import itertools
import math
import re
from collections import Counter
from dataclasses import dataclass

from launchtui.checks.env import WHERE, Findings, not_set, one_line
from launchtui.core.context import Context
from launchtui.core.model import Verdict
from launchtui.core.registry import check
from launchtui.core.secrets import Secret

KEY_COMMAND = "openssl rand -hex 32"
# The same key from Python, for when the value itself is the openssl command (it gets masked).
KEY_COMMAND_PY = "python3 -c 'import secrets; print(secrets.token_hex(32))'"
# Values copied from tutorials, READMEs and .env.example files, compared case-insensitively.
_PLACEHOLDER_LIST = (
    "dev,development,secret,changeme,change-me,change_me,changethis,change-this,secretkey,"
    "secret-key,secret_key,your-secret-key,your_secret_key,yoursecretkey,your-secret,password,"
    "test,testing,default,flask-secret,flask_secret,flask-secret-key,supersecret,super-secret,"
    "super-secret-key,mysecret,my-secret,my-secret-key,mysecretkey,jwt-secret,jwt_secret,"
    "jwt-secret-key,jwt_secret_key,your-jwt-secret,your-jwt-secret-key,secret123,changeme123,"
    "abc123,123456,12345678,qwerty,letmein,admin,key,xxx,todo,replaceme,replace-me,example,"
    "sample,placeholder,insecure,notsecret,s3cr3t,dev-secret,dev-key,you-will-never-guess,"
    "hard-to-guess-string,hard to guess string,correct horse battery staple"
)
PLACEHOLDER_KEYS = frozenset(_PLACEHOLDER_LIST.split(","))
_PLACEHOLDER_START = re.compile(
    r"^(django-insecure|your[-_ ]|change[-_ ]?(me|this|it)|replace|<|\$\{|\$\(|openssl )", re.I
)
_PLACEHOLDER_WORD = re.compile(r"(secret|password|changeme|example|placeholder|insecure)", re.I)
_HEX = frozenset("0123456789abcdef")
_B64 = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/_-")


@dataclass(frozen=True)
class KeyStrength:
    """How random a key looks, measured without revealing it."""

    length: int
    distinct: int
    alphabet: str
    bits: int
    shannon: float
    patterned: bool

    def evidence(self) -> dict[str, str]:
        return {
            "length": f"{self.length} characters",
            "distinct characters": str(self.distinct),
            "alphabet": self.alphabet,
            "estimated randomness": f"{self.bits} bits (256 wanted)",
        }


def key_strength(value: str) -> KeyStrength:
    """Length, alphabet, estimated bits and repetition of a key."""
    core = value.replace("-", "")
    if core and set(core.lower()) <= _HEX:
        alphabet, per_char, counted = "hex", 4.0, len(core)
    elif set(value) <= _B64 | {"="}:
        alphabet, per_char, counted = "base64", 6.0, len(value.rstrip("="))
    elif " " in value.strip():
        # Words: English text carries about 2 bits per character.
        alphabet, per_char, counted = "words", 2.0, len(value)
    else:
        alphabet, per_char, counted = "mixed", 6.5, len(value)
    counts = Counter(value)
    n = len(value) or 1
    shannon = -sum(c / n * math.log2(c / n) for c in counts.values())
    return KeyStrength(
        length=len(value),
        distinct=len(counts),
        alphabet=alphabet,
        bits=int(per_char * counted),
        shannon=round(shannon, 2),
        patterned=_patterned(value),
    )


def _patterned(value: str) -> bool:
    """True for a short unit repeated, or a run like abcdef / 123456 / aaaaaa.

    A step is a neighbour equal or next in code point. Random hex makes one about every
    sixth pair, so a 32-character hex key (the shortest that assess_key judges for
    patterns) shows over half of its pairs as steps about once in 80,000 keys, and four
    in five under once in 10**13. A real run like abcdef... scores near 1.
    """
    n = len(value)
    if n < 4:
        return False
    for unit in range(1, n // 2 + 1):
        if n % unit == 0 and value[:unit] * (n // unit) == value:
            return True
    steps = sum(1 for a, b in itertools.pairwise(value) if abs(ord(a) - ord(b)) <= 1)
    return steps / (n - 1) > 0.8


def is_placeholder(value: str) -> bool:
    """True for values copied from a tutorial or an .env.example."""
    low = value.strip().strip("'\"").lower()
    return low in PLACEHOLDER_KEYS or bool(
        _PLACEHOLDER_START.search(low) or _PLACEHOLDER_WORD.search(low)
    )


@one_line
def assess_key(name: str, value: str, other: tuple[str, str] | None = None) -> Verdict:
    """The verdict on a signing key: placeholder, variety, randomness, reuse."""
    s = key_strength(value)
    cmd = KEY_COMMAND_PY if "openssl" in value.lower() else KEY_COMMAND
    fix = f"Set {name} to the output of `{cmd}` {WHERE}."
    forge = "session cookies" if name == "SECRET_KEY" else "login tokens"
    f = Findings()
    if other is not None and value == other[1]:
        f.fail(
            f"{name} is the same as {other[0]}, so a leak of either lets anyone forge both "
            "session cookies and login tokens.",
            fix,
        )
    if cmd == KEY_COMMAND_PY:
        f.fail(f"{name} holds the command that makes a key, not its output, so it is public.", fix)
    elif is_placeholder(value):
        f.fail(f"{name} is a well-known placeholder, so anyone can forge {forge}.", fix)
    elif s.distinct < 5:
        f.fail(f"{name} uses only {s.distinct} distinct characters, so it is easy to guess.", fix)
    elif s.bits < 128:
        # Length first: it is a fact, where the pattern test below is a judgement that a
        # short random key can trip by chance.
        f.fail(f"{name} is too short to resist guessing (about {s.bits} bits of randomness).", fix)
    elif s.patterned or s.shannon < 2.5:
        f.fail(f"{name} is a repeated or sequential pattern, not a random key.", fix)
    elif s.bits < 256:
        f.warn(
            f"{name} has about {s.bits} bits of randomness, less than the 256 of `{cmd}`.",
            fix,
        )
    ok = f"{name} looks random: {s.length} characters ({s.alphabet}), about {s.bits} bits."
    return f.verdict(ok, s.evidence(), command=cmd if f.fails or f.warns else None)


@check("env.secret_key", section="1.1", title="SECRET_KEY is strong")
async def secret_key(ctx: Context) -> Verdict:
    """SECRET_KEY is set, not a placeholder, and random-looking with at least 256 bits."""
    key = ctx.secret("SECRET_KEY")
    if key is None:
        return not_set(
            "SECRET_KEY", "Flask cannot sign session cookies", command=KEY_COMMAND, ctx=ctx
        )
    return assess_key("SECRET_KEY", key.reveal())


@check("env.jwt_secret_key", section="1.1", title="JWT_SECRET_KEY is strong and its own")
async def jwt_secret_key(ctx: Context) -> Verdict:
    """JWT_SECRET_KEY follows SECRET_KEY's rules and differs from it."""
    key = ctx.secret("JWT_SECRET_KEY")
    if key is None:
        return not_set(
            "JWT_SECRET_KEY",
            "login tokens have no key of their own to be signed with",
            command=KEY_COMMAND,
            ctx=ctx,
        )
    other = ctx.secret("SECRET_KEY")
    pair = ("SECRET_KEY", other.reveal()) if isinstance(other, Secret) else None
    return assess_key("JWT_SECRET_KEY", key.reveal(), pair)
