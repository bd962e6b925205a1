"""Cloudinary's Admin API through the real SDK: ping, usage and resource listings.

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
from collections.abc import Callable, Iterator, Mapping
from typing import TYPE_CHECKING, Any

from launchtui.probes.cloudinary_config import CloudinaryConfig

if TYPE_CHECKING:
    from launchtui.core.context import Context

RESOURCE_TYPES = ("image", "video", "raw")
DELIVERY_TYPES = ("upload", "private", "authenticated")
MAX_PAGE = 500
# Keys of a usage() answer; one of them must be a metric for the answer to count.
USAGE_KEYS = ("credits", "bandwidth", "storage", "transformations", "objects", "requests")
# A healthy ping answers in well under a second; 5 s keeps a 3 a.m. sweep short.
API_BUDGET_S = 5.0
# Time for the thread to hand back its verdict after the SDK's own timeout fired.
_GRACE_S = 0.5


class SdkUnavailable(RuntimeError):
    """The `cloudinary` package is missing or refused to load."""


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
        allowed = int_or_none(headers.get("x-featureratelimit-limit"))
        remaining = int_or_none(headers.get("x-featureratelimit-remaining"))
        reset = email.utils.parsedate(headers.get("x-featureratelimit-reset") or "")
    reset_at = None
    if reset:
        with contextlib.suppress(TypeError, ValueError):
            reset_at = dt.datetime(*tuple(reset)[:6], tzinfo=dt.UTC)
    return RateLimit(allowed, remaining, reset_at)


def int_or_none(value: str | None) -> int | None:
    """A header's whole number, or None when it is missing or not a number."""
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
        layer, reason = transport_failure(rec.error or exc, timeout)
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


def transport_failure(exc: BaseException | None, timeout: float) -> tuple[str, str]:
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
