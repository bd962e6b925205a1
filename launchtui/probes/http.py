"""HTTP and TLS probes with hard timeouts: certificates, plain-http redirects, layered URL probes."""

from __future__ import annotations

import asyncio
import datetime as dt
import re
import socket
import ssl
import time
import urllib.parse
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field, replace
from html.parser import HTMLParser
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

RunBlocking = Callable[..., Awaitable[Any]]

# OpenSSL verify codes, in the words an on-call engineer needs.
_VERIFY_PROBLEMS = {
    9: "not yet valid",
    10: "expired",
    18: "self-signed",
    19: "untrusted",
    20: "untrusted",
    21: "untrusted",
    62: "wrong host",
    64: "wrong host",
}


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


def client(ca_file: Path | None, *, follow_redirects: bool = False) -> httpx.AsyncClient:
    """An AsyncClient with verification, every timeout set, and no proxy or netrc from the env."""
    import httpx

    return httpx.AsyncClient(
        verify=tls_context(ca_file),
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
            return ProbeError("tls", f"{where}'s certificate does not verify: {_verify_text(e)}")
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


def _verify_text(exc: ssl.SSLCertVerificationError) -> str:
    return str(exc.verify_message or exc.reason or exc)


# -- certificates -------------------------------------------------------------


@dataclass(frozen=True)
class CertInfo:
    """The peer certificate of a TLS endpoint, and whether it verified."""

    host: str
    port: int
    verified: bool
    problem: str | None = None  # expired, self-signed, untrusted, wrong host, not yet valid, ...
    detail: str = ""
    subject: str = ""
    issuer: str = ""
    names: tuple[str, ...] = ()
    not_after: dt.datetime | None = None
    tls_version: str | None = None

    def days_left(self, now: dt.datetime | None = None) -> float | None:
        if self.not_after is None:
            return None
        now = now or dt.datetime.now(dt.UTC)
        return (self.not_after - now).total_seconds() / 86400

    def explain(self) -> str:
        """Why the certificate does not verify, in one clause."""
        names = ", ".join(self.names[:4]) or self.subject or "another name"
        when = self.not_after.date().isoformat() if self.not_after else "an earlier date"
        if self.problem == "expired":
            return f"the certificate expired on {when}"
        if self.problem == "wrong host":
            return f"the certificate is for {names}, not {self.host}"
        if self.problem == "self-signed":
            return "the certificate is self-signed, so browsers reject it"
        if self.problem == "untrusted":
            by = f", {self.issuer}," if self.issuer else ""
            return f"the certificate's issuer{by} is not in the trusted CA bundle"
        if self.problem == "not yet valid":
            return "the certificate is not valid yet (check the server clock)"
        return f"the certificate does not verify ({self.detail})"


def fetch_certificate(host: str, port: int, ca_file: Path | None) -> CertInfo:
    """Connect, verify, and read the peer certificate (blocking: run it in a thread)."""
    ctx = tls_context(ca_file)
    where = f"{host}:{port}"
    try:
        with (
            _connect(host, port, where) as sock,
            ctx.wrap_socket(sock, server_hostname=host) as tls,
        ):
            return _from_peercert(host, port, tls.getpeercert() or {}, tls.version())
    except ssl.SSLCertVerificationError as exc:
        problem = _VERIFY_PROBLEMS.get(exc.verify_code or 0, "does not verify")
        detail = _verify_text(exc)
    except TimeoutError:
        raise ProbeError(
            "tls", f"{where} accepted TCP but no TLS handshake completed in {CONNECT_TIMEOUT:g} s"
        ) from None
    except ssl.SSLError as exc:
        raise ProbeError("tls", f"the TLS handshake with {where} failed: {exc.reason}") from None
    except OSError as exc:
        raise ProbeError("tcp", f"{where}: {exc.strerror or exc}") from None
    # Re-fetch without verification only to say what is wrong; this never passes a check.
    try:
        der, version = _fetch_unverified(host, port)
        parsed = _parse_der(der)
    except (OSError, ValueError):
        parsed, version = {}, None
    return CertInfo(
        host=host,
        port=port,
        verified=False,
        problem=problem,
        detail=detail,
        tls_version=version,
        **parsed,
    )


def _connect(host: str, port: int, where: str) -> socket.socket:
    try:
        return socket.create_connection((host, port), timeout=CONNECT_TIMEOUT)
    except socket.gaierror as exc:
        raise ProbeError("dns", f"{host} does not resolve ({exc.strerror})") from None
    except ConnectionRefusedError:
        raise ProbeError("tcp", f"{where} refused the connection (nothing listens there)") from None
    except TimeoutError:
        raise ProbeError(
            "tcp", f"{where} did not accept a connection in {CONNECT_TIMEOUT:g} s"
        ) from None


def _fetch_unverified(host: str, port: int) -> tuple[bytes, str | None]:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    with (
        socket.create_connection((host, port), timeout=CONNECT_TIMEOUT) as sock,
        ctx.wrap_socket(sock, server_hostname=host) as tls,
    ):
        return tls.getpeercert(binary_form=True) or b"", tls.version()


def _name(rdns: Any) -> str:
    """The CN of an X.509 name (getpeercert form), else its organization."""
    flat = {k: v for rdn in rdns or () for k, v in rdn}
    return flat.get("commonName") or flat.get("organizationName") or ""


def _from_peercert(host: str, port: int, cert: Mapping[str, Any], version: str | None) -> CertInfo:
    not_after = None
    if cert.get("notAfter"):
        not_after = dt.datetime.fromtimestamp(ssl.cert_time_to_seconds(cert["notAfter"]), dt.UTC)
    return CertInfo(
        host=host,
        port=port,
        verified=True,
        subject=_name(cert.get("subject")),
        issuer=_name(cert.get("issuer")),
        names=tuple(v for _k, v in cert.get("subjectAltName", ())),
        not_after=not_after,
        tls_version=version,
    )


def _parse_der(der: bytes) -> dict[str, Any]:
    """Subject, issuer, names and expiry of a DER certificate (empty without `cryptography`)."""
    try:
        from cryptography import x509
        from cryptography.x509.oid import NameOID
    except ImportError:
        return {}
    cert = x509.load_der_x509_certificate(der)

    def name(n: x509.Name) -> str:
        for oid in (NameOID.COMMON_NAME, NameOID.ORGANIZATION_NAME):
            attrs = n.get_attributes_for_oid(oid)
            if attrs:
                return str(attrs[0].value)
        return n.rfc4514_string()

    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        names = tuple(
            str(v)
            for v in (
                *san.get_values_for_type(x509.DNSName),
                *san.get_values_for_type(x509.IPAddress),
            )
        )
    except x509.ExtensionNotFound:
        names = ()
    return {
        "subject": name(cert.subject),
        "issuer": name(cert.issuer),
        "names": names,
        "not_after": cert.not_valid_after_utc,
    }


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


async def probe_plain_http(site: SiteURL) -> PlainHttp:
    """Ask the site over plain http, without following redirects."""
    url = plain_http_url(site)
    async with client(None) as http:
        try:
            resp = await http.get(url)
        except Exception as exc:
            return PlainHttp(url=url, error=str(describe_error(exc, url)))
    return PlainHttp(url=url, status=resp.status_code, location=resp.headers.get("location"))


# -- layered probe ------------------------------------------------------------


@dataclass(frozen=True)
class Step:
    """One layer of a layered probe: what was tried, whether it worked, the evidence."""

    layer: str  # dns, tcp, tls, http
    ok: bool
    summary: str
    evidence: Mapping[str, str] = field(default_factory=dict)
    duration_ms: int = 0
    facts: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class LayeredProbe:
    url: str
    steps: tuple[Step, ...]

    @property
    def failed_layer(self) -> str | None:
        """The first layer that broke, or None when every layer answered."""
        return next((s.layer for s in self.steps if not s.ok), None)

    @property
    def ok(self) -> bool:
        return self.failed_layer is None


async def probe_url(
    url: str,
    *,
    ca_file: Path | None = None,
    expect: Callable[[int], bool] = lambda status: status < 400,
    run_blocking: RunBlocking = asyncio.to_thread,
    budget: float = CHECK_BUDGET,
) -> LayeredProbe:
    """DNS, TCP, TLS (verify + days left), then HTTP status; stops at the first broken layer."""
    try:
        site = parse_site_url(url)
    except ValueError as exc:
        return LayeredProbe(url, (Step("config", False, f"{url!r} is not a usable URL: {exc}."),))
    layers = {"dns": _dns_step, "tcp": _tcp_step, "tls": _tls_step, "http": _http_step}
    deadline = asyncio.get_running_loop().time() + budget
    steps: list[Step] = []
    for name, layer in layers.items():
        t0 = time.perf_counter()
        try:
            async with asyncio.timeout_at(deadline):
                step = await layer(site, ca_file, expect, run_blocking)
        except TimeoutError:
            step = Step(name, False, f"The probe ran out of its {budget:g} s budget at {name}.")
        if step is None:
            continue
        steps.append(replace(step, duration_ms=int((time.perf_counter() - t0) * 1000)))
        if not step.ok:
            break
    return LayeredProbe(site.url, tuple(steps))


async def _dns_step(site: SiteURL, *_: Any) -> Step:
    loop = asyncio.get_running_loop()
    try:
        infos = await asyncio.wait_for(
            loop.getaddrinfo(site.host, site.port, type=socket.SOCK_STREAM), CONNECT_TIMEOUT
        )
    except TimeoutError:
        return Step("dns", False, f"{site.host} did not resolve within {CONNECT_TIMEOUT:g} s.")
    except OSError as exc:
        return Step("dns", False, f"{site.host} does not resolve ({exc}).")
    addrs = sorted({str(i[4][0]) for i in infos})
    return Step(
        "dns",
        True,
        f"{site.host} resolves to {', '.join(addrs[:3])}.",
        {"addresses": ", ".join(addrs)},
        facts={"addresses": addrs},
    )


async def _tcp_step(site: SiteURL, *_: Any) -> Step:
    where = f"{site.host}:{site.port}"
    try:
        _reader, writer = await asyncio.wait_for(
            asyncio.open_connection(site.host, site.port), CONNECT_TIMEOUT
        )
    except TimeoutError:
        return Step("tcp", False, f"{where} did not accept a connection in {CONNECT_TIMEOUT:g} s.")
    except OSError as exc:
        return Step(
            "tcp", False, f"{where} refused or dropped the connection ({exc.strerror or exc})."
        )
    writer.close()
    return Step("tcp", True, f"{where} accepts connections.")


async def _tls_step(
    site: SiteURL, ca_file: Path | None, _expect: Any, run_blocking: RunBlocking
) -> Step | None:
    if site.scheme != "https":
        return None
    try:
        cert: CertInfo = await run_blocking(fetch_certificate, site.host, site.port, ca_file)
    except ProbeError as exc:
        return Step("tls", False, f"TLS fails: {exc}.")
    evidence = cert_evidence(cert)
    facts = {"days_left": cert.days_left(), "verified": cert.verified}
    if not cert.verified:
        return Step("tls", False, f"TLS fails: {cert.explain()}.", evidence, facts=facts)
    days = cert.days_left()
    left = f", expires in {int(days)} days" if days is not None else ""
    return Step(
        "tls", True, f"The certificate verifies ({cert.tls_version}{left}).", evidence, facts=facts
    )


async def _http_step(
    site: SiteURL, ca_file: Path | None, expect: Callable[[int], bool], _rb: Any
) -> Step:
    async with client(ca_file) as http:
        try:
            resp = await http.get(site.url)
        except Exception as exc:
            err = describe_error(exc, site.url)
            return Step("http", False, f"HTTP fails: {err}.")
    ok = expect(resp.status_code)
    evidence = {"status": str(resp.status_code)}
    if resp.headers.get("server"):
        evidence["server"] = resp.headers["server"]
    verb = "answers" if ok else "answers with an error:"
    return Step(
        "http",
        ok,
        f"GET {site.url} {verb} {resp.status_code}.",
        evidence,
        facts={"status": resp.status_code},
    )


def cert_evidence(cert: CertInfo) -> dict[str, str]:
    """The certificate as ordered evidence lines."""
    out: dict[str, str] = {}
    if cert.subject:
        out["cert subject"] = cert.subject
    if cert.issuer:
        out["cert issuer"] = cert.issuer
    if cert.names:
        out["cert names"] = ", ".join(cert.names[:6])
    if cert.not_after:
        out["cert not after"] = cert.not_after.strftime("%Y-%m-%d %H:%M UTC")
        days = cert.days_left()
        if days is not None:
            out["days left"] = str(int(days)) if days >= 0 else f"expired {int(-days)} days ago"
    if cert.tls_version:
        out["tls version"] = cert.tls_version
    if not cert.verified:
        out["verify error"] = cert.detail
    return out


# -- the deployed frontend's JS ------------------------------------------------------

MAX_SCRIPT_BYTES = 10 * 1024 * 1024
MAX_SCRIPTS = 20
# Chunk names a Vite build refers to: "./x.js", "/assets/x.js", or base-relative "assets/x.js".
_CHUNK_REF = re.compile(r"""["'`]((?:\.{0,2}/)?[\w@./-]+\.m?js)["'`]""")


class _ScriptTags(HTMLParser):
    """Collects script sources and modulepreload links from index.html."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.sources: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k.lower(): (v or "") for k, v in attrs}
        if tag == "script" and a.get("src"):
            kind = a.get("type", "").lower()
            if kind in ("", "module", "text/javascript", "application/javascript"):
                self.sources.append(a["src"])
        elif (
            tag == "link" and "modulepreload" in a.get("rel", "").lower().split() and a.get("href")
        ):
            self.sources.append(a["href"])


@dataclass
class Bundle:
    """What the deployed frontend serves: index.html's status and the text of its JS files."""

    index_url: str
    index_status: int = 0
    scripts: dict[str, str] = field(default_factory=dict)  # URL -> text
    cross_origin: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)  # URL -> why
    truncated: list[str] = field(default_factory=list)


async def fetch_bundle(url: str, ca_file: Path | None) -> Bundle:
    """Fetch index.html, its same-origin module scripts, and the chunks they import (one level)."""
    bundle = Bundle(index_url=url)
    async with client(ca_file, follow_redirects=True) as http:
        resp, body, _cut = await read_capped(http, "GET", url, cap=MAX_SCRIPT_BYTES)
        bundle.index_status = resp.status_code
        if resp.status_code != 200:
            return bundle
        base = str(resp.url)
        origin = parse_site_url(base).origin
        parser = _ScriptTags()
        parser.feed(body.decode(resp.encoding or "utf-8", "replace"))
        entries = _same_origin(
            [urllib.parse.urljoin(base, s) for s in parser.sources], origin, bundle
        )
        await _fetch_scripts(http, entries, bundle)
        chunks: list[str] = []
        for src in entries:
            for ref in _CHUNK_REF.findall(bundle.scripts.get(src, "")):
                rel = src if ref.startswith((".", "/")) else origin + "/"
                chunks.append(urllib.parse.urljoin(rel, ref))
        await _fetch_scripts(http, _same_origin(chunks, origin, bundle), bundle)
    return bundle


def _same_origin(urls: list[str], origin: str, bundle: Bundle) -> list[str]:
    out: list[str] = []
    for u in dict.fromkeys(urls):
        try:
            same = parse_site_url(u).origin == origin
        except ValueError:
            continue
        if not same:
            bundle.cross_origin.append(u)
        elif u not in bundle.scripts and u not in bundle.failed:
            out.append(u)
    return out


async def _fetch_scripts(http: httpx.AsyncClient, urls: list[str], bundle: Bundle) -> None:
    room = MAX_SCRIPTS - len(bundle.scripts) - len(bundle.failed)
    gate = asyncio.Semaphore(4)

    async def one(u: str) -> None:
        async with gate:
            try:
                resp, body, cut = await read_capped(http, "GET", u, cap=MAX_SCRIPT_BYTES)
            except Exception as exc:
                bundle.failed[u] = str(describe_error(exc, u))
                return
        if resp.status_code != 200:
            bundle.failed[u] = f"HTTP {resp.status_code}"
            return
        bundle.scripts[u] = body.decode("utf-8", "replace")
        if cut:
            bundle.truncated.append(u)

    await asyncio.gather(*(one(u) for u in urls[: max(room, 0)]))
