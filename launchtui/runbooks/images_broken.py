"""Runbook 4.4, `images-broken`: Cloudinary's credentials, quota, a real asset, the cloud name.

The steps: CLOUDINARY_URL parses (`cloudinary.config`); the Admin API takes its key
(`cloudinary.ping`); the plan has room (`cloudinary.quota`, the exact 95 % of the
`cloudinary.quota` check); one real asset comes back from its delivery URL
(`cloudinary.asset`); and the frontend builds its image URLs for the backend's cloud
(`cloudinary.cloud_name`). The ping and the asset fetch run concurrently, so a pass takes
about one Admin API call plus the usage call: milliseconds on loopback, at most about
11 s against a host that accepts and never answers.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from launchtui.core.model import Result, Verdict, failed, passed, skipped, warned
from launchtui.core.registry import INCIDENT_STEPS, Registry
from launchtui.core.runbooks import Runbook, RunbookVerdict, first_failure

if TYPE_CHECKING:
    from launchtui.core.context import Context
    from launchtui.probes.cloudinary_config import CloudinaryConfig
    from launchtui.probes.cloudinary_delivery import AssetFetch

SECTION = "4.4"
steps = Registry()

# Each Admin API call holds itself to API_BUDGET_S (5 s) plus a 0.5 s grace.
_API_TIMEOUT_S = 8.0
# The asset step may list one resource (5 s) and then fetch it (5 s).
_ASSET_BUDGET_S = 11.0
_ASSET_TIMEOUT_S = _ASSET_BUDGET_S + 2.0
# An inventory line is one resource's JSON; a longer first line is not an inventory.
_MAX_LINE = 64 * 1024

# A step's layer when its result carries none (a step that timed out or crashed).
_STEP_LAYER = {
    "cloudinary.config": "config",
    "cloudinary.ping": "auth",
    "cloudinary.quota": "quota",
    "cloudinary.cloud_name": "config",
    "cloudinary.asset": "asset",
}
# The verdict's order: the account first (nothing works without it), then the plan, then
# the frontend's cloud name (it breaks every image at once) before one missing asset.
ORDER = tuple(_STEP_LAYER)


def _with_layer(v: Verdict, layer: str) -> Verdict:
    """The verdict with the broken layer in its facts (kept when it already names one)."""
    if v.status not in ("fail", "error"):
        layer = "none"
    return Verdict(
        v.status,
        v.summary,
        v.evidence,
        v.remediation,
        v.command,
        {**v.facts, "layer": v.facts.get("layer") or layer},
    )


def _import_sdk() -> None:
    """Load the SDK's modules the probes use; a failure is reported by the probes themselves."""
    with contextlib.suppress(Exception):
        import cloudinary.api_client.execute_request
        import cloudinary.utils  # noqa: F401


@steps.check("cloudinary.config", section=SECTION, title="CLOUDINARY_URL parses")
async def cloudinary_config(ctx: Context) -> Verdict:
    """CLOUDINARY_URL is cloudinary://KEY:SECRET@CLOUD, read the way the SDK reads it."""
    from launchtui.checks.cloudinary import _load

    cfg = _load(ctx)
    if isinstance(cfg, Verdict):
        return _with_layer(cfg, "config")
    # The ping and the asset fetch start together and would import the SDK from two threads
    # at once, which trips over its circular imports ("partially initialized module
    # 'cloudinary'"); importing it here first, before both, avoids that.
    await ctx.to_thread(_import_sdk)
    evidence: dict[str, Any] = {"url": cfg.masked, "cloud": cfg.cloud_name, "api": cfg.api_host}
    facts = {"layer": "none", "cloud_name": cfg.cloud_name}
    if ctx.get("CLOUDINARY_CLOUD_NAME"):
        return warned(
            "CLOUDINARY_CLOUD_NAME is set, so the backend's SDK ignores CLOUDINARY_URL and "
            f"uses cloud {ctx.get('CLOUDINARY_CLOUD_NAME')!r} with whatever key it finds.",
            evidence,
            remediation="Unset CLOUDINARY_CLOUD_NAME (and CLOUDINARY_API_KEY/SECRET) on the "
            "backend so CLOUDINARY_URL is the one setting.",
            facts=facts,
        )
    if cfg.backend_problems:
        evidence["backend problem"] = "; ".join(cfg.backend_problems)
        return warned(
            f"CLOUDINARY_URL parses, but the backend's SDK fails on it: {cfg.backend_problems[0]}.",
            evidence,
            remediation="Remove that query argument from CLOUDINARY_URL and redeploy.",
            facts=facts,
        )
    return passed(
        f"CLOUDINARY_URL parses: cloud {cfg.cloud_name!r}, Admin API at {cfg.api_host}.",
        evidence,
        facts=facts,
    )


@steps.check(
    "cloudinary.ping",
    section=SECTION,
    title="The Admin API accepts CLOUDINARY_URL's key",
    kind="live",
    needs=("cloudinary.config",),
    timeout=_API_TIMEOUT_S,
)
async def cloudinary_ping(ctx: Context) -> Verdict:
    """An authenticated ping: 401 is auth; no answer is dns, tcp, tls or query."""
    from launchtui.checks.cloudinary import cloudinary_api

    # The check of section 1.1, as is: its failures already carry the probe's layer.
    return _with_layer(await cloudinary_api(ctx), "auth")


@steps.check(
    "cloudinary.quota",
    section=SECTION,
    title="The plan has room (95 % of any limit is the quota)",
    kind="live",
    needs=("cloudinary.ping",),
    timeout=_API_TIMEOUT_S,
)
async def cloudinary_quota(ctx: Context) -> Verdict:
    """usage(): fail at 95 % of credits, bandwidth, storage, transformations or objects."""
    from launchtui.checks.cloudinary import cloudinary_quota as quota_check

    return _with_layer(await quota_check(ctx), "quota")


# -- cloudinary.asset ------------------------------------------------------------------


def _from_inventory(ctx: Context, cloud: str) -> tuple[dict[str, Any], str] | None:
    """The first resource of the newest complete-named inventory of this cloud, if any."""
    from launchtui.core.config import default_backup_dir
    from launchtui.probes.backup_files import list_backups, safe_label

    directory = ctx.settings.backup_dir or default_backup_dir()
    try:
        found = list_backups(directory).media
    except OSError:
        return None
    # An inventory of another cloud names public ids this cloud never had: a false 404.
    for inv in (b for b in found if b.label == safe_label(cloud)):
        try:
            with inv.path.open(encoding="utf-8") as fh:
                line = fh.readline(_MAX_LINE)
            res = json.loads(line)
        except (OSError, ValueError):
            continue
        if isinstance(res, dict) and isinstance(res.get("public_id"), str):
            return res, f"the first line of the newest media inventory, {Path(inv.path).name}"
    return None


def _sample(ctx: Context, cfg: CloudinaryConfig, timeout: float) -> dict[str, Any]:
    """A sample asset (the inventory's first, else the newest listed) fetched from delivery."""
    from launchtui.probes.cloudinary import list_resources, new_pool
    from launchtui.probes.cloudinary_delivery import delivery_url, fetch_asset

    pool = new_pool(cfg.ca_file)
    picked = _from_inventory(ctx, cfg.cloud_name)
    if picked is None:
        listing = list_resources(cfg, "image", "upload", max_results=1, timeout=timeout, pool=pool)
        if not listing.ok:
            return {"listing": listing}
        if not listing.resources:
            return {"none": True}
        picked = listing.resources[0], "the newest image the Admin API lists"
    res, source = picked
    # Built from the cloud name and public id as the frontend builds it, not a stored URL.
    url = delivery_url(cfg, res)
    return {
        "resource": res,
        "source": source,
        "url": url,
        "fetch": fetch_asset(url, timeout=timeout, pool=pool),
    }


def _asset_failure(
    res: Mapping[str, Any], cloud: str, got: AssetFetch, ev: dict[str, Any]
) -> Verdict:
    pid = str(res["public_id"])
    if got.layer != "asset":
        return failed(
            f"The delivery host for {pid!r} cannot be reached: {got.reason} ({got.layer}).",
            ev,
            remediation="Check this machine's outbound network to the delivery host and "
            "https://status.cloudinary.com.",
            facts={"layer": got.layer},
        )
    if got.status == 404:
        return failed(
            f"The delivery host answered 404 for {pid!r}: the asset is missing from cloud "
            f"{cloud!r} (deleted, renamed, or uploaded to another cloud), so pages that show "
            "it get a broken image.",
            ev,
            remediation="Find the asset in the Cloudinary console's Media Library; restore it "
            "from the media backup (launchtui backup media) or fix the public id the app stores.",
            facts={"layer": "asset"},
        )
    if got.status in (401, 403):
        return failed(
            f"The delivery host refused {pid!r} ({got.reason}): the asset is private or "
            "restricted, and the URL's signature or the account's delivery settings do not allow it.",
            ev,
            remediation="Check the asset's access mode and the account's security settings "
            "(strict transformations, restricted media types) in the Cloudinary console.",
            facts={"layer": "asset"},
        )
    return failed(
        f"Fetching {pid!r} from its delivery URL failed: {got.reason}.",
        ev,
        remediation="Open the URL in a browser; if Cloudinary answers 5xx, check "
        "https://status.cloudinary.com.",
        facts={"layer": "asset"},
    )


@steps.check(
    "cloudinary.asset",
    section=SECTION,
    title="A real asset loads from its delivery URL",
    kind="live",
    needs=("cloudinary.config",),
    timeout=_ASSET_TIMEOUT_S,
)
async def cloudinary_asset(ctx: Context) -> Verdict:
    """Fetch one asset as a browser would: the newest inventory's first, else the newest listed."""
    from launchtui.checks.cloudinary import _failure, _load
    from launchtui.probes.cloudinary import API_BUDGET_S

    cfg = _load(ctx)
    if isinstance(cfg, Verdict):
        return skipped("Not tried: CLOUDINARY_URL cannot be used (see cloudinary.config).")
    try:
        seen = await asyncio.wait_for(
            ctx.to_thread(_sample, ctx, cfg, API_BUDGET_S), _ASSET_BUDGET_S
        )
    except TimeoutError:
        return failed(
            f"No sample asset came back within {_ASSET_BUDGET_S:g} s: the Admin API or the "
            "delivery host accepts connections but does not answer.",
            {"cloud": cfg.cloud_name},
            remediation="Check https://status.cloudinary.com and this machine's outbound network.",
            facts={"layer": "query"},
        )
    if "listing" in seen:
        # No inventory to pick from and the Admin API would not list: say why, with its layer.
        listed = _failure(cfg, seen["listing"], "the resource listing")
        return Verdict(
            listed.status,
            f"No sample asset to fetch: {listed.summary[0].lower()}{listed.summary[1:]}",
            listed.evidence,
            listed.remediation,
            facts=listed.facts,
        )
    if "none" in seen:
        return skipped(
            f"Not tried: cloud {cfg.cloud_name!r} lists no uploaded image and the backup dir "
            "has no media inventory of it, so there is no asset to fetch.",
            {"cloud": cfg.cloud_name},
        )
    res, got = seen["resource"], seen["fetch"]
    ev: dict[str, Any] = {
        "public id": res["public_id"],
        "sample from": seen["source"],
        "delivery URL": seen["url"],
        "latency": f"{got.latency_ms} ms",
    }
    if got.status is not None:
        ev["HTTP status"] = got.status
    if not got.ok:
        return _asset_failure(res, cfg.cloud_name, got, ev)
    ev["received"] = f"{got.bytes} bytes, {got.content_type or 'no content type'}"
    return passed(
        f"{res['public_id']!r} loads from its delivery URL ({got.bytes} bytes, "
        f"{got.content_type or 'no content type'}, {got.latency_ms} ms).",
        ev,
        facts={"layer": "none"},
    )


# -- cloudinary.cloud_name --------------------------------------------------------------


@steps.check(
    "cloudinary.cloud_name",
    section=SECTION,
    title="The frontend's VITE_CLOUDINARY_CLOUD_NAME is the backend's cloud",
    needs=("cloudinary.config",),
)
async def cloudinary_cloud_name(ctx: Context) -> Verdict:
    """VITE_CLOUDINARY_CLOUD_NAME against CLOUDINARY_URL's cloud: differing is `config`."""
    from launchtui.checks.frontend import assess_cloud_name

    if not ctx.frontend_env:
        return skipped(
            "Not compared: launchtui was not given the frontend's variables; pass "
            "--frontend-env-file (the VITE_* values set on Vercel).",
        )
    cloud = ctx.fact("cloudinary.config", "cloud_name")
    return _with_layer(
        assess_cloud_name(ctx.frontend("VITE_CLOUDINARY_CLOUD_NAME"), cloud), "config"
    )


# -- the verdict -------------------------------------------------------------------------


def _quota_line(ctx: Context) -> str:
    step, _keys = INCIDENT_STEPS[SECTION]
    url = ctx.settings.links.get("cloudinary_console")
    if url:
        return f"{step[:-1]}: {url}"
    return (
        f"{step[:-1]} (set links.cloudinary_console in the launchtui.toml profile to link it here)."
    )


def verdict(ctx: Context, results: Mapping[str, Result]) -> RunbookVerdict:
    """The first broken step in ORDER, its layer, and what to do next."""
    broken = first_failure(results, ORDER)
    if broken is None:
        asset = results.get("cloudinary.asset")
        fetched = asset is not None and asset.status == "pass"
        summary = "Cloudinary accepts the key, the plan has room" + (
            ", and a real asset loads from its delivery URL." if fetched else "."
        )
        return RunbookVerdict(
            "none",
            summary,
            (
                "Cloudinary is healthy from here; if images still fail in the browser, open "
                "one broken image's URL and compare its cloud name and public id with the "
                "Media Library.",
                _quota_line(ctx),
            ),
        )
    layer = broken.facts.get("layer") or _STEP_LAYER[broken.id]
    if layer == "none":
        layer = _STEP_LAYER[broken.id]
    nexts = [n for n in (broken.remediation,) if n]
    nexts.append(_quota_line(ctx))
    return RunbookVerdict(layer, broken.summary, tuple(nexts))


RUNBOOK = Runbook(
    name="images-broken",
    section=SECTION,
    title="Image load failure",
    steps=steps,
    verdict=verdict,
    log_command=None,  # Cloudinary has no log CLI: the console's usage page is the next step
    doc=__doc__ or "",
)
