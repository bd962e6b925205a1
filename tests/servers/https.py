"""Loopback HTTPS sites with trustme certificates, for the live web checks.

Each site is a WSGI app behind a threaded stdlib server that speaks TLS and plain
HTTP on the same port (it peeks at the first byte: 0x16 starts a TLS handshake), so
`http://127.0.0.1:PORT` is "the same site over plain http" and its redirect can be
tested without port 80. Backends are real Flask apps with real Flask-CORS and the
real Werkzeug debugger.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import socket
import ssl
import threading
import traceback
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from socketserver import TCPServer, ThreadingMixIn
from typing import Any
from wsgiref.simple_server import ServerHandler, WSGIRequestHandler, WSGIServer

import pytest
import trustme

WSGIApp = Callable[..., Iterable[bytes]]
# How long a server thread waits on a client that says nothing, so threads never pile up.
IO_TIMEOUT = 10.0
HSTS_GOOD = "max-age=63072000; includeSubDomains; preload"
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "strict-origin-when-cross-origin",
}


# -- certificates ---------------------------------------------------------------


@dataclass(frozen=True)
class Certs:
    """A session CA (trusted through --ca-file) and server certificates, good and bad."""

    ca_file: Path
    valid: trustme.LeafCert
    expiring: trustme.LeafCert  # 5 days left: fail (< 7)
    soon: trustme.LeafCert  # 20 days left: warn (< 30)
    expired: trustme.LeafCert
    wrong_host: trustme.LeafCert
    untrusted: trustme.LeafCert  # from a CA nobody trusts
    self_signed: tuple[Path, Path]  # (cert, key) of a self-signed certificate


@pytest.fixture(scope="session")
def https_certs(tmp_path_factory: pytest.TempPathFactory) -> Certs:
    ca = trustme.CA(organization_name="launchtui test CA")
    stranger = trustme.CA(organization_name="Stranger CA")
    lone = trustme.CA(organization_name="Self Signed Inc")
    d = tmp_path_factory.mktemp("tls")
    ca_file = d / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    cert, key = d / "self-signed.pem", d / "self-signed.key"
    lone.cert_pem.write_to_path(str(cert))
    lone.private_key_pem.write_to_path(str(key))
    now = dt.datetime.now(dt.UTC)
    alias = loopback_alias()
    hosts = ("127.0.0.1", "localhost", *([alias] if alias else []))
    return Certs(
        ca_file=ca_file,
        valid=ca.issue_cert(*hosts),
        expiring=ca.issue_cert(*hosts, not_after=now + dt.timedelta(days=5, hours=1)),
        soon=ca.issue_cert(*hosts, not_after=now + dt.timedelta(days=20, hours=1)),
        expired=ca.issue_cert(
            *hosts,
            not_before=now - dt.timedelta(days=90),
            not_after=now - dt.timedelta(days=3),
        ),
        wrong_host=ca.issue_cert("wrong-host.example"),
        untrusted=stranger.issue_cert(*hosts),
        self_signed=(cert, key),
    )


def loopback_alias() -> str | None:
    """A name of this machine that resolves to 127.x without looking like localhost.

    Checks rightly refuse `localhost` and `127.0.0.1` as a production origin; a site
    served under this name (this machine's own host name, or another /etc/hosts name of
    a loopback address) is reached on loopback and judged like a deployed one.
    """
    names = [socket.gethostname()]
    with contextlib.suppress(OSError):
        for line in Path("/etc/hosts").read_text(encoding="utf-8").splitlines():
            fields = line.split("#", 1)[0].split()
            if len(fields) > 1 and fields[0].startswith("127."):
                names += fields[1:]
    for name in dict.fromkeys(names):
        lowered = name.lower()
        if lowered == "localhost" or lowered.startswith("ip6-") or "." in lowered:
            continue  # .local, .localhost and friends are refused by the checks as local
        try:
            if socket.gethostbyname(name).startswith("127."):
                return name
        except OSError:
            continue
    return None


def server_context(cert: trustme.LeafCert | tuple[Path, Path]) -> ssl.SSLContext:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    if isinstance(cert, tuple):
        ctx.load_cert_chain(str(cert[0]), str(cert[1]))
    else:
        cert.configure_cert(ctx)
    return ctx


# -- the server -------------------------------------------------------------------


class _Handler(WSGIRequestHandler):
    """wsgiref's handler, plus the plain-http policy and a configurable Server header."""

    def handle(self) -> None:
        self.raw_requestline = self.rfile.readline(65537)
        if not self.raw_requestline or not self.parse_request():
            return
        server: LoopbackServer = self.server  # type: ignore[assignment]
        tls = isinstance(self.connection, ssl.SSLSocket)
        if not tls and server.plain != "serve":
            self._plain_answer(server.plain)
            return
        env = self.get_environ()
        if tls:
            env["HTTPS"] = "on"
        handler = ServerHandler(self.rfile, self.wfile, self.get_stderr(), env, multithread=True)
        handler.server_software = server.server_header
        handler.request_handler = self
        handler.run(server.get_app())

    def _plain_answer(self, policy: str) -> None:
        host = self.headers.get("Host", "")
        targets = {
            "redirect": (301, f"https://{host}{self.path}"),
            "temporary": (302, f"https://{host}{self.path}"),
            "elsewhere": (301, f"https://elsewhere.example{self.path}"),
        }
        status, location = targets.get(policy, (403, ""))
        self.send_response(status)
        if location:
            self.send_header("Location", location)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        pass


class LoopbackServer(ThreadingMixIn, WSGIServer):
    """A threaded WSGI server on 127.0.0.1 that speaks TLS and plain HTTP on one port."""

    daemon_threads = True

    def __init__(
        self,
        app: WSGIApp,
        tls: ssl.SSLContext | None,
        *,
        plain: str = "redirect",
        server_header: str = "gunicorn",
    ) -> None:
        self.tls = tls
        # What plain http gets: redirect (301), temporary (302), elsewhere, serve, or refuse (403).
        self.plain = plain
        self.server_header = server_header
        super().__init__(("127.0.0.1", 0), _Handler)
        self.set_app(app)

    def server_bind(self) -> None:
        # HTTPServer.server_bind would resolve our own name (getfqdn): no DNS in tests.
        TCPServer.server_bind(self)
        self.server_name, self.server_port = "127.0.0.1", self.server_address[1]
        self.setup_environ()

    def finish_request(self, request: Any, client_address: Any) -> None:
        request.settimeout(IO_TIMEOUT)
        try:
            first = request.recv(1, socket.MSG_PEEK)
            if first == b"\x16" and self.tls is not None:
                request = self.tls.wrap_socket(request, server_side=True)
            if first:
                self.RequestHandlerClass(request, client_address, self)
        except OSError:
            pass  # a client that gave up on our certificate, or went away
        finally:
            if isinstance(request, ssl.SSLSocket):
                request.close()

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass

    @property
    def port(self) -> int:
        return self.server_address[1]


@dataclass(frozen=True)
class Site:
    """A running loopback site."""

    url: str  # https://127.0.0.1:PORT
    port: int

    @property
    def plain_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


ServeFn = Callable[..., Site]


@contextlib.contextmanager
def serving(server: LoopbackServer) -> Iterator[LoopbackServer]:
    """Serve in a background thread until the block ends."""
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture
def serve(https_certs: Certs) -> Iterator[ServeFn]:
    """Start sites: `serve(app, cert="valid", plain="redirect", server_header="gunicorn")`."""
    with contextlib.ExitStack() as stack:

        def start(
            app: WSGIApp,
            *,
            cert: str = "valid",
            plain: str = "redirect",
            server_header: str = "gunicorn",
            host: str = "127.0.0.1",
        ) -> Site:
            """`host` names the site in its URL (a loopback alias, say); it listens on 127.0.0.1."""
            tls = server_context(getattr(https_certs, cert))
            server = LoopbackServer(app, tls, plain=plain, server_header=server_header)
            stack.enter_context(serving(server))
            return Site(url=f"https://{host}:{server.port}", port=server.port)

        yield start


@pytest.fixture
def silent_server() -> Iterator[str]:
    """An https URL whose port accepts connections (the kernel's backlog) and never answers."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    sock.listen(16)
    yield f"https://127.0.0.1:{sock.getsockname()[1]}"
    sock.close()


@pytest.fixture
def dead_port() -> Iterator[str]:
    """An https URL on a port that refuses connections (bound, never listening)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    yield f"https://127.0.0.1:{sock.getsockname()[1]}"
    sock.close()


# -- sites -----------------------------------------------------------------------


def static_site(
    routes: Mapping[str, tuple[int, str, bytes]],
    headers: Mapping[str, str] | None = None,
) -> WSGIApp:
    """A WSGI app serving fixed (status, content type, body) per path, 404 elsewhere."""

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        status, ctype, body = routes.get(
            environ["PATH_INFO"], (404, "text/html", b"<h1>Not Found</h1>")
        )
        reason = {200: "OK", 404: "Not Found", 500: "Internal Server Error"}.get(status, "X")
        extra = [(k, v) for k, v in (headers or {}).items()]
        start_response(
            f"{status} {reason}",
            [("Content-Type", ctype), ("Content-Length", str(len(body))), *extra],
        )
        return [body]

    return app


INDEX_HTML = """<!doctype html>
<html lang="en">
  <head>
    <meta charset="UTF-8" />
    <title>Selective</title>
    <script type="module" crossorigin src="/assets/index-B7xk2.js"></script>
    <link rel="modulepreload" crossorigin href="/assets/vendor-C4n9q.js">
    <link rel="stylesheet" crossorigin href="/assets/index-D1f0a.css">
    <script async src="https://cdn.analytics.invalid/tag.js"></script>
  </head>
  <body><div id="app"></div></body>
</html>
"""


def frontend_site(
    api_url: str | None, *, headers: Mapping[str, str] | None = None, index: str = INDEX_HTML
) -> WSGIApp:
    """A Vite-built Vue app: index.html, an entry chunk, and the chunk that holds the API URL."""
    base = f'"{api_url}"' if api_url else '"/api"'
    js = "application/javascript"
    routes = {
        "/": (200, "text/html; charset=utf-8", index.encode()),
        "/index.html": (200, "text/html; charset=utf-8", index.encode()),
        "/assets/index-B7xk2.js": (
            200,
            js,
            b'import{c as e,r as t}from"./vendor-C4n9q.js";import{api as a}from"./api-Q2w8r.js";'
            b'const n=()=>__vitePreload(()=>import("./About-Z9y8x.js"),__vite__mapDeps([0]));'
            b'e({routes:[{path:"/about",component:n}]}).mount("#app");',
        ),
        "/assets/vendor-C4n9q.js": (
            200,
            js,
            b'const s="http://www.w3.org/2000/svg";const d="https://vuejs.org/error-reference/#runtime-";'
            b"export function c(o){return o}export function r(){}",
        ),
        "/assets/api-Q2w8r.js": (
            200,
            js,
            b"const t=" + base.encode() + b";export const api={baseURL:t,timeout:1e4};",
        ),
        "/assets/About-Z9y8x.js": (200, js, b'export default{name:"About"};'),
        "/assets/index-D1f0a.css": (200, "text/css", b"#app{margin:0}"),
    }
    return static_site(routes, headers)


def flask_backend(
    *,
    origins: Iterable[str] | str = ("https://app.example.com",),
    credentials: bool = True,
    hsts: str | None = HSTS_GOOD,
    security_headers: bool = True,
    debug: bool = False,
    leaky_errors: bool = False,
    health_status: int = 200,
) -> WSGIApp:
    """A Flask API with real Flask-CORS; `debug=True` wraps it in the real Werkzeug debugger."""
    from flask import Flask, jsonify
    from flask_cors import CORS

    app = Flask("launchtui_test_backend")
    CORS(
        app,
        origins=origins if isinstance(origins, str) else list(origins),
        supports_credentials=credentials,
    )

    @app.route("/health", methods=["GET", "POST"])
    def health() -> Any:
        from flask import request

        if request.method == "POST":
            return jsonify(echo=request.get_json())
        return jsonify(status="ok"), health_status

    @app.route("/api/boom")
    def boom() -> Any:
        raise RuntimeError("database exploded")

    @app.after_request
    def add_headers(resp: Any) -> Any:
        if hsts:
            resp.headers["Strict-Transport-Security"] = hsts
        if security_headers:
            resp.headers.update(SECURITY_HEADERS)
        return resp

    if leaky_errors:
        # A catch-all handler that prints the traceback: a classic production leak.
        @app.errorhandler(Exception)
        def leak(exc: Exception) -> Any:
            return f"<pre>{traceback.format_exc()}</pre>", 500

    if not debug:
        return app
    from werkzeug.debug import DebuggedApplication

    app.debug = True
    return DebuggedApplication(app, evalex=True)
