"""The Cloudinary probe functions and the loopback server they are tested against."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import pytest

from launchtui.checks.cloudinary import usage_metrics
from launchtui.core.config import Settings
from launchtui.core.context import Context
from launchtui.probes import cloudinary as probe
from launchtui.probes.cloudinary_config import (
    CloudinaryConfig,
    CloudinaryUrlError,
    parse_cloudinary_url,
)
from launchtui.probes.cloudinary_delivery import delivery_url, fetch_asset, sample_asset
from tests.probe_cloudinary.support import CANARY_KEY, CANARY_SECRET
from tests.servers.cloudinary_api import CloudinaryApi, SilentServer


@pytest.fixture
def cfg(cloudinary_api: CloudinaryApi) -> CloudinaryConfig:
    return parse_cloudinary_url(cloudinary_api.cloudinary_url)


def test_every_resource_and_delivery_type_is_listed_through_all_pages(
    cloudinary_api: CloudinaryApi, cfg: CloudinaryConfig
) -> None:
    counts = {("image", "upload"): 1203, ("video", "private"): 7, ("raw", "authenticated"): 3}
    for (rtype, dtype), n in counts.items():
        cloudinary_api.seed(n, rtype, dtype)
    seen: dict[tuple[str, str], list[str]] = {}
    sizes = []
    for rtype in probe.RESOURCE_TYPES:
        for dtype in probe.DELIVERY_TYPES:
            for _cursor, answer in probe.iter_resource_pages(cfg, rtype, dtype):
                assert answer.ok, answer
                sizes.append(len(answer.resources))
                seen.setdefault((rtype, dtype), []).extend(r["public_id"] for r in answer.resources)
    assert {k: len(v) for k, v in seen.items() if v} == counts
    assert all(len(set(v)) == len(v) for v in seen.values())
    assert sizes.count(500) == 2 and 203 in sizes
    cursors = [r.query.get("next_cursor") for r in cloudinary_api.requests_to("resources")]
    assert len([c for c in cursors if c]) == 2
    assert {r.query["max_results"] for r in cloudinary_api.requests_to("resources")} == {"500"}


def test_a_listing_resumes_from_a_saved_cursor(
    cloudinary_api: CloudinaryApi, cfg: CloudinaryConfig
) -> None:
    cloudinary_api.seed(25, "image", "upload")
    first = probe.list_resources(cfg, "image", "upload", max_results=10)
    assert first.next_cursor is not None
    rest = list(
        probe.iter_resource_pages(
            cfg, "image", "upload", next_cursor=first.next_cursor, max_results=10
        )
    )
    assert rest[0][0] == first.next_cursor
    ids = [r["public_id"] for r in first.resources] + [
        r["public_id"] for _, a in rest for r in a.resources
    ]
    assert len(ids) == len(set(ids)) == 25


def test_listing_without_a_delivery_type_covers_all_of_them(
    cloudinary_api: CloudinaryApi, cfg: CloudinaryConfig
) -> None:
    cloudinary_api.seed(2, "image", "upload")
    cloudinary_api.seed(3, "image", "private")
    answer = probe.list_resources(cfg, "image", None, max_results=100)
    assert sorted(r["type"] for r in answer.resources) == ["private"] * 3 + ["upload"] * 2


def test_a_bad_cursor_is_an_http_answer_not_an_exception(cfg: CloudinaryConfig) -> None:
    answer = probe.list_resources(cfg, "image", "upload", next_cursor="garbage")
    assert not answer.ok and answer.layer == "http" and answer.status == 400
    assert answer.message == "Invalid next_cursor"


def test_the_sdk_public_api_pages_through_the_loopback_server(
    cloudinary_api: CloudinaryApi,
) -> None:
    import cloudinary.api

    cloudinary_api.seed(12, "video", "upload")
    options = {
        "cloud_name": cloudinary_api.cloud,
        "api_key": cloudinary_api.key,
        "api_secret": cloudinary_api.secret,
        "upload_prefix": cloudinary_api.base_url,
        "timeout": 2.0,
    }
    got, cursor = [], None
    while True:
        page = cloudinary.api.resources(
            resource_type="video", type="upload", max_results=5, next_cursor=cursor, **options
        )
        got += page["resources"]
        assert page.rate_limit_allowed == 500
        cursor = page.get("next_cursor")
        if not cursor:
            break
    assert len(got) == 12
    assert cloudinary.api.ping(**options) == {"status": "ok"}
    assert "credits" in cloudinary.api.usage(**options)


def test_delivery_host_serves_the_seeded_bytes_and_resumes_with_range(
    cloudinary_api: CloudinaryApi, cfg: CloudinaryConfig
) -> None:
    res = cloudinary_api.seed(1, "image", "upload", size=300_000)[0]
    url = delivery_url(cfg, res)
    assert url == res["secure_url"]
    whole = bytearray()
    fetch = fetch_asset(url, sink=whole.extend)
    assert fetch.ok and fetch.bytes == 300_000 and fetch.content_type == "image/jpeg"
    assert bytes(whole) == cloudinary_api.asset_bytes(res)
    tail = bytearray()
    resumed = fetch_asset(url, sink=tail.extend, offset=299_000)
    assert resumed.ok and resumed.status == 206 and bytes(tail) == bytes(whole[299_000:])


def test_private_and_authenticated_assets_need_the_sdk_signature(
    cloudinary_api: CloudinaryApi, cfg: CloudinaryConfig
) -> None:
    for dtype in ("private", "authenticated"):
        res = cloudinary_api.seed(1, "raw", dtype, size=999)[0]
        signed = fetch_asset(delivery_url(cfg, res))
        assert signed.ok and signed.bytes == 999, signed
        unsigned = fetch_asset(delivery_url(cfg, res, signed=False))
        assert not unsigned.ok and unsigned.status == 401
        assert unsigned.reason == "the delivery host answered HTTP 401 (Authentication required)"


def test_private_download_url_of_the_sdk_is_served(cloudinary_api: CloudinaryApi) -> None:
    from cloudinary.utils import private_download_url

    res = cloudinary_api.seed(1, "image", "private", size=1234)[0]
    options = {
        "cloud_name": cloudinary_api.cloud,
        "api_key": cloudinary_api.key,
        "api_secret": cloudinary_api.secret,
        "upload_prefix": cloudinary_api.base_url,
    }
    url = private_download_url(res["public_id"], "jpg", type="private", **options)
    assert fetch_asset(url).bytes == 1234
    forged = url.replace("signature=", "signature=0")
    assert fetch_asset(forged).status == 401


def test_a_download_cut_short_is_reported_with_the_bytes_received(
    cloudinary_api: CloudinaryApi, cfg: CloudinaryConfig
) -> None:
    res = cloudinary_api.seed(1, "video", "upload", size=50_000)[0]
    cloudinary_api.fail(None, endpoint="delivery", truncate=20_000, times=1)
    cut = fetch_asset(res["secure_url"])
    assert not cut.ok and cut.layer == "asset" and cut.bytes == 20_000
    assert cut.reason == "the download broke off after 20000 bytes"
    assert fetch_asset(res["secure_url"]).ok


def test_a_missing_asset_is_an_asset_layer_failure(cloudinary_api: CloudinaryApi) -> None:
    url = f"{cloudinary_api.base_url}/{cloudinary_api.cloud}/image/upload/v1/nothing.jpg"
    fetch = fetch_asset(url)
    assert not fetch.ok and fetch.status == 404 and fetch.layer == "asset"


def test_a_silent_server_costs_one_connection_and_one_timeout(
    cloudinary_silent: SilentServer,
) -> None:
    cfg = parse_cloudinary_url(cloudinary_silent.cloudinary_url)
    started = time.perf_counter()
    answer = probe.ping(cfg, timeout=0.5)
    assert time.perf_counter() - started < 1.0
    assert answer.layer == "query" and answer.reason == "connected, but no answer within 0.5 s"
    assert cloudinary_silent.accepted == 1


@pytest.fixture
def dripping_port() -> Iterator[int]:
    """A server that sends an endless status line one byte at a time: no read ever times out."""
    stop = threading.Event()
    sock = socket.create_server(("127.0.0.1", 0))

    def serve() -> None:
        conn, _ = sock.accept()
        with conn:
            while not stop.wait(0.1):
                conn.sendall(b"H")

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield sock.getsockname()[1]
    stop.set()
    sock.close()
    thread.join(timeout=2)


async def test_the_outer_deadline_bounds_a_server_that_drips_bytes(dripping_port: int) -> None:
    url = f"cloudinary://123456789012345:s3cret-value@drip?upload_prefix=http://127.0.0.1:{dripping_port}"
    cfg = parse_cloudinary_url(url)
    ctx = Context.build(Settings(), environ={})
    try:
        started = time.perf_counter()
        answer = await probe.bounded(ctx, probe.ping, cfg, budget=0.5)
        elapsed = time.perf_counter() - started
    finally:
        ctx.close()
    assert not answer.ok and answer.layer == "query"
    assert answer.reason == "no answer within 0.5 s"
    assert 0.9 < elapsed < 1.5


def test_url_parsing_converts_flags_and_explains_string_args() -> None:
    url = (
        f"cloudinary://{CANARY_KEY}:{CANARY_SECRET}@My-Cloud/cdn.example.com"
        "?secure=false&timeout=2&upload_prefix=https://api-eu.cloudinary.com/&color=red"
    )
    cfg = parse_cloudinary_url(url)
    assert cfg.cloud_name == "my-cloud"
    assert cfg.secure is False and cfg.private_cdn and cfg.secure_distribution == "cdn.example.com"
    assert (
        cfg.upload_prefix == "https://api-eu.cloudinary.com"
        and cfg.api_host == "api-eu.cloudinary.com"
    )
    assert cfg.notes == (
        "secure=false: the SDK reads this as the string 'false', which is truthy, so the "
        "backend treats it as on",
        "color: not used by launchtui's probes",
    )
    assert "raises ValueError" in cfg.backend_problems[0]
    assert CANARY_SECRET not in repr(cfg) and CANARY_KEY not in repr(cfg)


def test_a_cname_without_secure_is_delivered_over_http_like_the_sdk_does() -> None:
    assert parse_cloudinary_url("cloudinary://1:s@c?cname=img.example.com").secure is False
    assert parse_cloudinary_url("cloudinary://1:s@c").secure is True


@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("", "must start with cloudinary://"),
        ("https://k:s@cloud", "must start with cloudinary://"),
        ("cloudinary://cloud", "no key:secret@ part"),
        (f"cloudinary://{CANARY_KEY}@cloud", "both the API key and the API secret"),
        (f"cloudinary://:{CANARY_SECRET}@cloud", "both the API key and the API secret"),
        (f"cloudinary://{CANARY_KEY}:{CANARY_SECRET}@", "no cloud name"),
        (f"cloudinary://{CANARY_KEY}:{CANARY_SECRET}@c?upload_prefix=ftp://x", "http(s) URL"),
        (f"cloudinary://{CANARY_KEY}:{CANARY_SECRET}@c?secure=maybe", "not true/false"),
        ("cloudinary://\x00\xff:\udcff@cloud?%%%", "odd characters"),
        (f"cloudinary://{CANARY_KEY}:{CANARY_SECRET} @cloud", "odd characters"),
        (f"cloudinary://{CANARY_KEY}:{CANARY_SECRET}@\u2603\x00", "cloud name '\u2603\\x00'"),
    ],
)
def test_bad_urls_raise_a_message_without_the_secret(url: str, words: str) -> None:
    with pytest.raises(CloudinaryUrlError) as info:
        parse_cloudinary_url(url)
    assert words in str(info.value)
    assert CANARY_SECRET not in str(info.value) and CANARY_KEY not in str(info.value)


def test_usage_metrics_compute_missing_percentages_and_skip_junk() -> None:
    metrics = usage_metrics(
        {
            "credits": {"usage": 5, "limit": 20},
            "bandwidth": {"usage": "x", "limit": 0},
            "storage": {"used_percent": "12.5"},
            "transformations": {"used_percent": "nan"},
            "objects": True,
        }
    )
    assert [(m.name, m.used_percent) for m in metrics] == [("credits", 25.0), ("storage", 12.5)]


def test_a_full_disk_in_the_sink_propagates_instead_of_posing_as_a_network_error(
    cloudinary_api: CloudinaryApi,
) -> None:
    res = cloudinary_api.seed(1, "image", "upload", size=100_000)[0]

    def full_disk(_chunk: bytes) -> None:
        raise OSError(28, "No space left on device")

    with pytest.raises(OSError, match="No space left"):
        fetch_asset(res["secure_url"], sink=full_disk)


def test_sample_asset_fetches_the_newest_image_from_the_delivery_host(
    cloudinary_api: CloudinaryApi, cfg: CloudinaryConfig
) -> None:
    listing, fetch = sample_asset(cfg)
    assert listing.ok and fetch is None  # an empty account has nothing to fetch
    newest = cloudinary_api.seed(3, "image", "upload", size=4321)[-1]
    listing, fetch = sample_asset(cfg)
    assert listing.resources[0]["public_id"] == newest["public_id"]
    assert fetch is not None and fetch.ok and fetch.bytes == 4321
    cloudinary_api.fail(404, b"", endpoint="delivery")
    _, broken = sample_asset(cfg)
    assert broken is not None and not broken.ok and broken.layer == "asset"
