"""Cloudinary through the real SDK: Admin API calls (ping, usage, resources) and asset fetches.

Every call takes its configuration explicitly (never the SDK's process-global config,
so concurrent probes of different clouds cannot race), uses its own urllib3 pool with
retries off, and is bounded by a numeric timeout plus an outer deadline.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import datetime as dt
import email.utils
import re
import time
import urllib.parse
from collections.abc import Callable, Iterator, Mapping
from typing import TYPE_CHECKING, Any

from launchtui.core.secrets import Redactor, Secret

if TYPE_CHECKING:
    from launchtui.core.context import Context

DEFAULT_API = "https://api.cloudinary.com"
RESOURCE_TYPES = ("image", "video", "raw")
DELIVERY_TYPES = ("upload", "private", "authenticated")
MAX_PAGE = 500
# Keys of a usage() answer; one of them must be a metric for the answer to count.
USAGE_KEYS = ("credits", "bandwidth", "storage", "transformations", "objects", "requests")
# A healthy ping answers in well under a second; 5 s keeps a 3 a.m. sweep short.
API_BUDGET_S = 5.0
# Time for the thread to hand back its verdict after the SDK's own timeout fired.
_GRACE_S = 0.5
# Query arguments of CLOUDINARY_URL that the SDK would read as strings but means as flags.
_FLAG_ARGS = ("secure", "private_cdn", "cdn_subdomain", "secure_cdn_subdomain")
_CLOUD_NAME = re.compile(r"[a-z0-9][a-z0-9_.-]*")
_TRUE, _FALSE = ("true", "1", "yes", "on"), ("false", "0", "no", "off", "")


class CloudinaryUrlError(ValueError):
    """CLOUDINARY_URL cannot be used; the message names the part and never the secret."""


class SdkUnavailable(RuntimeError):
    """The `cloudinary` package is missing or refused to load."""


@dataclasses.dataclass(frozen=True)
class CloudinaryConfig:
    """One account's settings, parsed from CLOUDINARY_URL the way the SDK reads it."""

    cloud_name: str
    api_key: Secret
    api_secret: Secret
    upload_prefix: str = DEFAULT_API
    cname: str | None = None
    secure: bool = True
    private_cdn: bool = False
    secure_distribution: str | None = None
    # CA bundle for https (`--ca-file`); None means certifi's, as the SDK uses.
    ca_file: str | None = None
    # Query arguments launchtui converted or ignored, in words the user can act on.
    notes: tuple[str, ...] = ()
    # Query arguments that break the backend's own SDK calls.
    backend_problems: tuple[str, ...] = ()

    @property
    def api_host(self) -> str:
        return urllib.parse.urlsplit(self.upload_prefix).netloc or self.upload_prefix

    def sdk_options(self, timeout: float) -> dict[str, Any]:
        """Per-call SDK options that override every global setting the call would read."""
        return {
            "cloud_name": self.cloud_name,
            "api_key": self.api_key.reveal(),
            "api_secret": self.api_secret.reveal(),
            "upload_prefix": self.upload_prefix,
            "timeout": float(timeout),
        }

    def scrub(self, text: str) -> str:
        """Text from the server or the SDK with this account's key and secret masked."""
        return Redactor([self.api_secret.reveal(), self.api_key.reveal()]).scrub(text)


def parse_cloudinary_url(url: str) -> CloudinaryConfig:
    """Parse `cloudinary://key:secret@cloud[/cdn][?query]` into a config."""
    raw = url.strip()
    scheme, sep, rest = raw.partition("://")
    if not sep or scheme.lower() != "cloudinary":
        raise CloudinaryUrlError("CLOUDINARY_URL must start with cloudinary://")
    rest, _, query = rest.partition("?")
    if "@" not in rest:
        raise CloudinaryUrlError("CLOUDINARY_URL has no key:secret@ part before the cloud name")
    userinfo, _, hostpath = rest.rpartition("@")
    key, colon, secret = userinfo.partition(":")
    host, slash, path = hostpath.partition("/")
    if not key or not colon or not secret:
        raise CloudinaryUrlError("CLOUDINARY_URL needs both the API key and the API secret")
    if not all(v.isascii() and v.isprintable() and " " not in v for v in (key, secret)):
        raise CloudinaryUrlError("CLOUDINARY_URL's API key or secret has spaces or odd characters")
    cloud = host.partition(":")[0].lower()  # the SDK's urlparse().hostname
    if not cloud:
        raise CloudinaryUrlError("CLOUDINARY_URL has no cloud name after the @")
    if not _CLOUD_NAME.fullmatch(cloud):
        raise CloudinaryUrlError(f"the cloud name {cloud!r} in CLOUDINARY_URL has odd characters")
    values: dict[str, Any] = {}
    notes: list[str] = []
    problems: list[str] = []
    if slash and path:
        values["private_cdn"] = True
        values["secure_distribution"] = path
    for name, value in urllib.parse.parse_qsl(query, keep_blank_values=True):
        if name == "upload_prefix":
            if not value.startswith(("http://", "https://")):
                raise CloudinaryUrlError("upload_prefix in CLOUDINARY_URL must be an http(s) URL")
            values["upload_prefix"] = value.rstrip("/")
        elif name in ("cname", "secure_distribution"):
            values[name] = value or None
        elif name in _FLAG_ARGS:
            flag = value.strip().lower()
            if flag not in _TRUE + _FALSE:
                raise CloudinaryUrlError(f"{name}={value} in CLOUDINARY_URL is not true/false")
            if name in ("secure", "private_cdn"):
                values[name] = flag in _TRUE
            if flag in _FALSE and flag:
                notes.append(
                    f"{name}={value}: the SDK reads this as the string {value!r}, which is "
                    "truthy, so the backend treats it as on"
                )
        elif name == "timeout":
            problems.append(
                f"timeout={value}: the SDK passes the string {value!r} to urllib3, which "
                "raises ValueError on every Admin and Upload API call"
            )
        else:
            notes.append(f"{name}: not used by launchtui's probes")
    if "secure" not in values:
        # The SDK serves a bare cname over http; everything else is probed over https.
        values["secure"] = not values.get("cname")
    return CloudinaryConfig(
        cloud_name=cloud,
        api_key=Secret(key),
        api_secret=Secret(secret),
        notes=tuple(notes),
        backend_problems=tuple(problems),
        **values,
    )


def config_from_context(ctx: Context) -> CloudinaryConfig | None:
    """The run's CLOUDINARY_URL parsed (None when unset); key and secret join the redactor."""
    url = ctx.secret("CLOUDINARY_URL")
    if url is None:
        return None
    cfg = parse_cloudinary_url(url.reveal())
    ctx.redactor.add(cfg.api_key, cfg.api_secret)
    ca_file = ctx.settings.ca_file
    return dataclasses.replace(cfg, ca_file=str(ca_file)) if ca_file else cfg


@dataclasses.dataclass(frozen=True)
class RateLimit:
    """The Admin API's hourly allowance, from the `X-FeatureRateLimit-*` headers."""

    allowed: int | None = None
    remaining: int | None = None
    reset_at: dt.datetime | None = None

    @property
    def known(self) -> bool:
        return self.allowed is not None and self.remaining is not None

    @property
    def low(self) -> bool:
        """Fewer than 10% of the hour's requests remain."""
        return self.known and self.remaining * 10 < self.allowed  # type: ignore[operator]

    def reset_text(self) -> str:
        return self.reset_at.strftime("%Y-%m-%d %H:%M UTC") if self.reset_at else "unknown"


def _rate_limit(headers: Mapping[str, str], result: Any = None) -> RateLimit:
    # Prefer what the SDK read from the headers; an error leaves only the raw headers.
    allowed = getattr(result, "rate_limit_allowed", None)
    remaining = getattr(result, "rate_limit_remaining", None)
    reset = getattr(result, "rate_limit_reset_at", None)
    if result is None:
        allowed = _int(headers.get("x-featureratelimit-limit"))
        remaining = _int(headers.get("x-featureratelimit-remaining"))
        reset = email.utils.parsedate(headers.get("x-featureratelimit-reset") or "")
    reset_at = None
    if reset:
        with contextlib.suppress(TypeError, ValueError):
            reset_at = dt.datetime(*tuple(reset)[:6], tzinfo=dt.UTC)
    return RateLimit(allowed, remaining, reset_at)


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


@dataclasses.dataclass(frozen=True)
class ApiAnswer:
    """One Admin API call: the JSON result, or the layer where it failed and why."""

    ok: bool
    status: int | None = None
    result: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    rate_limit: RateLimit = dataclasses.field(default_factory=RateLimit)
    latency_ms: int = 0
    # config, dns, tcp, tls, query (connected, no answer), auth, quota (rate limit), http, none
    layer: str = "none"
    reason: str = ""
    # The server's own error message, key and secret masked.
    message: str = ""

    @property
    def next_cursor(self) -> str | None:
        cursor = self.result.get("next_cursor")
        return cursor if isinstance(cursor, str) and cursor else None

    @property
    def resources(self) -> list[dict[str, Any]]:
        items = self.result.get("resources")
        return [r for r in items if isinstance(r, dict)] if isinstance(items, list) else []


class _Recorder:
    """The SDK's http connector for one call: a shared pool, plus what the call saw."""

    def __init__(self, pool: Any) -> None:
        self.pool = pool
        self.response: Any = None
        self.error: BaseException | None = None

    def request(self, method: str, url: str, fields: Any = None, headers: Any = None, **kw: Any):
        try:
            self.response = self.pool.request(method, url, fields=fields, headers=headers, **kw)
        except Exception as exc:
            self.error = exc
            raise
        return self.response


def new_pool(ca_file: str | None = None) -> Any:
    """A urllib3 pool with retries off (urllib3 would silently retry a GET 3 more times)."""
    try:
        import certifi
        import urllib3
    except ImportError as exc:
        raise SdkUnavailable(f"the cloudinary SDK's HTTP stack is missing: {exc}") from None
    return urllib3.PoolManager(
        retries=False, cert_reqs="CERT_REQUIRED", ca_certs=ca_file or certifi.where()
    )


def _sdk() -> tuple[Any, Any]:
    try:
        from cloudinary.api_client.execute_request import execute_request
        from cloudinary.utils import normalize_params
    except ImportError as exc:
        raise SdkUnavailable(f"the cloudinary package is not installed: {exc}") from None
    except Exception as exc:  # the SDK parses the process's CLOUDINARY_URL at import
        raise SdkUnavailable(
            f"the cloudinary SDK refused to load ({type(exc).__name__}: {exc}); check the "
            "CLOUDINARY_URL / CLOUDINARY_* variables of launchtui's own environment"
        ) from None
    return execute_request, normalize_params


def admin_call(
    cfg: CloudinaryConfig,
    uri: list[str],
    params: Mapping[str, Any] | None = None,
    *,
    timeout: float = API_BUDGET_S,
    pool: Any = None,
) -> ApiAnswer:
    """GET one Admin API path (`["ping"]`, `["resources", "image", "upload"]`); never raises."""
    execute_request, normalize_params = _sdk()
    opts = cfg.sdk_options(timeout)
    url = "/".join([opts["upload_prefix"], "v1_1", cfg.cloud_name, *uri])
    recorder = _Recorder(pool if pool is not None else new_pool(cfg.ca_file))
    auth = {"key": opts["api_key"], "secret": opts["api_secret"], "oauth_token": None}
    started = time.perf_counter()
    try:
        result = execute_request(
            http_connector=recorder,
            method="get",
            params=normalize_params(dict(params or {})),
            headers={"Content-Type": "application/json"},
            auth=auth,
            api_url=url,
            timeout=opts["timeout"],
        )
        exc: Exception | None = None
    except Exception as caught:
        result, exc = None, caught
    latency = int((time.perf_counter() - started) * 1000)
    return _answer(cfg, recorder, result, exc, latency, timeout)


def _answer(
    cfg: CloudinaryConfig,
    rec: _Recorder,
    result: Any,
    exc: Exception | None,
    latency: int,
    timeout: float,
) -> ApiAnswer:
    resp = rec.response
    if resp is None:
        layer, reason = _transport_failure(rec.error or exc, timeout)
        return ApiAnswer(False, latency_ms=latency, layer=layer, reason=cfg.scrub(reason))
    status = int(resp.status)
    headers = {k.lower(): v for k, v in resp.headers.items()}
    body = result if result is not None else _json_or_none(resp.data)
    rate = _rate_limit(headers, result)
    message = ""
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        message = cfg.scrub(str(body["error"].get("message", "")))[:200]
    common = {"status": status, "rate_limit": rate, "latency_ms": latency, "message": message}
    if 200 <= status < 300 and result is not None:
        return ApiAnswer(True, result=dict(result), **common)
    if body is None:
        kind = headers.get("content-type", "unknown type").split(";")[0]
        reason = f"answered HTTP {status} with a non-JSON body ({kind})"
    else:
        reason = f"answered HTTP {status}" + (f": {message}" if message else "")
    if status in (401, 403):
        layer = "auth"
    elif status in (420, 429):
        layer = "quota"
    else:
        layer = "http"
    return ApiAnswer(
        False, result=body if isinstance(body, dict) else {}, layer=layer, reason=reason, **common
    )


def _json_or_none(data: bytes) -> Any:
    import json

    try:
        return json.loads(data.decode("utf-8"))
    except (ValueError, UnicodeDecodeError):
        return None


def _transport_failure(exc: BaseException | None, timeout: float) -> tuple[str, str]:
    """The layer and a short reason for a call that got no HTTP response."""
    try:
        from urllib3 import exceptions as u3
    except ImportError:  # pragma: no cover - urllib3 ships with the SDK
        return "tcp", str(exc)
    if isinstance(exc, u3.NameResolutionError):
        return "dns", "the API host name does not resolve"
    if isinstance(exc, u3.NewConnectionError):
        cause = exc.__cause__ or exc.__context__
        if isinstance(cause, ConnectionRefusedError) or "refused" in str(exc).lower():
            return "tcp", "connection refused"
        return "tcp", f"cannot connect ({cause or exc})"
    if isinstance(exc, u3.ConnectTimeoutError):
        return "tcp", f"TCP connect timed out after {timeout:g} s"
    if isinstance(exc, u3.SSLError):
        found = re.search(r"\] (.+?) \(_ssl", str(exc))
        return "tls", f"TLS failed: {found[1] if found else exc}"
    if isinstance(exc, u3.ReadTimeoutError):
        return "query", f"connected, but no answer within {timeout:g} s"
    if isinstance(exc, u3.ProtocolError):
        return "query", "connected, but the server closed the connection without answering"
    return "tcp", f"{type(exc).__name__}: {exc}" if exc else "no response"


def ping(cfg: CloudinaryConfig, *, timeout: float = API_BUDGET_S, pool: Any = None) -> ApiAnswer:
    """`GET /ping`; a healthy answer is `{"status": "ok"}`."""
    answer = admin_call(cfg, ["ping"], timeout=timeout, pool=pool)
    if answer.ok and answer.result.get("status") != "ok":
        return dataclasses.replace(
            answer, ok=False, layer="http", reason="answered 200 without status ok"
        )
    return answer


def usage(cfg: CloudinaryConfig, *, timeout: float = API_BUDGET_S, pool: Any = None) -> ApiAnswer:
    """`GET /usage`: the account's plan and its metrics with usage, limit and used_percent."""
    answer = admin_call(cfg, ["usage"], timeout=timeout, pool=pool)
    if answer.ok and not any(isinstance(answer.result.get(k), dict) for k in USAGE_KEYS):
        return dataclasses.replace(
            answer, ok=False, layer="http", reason="answered 200 without usage data"
        )
    return answer


def list_resources(
    cfg: CloudinaryConfig,
    resource_type: str = "image",
    delivery_type: str | None = "upload",
    *,
    next_cursor: str | None = None,
    max_results: int = MAX_PAGE,
    timeout: float = API_BUDGET_S,
    pool: Any = None,
) -> ApiAnswer:
    """One page of `GET /resources/<resource_type>[/<type>]`; follow `answer.next_cursor`."""
    uri = ["resources", resource_type] + ([delivery_type] if delivery_type else [])
    params: dict[str, Any] = {"max_results": min(max_results, MAX_PAGE)}
    if next_cursor:
        params["next_cursor"] = next_cursor
    return admin_call(cfg, uri, params, timeout=timeout, pool=pool)


def iter_resource_pages(
    cfg: CloudinaryConfig,
    resource_type: str,
    delivery_type: str,
    *,
    next_cursor: str | None = None,
    max_results: int = MAX_PAGE,
    timeout: float = API_BUDGET_S,
    pool: Any = None,
) -> Iterator[tuple[str | None, ApiAnswer]]:
    """Every page of one listing as (cursor it was asked with, answer); stops after a failure."""
    pool = pool if pool is not None else new_pool(cfg.ca_file)
    cursor = next_cursor
    while True:
        answer = list_resources(
            cfg,
            resource_type,
            delivery_type,
            next_cursor=cursor,
            max_results=max_results,
            timeout=timeout,
            pool=pool,
        )
        yield cursor, answer
        if not answer.ok or answer.next_cursor is None:
            return
        cursor = answer.next_cursor


async def bounded(
    ctx: Context, fn: Callable[..., ApiAnswer], *args: Any, budget: float
) -> ApiAnswer:
    """Run a blocking probe in the run's pool; past `budget` (+ a grace) it is a timeout."""
    started = time.perf_counter()
    try:
        return await asyncio.wait_for(ctx.to_thread(fn, *args, timeout=budget), budget + _GRACE_S)
    except TimeoutError:
        return ApiAnswer(
            False,
            latency_ms=int((time.perf_counter() - started) * 1000),
            layer="query",
            reason=f"no answer within {budget:g} s",
        )


def delivery_url(
    cfg: CloudinaryConfig, resource: Mapping[str, Any], *, signed: bool | None = None
) -> str:
    """The asset's delivery URL built by the SDK from explicit options; private and
    authenticated assets are signed unless `signed=False`."""
    try:
        from cloudinary.utils import cloudinary_url
    except Exception as exc:
        raise SdkUnavailable(f"the cloudinary SDK could not load: {exc}") from None
    dtype = str(resource.get("type") or "upload")
    url, _ = cloudinary_url(
        str(resource["public_id"]),
        resource_type=str(resource.get("resource_type") or "image"),
        type=dtype,
        version=resource.get("version"),
        format=resource.get("format"),
        cloud_name=cfg.cloud_name,
        api_secret=cfg.api_secret.reveal(),
        sign_url=(dtype != "upload") if signed is None else signed,
        secure=cfg.secure,
        cname=cfg.cname,
        private_cdn=cfg.private_cdn,
        secure_distribution=cfg.secure_distribution,
        cdn_subdomain=False,
        secure_cdn_subdomain=False,
        shorten=False,
        use_root_path=False,
        force_version=True,
        long_url_signature=False,
        signature_algorithm="sha1",
        auth_token=False,
    )
    return str(url)


@dataclasses.dataclass(frozen=True)
class AssetFetch:
    """A GET of one asset from the delivery host."""

    ok: bool
    status: int | None
    bytes: int
    content_type: str
    latency_ms: int
    layer: str = "none"
    reason: str = ""


def fetch_asset(
    url: str,
    *,
    timeout: float = API_BUDGET_S,
    sink: Callable[[bytes], object] | None = None,
    offset: int = 0,
    pool: Any = None,
) -> AssetFetch:
    """Stream an asset (from `offset`, to resume) into `sink`; network failures become the
    answer, while the sink's own errors (a full disk) propagate."""
    pool = pool if pool is not None else new_pool()
    headers = {"Range": f"bytes={offset}-"} if offset else {}
    started = time.perf_counter()

    def done(
        ok: bool,
        status: int | None,
        got: int,
        ctype: str = "",
        layer: str = "none",
        reason: str = "",
    ) -> AssetFetch:
        latency = int((time.perf_counter() - started) * 1000)
        return AssetFetch(ok, status, got, ctype, latency, layer, reason)

    try:
        resp = pool.request(
            "GET",
            url,
            headers=headers,
            timeout=float(timeout),
            preload_content=False,
            redirect=False,
        )
    except Exception as exc:
        return done(False, None, 0, "", *_transport_failure(exc, timeout))
    received = 0
    try:
        ctype = resp.headers.get("content-type", "").split(";")[0]
        if not 200 <= resp.status < 300:
            reason = f"the delivery host answered HTTP {resp.status}"
            if resp.headers.get("x-cld-error"):
                reason += f" ({resp.headers['x-cld-error'][:120]})"
            return done(False, resp.status, 0, ctype, "asset", reason)
        while True:
            try:
                chunk = resp.read1(64 * 1024)
            except Exception:
                reason = f"the download broke off after {received} bytes"
                return done(False, resp.status, received, ctype, "asset", reason)
            if not chunk:
                break
            received += len(chunk)
            if sink is not None:
                sink(chunk)
    finally:
        resp.release_conn()
    expected = _int(resp.headers.get("content-length"))
    if expected is not None and expected != received:
        reason = f"got {received} of {expected} bytes"
        return done(False, resp.status, received, ctype, "asset", reason)
    return done(True, resp.status, received, ctype)


def sample_asset(
    cfg: CloudinaryConfig, *, timeout: float = API_BUDGET_S
) -> tuple[ApiAnswer, AssetFetch | None]:
    """List the newest uploaded image and fetch it from the delivery host (None: none listed)."""
    pool = new_pool(cfg.ca_file)
    listing = list_resources(cfg, "image", "upload", max_results=1, timeout=timeout, pool=pool)
    if not listing.ok or not listing.resources:
        return listing, None
    res = listing.resources[0]
    url = str(res.get("secure_url") or delivery_url(cfg, res))
    return listing, fetch_asset(url, timeout=timeout, pool=pool)
