"""DATABASE_URL parsing, and the TLS posture SQLAlchemy + PyMySQL really apply to it."""

from __future__ import annotations

import functools
import os
import re
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from launchtui.core.secrets import MASK, Secret

# The system CA bundle on Debian/Ubuntu images (Railway, Render); TiDB Cloud chains to ISRG Root X1.
SYSTEM_CA_BUNDLE = "/etc/ssl/certs/ca-certificates.crt"

# Query arguments SQLAlchemy's MySQL dialects fold into PyMySQL's `ssl={...}` dict.
FOLDED_SSL_ARGS = (
    "ssl_ca",
    "ssl_key",
    "ssl_cert",
    "ssl_capath",
    "ssl_cipher",
    "ssl_check_hostname",
)
# Every TLS-related query argument a URL author might write.
TLS_ARGS = (
    *FOLDED_SSL_ARGS,
    "ssl_verify_cert",
    "ssl_verify_identity",
    "ssl_disabled",
    "ssl_key_password",
    "ssl_mode",
    "ssl",
)
# SQLAlchemy coerces these query values before PyMySQL sees them; bad text raises ValueError.
_BOOL_ARGS = ("compress", "local_infile", "use_unicode", "ssl_check_hostname")
_INT_ARGS = ("connect_timeout", "read_timeout", "write_timeout", "client_flag")
# Query values shown masked in the URL, because they are passwords.
_SECRET_QUERY_KEY = re.compile(r"(password|passwd|secret|token)", re.I)
# SQLAlchemy's own rule: the password runs from the first ':' after the user to the next '@'.
_USERINFO = re.compile(r"^([\w+]+://[^:/]*:)([^@]*)(@)", re.S)
_SCHEME = re.compile(r"^[\w+]+://")

_FALSE_WORDS = frozenset({"0", "false", "no", "off", "n", "f", "none", "disabled"})
_LOOSE_MODES = frozenset({"disabled", "preferred", "required", "verify_ca"})


class DbUrlError(ValueError):
    """DATABASE_URL cannot be used; the message is a user-facing sentence with no secret."""


@dataclass(frozen=True)
class DbUrl:
    """A parsed DATABASE_URL, as SQLAlchemy reads it."""

    drivername: str
    host: str | None
    port: int | None
    database: str | None
    username: str | None
    password: Secret | None
    # Query values may hold a password (`?password=`): kept out of repr, like `raw_query`.
    query: Mapping[str, str] = field(repr=False)
    masked: str
    # Query keys given more than once: SQLAlchemy passes them on as a tuple.
    repeated: tuple[str, ...] = ()
    # Every value per key, exactly as SQLAlchemy hands them to the dialect.
    raw_query: Mapping[str, str | tuple[str, ...]] = field(default_factory=dict, repr=False)

    @property
    def is_tidb_cloud(self) -> bool:
        """True when the host is a TiDB Cloud gateway."""
        return bool(self.host) and str(self.host).lower().rstrip(".").endswith(".tidbcloud.com")


def mask_database_url(raw: str) -> str:
    """The URL with its password, and any password-like query value, replaced by the mask."""
    masked = _USERINFO.sub(lambda m: f"{m.group(1)}{MASK}{m.group(3)}", raw, count=1)
    base, sep, query = masked.partition("?")
    if not sep:
        return masked
    parts = []
    for item in query.split("&"):
        key, eq, _value = item.partition("=")
        parts.append(f"{key}={MASK}" if eq and _SECRET_QUERY_KEY.search(key) else item)
    return f"{base}?{'&'.join(parts)}"


def parse_database_url(raw: str) -> DbUrl:
    """Parse DATABASE_URL with SQLAlchemy's own parser; raise DbUrlError with a safe message."""
    from sqlalchemy.engine import make_url

    text = (raw or "").strip()
    if not text:
        raise DbUrlError("DATABASE_URL is empty.")
    if not _SCHEME.match(text):
        raise DbUrlError(
            "DATABASE_URL is not a database URL: it should look like "
            "mysql+pymysql://USER:PASSWORD@HOST:4000/DATABASE?ssl_ca=..."
        )
    try:
        url = make_url(text)
    except ValueError as exc:
        # make_url's only ValueError is int(port); its text would echo the URL.
        if "int()" in str(exc):
            raise DbUrlError("The port in DATABASE_URL is not a number.") from None
        raise DbUrlError("SQLAlchemy cannot parse DATABASE_URL.") from None
    except Exception:
        raise DbUrlError(
            "SQLAlchemy cannot parse DATABASE_URL: it should look like "
            "mysql+pymysql://USER:PASSWORD@HOST:4000/DATABASE?ssl_ca=..."
        ) from None
    if url.host and "@" in url.host:
        raise DbUrlError(
            "DATABASE_URL has more than one '@': a password containing '@' must be "
            "written as %40, or SQLAlchemy reads part of it as the host."
        )
    raw_query: dict[str, str | tuple[str, ...]] = dict(url.query)
    last = {k: (v[-1] if isinstance(v, tuple) else v) for k, v in raw_query.items()}
    repeated = tuple(k for k, v in raw_query.items() if isinstance(v, tuple))
    password = url.password
    return DbUrl(
        drivername=url.drivername,
        host=url.host or None,
        port=url.port,
        database=url.database or None,
        username=url.username or None,
        password=Secret(str(password)) if password else None,
        query=last,
        masked=mask_database_url(text),
        repeated=repeated,
        raw_query=raw_query,
    )


@dataclass(frozen=True)
class TlsPosture:
    """What SQLAlchemy + PyMySQL will really do with this URL's TLS arguments."""

    verify_cert: bool
    verify_host: bool
    ca_file: str | None
    rejected_args: tuple[str, ...]
    dropped: tuple[str, ...]
    description: str
    # False when TLS is switched off (ssl_disabled) or only "preferred" (plain text fallback).
    tls_required: bool = False
    # One sentence per rejected argument: why and when it fails.
    notes: tuple[str, ...] = ()
    # The posture of the arguments PyMySQL accepts (equals description when none is rejected).
    detail: str = ""


@functools.cache
def _pymysql_params() -> frozenset[str]:
    """The keyword arguments pymysql.connect accepts, read from the installed PyMySQL."""
    import inspect

    from pymysql.connections import Connection

    return frozenset(inspect.signature(Connection.__init__).parameters) - {"self"}


def _verify_mode_required(mode: Any, hasnoca: bool) -> bool:
    """PyMySQL's `_create_ssl_ctx` rule for `verify_mode` (CERT_OPTIONAL verifies in clients)."""
    if mode is None:
        return not hasnoca
    if isinstance(mode, bool):
        return mode
    text = str(mode).lower()
    if text in ("none", "0", "false", "no"):
        return False
    if text in ("optional", "required", "1", "true", "yes"):
        return True
    return not hasnoca


def _connect_args(url: DbUrl) -> tuple[dict[str, Any], list[str], list[str]]:
    """The keywords SQLAlchemy's pymysql dialect passes to pymysql.connect, plus rejections."""
    from sqlalchemy import util
    from sqlalchemy.dialects.mysql.pymysql import MySQLDialect_pymysql
    from sqlalchemy.engine import URL

    rejected: list[str] = []
    notes: list[str] = []

    def reject(args: dict[str, Any], key: str, note: str) -> None:
        rejected.append(key)
        notes.append(note)
        args.pop(key)

    query = dict(url.raw_query or url.query)
    for key in url.repeated:
        reject(
            query,
            key,
            f"{key} is given more than once, so SQLAlchemy passes a tuple PyMySQL cannot use.",
        )
    # The query values SQLAlchemy converts itself, raising ValueError at create_engine.
    conversions = (
        (_BOOL_ARGS, util.asbool, "true/false"),
        (_INT_ARGS, lambda value: int(str(value)), "a whole number"),
    )
    for keys, convert, kind in conversions:
        for key in keys:
            if key in query:
                try:
                    convert(query[key])
                except ValueError:
                    reject(
                        query,
                        key,
                        f"{key} is not {kind}, so SQLAlchemy raises ValueError at create_engine.",
                    )
    sa_url = URL.create(
        "mysql+pymysql", host=url.host, port=url.port, database=url.database, query=query
    )
    _args, opts = MySQLDialect_pymysql().create_connect_args(sa_url)
    accepted = _pymysql_params()
    for key in list(opts):
        if key not in accepted:
            reject(
                opts,
                key,
                f"PyMySQL does not accept {key}: the first connection raises TypeError "
                f"(unexpected keyword argument '{key}'), not create_engine.",
            )
    for key in ("compress", "named_pipe"):
        if opts.get(key):
            reject(
                opts,
                key,
                f"PyMySQL does not support {key} and raises NotImplementedError on connect.",
            )
    if isinstance(opts.get("ssl"), str):
        reject(
            opts,
            "ssl",
            "ssl must be a dict, not text: PyMySQL fails on connect with AttributeError.",
        )
    return opts, rejected, notes


def effective_tls(url: DbUrl) -> TlsPosture:
    """The TLS posture the URL really gets from SQLAlchemy's dialect and PyMySQL's rules."""
    opts, rejected, notes = _connect_args(url)
    folded = opts.get("ssl") if isinstance(opts.get("ssl"), dict) else {}

    def posture(
        cert: bool, host: bool, ca: str | None, dropped: tuple[str, ...], what: str, required: bool
    ) -> TlsPosture:
        lead = _rejected_sentence(rejected) if rejected else what
        return TlsPosture(
            cert, host, ca, tuple(rejected), dropped, lead, required, tuple(notes), what
        )

    if opts.get("ssl_disabled"):
        what = (
            "TLS is switched off: ssl_disabled has a value, and any non-empty text "
            "(even 'false') counts as true, so the connection is plain text."
        )
        return posture(False, False, None, (), what, False)
    verify_id = opts.get("ssl_verify_identity")
    verify_cert_kw = opts.get("ssl_verify_cert")
    direct_ca = opts.get("ssl_ca")
    if direct_ca or opts.get("ssl_cert") or opts.get("ssl_key") or verify_cert_kw or verify_id:
        # PyMySQL builds a fresh ssl dict here, discarding everything SQLAlchemy folded.
        host_flag = bool(verify_id)
        mode: Any = True if host_flag else (verify_cert_kw if verify_cert_kw is not None else False)
        hasnoca = not direct_ca
        verify_cert = _verify_mode_required(mode, hasnoca)
        verify_host = (not hasnoca) and host_flag
        dropped = tuple(f"ssl_{k}" for k in folded)
        ca = str(direct_ca) if direct_ca else None
    elif folded:
        ca = str(folded["ca"]) if folded.get("ca") else None
        hasnoca = folded.get("ca") is None and folded.get("capath") is None
        verify_cert = _verify_mode_required(folded.get("verify_mode"), hasnoca)
        verify_host = (not hasnoca) and bool(folded.get("check_hostname", True))
        dropped = ()
    else:
        what = (
            'No TLS arguments: PyMySQL tries TLS but verifies nothing ("preferred" mode) '
            "and falls back to plain text if the server offers no TLS."
        )
        return posture(False, False, None, (), what, False)
    store = ca or "the system CA store"
    if not dropped and not ca and folded.get("capath"):
        store = f"the CA directory {folded['capath']}"
    if verify_cert and verify_host:
        what = f"Verifies the server certificate against {store} and checks the host name."
    elif verify_cert:
        what = (
            f"Verifies the server certificate against {store} but does NOT check the host "
            "name, so any certificate from a trusted CA is accepted."
        )
    else:
        what = "Encrypts but verifies nothing: the server certificate is not checked."
    if dropped:
        names = ", ".join(dropped)
        what = what[:-1] + (
            f"; {names} {'is' if len(dropped) == 1 else 'are'} silently dropped, because "
            "ssl_verify_cert/ssl_verify_identity make PyMySQL rebuild its TLS settings."
        )
    return posture(verify_cert, verify_host, ca, dropped, what, True)


def _rejected_sentence(rejected: list[str]) -> str:
    names = ", ".join(rejected)
    return (
        f"SQLAlchemy + PyMySQL cannot use {names}, so the first connection fails and "
        "this URL works only if the backend rewrites it before use."
    )


@dataclass(frozen=True)
class TlsIntent:
    """How a probe should connect: what the URL's author meant, never weaker than cert checks.

    `ca_source` says where the CA came from: the URL's own `ssl_ca` (the one the backend
    will use), `--ca-file`, or the system store; `ca_why` says why, in a clause.
    """

    verify_cert: bool
    verify_host: bool
    ca_file: str | None
    ca_source: Literal["url", "flag", "system"] = "system"
    ca_why: str = ""


def intended_tls(url: DbUrl, ca_file: str | None = None) -> TlsIntent:
    """The verification the backend will get: the URL's `ssl_ca` when this machine has it.

    `ca_file` (`--ca-file`) serves only when the URL names no CA or one this machine lacks:
    a probe that trusted another CA than the backend's could pass while the backend fails.
    """
    q = {k.lower(): str(v).strip().lower() for k, v in url.query.items()}
    verify_host = True
    if q.get("ssl_check_hostname") in _FALSE_WORDS or q.get("ssl_verify_identity") in _FALSE_WORDS:
        verify_host = False
    if q.get("ssl_mode") in _LOOSE_MODES:
        verify_host = False
    url_ca = str(url.query.get("ssl_ca") or "").strip() or None
    source: Literal["url", "flag", "system"]
    if url_ca and os.path.isfile(url_ca):
        chosen, source = url_ca, "url"
        why = "the URL's ssl_ca, the CA the backend will use"
        if ca_file and ca_file != url_ca:
            why += f" (--ca-file {ca_file} is not used: the URL names its own CA)"
    else:
        chosen, source = ca_file, "flag" if ca_file else "system"
        if url_ca:
            why = f"the URL's ssl_ca {url_ca} does not exist on this machine"
        else:
            why = "the URL names no ssl_ca"
        why = f"{'--ca-file' if ca_file else 'the system store'}, because {why}"
    return TlsIntent(
        verify_cert=True, verify_host=verify_host, ca_file=chosen, ca_source=source, ca_why=why
    )


def suggested_url(url: DbUrl | None, ca_file: str | None = None) -> str:
    """The same URL (password masked) with TLS arguments that verify certificate and host."""
    if url is None:
        return f"mysql+pymysql://USER:PASSWORD@HOST:4000/DATABASE?ssl_ca={SYSTEM_CA_BUNDLE}"
    rejected = set(effective_tls(url).rejected_args)
    keep = [
        (k, MASK if _SECRET_QUERY_KEY.search(k) else v)
        for k, v in url.query.items()
        if k not in TLS_ARGS and k not in rejected
    ]
    ca = ca_file or url.query.get("ssl_ca") or SYSTEM_CA_BUNDLE
    query = urllib.parse.urlencode([("ssl_ca", ca), *keep], safe="/:*", errors="backslashreplace")
    user = urllib.parse.quote(url.username or "USER", safe=".", errors="backslashreplace")
    host = url.host or "HOST"
    if ":" in host:
        host = f"[{host}]"
    port = url.port or (4000 if url.is_tidb_cloud or url.host is None else None)
    netloc = f"{user}:{MASK}@{host}" + (f":{port}" if port else "")
    db = urllib.parse.quote(url.database or "DATABASE", safe="", errors="backslashreplace")
    return f"mysql+pymysql://{netloc}/{db}?{query}"


@dataclass(frozen=True)
class UrlProblem:
    """One thing wrong with a DATABASE_URL: how bad, what it means, what to do."""

    fails: bool  # False: a warning
    summary: str
    fix: str


def url_problems(url: DbUrl, tls: TlsPosture | None = None) -> list[UrlProblem]:
    """Everything wrong with the URL for this stack (PyMySQL, TiDB Cloud), worst first."""
    tls = tls or effective_tls(url)
    out: list[UrlProblem] = []
    _driver_problems(url, out)
    _address_problems(url, out)
    _tls_problems(url, tls, out)
    return sorted(out, key=lambda p: not p.fails)


def _driver_problems(url: DbUrl, out: list[UrlProblem]) -> None:
    driver = url.drivername
    fix = "Start DATABASE_URL with mysql+pymysql:// (the driver this stack installs)."
    if driver == "mysql+pymysql":
        return
    if driver.lower() == "mysql+pymysql":
        why = "DATABASE_URL's driver name has capitals, which SQLAlchemy cannot load."
    elif driver in ("mysql", "mysql+mysqldb"):
        why = (
            f"DATABASE_URL starts with {driver}://, which SQLAlchemy maps to MySQLdb, not "
            "PyMySQL: the backend fails with \"No module named 'MySQLdb'\"."
        )
    elif driver.startswith("mariadb"):
        why = (
            f"DATABASE_URL uses the {driver} dialect, which refuses servers that are not "
            "MariaDB, such as TiDB."
        )
    elif driver.startswith("mysql+"):
        why = f"DATABASE_URL uses the {driver} driver, but this stack uses PyMySQL."
    else:
        why = f"DATABASE_URL is a {driver} URL, not a MySQL one; TiDB speaks MySQL."
    out.append(UrlProblem(True, why, fix))


def _address_problems(url: DbUrl, out: list[UrlProblem]) -> None:
    fix = f"Use the form {suggested_url(None)}."
    if not url.host:
        out.append(UrlProblem(True, "DATABASE_URL names no host, so PyMySQL tries localhost.", fix))
    if not url.database:
        out.append(UrlProblem(True, "DATABASE_URL names no database, so queries fail.", fix))
    if not url.username:
        out.append(UrlProblem(True, "DATABASE_URL has no user name.", fix))
    elif url.password is None:
        out.append(UrlProblem(False, "DATABASE_URL has no password; TiDB Cloud needs one.", fix))
    if url.port is not None and not 0 < url.port < 65536:
        out.append(UrlProblem(True, f"DATABASE_URL's port {url.port} is not a TCP port.", fix))
    if not url.is_tidb_cloud:
        return
    if url.port is None:
        why = "DATABASE_URL has no port, so PyMySQL uses 3306, but TiDB Cloud listens on 4000."
        out.append(UrlProblem(False, why, "Add :4000 after the host."))
    elif url.port != 4000:
        why = f"DATABASE_URL uses port {url.port}, but TiDB Cloud listens on 4000."
        out.append(UrlProblem(False, why, "Use port 4000."))
    if url.username and "." not in url.username:
        why = (
            "DATABASE_URL's user has no cluster prefix, but TiDB Cloud user names look "
            "like 2aEp4Qk.root."
        )
        fix = "Copy the user name from the TiDB Cloud console's Connect dialog."
        out.append(UrlProblem(False, why, fix))


def _tls_problems(url: DbUrl, tls: TlsPosture, out: list[UrlProblem]) -> None:
    fix = f"Use {suggested_url(url)} (it verifies the certificate and the host name)."
    if tls.rejected_args:
        if "ssl_mode" in tls.rejected_args:
            mode = url.query.get("ssl_mode", "")
            what = f"ssl_mode={mode}" + (" (the checklist's form)" if mode == "VERIFIED" else "")
        else:
            what = ", ".join(tls.rejected_args)
        why = (
            f"DATABASE_URL uses {what}, which PyMySQL rejects on the first connection, "
            "so it works only if the backend rewrites the URL before use."
        )
        out.append(UrlProblem(True, why, fix))
    if not tls.tls_required:
        why = (
            "DATABASE_URL does not require verified TLS, so PyMySQL connects without checking "
            "the server: anyone in the path can pose as TiDB and read the password."
        )
    elif not tls.verify_cert:
        why = (
            "DATABASE_URL encrypts but never checks the server certificate, so anyone in the "
            "path can pose as TiDB and read the password."
        )
    elif not tls.verify_host:
        dropped = f" ({', '.join(tls.dropped)} is silently dropped)" if tls.dropped else ""
        why = (
            f"DATABASE_URL checks the certificate but not the host name{dropped}, so any "
            "publicly trusted certificate passes and a man in the middle can read the password."
        )
    else:
        return
    out.append(UrlProblem(True, why, fix))
