"""Checklist 1.1: the backend's production environment variables, read without any I/O."""

from __future__ import annotations

import dataclasses
import functools
import itertools
import math
import re
import urllib.parse
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import ParamSpec

from launchtui.core.context import Context
from launchtui.core.model import Verdict, failed, passed, warned
from launchtui.core.registry import check
from launchtui.core.secrets import MASK, Secret
from launchtui.probes.dburl import (
    DbUrl,
    DbUrlError,
    effective_tls,
    parse_database_url,
    url_problems,
)
from launchtui.probes.dburl import suggested_url as suggested_db_url

P = ParamSpec("P")
WHERE = "in the backend service's variables on Railway/Render and redeploy"
KEY_COMMAND = "openssl rand -hex 32"
# The same key from Python, for when the value itself is the openssl command (it gets masked).
KEY_COMMAND_PY = "python3 -c 'import secrets; print(secrets.token_hex(32))'"
# Flask's own rule (flask.helpers.get_debug_flag): only these, lowercased, mean off.
FLASK_OFF = frozenset({"0", "false", "no"})
_TRUE_WORDS = frozenset({"1", "true", "yes", "on", "y", "t"})
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
_LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "0.0.0.0", "::1", "[::1]"})


def printable(text: str) -> str:
    """Text safe for any terminal and UTF-8 output: control and undecodable characters escaped."""
    if text.isprintable():
        return text
    return "".join(
        c if c.isprintable() else c.encode("unicode_escape", "backslashreplace").decode("ascii")
        for c in text
    )


def one_line(fn: Callable[P, Verdict]) -> Callable[P, Verdict]:
    """Escape what a verdict echoes of the input (env values may hold any byte)."""

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> Verdict:
        v = fn(*args, **kwargs)
        return dataclasses.replace(
            v,
            summary=printable(v.summary),
            evidence={printable(k): printable(x) for k, x in v.evidence.items()},
            remediation=printable(v.remediation),
            command=printable(v.command) if v.command else v.command,
        )

    return wrapper


def _missing(name: str, consequence: str) -> Verdict:
    return failed(
        f"{name} is not set, so {consequence}.",
        {"variable": f"{name} (not set)"},
        remediation=f"Set {name} {WHERE}.",
    )


@dataclass
class _Findings:
    """Problems found in one value, worst first when read back."""

    fails: list[tuple[str, str]] = field(default_factory=list)
    warns: list[tuple[str, str]] = field(default_factory=list)

    def fail(self, summary: str, fix: str = "") -> None:
        self.fails.append((summary, fix))

    def warn(self, summary: str, fix: str = "") -> None:
        self.warns.append((summary, fix))

    def verdict(
        self,
        ok: str,
        evidence: Mapping[str, str],
        *,
        command: str | None = None,
        facts: Mapping[str, object] | None = None,
    ) -> Verdict:
        """Pass with `ok`, or the worst problem as summary and every other one as evidence."""
        found = self.fails + self.warns
        if not found:
            return passed(ok, evidence, command=command, facts=facts)
        summary = found[0][0]
        if len(found) > 1:
            more = len(found) - 1
            summary = f"{summary[:-1]}; {more} more problem{'s' if more > 1 else ''} below."
        ev = dict(evidence)
        for i, (text, _fix) in enumerate(found[1:], 2):
            ev[f"problem {i}"] = text
        fixes = " ".join(dict.fromkeys(fix for _s, fix in found if fix))
        make = failed if self.fails else warned
        return make(summary, ev, remediation=fixes, command=command, facts=facts)


# -- DATABASE_URL -------------------------------------------------------------


@one_line
def assess_database_url(raw: str) -> Verdict:
    """The verdict on a DATABASE_URL value: parse, driver, host/port, effective TLS."""
    try:
        url = parse_database_url(raw)
    except DbUrlError as exc:
        return failed(
            str(exc),
            {"length": f"{len(raw)} characters"},
            remediation=f"Set DATABASE_URL to {suggested_db_url(None)} (percent-encode "
            f"special characters in the password) {WHERE}.",
        )
    tls = effective_tls(url)
    f = _Findings()
    for p in url_problems(url, tls):
        (f.fail if p.fails else f.warn)(p.summary, p.fix)
    evidence = {
        "URL": url.masked,
        "driver": url.drivername,
        "host": url.host or "(none)",
        "port": str(url.port) if url.port is not None else "(not set: PyMySQL uses 3306)",
        "database": url.database or "(none)",
        "user": url.username or "(none)",
        "TLS": tls.description,
    }
    if tls.rejected_args:
        evidence["TLS without " + ", ".join(tls.rejected_args)] = tls.detail
    for i, note in enumerate(tls.notes, 1):
        evidence[f"why {i}"] = note
    if f.fails or f.warns:
        evidence["working form"] = suggested_db_url(url)
    ok = (
        f"DATABASE_URL is a mysql+pymysql URL for {url.host}:{url.port or 3306}/{url.database} "
        "whose TLS verifies the certificate and the host name."
    )
    return f.verdict(ok, evidence, facts={"url": url, "tls": tls})


@check("env.database_url", section="1.1", title="DATABASE_URL is a verified-TLS TiDB URL")
async def database_url(ctx: Context) -> Verdict:
    """DATABASE_URL parses, uses PyMySQL, and gets verified TLS from SQLAlchemy + PyMySQL."""
    raw = ctx.get("DATABASE_URL")
    if raw is None:
        return _missing("DATABASE_URL", "the backend has no database to connect to")
    ctx.redactor.add(raw)
    verdict = await ctx.to_thread(assess_database_url, raw)
    url = verdict.facts.get("url")
    if isinstance(url, DbUrl):
        ctx.redactor.add(url.password)
    return verdict


# -- SECRET_KEY and JWT_SECRET_KEY ----------------------------------------------


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
    """True for a short unit repeated, or a run like abcdef / 123456 / aaaaaa."""
    n = len(value)
    if n < 4:
        return False
    for unit in range(1, n // 2 + 1):
        if n % unit == 0 and value[:unit] * (n // unit) == value:
            return True
    steps = sum(1 for a, b in itertools.pairwise(value) if abs(ord(a) - ord(b)) <= 1)
    return steps / (n - 1) > 0.5


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
    f = _Findings()
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
    elif s.patterned or s.shannon < 2.5:
        f.fail(f"{name} is a repeated or sequential pattern, not a random key.", fix)
    elif s.bits < 128:
        f.fail(f"{name} is too short to resist guessing (about {s.bits} bits of randomness).", fix)
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
        v = _missing("SECRET_KEY", "Flask cannot sign session cookies")
        return dataclasses.replace(v, command=KEY_COMMAND)
    return assess_key("SECRET_KEY", key.reveal())


@check("env.jwt_secret_key", section="1.1", title="JWT_SECRET_KEY is strong and its own")
async def jwt_secret_key(ctx: Context) -> Verdict:
    """JWT_SECRET_KEY follows SECRET_KEY's rules and differs from it."""
    key = ctx.secret("JWT_SECRET_KEY")
    if key is None:
        v = _missing("JWT_SECRET_KEY", "login tokens have no key of their own to be signed with")
        return dataclasses.replace(v, command=KEY_COMMAND)
    other = ctx.secret("SECRET_KEY")
    pair = ("SECRET_KEY", other.reveal()) if isinstance(other, Secret) else None
    return assess_key("JWT_SECRET_KEY", key.reveal(), pair)


# -- CLOUDINARY_URL -------------------------------------------------------------


class CloudinaryUrlError(ValueError):
    """CLOUDINARY_URL cannot be used; the message names no secret."""


@dataclass(frozen=True)
class CloudinaryUrl:
    """CLOUDINARY_URL as the Cloudinary SDK reads it."""

    api_key: Secret
    api_secret: Secret
    cloud_name: str
    written_cloud: str
    path: str
    query: Mapping[str, str]
    masked: str


def parse_cloudinary_url(raw: str) -> CloudinaryUrl:
    """Parse CLOUDINARY_URL the way the SDK does (urlparse; hostname is the cloud)."""
    text = (raw or "").strip()
    shape = "cloudinary://API_KEY:API_SECRET@CLOUD_NAME"
    if text.upper().startswith("CLOUDINARY_URL="):
        raise CloudinaryUrlError("CLOUDINARY_URL's value starts with the variable name itself.")
    try:
        parts = urllib.parse.urlparse(text)
        cloud = parts.hostname
        parts.port  # noqa: B018  (raises ValueError for a bad port)
    except ValueError:
        raise CloudinaryUrlError(f"CLOUDINARY_URL is not a URL like {shape}.") from None
    if parts.scheme.lower() != "cloudinary":
        raise CloudinaryUrlError(f"CLOUDINARY_URL must start with cloudinary://, like {shape}.")
    if not parts.username:
        raise CloudinaryUrlError(f"CLOUDINARY_URL has no API key; it should look like {shape}.")
    if not parts.password:
        raise CloudinaryUrlError(f"CLOUDINARY_URL has no API secret; it should look like {shape}.")
    if not cloud:
        raise CloudinaryUrlError(f"CLOUDINARY_URL has no cloud name after the @, like {shape}.")
    after_at = parts.netloc.rsplit("@", 1)[1]
    query = {k: v[0] for k, v in urllib.parse.parse_qs(parts.query).items()}
    shown_query = "&".join(
        f"{k}={MASK}" if re.search(r"secret|password|key|token", k, re.I) else f"{k}={v}"
        for k, v in query.items()
    )
    masked = f"cloudinary://{MASK}:{MASK}@{after_at}{parts.path}"
    return CloudinaryUrl(
        api_key=Secret(parts.username),
        api_secret=Secret(parts.password),
        cloud_name=cloud,
        written_cloud=after_at.split(":", 1)[0],
        path=parts.path,
        query=query,
        masked=masked + (f"?{shown_query}" if shown_query else ""),
    )


@one_line
def assess_cloudinary_url(raw: str, cloud_name_var: str | None = None) -> Verdict:
    """The verdict on CLOUDINARY_URL: all three parts, and SDK pitfalls in its query."""
    shape = "cloudinary://API_KEY:API_SECRET@CLOUD_NAME"
    try:
        c = parse_cloudinary_url(raw)
    except CloudinaryUrlError as exc:
        return failed(
            str(exc),
            {"length": f"{len(raw)} characters"},
            remediation=f"Copy the API environment variable from the Cloudinary console "
            f"(Settings > API Keys), {shape}, and set it as CLOUDINARY_URL {WHERE}.",
        )
    f = _Findings()
    key = c.api_key.reveal()
    if not key.isdigit():
        f.warn(
            "CLOUDINARY_URL's API key is not a number, but Cloudinary API keys are digits.",
            "Check that key and secret are not swapped.",
        )
    if c.written_cloud != c.cloud_name:
        f.warn(
            f"The SDK lowercases the cloud name to {c.cloud_name}; Cloudinary cloud names "
            "are lowercase.",
            "Write the cloud name in lowercase.",
        )
    if c.path:
        what = "ends with a slash" if c.path == "/" else "has a path after the cloud name"
        f.warn(
            f"CLOUDINARY_URL {what}, so the SDK assumes a private CDN and builds image URLs "
            f"on {c.cloud_name}-res.cloudinary.com instead of res.cloudinary.com.",
            "Remove everything after the cloud name unless your plan has a private CDN.",
        )
    for k, v in c.query.items():
        if k == "timeout":
            f.warn(
                "CLOUDINARY_URL's ?timeout= arrives in the SDK as text, so requests raise ValueError.",
                "Remove ?timeout= and set the timeout in code.",
            )
        elif v.strip().lower() in ("false", "0", "no", "off"):
            f.warn(
                f"CLOUDINARY_URL's ?{k}={v} arrives in the SDK as non-empty text, which counts "
                "as true.",
                f"Remove ?{k}= from the URL and set it in code.",
            )
    if cloud_name_var:
        f.warn(
            "CLOUDINARY_CLOUD_NAME is also set, so the Cloudinary SDK ignores CLOUDINARY_URL.",
            "Unset CLOUDINARY_CLOUD_NAME (and the other CLOUDINARY_* variables) on the backend.",
        )
    evidence = {
        "URL": c.masked,
        "cloud name": c.cloud_name,
        "API key": f"{len(key)} characters" + (", digits" if key.isdigit() else ""),
    }
    ok = f"CLOUDINARY_URL names cloud {c.cloud_name} with an API key and secret."
    return f.verdict(ok, evidence, facts={"cloud_name": c.cloud_name})


@check("env.cloudinary_url", section="1.1", title="CLOUDINARY_URL has key, secret and cloud")
async def cloudinary_url(ctx: Context) -> Verdict:
    """CLOUDINARY_URL is cloudinary://<api_key>:<api_secret>@<cloud_name>."""
    raw = ctx.get("CLOUDINARY_URL")
    if raw is None:
        return _missing("CLOUDINARY_URL", "uploads and the Admin API cannot authenticate")
    ctx.redactor.add(raw)
    return assess_cloudinary_url(raw, ctx.get("CLOUDINARY_CLOUD_NAME"))


# -- CORS_ORIGINS ----------------------------------------------------------------


def is_local_host(host: str) -> bool:
    """True for hosts a visitor's browser cannot reach: localhost, private IPs, .internal."""
    import ipaddress

    h = host.strip("[]").lower().rstrip(".")
    if h in _LOCAL_HOSTS or h.endswith((".localhost", ".local", ".internal")):
        return True
    try:
        ip = ipaddress.ip_address(h)
    except ValueError:
        return False
    return ip.is_private or ip.is_loopback or ip.is_unspecified or ip.is_link_local


def origin_of(url: str) -> str | None:
    """The browser's Origin for a URL (scheme://host[:port], lowercase), or None."""
    try:
        parts = urllib.parse.urlsplit(url.strip())
        host, port = parts.hostname, parts.port
    except ValueError:
        return None
    if not parts.scheme or not host:
        return None
    default = {"https": 443, "http": 80}.get(parts.scheme.lower())
    shown = host if ":" not in host else f"[{host}]"
    tail = f":{port}" if port is not None and port != default else ""
    return f"{parts.scheme.lower()}://{shown}{tail}"


def judge_origin(entry: str) -> tuple[str | None, str | None, bool]:
    """One CORS entry: (corrected origin or None to drop it, problem or None, is it a fail)."""
    text = entry.strip()
    if not text:
        return None, "is empty (a stray comma)", False
    if "*" in text:
        return None, "is a wildcard, which lets every website call the API", True
    fixed_text = text if "://" in text else f"https://{text}"
    try:
        parts = urllib.parse.urlsplit(fixed_text)
        host, port = parts.hostname, parts.port
        ascii_host = host.encode("idna").decode("ascii") if host else None
    except (ValueError, UnicodeError):
        return None, "is not a URL", True
    if not host or not ascii_host or parts.scheme.lower() not in ("http", "https"):
        return None, "is not an https://host origin", True
    if is_local_host(host):
        return None, "is a local development origin, which has no place in production", True
    fixed = f"https://{ascii_host.lower()}" + (f":{port}" if port not in (None, 443) else "")
    if "://" not in text:
        return fixed, "has no https:// scheme, so it never matches a browser's Origin", True
    if parts.scheme.lower() == "http":
        return fixed, "is plain http, but production must use https", True
    if parts.username is not None or parts.password is not None:
        return fixed, "carries a user name or password, which an Origin never has", True
    if parts.path == "/" and not parts.query and not parts.fragment:
        return fixed, "ends with a slash, so it never matches a browser's Origin", True
    if parts.path or parts.query or parts.fragment:
        return fixed, "has a path, so it never matches a browser's Origin", True
    if port == 443:
        return fixed, "names :443, which browsers leave out of the Origin", True
    if ascii_host != host:
        return fixed, "has a non-ASCII host; browsers send its punycode form", True
    return fixed, None, False


@one_line
def assess_cors_origins(raw: str, frontend_url: str | None = None) -> Verdict:
    """The verdict on CORS_ORIGINS: every entry an exact https origin, the frontend's included."""
    from launchtui.core.secrets import mask_url

    entries = raw.split(",")
    f = _Findings()
    evidence: dict[str, str] = {"entries": str(len(entries))}
    good: list[str] = []
    bad = 0
    for i, entry in enumerate(entries, 1):
        fixed, problem, is_fail = judge_origin(entry)
        shown = mask_url(entry.strip())[:120] or "(empty)"
        if problem is None and entry != entry.strip():
            problem = "has spaces around it; unless the backend strips each entry, it never matches"
        if problem is None and fixed in good:
            problem = "is listed twice"
        if problem is not None:
            bad += is_fail
            label = f"entry {i} ({shown})" if entry.strip() else f"entry {i}"
            (f.fail if is_fail else f.warn)(f"CORS_ORIGINS {label} {problem}.")
        if fixed is not None and fixed not in good:
            good.append(fixed)
        evidence[f"origin {i}"] = f"{shown}: {problem or 'ok'}"
    front = origin_of(frontend_url) if frontend_url else None
    if front is not None and front.startswith("https://") and front not in good:
        f.fail(
            f"The frontend's origin {front} is not in CORS_ORIGINS, so browsers block its "
            "API calls."
        )
        good.append(front)
    if f.fails or f.warns:
        example = ",".join(good) if good else "https://your-frontend.vercel.app"
        fix = f"Set CORS_ORIGINS to {example} {WHERE}."
        f.fails = [(s, fix) for s, _ in f.fails]
        f.warns = [(s, fix) for s, _ in f.warns]
        if bad > 1:
            first = f.fails[0][0]
            first = first.removeprefix("CORS_ORIGINS ")
            f.fails[0] = (f"{bad} CORS_ORIGINS entries are wrong: {first}", fix)
    ok = f"CORS_ORIGINS allows {len(good)} https origin{'s' if len(good) != 1 else ''}: " + (
        ", ".join(good) + "."
    )
    return f.verdict(ok, evidence, facts={"origins": tuple(good)})


@check("env.cors_origins", section="1.1", title="CORS_ORIGINS lists exact https origins")
async def cors_origins(ctx: Context) -> Verdict:
    """Each CORS_ORIGINS entry is exactly https://host[:port], and none is local."""
    raw = ctx.env.get("CORS_ORIGINS")
    if raw is None or not raw.strip():
        return _missing(
            "CORS_ORIGINS",
            "browsers on the frontend are blocked or, if config.py defaults to *, "
            "every site may call the API",
        )
    return assess_cors_origins(raw.strip(), ctx.frontend_url)


# -- FLASK_DEBUG ------------------------------------------------------------------


@one_line
def assess_flask_debug(debug: str | None, flask_env: str | None = None) -> Verdict:
    """The verdict on FLASK_DEBUG (and the old FLASK_ENV switch), by Flask's own rule."""
    fix = f"Set FLASK_DEBUG=0 (or delete it) {WHERE}."
    shown = (debug or "")[:20].encode("unicode_escape").decode("ascii")
    evidence = {
        "FLASK_DEBUG": shown if debug else "(not set)",
        "Flask's rule": (
            "only unset, empty, 0, false and no (any case) mean off; anything else means on"
        ),
    }
    if flask_env is not None:
        evidence["FLASK_ENV"] = flask_env[:20].encode("unicode_escape").decode("ascii")
    f = _Findings()
    if debug and debug.lower() not in FLASK_OFF:
        if debug.strip().lower() in FLASK_OFF:
            why = "the spaces around the value make Flask read it as on"
        elif debug.strip().lower() in _TRUE_WORDS:
            why = "Flask runs in debug mode"
        else:
            why = "Flask treats every value except 0, false and no as on"
        f.fail(
            f"FLASK_DEBUG={shown} turns debug mode on ({why}): production then shows "
            "tracebacks and, with the Werkzeug debugger, lets anyone run code.",
            fix,
        )
    if flask_env is not None and flask_env.strip().lower() == "development":
        f.fail(
            "FLASK_ENV=development turns debug mode on in Flask before 2.3 (newer Flask "
            "ignores it).",
            f"Delete FLASK_ENV {WHERE}.",
        )
    return f.verdict("FLASK_DEBUG is off, so Flask runs without debug mode.", evidence)


@check("env.flask_debug", section="1.1", title="FLASK_DEBUG is off")
async def flask_debug(ctx: Context) -> Verdict:
    """FLASK_DEBUG is unset or one of Flask's off values; FLASK_ENV is not development."""
    return assess_flask_debug(ctx.env.get("FLASK_DEBUG"), ctx.env.get("FLASK_ENV"))
