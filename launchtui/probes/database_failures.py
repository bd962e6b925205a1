"""What each failure of the database probe means, in words an on-call engineer can act on."""

from __future__ import annotations

import shlex
import socket
import ssl
from dataclasses import dataclass
from typing import TYPE_CHECKING

from launchtui.probes.dburl import SYSTEM_CA_BUNDLE

if TYPE_CHECKING:
    from launchtui.probes.database import Layer
    from launchtui.probes.dburl import DbUrl, TlsIntent

_CONSOLE_HINT = "check the cluster's status in the TiDB Cloud console"


@dataclass(frozen=True)
class Diagnosis:
    """Why a layer failed, in words an on-call engineer can act on."""

    summary: str
    remediation: str
    command: str | None = None
    ms: float | None = None


def ca_in_use(intent: TlsIntent) -> str:
    """The CA bundle a probe trusts, in words."""
    return intent.ca_file or f"the system store ({SYSTEM_CA_BUNDLE} on Debian)"


def _mysql_error(exc: BaseException) -> tuple[int | None, str]:
    """PyMySQL's (code, message), or (None, text) for anything else."""
    args = getattr(exc, "args", ())
    if len(args) >= 2 and isinstance(args[0], int):
        return args[0], str(args[1])
    return None, str(exc) or type(exc).__name__


def _timed_out(exc: BaseException) -> bool:
    original = getattr(exc, "original_exception", None)
    return (
        isinstance(exc, TimeoutError | socket.timeout)
        or isinstance(original, TimeoutError)
        or ("timed out" in str(exc))
    )


def dns_failure(host: str, exc: BaseException, ms: float) -> Diagnosis:
    """Why the host name did not resolve, and what to do about it."""
    fix = "Copy the host from the TiDB Cloud console's Connect dialog into DATABASE_URL."
    if not host:
        return Diagnosis("DATABASE_URL names no host to connect to.", fix, None, ms)
    command = f"getent hosts {shlex.quote(host)}"
    if isinstance(exc, TimeoutError):
        return Diagnosis(
            f"the lookup of {host} got no answer ({exc}), so this machine's DNS resolver is "
            "slow or unreachable.",
            "Check /etc/resolv.conf and the network of this machine, then retry.",
            command,
            ms,
        )
    if isinstance(exc, socket.gaierror) and exc.errno == socket.EAI_AGAIN:
        return Diagnosis(
            f"the lookup of {host} failed for now ({exc.strerror}): the DNS resolver is unreachable.",
            "Check this machine's DNS (/etc/resolv.conf) and network, then retry.",
            command,
            ms,
        )
    why = exc.strerror if isinstance(exc, socket.gaierror) else str(exc)
    return Diagnosis(
        f"{host} does not resolve ({why}), so the host name in DATABASE_URL is wrong or the "
        "cluster no longer exists.",
        fix,
        command,
        ms,
    )


def tcp_failure(target: str, host: str, port: int, exc: OSError, ms: float) -> Diagnosis:
    """Why the TCP connect failed: refused, dropped by a firewall, or unreachable."""
    command = f"nc -vz -w 5 {shlex.quote(host)} {port}"
    if isinstance(exc, ConnectionRefusedError):
        return Diagnosis(
            f"{target} refused the connection, so nothing listens on port {port} there "
            "(TiDB Cloud listens on 4000).",
            "Check the port in DATABASE_URL against the TiDB Cloud console's Connect dialog.",
            command,
            ms,
        )
    if isinstance(exc, TimeoutError):
        return Diagnosis(
            f"{target} did not accept a connection in time ({exc}): a firewall or IP access "
            "list drops the packets, or the host is down.",
            f"Allow this network in the cluster's IP access list, check egress rules, and {_CONSOLE_HINT}.",
            command,
            ms,
        )
    return Diagnosis(
        f"{target} is unreachable ({exc.strerror or exc}).",
        f"Check this machine's network route to {host}, and {_CONSOLE_HINT}.",
        command,
        ms,
    )


def bad_port(host: str, port: int) -> Diagnosis:
    """The port in DATABASE_URL is not a TCP port."""
    return Diagnosis(
        f"port {port} in DATABASE_URL is not a TCP port (1-65535), so no connection is possible.",
        "Fix the port in DATABASE_URL (TiDB Cloud listens on 4000).",
    )


def ca_unreadable(intent: TlsIntent, exc: BaseException) -> Diagnosis:
    """The CA bundle cannot be loaded, so no certificate can be verified."""
    return Diagnosis(
        f"the CA bundle {intent.ca_file} cannot be used on this machine ({exc}), so no "
        "certificate can be verified.",
        f"Pass a readable CA bundle with --ca-file (for TiDB Cloud: {SYSTEM_CA_BUNDLE}).",
        f"launchtui check --only db.connect --ca-file {SYSTEM_CA_BUNDLE}",
    )


def connect_failure(
    exc: BaseException,
    url: DbUrl,
    intent: TlsIntent,
    target: str,
    *,
    greeted: bool,
    tls_done: bool,
    timeout_s: float,
) -> tuple[Layer, Diagnosis]:
    """The layer and meaning of an error raised while PyMySQL greeted, shook hands and logged in."""
    code, message = _mysql_error(exc)
    original = getattr(exc, "original_exception", None)
    console = f"Retry in a minute and {_CONSOLE_HINT}."
    if not tls_done:
        if isinstance(original, ssl.SSLCertVerificationError):
            return "tls", _certificate_failure(url, intent, original)
        if _timed_out(exc):
            if not greeted:
                return "tls", Diagnosis(
                    f"{target} accepted the TCP connection but sent "
                    f"no MySQL greeting within {timeout_s:.1g} s, so the TLS handshake never "
                    "started: a stuck proxy or something that is not MySQL holds that port.",
                    f"Check the port in DATABASE_URL (TiDB Cloud: 4000) and {_CONSOLE_HINT}.",
                )
            return "tls", Diagnosis(
                f"the server sent its greeting but the TLS handshake did not finish within "
                f"{timeout_s:.1g} s.",
                console,
            )
        if code == 2026:
            return "tls", Diagnosis(
                "the server does not offer TLS, so the connection can be neither encrypted "
                "nor verified.",
                "Point DATABASE_URL at the cluster's public TLS endpoint.",
            )
        if code is not None and code >= 1000:
            return "auth", Diagnosis(
                f"the server refused the connection before login ({code}: {message}).", console
            )
        what = "during the TLS handshake" if greeted else "before its MySQL greeting"
        detail = str(original) if original is not None else message
        return "tls", Diagnosis(
            f"the connection to {url.host} failed {what} ({detail}).",
            f"Check the host and port in DATABASE_URL and {_CONSOLE_HINT}.",
        )
    if code == 1045:
        return "auth", Diagnosis(
            f"the server refused user {url.username!r} (1045 Access denied): either the "
            "password or user name in DATABASE_URL is wrong, or the client connected without "
            "TLS while the server requires secure transport (this probe used TLS, so the "
            "credentials are the likely cause).",
            "Copy the user (with its cluster prefix, like xxxx.root) and the password from the "
            "TiDB Cloud console into DATABASE_URL, and make sure the backend connects with TLS: "
            "a plain connection gets the same error.",
        )
    if code == 1049:
        return "auth", Diagnosis(
            f"the login worked but database {url.database!r} does not exist (1049 Unknown "
            "database).",
            "Fix the database name at the end of DATABASE_URL, or create that database.",
            f"CREATE DATABASE `{str(url.database).replace('`', '``')}`;",
        )
    if code == 1044:
        return "auth", Diagnosis(
            f"user {url.username!r} may not use database {url.database!r}, or it does not exist "
            f"(1044 Access denied: the server answers both the same way to this user).",
            "Fix the database name at the end of DATABASE_URL, or grant the user access to it.",
        )
    if _timed_out(exc):
        return "query", Diagnosis(
            f"the TLS handshake finished but the server did not answer the login within "
            f"{timeout_s:.1g} s: it is connected but not answering (overloaded or resuming "
            "from idle).",
            console,
        )
    return "auth", Diagnosis(f"the server ended the login with {code}: {message}.", console)


def _certificate_failure(
    url: DbUrl, intent: TlsIntent, exc: ssl.SSLCertVerificationError
) -> Diagnosis:
    why = str(exc.verify_message or exc.reason or exc).rstrip(".")
    if "mismatch" in why.lower():
        return Diagnosis(
            f"the server's certificate is not issued for the host name {url.host!r} in "
            f"DATABASE_URL ({why}).",
            "Check the host name in DATABASE_URL: use the exact host the certificate names "
            "(the gateway host from the TiDB Cloud console), not an IP address or an alias.",
        )
    if "expired" in why.lower() or "not yet valid" in why.lower():
        return Diagnosis(
            f"the server's certificate is outside its validity dates ({why}), or this "
            "machine's clock is wrong.",
            f"Check this machine's clock first; TiDB Cloud renews its certificates, so if the "
            f"clock is right, {_CONSOLE_HINT} and contact support.",
            "date -u",
        )
    if intent.ca_source == "url":
        # The backend verifies with this CA too, so it fails the same way in production.
        return Diagnosis(
            f"the server's certificate is not trusted by the URL's own ssl_ca, {intent.ca_file} "
            f"({why}), so the backend fails to connect the same way.",
            "Point ssl_ca in DATABASE_URL at the CA that signs the server's certificate (for "
            f"TiDB Cloud, the system bundle {SYSTEM_CA_BUNDLE}) and redeploy; --ca-file does "
            "not override a CA the URL names.",
        )
    return Diagnosis(
        f"the server's certificate is not trusted by the CA bundle in use, {ca_in_use(intent)} "
        f"({why}).",
        "Pass the CA that signs the server's certificate with --ca-file; for TiDB Cloud, the "
        f"system bundle {SYSTEM_CA_BUNDLE} verifies it.",
        f"launchtui check --only db.connect --ca-file {SYSTEM_CA_BUNDLE}",
    )


def query_failure(exc: BaseException, target: str, timeout_s: float, ms: float) -> Diagnosis:
    """Why `SELECT 1` failed after a good login: no answer in time, or an error."""
    code, message = _mysql_error(exc)
    if _timed_out(exc):
        return Diagnosis(
            f"{target} accepted the login but did not answer SELECT 1 within {timeout_s:.1g} s: "
            "it is connected but not answering.",
            f"Retry in a minute and {_CONSOLE_HINT} (overload, or resuming from idle).",
            None,
            ms,
        )
    return Diagnosis(
        f"SELECT 1 failed on {target} ({code}: {message}).",
        f"Retry in a minute and {_CONSOLE_HINT}.",
        None,
        ms,
    )
