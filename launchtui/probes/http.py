"""HTTP probes with hard timeouts: the client, site URLs, plain errors, plain-http redirects."""

from __future__ import annotations

import socket
import ssl
import urllib.parse
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from launchtui import __version__

if TYPE_CHECKING:
    import httpx

# Per-request limits; every request sets all four.
CONNECT_TIMEOUT = 3.0
READ_TIMEOUT = 5.0
WRITE_TIMEOUT = 3.0
POOL_TIMEOUT = 3.0
# A whole check's bound, under the runner's 20 s so a slow site gets a named verdict.
CHECK_BUDGET = 15.0
USER_AGENT = f"launchtui/{__version__} (pre-launch check)"


class ProbeError(Exception):
    """A probe could not get an answer; `layer` names where it broke (dns, tcp, tls, http)."""

    def __init__(self, layer: str, message: str) -> None:
        super().__init__(message)
        self.layer = layer


@dataclass(frozen=True)
class SiteURL:
    """A parsed http(s) URL: what the probes connect to."""

    url: str
    scheme: str
    host: str
    port: int
    path: str

    @property
    def origin(self) -> str:
        default = 443 if self.scheme == "https" else 80
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{self.scheme}://{host}" + ("" if self.port == default else f":{self.port}")

    def at(self, path: str) -> str:
        """The URL of an absolute path on this site."""
        return self.origin + (path if path.startswith("/") else "/" + path)


def parse_site_url(url: str) -> SiteURL:
    """Parse an http(s) URL, or raise ValueError saying what is wrong with it."""
    text = (url or "").strip()
    try:
        parts = urllib.parse.urlsplit(text)
        port = parts.port
    except ValueError as exc:
        raise ValueError(f"it does not parse ({exc})") from None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise ValueError("it must start with https://")
    host = parts.hostname or ""
    if not host or any(c.isspace() for c in text):
        raise ValueError("it has no valid host name")
    if port == 0:
        raise ValueError("its port is 0, which nothing can listen on")
    site = SiteURL(
        url="",
        scheme=scheme,
        host=host,
        port=port or (443 if scheme == "https" else 80),
        path=parts.path or "/",
    )
    # Rebuilt without user:password, which no probe sends and no message may show.
    query = f"?{parts.query}" if parts.query else ""
    return replace(site, url=site.at(site.path) + query)


def tls_context(ca_file: Path | None) -> ssl.SSLContext:
    """A verifying client context: the system CA bundle, or only `--ca-file` when given."""
    return ssl.create_default_context(cafile=str(ca_file) if ca_file else None)


def timeouts() -> httpx.Timeout:
    import httpx

    return httpx.Timeout(
        connect=CONNECT_TIMEOUT, read=READ_TIMEOUT, write=WRITE_TIMEOUT, pool=POOL_TIMEOUT
    )


def load_tls(ca_file: Path | None) -> ssl.SSLContext:
    """The verifying context, with httpx imported: both block, so call it in a thread."""
    import httpx  # noqa: F401  (its import takes ~100 ms: keep it off the event loop too)

    return tls_context(ca_file)


def client(
    ca_file: Path | None,
    *,
    follow_redirects: bool = False,
    verify: ssl.SSLContext | None = None,
) -> httpx.AsyncClient:
    """An AsyncClient with verification, every timeout set, and no proxy or netrc from the env.

    Pass `verify` (from `load_tls`, built in a thread): without it the CA bundle is read here.
    """
    import httpx

    return httpx.AsyncClient(
        verify=verify if verify is not None else tls_context(ca_file),
        timeout=timeouts(),
        follow_redirects=follow_redirects,
        max_redirects=5,
        trust_env=False,
        headers={"User-Agent": USER_AGENT},
    )


async def read_capped(
    http: httpx.AsyncClient,
    method: str,
    url: str,
    *,
    cap: int,
    **kw: Any,
) -> tuple[httpx.Response, bytes, bool]:
    """A response with at most `cap` bytes of its body, and whether it was cut short."""
    async with http.stream(method, url, **kw) as resp:
        body = bytearray()
        truncated = False
        async for chunk in resp.aiter_bytes():
            body.extend(chunk)
            if len(body) > cap:
                del body[cap:]
                truncated = True
                break
    return resp, bytes(body), truncated


def describe_error(exc: BaseException, where: str) -> ProbeError:
    """Turn an httpx/socket exception into a layer and one plain sentence."""
    import httpx

    chain: list[BaseException] = []
    cur: BaseException | None = exc
    while cur is not None and len(chain) < 8:
        chain.append(cur)
        cur = cur.__cause__ or cur.__context__
    for e in chain:
        if isinstance(e, ssl.SSLCertVerificationError):
            return ProbeError("tls", f"{where}'s certificate does not verify: {verify_text(e)}")
        if isinstance(e, socket.gaierror):
            return ProbeError("dns", f"the host name of {where} does not resolve ({e.strerror})")
        if isinstance(e, ConnectionRefusedError):
            return ProbeError("tcp", f"{where} refused the connection (nothing listens there)")
    if isinstance(exc, httpx.ConnectTimeout):
        return ProbeError(
            "tcp", f"{where} did not complete a connection within {CONNECT_TIMEOUT:g} s"
        )
    if isinstance(exc, httpx.ReadTimeout):
        return ProbeError(
            "http",
            f"{where} accepted the connection but sent no answer within {READ_TIMEOUT:g} s",
        )
    if isinstance(exc, httpx.TimeoutException):
        return ProbeError("http", f"{where} timed out ({type(exc).__name__})")
    if isinstance(exc, httpx.TooManyRedirects):
        return ProbeError("http", f"{where} redirects in a loop")
    if isinstance(exc, httpx.RemoteProtocolError):
        return ProbeError("http", f"{where} closed the connection without an HTTP answer")
    if any(isinstance(e, ssl.SSLError) for e in chain):
        return ProbeError("tls", f"the TLS handshake with {where} failed: {exc}")
    if isinstance(exc, httpx.UnsupportedProtocol | httpx.InvalidURL):
        return ProbeError("config", f"{where} is not a URL launchtui can request: {exc}")
    return ProbeError("tcp", f"could not reach {where}: {exc or type(exc).__name__}")


def verify_text(exc: ssl.SSLCertVerificationError) -> str:
    """The reason a certificate did not verify, as OpenSSL words it."""
    return str(exc.verify_message or exc.reason or exc)


# -- plain http ---------------------------------------------------------------


@dataclass(frozen=True)
class PlainHttp:
    """What the plain `http://` form of a site answers."""

    url: str
    status: int | None = None
    location: str | None = None
    error: str | None = None

    @property
    def redirects_to_https_same_host(self) -> bool:
        if self.location is None or self.status not in (301, 302, 303, 307, 308):
            return False
        target = urllib.parse.urlsplit(urllib.parse.urljoin(self.url, self.location))
        return (
            target.scheme == "https" and target.hostname == urllib.parse.urlsplit(self.url).hostname
        )

    @property
    def permanent(self) -> bool:
        return self.status in (301, 308)

    def describe(self) -> str:
        if self.error:
            return self.error
        return f"{self.status} → {self.location}" if self.location else f"{self.status}"


def plain_http_url(site: SiteURL) -> str:
    """The same site over http: port 80, or the same explicit port when one is given."""
    host = f"[{site.host}]" if ":" in site.host else site.host
    port = "" if site.port in (80, 443) else f":{site.port}"
    return f"http://{host}{port}{site.path}"


async def probe_plain_http(site: SiteURL, verify: ssl.SSLContext | None = None) -> PlainHttp:
    """Ask the site over plain http, without following redirects."""
    url = plain_http_url(site)
    async with client(None, verify=verify) as http:
        try:
            resp = await http.get(url)
        except Exception as exc:
            return PlainHttp(url=url, error=str(describe_error(exc, url)))
    return PlainHttp(url=url, status=resp.status_code, location=resp.headers.get("location"))
