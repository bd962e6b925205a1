"""The live database probe, layer by layer (DNS, TCP, TLS, login, query), and verified connections.

Everything here blocks: call it through `ctx.to_thread`. PyMySQL and SQLAlchemy are
imported inside the functions that need them.
"""

from __future__ import annotations

import contextlib
import dataclasses
import socket
import ssl
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from launchtui.probes.dburl import SYSTEM_CA_BUNDLE

if TYPE_CHECKING:
    import pymysql
    import sqlalchemy

    from launchtui.probes.dburl import DbUrl, TlsIntent

Layer = Literal["dns", "tcp", "tls", "auth", "query"]
LAYERS: tuple[Layer, ...] = ("dns", "tcp", "tls", "auth", "query")
LAYER_TITLES: dict[str, str] = {
    "dns": "DNS lookup",
    "tcp": "TCP connect",
    "tls": "TLS handshake",
    "auth": "Authentication",
    "query": "Query",
}

# The whole probe ends within this budget, even against a server that never answers.
PROBE_BUDGET_S = 10.0
# Caps per step; each also stays inside what is left of the budget.
DNS_TIMEOUT_S = 3.0
CONNECT_TIMEOUT_S = 5.0
IO_TIMEOUT_S = 5.0
DEFAULT_PORT = 3306
_CONSOLE_HINT = "check the cluster's status in the TiDB Cloud console"


@dataclass(frozen=True)
class LayerStep:
    """One layer's outcome: pass, fail, or skip (not reached, or not answered)."""

    layer: Layer
    status: Literal["pass", "fail", "skip"]
    summary: str
    ms: float | None = None


@dataclass(frozen=True)
class Diagnosis:
    """Why a layer failed, in words an on-call engineer can act on."""

    summary: str
    remediation: str
    command: str | None = None
    ms: float | None = None


@dataclass(frozen=True)
class DbProbe:
    """What the layered probe saw; `layer` is the first failing layer, or "none"."""

    target: str
    steps: tuple[LayerStep, ...]
    layer: str
    summary: str
    remediation: str = ""
    command: str | None = None
    addresses: tuple[str, ...] = ()
    server_version: str | None = None
    tls_version: str | None = None
    cipher: str | None = None
    latency_ms: float | None = None
    wait_timeout: int | None = None
    elapsed_ms: float = 0.0

    @property
    def ok(self) -> bool:
        return self.layer == "none"

    @property
    def is_tidb(self) -> bool:
        return "tidb" in (self.server_version or "").lower()

    def step(self, layer: str) -> LayerStep | None:
        return next((s for s in self.steps if s.layer == layer), None)

    def timings(self) -> str:
        """Per-layer times, like "dns 0.1 ms · tcp 0.2 ms · tls 4.9 ms ..."."""
        return " · ".join(f"{s.layer} {s.ms:.1f} ms" for s in self.steps if s.ms is not None)


class _WatchedTLS(ssl.SSLContext):
    """An SSLContext that notes when its handshake finished, so a failure has a layer."""

    handshake_done_at: float | None = None

    def wrap_socket(self, *args: Any, **kwargs: Any) -> ssl.SSLSocket:  # type: ignore[override]
        wrapped = super().wrap_socket(*args, **kwargs)
        self.handshake_done_at = time.perf_counter()
        return wrapped


def tls_context(intent: TlsIntent) -> ssl.SSLContext:
    """A client context that verifies the certificate (always) and the host name (if intended)."""
    ctx = _WatchedTLS(ssl.PROTOCOL_TLS_CLIENT)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    if intent.ca_file:
        ctx.load_verify_locations(cafile=intent.ca_file)
    else:
        ctx.load_default_certs(ssl.Purpose.SERVER_AUTH)
    ctx.check_hostname = bool(intent.verify_host)
    ctx.verify_mode = ssl.CERT_REQUIRED
    return ctx


def ca_in_use(intent: TlsIntent) -> str:
    """The CA bundle a probe trusts, in words."""
    return intent.ca_file or f"the system store ({SYSTEM_CA_BUNDLE} on Debian)"


def connect_kwargs(
    url: DbUrl, intent: TlsIntent, *, timeout_s: float = IO_TIMEOUT_S, database: str | None = None
) -> dict[str, Any]:
    """Keyword arguments for `pymysql.connect`: verified TLS and every timeout set."""
    return {
        "host": url.host,
        "port": DEFAULT_PORT if url.port is None else url.port,
        "user": url.username or "",
        "password": url.password.reveal() if url.password is not None else "",
        "database": database if database is not None else (url.database or None),
        "ssl": tls_context(intent),
        "charset": "utf8mb4",
        # PyMySQL's connect_timeout covers only TCP; a silent server hangs it forever
        # unless the read and write timeouts are set too.
        "connect_timeout": timeout_s,
        "read_timeout": timeout_s,
        "write_timeout": timeout_s,
    }


@contextlib.contextmanager
def verified_connection(
    url: DbUrl, intent: TlsIntent, *, timeout_s: float = IO_TIMEOUT_S, database: str | None = None
) -> Iterator[pymysql.connections.Connection[Any]]:
    """A PyMySQL connection over verified TLS with timeouts, closed on exit."""
    import pymysql

    conn = pymysql.connect(**connect_kwargs(url, intent, timeout_s=timeout_s, database=database))
    try:
        yield conn
    finally:
        conn.close()


@contextlib.contextmanager
def verified_engine(
    url: DbUrl, intent: TlsIntent, *, timeout_s: float = IO_TIMEOUT_S
) -> Iterator[sqlalchemy.Engine]:
    """A SQLAlchemy engine whose every connection is verified as above, with no pool."""
    import pymysql
    import sqlalchemy
    from sqlalchemy.pool import NullPool

    def connect() -> Any:
        return pymysql.connect(**connect_kwargs(url, intent, timeout_s=timeout_s))

    # A creator keeps the URL's raw query (`ssl_mode` crashes PyMySQL) out of the connect call.
    engine = sqlalchemy.create_engine("mysql+pymysql://", creator=connect, poolclass=NullPool)
    try:
        yield engine
    finally:
        engine.dispose()


def _resolve(host: str, port: int, timeout_s: float) -> list[tuple[Any, ...]]:
    """getaddrinfo bounded by a timeout (it has none): a daemon thread does the lookup."""
    box: dict[str, Any] = {}
    done = threading.Event()

    def lookup() -> None:
        try:
            box["infos"] = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except BaseException as exc:
            box["error"] = exc
        finally:
            done.set()

    threading.Thread(target=lookup, name="launchtui-dns", daemon=True).start()
    if not done.wait(timeout_s):
        raise TimeoutError(f"no answer within {timeout_s:.1g} s")
    if "error" in box:
        raise box["error"]
    return box["infos"]


def _ms(since: float) -> float:
    return (time.perf_counter() - since) * 1000


def probe_database(url: DbUrl, intent: TlsIntent, budget_s: float = PROBE_BUDGET_S) -> DbProbe:
    """Probe DNS, TCP, TLS (verified), login and `SELECT 1`, naming the first failing layer."""
    t0 = time.perf_counter()
    deadline = t0 + budget_s
    host = url.host or ""
    port = DEFAULT_PORT if url.port is None else url.port
    target = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    steps: list[LayerStep] = []

    def left(cap: float) -> float:
        return max(0.0, min(cap, deadline - time.perf_counter()))

    def fail(layer: Layer, d: Diagnosis, **found: Any) -> DbProbe:
        steps.append(LayerStep(layer, "fail", d.summary, d.ms))
        for later in LAYERS[LAYERS.index(layer) + 1 :]:
            steps.append(LayerStep(later, "skip", f"Not tried: the {layer} step failed."))
        return DbProbe(
            target=target,
            steps=tuple(sorted(steps, key=lambda s: LAYERS.index(s.layer))),
            layer=layer,
            summary=f"{LAYER_TITLES[layer]} failed: {d.summary}",
            remediation=d.remediation,
            command=d.command,
            elapsed_ms=_ms(t0),
            **found,
        )

    if not host:
        return fail("dns", _dns_failure(host, ValueError("no host"), 0.0))
    t = time.perf_counter()
    try:
        infos = _resolve(host, port, left(DNS_TIMEOUT_S))
    except (OSError, UnicodeError, ValueError) as exc:
        return fail("dns", _dns_failure(host, exc, _ms(t)))
    addresses = tuple(dict.fromkeys(str(info[4][0]) for info in infos))
    steps.append(LayerStep("dns", "pass", f"{host} resolves to {', '.join(addresses)}.", _ms(t)))

    # Our own TCP connect tells a refused or filtered port apart from TLS trouble.
    t = time.perf_counter()
    if not 0 < port < 65536:
        return fail("tcp", _bad_port(host, port), addresses=addresses)
    sock: socket.socket | None = None
    tcp_error: OSError = TimeoutError("the probe's time budget ran out")
    for family, socktype, proto, _name, sockaddr in infos:
        if left(CONNECT_TIMEOUT_S) <= 0:
            break
        s = socket.socket(family, socktype, proto)
        s.settimeout(left(CONNECT_TIMEOUT_S))
        try:
            s.connect(sockaddr)
        except OSError as exc:
            s.close()
            tcp_error = exc
            continue
        sock = s
        break
    if sock is None:
        return fail("tcp", _tcp_failure(target, host, port, tcp_error, _ms(t)), addresses=addresses)
    peer = sock.getpeername()[0]
    steps.append(LayerStep("tcp", "pass", f"Connected to {peer} port {port}.", _ms(t)))

    import pymysql

    io_timeout = max(left(IO_TIMEOUT_S), 0.1)
    try:
        kwargs = connect_kwargs(url, intent, timeout_s=io_timeout)
    except (OSError, ssl.SSLError) as exc:
        sock.close()
        return fail("tls", _ca_unreadable(intent, exc), addresses=addresses)
    tls: _WatchedTLS = kwargs["ssl"]
    conn = pymysql.connections.Connection(defer_connect=True, **kwargs)
    t = time.perf_counter()
    try:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        # PyMySQL speaks the protocol over our socket; the TLS context notes the handshake.
        conn.connect(sock)
    except Exception as exc:
        done_at = tls.handshake_done_at
        greeted = getattr(conn, "server_version", None) is not None
        layer, d = _connect_failure(
            exc,
            url,
            intent,
            target,
            greeted=greeted,
            tls_done=done_at is not None,
            timeout_s=io_timeout,
        )
        if done_at is None:
            return fail(layer, dataclasses.replace(d, ms=_ms(t)), addresses=addresses)
        steps.append(LayerStep("tls", "pass", "Certificate verified.", (done_at - t) * 1000))
        if layer == "query":
            steps.append(LayerStep("auth", "skip", "The server did not answer the login."))
        return fail(layer, dataclasses.replace(d, ms=_ms(done_at)), addresses=addresses)
    done_at = tls.handshake_done_at or t
    tls_sock = conn._sock if isinstance(conn._sock, ssl.SSLSocket) else None
    tls_version = tls_sock.version() if tls_sock else None
    cipher = (tls_sock.cipher() or ("?",))[0] if tls_sock else None
    checked = "certificate and host name" if intent.verify_host else "certificate (not host name)"
    steps.append(
        LayerStep(
            "tls", "pass", f"{tls_version} {cipher}; {checked} verified.", (done_at - t) * 1000
        )
    )
    steps.append(LayerStep("auth", "pass", f"Logged in as {url.username}.", _ms(done_at)))
    found: dict[str, Any] = {"addresses": addresses, "tls_version": tls_version, "cipher": cipher}

    t = time.perf_counter()
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT 1")
            cur.fetchall()
            latency = _ms(t)
            cur.execute("SELECT VERSION(), @@wait_timeout")
            version, wait_timeout = cur.fetchone()
    except Exception as exc:
        return fail("query", _query_failure(exc, target, io_timeout, _ms(t)), **found)
    finally:
        with contextlib.suppress(Exception):
            conn.close()
    steps.append(LayerStep("query", "pass", f"SELECT 1 answered in {latency:.1f} ms.", latency))
    return DbProbe(
        target=target,
        steps=tuple(steps),
        layer="none",
        summary=f"The database at {target} answers over verified TLS.",
        server_version=str(version),
        latency_ms=latency,
        wait_timeout=int(wait_timeout),
        elapsed_ms=_ms(t0),
        **found,
    )


# -- what each failure means ---------------------------------------------------------


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


def _dns_failure(host: str, exc: BaseException, ms: float) -> Diagnosis:
    fix = "Copy the host from the TiDB Cloud console's Connect dialog into DATABASE_URL."
    if not host:
        return Diagnosis("DATABASE_URL names no host to connect to.", fix, None, ms)
    command = f"getent hosts {host}"
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


def _tcp_failure(target: str, host: str, port: int, exc: OSError, ms: float) -> Diagnosis:
    command = f"nc -vz -w 5 {host} {port}"
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


def _bad_port(host: str, port: int) -> Diagnosis:
    return Diagnosis(
        f"port {port} in DATABASE_URL is not a TCP port (1-65535), so no connection is possible.",
        "Fix the port in DATABASE_URL (TiDB Cloud listens on 4000).",
    )


def _ca_unreadable(intent: TlsIntent, exc: BaseException) -> Diagnosis:
    return Diagnosis(
        f"the CA bundle {intent.ca_file} cannot be used on this machine ({exc}), so no "
        "certificate can be verified.",
        f"Pass a readable CA bundle with --ca-file (for TiDB Cloud: {SYSTEM_CA_BUNDLE}).",
        f"launchtui check --only db.connect --ca-file {SYSTEM_CA_BUNDLE}",
    )


def _connect_failure(
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
            f"CREATE DATABASE `{url.database}`;",
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
    return Diagnosis(
        f"the server's certificate is not trusted by the CA bundle in use, {ca_in_use(intent)} "
        f"({why}).",
        "Pass the CA that signs the server's certificate with --ca-file; for TiDB Cloud, the "
        f"system bundle {SYSTEM_CA_BUNDLE} verifies it.",
        f"launchtui check --only db.connect --ca-file {SYSTEM_CA_BUNDLE}",
    )


def _query_failure(exc: BaseException, target: str, timeout_s: float, ms: float) -> Diagnosis:
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
