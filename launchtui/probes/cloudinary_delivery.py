"""Cloudinary delivery through the real SDK: an asset's URL, and fetching it from the CDN.

Like the Admin API probes, every call takes its configuration explicitly, uses a urllib3
pool with retries off, and is bounded by a numeric timeout.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Mapping
from typing import Any

from launchtui.probes.cloudinary import (
    API_BUDGET_S,
    ApiAnswer,
    SdkUnavailable,
    int_or_none,
    list_resources,
    new_pool,
    transport_failure,
)
from launchtui.probes.cloudinary_config import CloudinaryConfig


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
        return done(False, None, 0, "", *transport_failure(exc, timeout))
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
    expected = int_or_none(resp.headers.get("content-length"))
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
