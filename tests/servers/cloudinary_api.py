"""A loopback Cloudinary: the Admin API paths the real SDK calls, and a delivery host.

HTTP (or HTTPS, given a TLS context) on 127.0.0.1. Admin API: `GET /v1_1/<cloud>/ping`, `/usage`,
`/resources/<resource_type>[/<type>[/<public_id>]]` (paged with `next_cursor`), and
`/<resource_type>/download` (the SDK's signed `private_download_url`), `/config` and
`POST /resources/search` (what `cld sync --pull` asks, for the benchmarks), behind Basic auth,
with `X-FeatureRateLimit-*` headers and a real hourly allowance (420 when spent).
Delivery host: `GET /<cloud>/<resource_type>/<type>[/s--SIG--]/v<version>/<public_id>.<format>`
serves deterministic bytes of the seeded size (Range supported); private and authenticated
assets need a valid SDK URL signature. Faults (status, body, delay, truncated body) are
programmable per endpoint, and every request is recorded.
"""

from __future__ import annotations

import base64
import contextlib
import dataclasses
import datetime as dt
import email.utils
import hashlib
import http.server
import itertools
import json
import re
import secrets
import socket
import ssl
import sys
import threading
import time
import urllib.parse
from collections.abc import Iterator
from typing import Any

import pytest

RESOURCE_FORMATS = {"image": "jpg", "video": "mp4", "raw": None}
CONTENT_TYPES = {"jpg": "image/jpeg", "mp4": "video/mp4"}
SIGNED_TYPES = frozenset({"private", "authenticated"})
GB = 1024**3
# Plan limits the usage body reports for a metric given as a percentage.
USAGE_LIMITS = {
    "credits": 25.0,
    "bandwidth": 25 * GB,
    "storage": 25 * GB,
    "transformations": 25_000,
    "objects": 250_000,
}


@dataclasses.dataclass
class Fault:
    """A programmed answer: `status=None` answers normally (after `delay`)."""

    status: int | None = 500
    body: Any = None  # dict -> JSON, bytes -> raw, None -> the endpoint's usual error
    endpoint: str = "*"  # ping, usage, resources, download, delivery or *
    times: int | None = None  # None: until cleared
    delay: float = 0.0
    headers: dict[str, str] = dataclasses.field(default_factory=dict)
    truncate: int | None = None  # delivery: send this many bytes of the asset, then hang up


@dataclasses.dataclass
class Account:
    """One cloud: credentials, the hour's allowance, usage, and its resources."""

    cloud: str
    key: str
    secret: str
    limit: int = 500
    remaining: int = 500
    reset_at: dt.datetime = dataclasses.field(
        default_factory=lambda: (
            dt.datetime.now(dt.UTC).replace(minute=0, second=0, microsecond=0)
            + dt.timedelta(hours=1)
        )
    )
    usage: dict[str, Any] = dataclasses.field(default_factory=dict)
    resources: dict[tuple[str, str], list[dict[str, Any]]] = dataclasses.field(default_factory=dict)


@dataclasses.dataclass(frozen=True)
class Recorded:
    """One request as the server saw it, with the API key it carried."""

    method: str
    path: str
    endpoint: str
    cloud: str | None
    query: dict[str, str]
    api_key: str | None
    status: int


class CloudinaryApi:
    """The server, its accounts, faults and request log; start with `CloudinaryApi.start()`."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self.accounts: dict[str, Account] = {}
        self.faults: list[Fault] = []
        self.requests: list[Recorded] = []
        self._cursors: dict[str, tuple[str, str, str | None, int]] = {}
        self._httpd: http.server.ThreadingHTTPServer | None = None
        self.scheme = "http"
        self.cloud, self.key, self.secret = "launch-cloud", _digits(15), secrets.token_urlsafe(21)

    @classmethod
    def start(cls, tls: ssl.SSLContext | None = None) -> CloudinaryApi:
        """Serve plain HTTP, or HTTPS with a server-side `tls` context."""
        api = cls()
        httpd = _Server(("127.0.0.1", 0), _Handler)
        if tls is not None:
            httpd.socket = tls.wrap_socket(httpd.socket, server_side=True)
        api.scheme = "https" if tls is not None else "http"
        httpd.daemon_threads = True
        httpd.api = api  # type: ignore[attr-defined]
        api._httpd = httpd
        threading.Thread(
            target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        ).start()
        api.add_account(api.cloud, api.key, api.secret)
        return api

    def stop(self) -> None:
        self.stopping.set()
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()

    # -- addresses ---------------------------------------------------------------

    @property
    def port(self) -> int:
        assert self._httpd is not None
        return self._httpd.server_address[1]

    @property
    def base_url(self) -> str:
        return f"{self.scheme}://127.0.0.1:{self.port}"

    @property
    def cloudinary_url(self) -> str:
        return self.url_for(self.cloud)

    def url_for(self, cloud: str) -> str:
        """CLOUDINARY_URL of an account: Admin API and delivery URLs both point here."""
        a = self.accounts[cloud]
        host = f"127.0.0.1:{self.port}"
        return f"cloudinary://{a.key}:{a.secret}@{cloud}?upload_prefix={self.scheme}://{host}&cname={host}"

    # -- programming it ------------------------------------------------------------

    def add_account(self, cloud: str, key: str | None = None, secret: str | None = None) -> Account:
        account = Account(cloud, key or _digits(15), secret or secrets.token_urlsafe(21))
        with self.lock:
            self.accounts[cloud] = account
        self.set_usage(cloud=cloud)
        return account

    def seed(
        self,
        count: int,
        resource_type: str = "image",
        type: str = "upload",
        *,
        cloud: str | None = None,
        size: int = 2048,
        folder: str = "",
    ) -> list[dict[str, Any]]:
        """Add `count` resources of one (resource_type, type); returns them."""
        account = self.accounts[cloud or self.cloud]
        fmt = RESOURCE_FORMATS[resource_type]
        with self.lock:
            items = account.resources.setdefault((resource_type, type), [])
            start = len(items)
            for i in range(start, start + count):
                stem = f"{folder}/" if folder else ""
                pid = f"{stem}{resource_type}_{type}_{i:05d}" + ("" if fmt else ".bin")
                created = dt.datetime(2026, 1, 1, tzinfo=dt.UTC) + dt.timedelta(minutes=i)
                res = {
                    "asset_id": hashlib.md5(f"{account.cloud}/{pid}/{type}".encode()).hexdigest(),
                    "public_id": pid,
                    "version": 1700000000 + i,
                    "resource_type": resource_type,
                    "type": type,
                    "created_at": created.isoformat().replace("+00:00", "Z"),
                    "bytes": size,
                    "folder": folder,
                }
                if fmt:
                    res["format"] = fmt
                if resource_type != "raw":
                    res["width"], res["height"] = 640, 480
                path = f"{account.cloud}/{resource_type}/{type}/v{res['version']}/{pid}"
                url = f"{self.base_url}/{path}" + (f".{fmt}" if fmt else "")
                res["url"] = res["secure_url"] = url
                items.append(res)
            return items[start:]

    def asset_bytes(self, resource: dict[str, Any], cloud: str | None = None) -> bytes:
        """The exact bytes the delivery host serves for a resource."""
        seed = f"{cloud or self.cloud}/{resource['resource_type']}/{resource['type']}/{resource['public_id']}"
        block = hashlib.sha256(seed.encode()).digest()
        size = int(resource["bytes"])
        return (block * (size // len(block) + 1))[:size]

    def set_usage(
        self,
        plan: str = "Free",
        *,
        cloud: str | None = None,
        body: dict | None = None,
        **percents: float,
    ) -> None:
        """Usage as a credit plan reports it; a metric given as a percent gets a limit too."""
        if body is None:
            percents.setdefault("credits", 10.0)
            body = {
                "plan": plan,
                "last_updated": "2026-11-24",
                "date_requested": "2026-11-25T17:00:00Z",
                "requests": 1234,
                "resources": 100,
                "derived_resources": 40,
                "media_limits": {"image_max_size_bytes": 10485760},
            }
            for name, limit in USAGE_LIMITS.items():
                if name in percents:
                    pct = float(percents[name])
                    body[name] = {
                        "usage": round(limit * pct / 100, 2),
                        "limit": limit,
                        "used_percent": pct,
                    }
                else:
                    body[name] = {"usage": 1000, "credits_usage": 0.5}
        with self.lock:
            self.accounts[cloud or self.cloud].usage = body

    def fail(
        self,
        status: int | None = 500,
        body: Any = None,
        *,
        endpoint: str = "*",
        times: int | None = None,
        delay: float = 0.0,
        headers: dict[str, str] | None = None,
        truncate: int | None = None,
    ) -> Fault:
        """Answer matching requests with this status (and body, headers, delay)."""
        fault = Fault(status, body, endpoint, times, delay, dict(headers or {}), truncate)
        with self.lock:
            self.faults.append(fault)
        return fault

    def fail_500_without_error_key(self, endpoint: str = "*") -> Fault:
        return self.fail(500, {"message": "oops"}, endpoint=endpoint)

    def rate_limit(
        self,
        remaining: int = 0,
        limit: int = 500,
        reset_at: dt.datetime | None = None,
        cloud: str | None = None,
    ) -> Account:
        """Set the hour's allowance; at 0 the API answers 420 until reset."""
        account = self.accounts[cloud or self.cloud]
        with self.lock:
            account.limit, account.remaining = limit, remaining
            if reset_at is not None:
                account.reset_at = reset_at
        return account

    def clear_faults(self) -> None:
        with self.lock:
            self.faults.clear()

    def requests_to(self, endpoint: str) -> list[Recorded]:
        with self.lock:
            return [r for r in self.requests if r.endpoint == endpoint]

    # -- used by the handler ------------------------------------------------------

    def take_fault(self, endpoint: str) -> Fault | None:
        with self.lock:
            for fault in self.faults:
                if fault.endpoint in ("*", endpoint) and fault.times != 0:
                    if fault.times is not None:
                        fault.times -= 1
                    return fault
        return None

    def page(
        self,
        account: Account,
        rtype: str | None,
        dtype: str | None,
        cursor: str | None,
        max_results: int,
    ) -> dict[str, Any]:
        """One page of a listing (`rtype` None: every resource, as the Search API pages)."""
        with self.lock:
            if cursor is not None:
                start = self._cursors.get(cursor)
                if start is None or start[:3] != (account.cloud, rtype, dtype):
                    raise LookupError(cursor)
                offset = start[3]
            else:
                offset = 0
            keys = [
                k
                for k in account.resources
                if rtype in (None, k[0]) and (dtype is None or k[1] == dtype)
            ]
            items = sorted(
                itertools.chain.from_iterable(account.resources[k] for k in keys),
                key=lambda r: r["created_at"],
                reverse=True,
            )
            out: dict[str, Any] = {"resources": items[offset : offset + max_results]}
            if offset + max_results < len(items):
                token = hashlib.sha256(
                    f"{account.cloud}|{rtype}|{dtype}|{offset + max_results}".encode()
                )
                out["next_cursor"] = token.hexdigest()[:32]
                self._cursors[out["next_cursor"]] = (
                    account.cloud,
                    rtype,
                    dtype,
                    offset + max_results,
                )
            return out

    def find(self, cloud: str, rtype: str, dtype: str, name: str) -> dict[str, Any] | None:
        account = self.accounts.get(cloud)
        for res in account.resources.get((rtype, dtype), []) if account else []:
            fmt = res.get("format")
            if name in (res["public_id"], f"{res['public_id']}.{fmt}" if fmt else res["public_id"]):
                return res
        return None


def _digits(n: int) -> str:
    return str(secrets.randbelow(9 * 10 ** (n - 1)) + 10 ** (n - 1))


def url_signature(to_sign: str, secret: str) -> str:
    """The SDK's short delivery-URL signature (`s--XXXXXXXX--`, sha1 of the public id + format)."""
    digest = hashlib.sha1((to_sign + secret).encode()).digest()
    return "s--" + base64.urlsafe_b64encode(digest)[:8].decode() + "--"


_ADMIN = re.compile(r"^/v1_1/(?P<cloud>[^/]+)/(?P<rest>.+)$")
_DELIVERY = re.compile(
    r"^/(?P<cloud>[^/]+)/(?P<rtype>image|video|raw)/(?P<dtype>[a-z_]+)/"
    r"(?:(?P<sig>s--[\w-]{8}--)/)?(?:v\d+/)?(?P<name>.+)$"
)


class _Server(http.server.ThreadingHTTPServer):
    # socketserver listens with a backlog of 5: a burst of connections (nine listings, a
    # download pool) would see SYNs dropped and retried a second later, which no CDN does.
    request_queue_size = 256

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that hung up (a probe that timed out, a sink that failed) is no error of
        # the server's; anything else still prints its traceback.
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class _Handler(http.server.BaseHTTPRequestHandler):
    server_version = "cloudinary-loopback"
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # quiet test output
        pass

    @property
    def api(self) -> CloudinaryApi:
        return self.server.api  # type: ignore[attr-defined]

    def do_HEAD(self) -> None:
        self.do_GET(head=True)

    def do_POST(self) -> None:
        """The Search API (`POST /v1_1/<cloud>/resources/search`): every resource, paged."""
        split = urllib.parse.urlsplit(self.path)
        self.query, self.head, self.cloud, self.api_key = {}, False, None, None
        self.endpoint = "search"
        length = int(self.headers.get("Content-Length") or 0)
        try:
            body = json.loads(self.rfile.read(length) or b"{}")
        except ValueError:
            body = {}
        admin = _ADMIN.match(urllib.parse.unquote(split.path))
        if admin is None or admin["rest"] != "resources/search":
            return self._json(404, {"error": {"message": f"Unknown path {split.path}"}})
        self.cloud = admin["cloud"]
        account = self._authenticate(self.cloud)
        if account is None:
            return None
        max_results = int(body.get("max_results") or 50)
        try:
            page = self.api.page(account, None, None, body.get("next_cursor"), max_results)
        except LookupError:
            return self._json(400, {"error": {"message": "Invalid next_cursor"}}, account)
        found = [{**r, "access_mode": "public", "etag": r["asset_id"]} for r in page["resources"]]
        out = {"total_count": len(found), "resources": found}
        if "next_cursor" in page:
            out["next_cursor"] = page["next_cursor"]
        return self._json(200, out, account)

    def do_GET(self, head: bool = False) -> None:
        split = urllib.parse.urlsplit(self.path)
        path = urllib.parse.unquote(split.path)
        self.query = dict(urllib.parse.parse_qsl(split.query, keep_blank_values=True))
        self.head, self.cloud, self.api_key = head, None, None
        admin = _ADMIN.match(path)
        if admin:
            self.cloud = admin["cloud"]
            rest = admin["rest"].split("/")
            self.endpoint = rest[1] if rest[1:2] == ["download"] else rest[0]
        else:
            self.endpoint = "delivery"
        fault = self.api.take_fault(self.endpoint)
        if fault is not None and fault.delay:
            self.api.stopping.wait(fault.delay)
        if fault is not None and fault.status is not None and fault.truncate is None:
            return self._fault(fault)
        if admin:
            return self._admin(admin["cloud"], rest)
        return self._delivery(path, fault)

    # -- Admin API -----------------------------------------------------------------

    def _admin(self, cloud: str, rest: list[str]) -> None:
        if rest[1:2] == ["download"]:  # signed in the query, not with Basic auth
            return self._private_download(cloud, rest[0])
        account = self._authenticate(cloud)
        if account is None:
            return None
        with self.api.lock:
            if account.remaining <= 0:
                limited = True
            else:
                limited, account.remaining = False, account.remaining - 1
        if limited:
            return self._json(420, {"error": {"message": "Rate Limit Exceeded"}}, account)
        if rest == ["ping"]:
            return self._json(200, {"status": "ok"}, account)
        if rest == ["config"]:
            return self._json(200, {"cloud_name": cloud, "settings": {"folder_mode": "fixed"}})
        if rest[0] == "usage" and len(rest) <= 2:
            return self._json(200, account.usage, account)
        if rest[0] == "resources" and len(rest) >= 2 and rest[1] in RESOURCE_FORMATS:
            return self._resources(account, rest[1:])
        return self._json(404, {"error": {"message": f"Unknown path /{'/'.join(rest)}"}}, account)

    def _authenticate(self, cloud: str) -> Account | None:
        header = self.headers.get("Authorization", "")
        key = secret = ""
        if header.startswith("Basic "):
            with contextlib.suppress(ValueError, UnicodeDecodeError):
                key, _, secret = base64.b64decode(header[6:]).decode().partition(":")
        self.api_key = key or None
        account = self.api.accounts.get(cloud)
        if account is None:
            message = f"Invalid cloud_name {cloud}"
        elif key != account.key:
            message = f"Unknown API key {key}"  # the real API echoes the key: probes must mask it
        elif secret != account.secret:
            message = "api_secret mismatch"
        else:
            return account
        self._json(401, {"error": {"message": message}})
        return None

    def _resources(self, account: Account, parts: list[str]) -> None:
        rtype, dtype = parts[0], (parts[1] if len(parts) > 1 else None)
        if len(parts) > 2:
            found = self.api.find(account.cloud, rtype, dtype or "upload", "/".join(parts[2:]))
            if found is None:
                return self._json(404, {"error": {"message": "Resource not found"}}, account)
            return self._json(200, found, account)
        try:
            max_results = int(self.query.get("max_results", "10"))
        except ValueError:
            max_results = 0
        if not 1 <= max_results <= 500:
            return self._json(
                400, {"error": {"message": "max_results must be between 1 and 500"}}, account
            )
        try:
            page = self.api.page(account, rtype, dtype, self.query.get("next_cursor"), max_results)
        except LookupError:
            return self._json(400, {"error": {"message": "Invalid next_cursor"}}, account)
        return self._json(200, page, account)

    def _private_download(self, cloud: str, rtype: str) -> None:
        from cloudinary.utils import api_sign_request

        account = self.api.accounts.get(cloud)
        params = {k: v for k, v in self.query.items() if k not in ("signature", "api_key")}
        good = api_sign_request(params, account.secret) if account else None
        self.api_key = self.query.get("api_key")
        if account is None or self.api_key != account.key or self.query.get("signature") != good:
            return self._json(401, {"error": {"message": "Invalid Signature"}})
        name = params.get("public_id", "")
        res = self.api.find(account.cloud, rtype, params.get("type") or "upload", name)
        if res is None:
            return self._json(404, {"error": {"message": f"Resource not found - {name}"}})
        return self._send_asset(res, None)

    # -- delivery host ---------------------------------------------------------------

    def _delivery(self, path: str, fault: Fault | None) -> None:
        m = _DELIVERY.match(path)
        res = self.api.find(m["cloud"], m["rtype"], m["dtype"], m["name"]) if m else None
        self.cloud = m["cloud"] if m else None
        if res is None or m is None:
            return self._plain(404, b"Resource not found", {"X-Cld-Error": "Resource not found"})
        if m["dtype"] in SIGNED_TYPES:
            account = self.api.accounts[m["cloud"]]
            if m["sig"] != url_signature(m["name"], account.secret):
                return self._plain(401, b"", {"X-Cld-Error": "Authentication required"})
        return self._send_asset(res, fault)

    def _send_asset(self, res: dict[str, Any], fault: Fault | None) -> None:
        data = self.api.asset_bytes(res, self.cloud)
        status, headers = (
            200,
            {
                "Content-Type": CONTENT_TYPES.get(
                    res.get("format") or "", "application/octet-stream"
                ),
                "Accept-Ranges": "bytes",
                "ETag": f'"{hashlib.md5(data).hexdigest()}"',
            },
        )
        rng = re.fullmatch(r"bytes=(\d+)-", self.headers.get("Range", ""))
        if rng and int(rng[1]) < len(data):
            start = int(rng[1])
            headers["Content-Range"] = f"bytes {start}-{len(data) - 1}/{len(data)}"
            status, data = 206, data[start:]
        if fault is not None and fault.truncate is not None:
            headers["Content-Length"] = str(len(data))
            self._record(status)
            self._head(status, headers)
            self.wfile.write(data[: fault.truncate])
            self.close_connection = True
            return None
        return self._plain(status, data, headers)

    # -- writing answers ----------------------------------------------------------

    def _fault(self, fault: Fault) -> None:
        status = int(fault.status or 500)
        account = self.api.accounts.get(self.cloud or "")
        headers = dict(fault.headers)
        if status in (420, 429) and account is not None:
            headers.setdefault("X-FeatureRateLimit-Limit", str(account.limit))
            headers.setdefault("X-FeatureRateLimit-Remaining", "0")
            headers.setdefault("X-FeatureRateLimit-Reset", _http_date(account.reset_at))
        body = fault.body
        if body is None:
            body = {
                "error": {
                    "message": {
                        401: "Invalid credentials",
                        420: "Rate Limit Exceeded",
                        429: "Rate Limit Exceeded",
                    }.get(status, "General Error")
                }
            }
        if isinstance(body, bytes):
            return self._plain(status, body, {"Content-Type": "text/html", **headers})
        return self._json(status, body, None, headers)

    def _json(
        self,
        status: int,
        body: Any,
        account: Account | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        out = {"Content-Type": "application/json; charset=utf-8", **(headers or {})}
        if account is not None:
            out["X-FeatureRateLimit-Limit"] = str(account.limit)
            out["X-FeatureRateLimit-Remaining"] = str(max(account.remaining, 0))
            out["X-FeatureRateLimit-Reset"] = _http_date(account.reset_at)
        self._plain(status, json.dumps(body).encode(), out)

    def _plain(self, status: int, data: bytes, headers: dict[str, str]) -> None:
        self._record(status)
        self._head(status, {"Content-Length": str(len(data)), **headers})
        if not self.head:
            self.wfile.write(data)

    def _head(self, status: int, headers: dict[str, str]) -> None:
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()

    def _record(self, status: int) -> None:
        rec = Recorded(
            self.command, self.path, self.endpoint, self.cloud, self.query, self.api_key, status
        )
        with self.api.lock:
            self.api.requests.append(rec)


def _http_date(when: dt.datetime) -> str:
    return email.utils.format_datetime(when, usegmt=True)


class SilentServer:
    """Accepts TCP connections and never answers, for at most `lifetime` seconds."""

    def __init__(self, lifetime: float = 30.0) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.sock.settimeout(0.05)
        self.port = self.sock.getsockname()[1]
        self.accepted = 0
        self._stop = threading.Event()
        self._deadline = time.monotonic() + lifetime
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    @property
    def cloudinary_url(self) -> str:
        host = f"127.0.0.1:{self.port}"
        return f"cloudinary://{_digits(15)}:{secrets.token_urlsafe(21)}@silent-cloud?upload_prefix=http://{host}&cname={host}"

    def _serve(self) -> None:
        held: list[socket.socket] = []
        while not self._stop.is_set() and time.monotonic() < self._deadline:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            self.accepted += 1
            held.append(conn)
        for conn in held:
            conn.close()
        self.sock.close()

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)


def refused_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.create_server(("127.0.0.1", 0)) as s:
        return s.getsockname()[1]


@pytest.fixture
def cloudinary_api() -> Iterator[CloudinaryApi]:
    """A running loopback Cloudinary with one account (`.cloud`, `.key`, `.secret`)."""
    api = CloudinaryApi.start()
    try:
        yield api
    finally:
        api.stop()


@pytest.fixture
def cloudinary_silent() -> Iterator[SilentServer]:
    """A port that accepts connections and never says a word."""
    server = SilentServer()
    try:
        yield server
    finally:
        server.close()
