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
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from launchtui.probes.database_failures import (
    Diagnosis,
    bad_port,
    ca_unreadable,
    connect_failure,
    dns_failure,
    query_failure,
    tcp_failure,
)

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


@dataclass(frozen=True)
class LayerStep:
    """One layer's outcome: pass, fail, or skip (not reached, or not answered)."""

    layer: Layer
    status: Literal["pass", "fail", "skip"]
    summary: str
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
    # What `then` read on the probe's own connection after SELECT 1, or why it could not.
    then: Any = None
    then_error: BaseException | None = field(default=None, compare=False)

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


def target_of(url: DbUrl) -> str:
    """host:port as the probe names it ([v6]:port for an IPv6 address)."""
    host = url.host or ""
    port = DEFAULT_PORT if url.port is None else url.port
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def probe_database(
    url: DbUrl,
    intent: TlsIntent,
    budget_s: float = PROBE_BUDGET_S,
    *,
    then: Callable[[Any], Any] | None = None,
    on_step: Callable[[LayerStep], None] | None = None,
) -> DbProbe:
    """Probe DNS, TCP, TLS (verified), login and `SELECT 1`, naming the first failing layer.

    `then(connection)` runs on the same connection once the queries answered (under the
    same timeouts), so a caller that needs more reads costs no second login; its result
    or exception lands in the probe's `then` / `then_error`. `on_step` sees each layer as
    soon as it is done (from the probe's thread), so a caller can show each on its own.
    """
    t0 = time.perf_counter()
    deadline = t0 + budget_s
    host = url.host or ""
    port = DEFAULT_PORT if url.port is None else url.port
    target = target_of(url)
    steps: list[LayerStep] = _Steps(on_step)

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
        return fail("dns", dns_failure(host, ValueError("no host"), 0.0))
    t = time.perf_counter()
    try:
        infos = _resolve(host, port, left(DNS_TIMEOUT_S))
    except (OSError, UnicodeError, ValueError) as exc:
        return fail("dns", dns_failure(host, exc, _ms(t)))
    addresses = tuple(dict.fromkeys(str(info[4][0]) for info in infos))
    steps.append(LayerStep("dns", "pass", f"{host} resolves to {', '.join(addresses)}.", _ms(t)))

    # Our own TCP connect tells a refused or filtered port apart from TLS trouble.
    t = time.perf_counter()
    if not 0 < port < 65536:
        return fail("tcp", bad_port(host, port), addresses=addresses)
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
        return fail("tcp", tcp_failure(target, host, port, tcp_error, _ms(t)), addresses=addresses)
    peer = sock.getpeername()[0]
    steps.append(LayerStep("tcp", "pass", f"Connected to {peer} port {port}.", _ms(t)))
    # Read timeouts restart with every byte, so a server that drips bytes would outlast
    # them: at the deadline the socket is shut, and what was waiting counts as timed out.
    watchdog = _Watchdog(sock, left(budget_s))
    try:
        return _speak_mysql(
            url, intent, sock, target, addresses, steps, fail, left, t0, watchdog, then
        )
    finally:
        watchdog.cancel()


class _Steps(list[LayerStep]):
    """The probe's steps, each also told to `on_step` the moment it is added."""

    def __init__(self, on_step: Callable[[LayerStep], None] | None) -> None:
        super().__init__()
        self._on_step = on_step

    def append(self, step: LayerStep) -> None:
        super().append(step)
        if self._on_step is not None:
            self._on_step(step)


class _Watchdog:
    """Shuts a socket when the probe's time budget runs out."""

    def __init__(self, sock: socket.socket, seconds: float) -> None:
        self.fired = threading.Event()
        self._sock = sock
        self._timer = threading.Timer(seconds, self._fire)
        self._timer.name = "launchtui-probe-deadline"
        self._timer.daemon = True
        self._timer.start()

    def _fire(self) -> None:
        self.fired.set()
        with contextlib.suppress(OSError):
            self._sock.shutdown(socket.SHUT_RDWR)

    def cancel(self) -> None:
        self._timer.cancel()

    def verdict_of(self, exc: BaseException) -> BaseException:
        """The error to diagnose: a timeout when the deadline cut the connection."""
        return (
            TimeoutError("timed out: the probe's time budget ran out")
            if self.fired.is_set()
            else exc
        )


def _speak_mysql(
    url: DbUrl,
    intent: TlsIntent,
    sock: socket.socket,
    target: str,
    addresses: tuple[str, ...],
    steps: list[LayerStep],
    fail: Callable[..., DbProbe],
    left: Callable[[float], float],
    t0: float,
    watchdog: _Watchdog,
    then: Callable[[Any], Any] | None = None,
) -> DbProbe:
    """TLS, login and the queries over an open TCP socket, through PyMySQL."""

    import pymysql

    io_timeout = max(left(IO_TIMEOUT_S), 0.1)
    try:
        kwargs = connect_kwargs(url, intent, timeout_s=io_timeout)
    except (OSError, ssl.SSLError) as exc:
        sock.close()
        return fail("tls", ca_unreadable(intent, exc), addresses=addresses)
    tls: _WatchedTLS = kwargs["ssl"]
    conn = pymysql.connections.Connection(defer_connect=True, **kwargs)
    t = time.perf_counter()
    try:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        # PyMySQL speaks the protocol over our socket; the TLS context notes the handshake.
        conn.connect(sock)
    except Exception as raised:
        exc = watchdog.verdict_of(raised)
        done_at = tls.handshake_done_at
        greeted = getattr(conn, "server_version", None) is not None
        layer, d = connect_failure(
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
        diagnosis = query_failure(watchdog.verdict_of(exc), target, io_timeout, _ms(t))
        return fail("query", diagnosis, **found)
    else:
        if then is not None:
            try:
                found["then"] = then(conn)
            except Exception as exc:  # the caller's reading failed, not a layer of the probe
                found["then_error"] = watchdog.verdict_of(exc)
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
