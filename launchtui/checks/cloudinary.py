"""Cloudinary (1.1, 4.4): the Admin API takes CLOUDINARY_URL's key, and the plan has room left."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Mapping
from typing import Any

from launchtui.core.context import Context
from launchtui.core.model import Verdict, errored, failed, passed, warned
from launchtui.core.registry import check
from launchtui.probes import cloudinary as probe
from launchtui.probes.cloudinary_config import (
    CloudinaryConfig,
    CloudinaryUrlError,
    config_from_context,
)

# Quota thresholds from the product table, exact: warn at 80%, fail at 95%.
WARN_PERCENT = 80.0
FAIL_PERCENT = 95.0
API_KEYS_PAGE = "https://console.cloudinary.com/settings/api-keys"
USAGE_PAGE = "https://console.cloudinary.com/pm/usage"
STATUS_PAGE = "https://status.cloudinary.com"
_BYTE_METRICS = ("bandwidth", "storage")
# The usage metrics with plan limits, in evidence order, and how a summary names each.
_LABELS = {
    "credits": "credit use",
    "bandwidth": "bandwidth",
    "storage": "storage",
    "transformations": "transformation count",
    "objects": "object count",
}


def _load(ctx: Context) -> CloudinaryConfig | Verdict:
    """The parsed CLOUDINARY_URL, or the verdict that says why it cannot be used."""
    try:
        cfg = config_from_context(ctx)
    except CloudinaryUrlError as exc:
        return failed(
            f"CLOUDINARY_URL cannot be used: {exc}.",
            remediation="Set CLOUDINARY_URL to cloudinary://<api_key>:<api_secret>@<cloud_name>, "
            f"copied from the Cloudinary console → Settings → API Keys ({API_KEYS_PAGE}).",
        )
    if cfg is None:
        return failed(
            "CLOUDINARY_URL is not set, so the backend cannot reach Cloudinary.",
            remediation="Set CLOUDINARY_URL in Railway/Render's variables (or --env-file).",
        )
    return cfg


async def _call_admin_api(
    ctx: Context, call: Callable[..., probe.ApiAnswer], what: str
) -> tuple[CloudinaryConfig, probe.ApiAnswer] | Verdict:
    """One Admin API call with CLOUDINARY_URL's key, or the verdict on why it did not succeed."""
    cfg = _load(ctx)
    if isinstance(cfg, Verdict):
        return cfg
    try:
        answer = await probe.bounded(ctx, call, cfg, budget=probe.API_BUDGET_S)
    except probe.SdkUnavailable as exc:
        return errored(f"launchtui could not load the Cloudinary SDK: {exc}.")
    if not answer.ok:
        return _failure(cfg, answer, what)
    return cfg, answer


def _console(ctx: Context, default: str) -> str:
    return ctx.settings.links.get("cloudinary_console") or default


def _failure(cfg: CloudinaryConfig, answer: probe.ApiAnswer, what: str) -> Verdict:
    """The verdict for an Admin API call that did not succeed, naming the layer."""
    evidence: dict[str, Any] = {"cloud": cfg.cloud_name, "api": cfg.api_host, "layer": answer.layer}
    if answer.status is not None:
        evidence["HTTP status"] = answer.status
    if answer.message:
        evidence["Cloudinary says"] = answer.message
    evidence["latency"] = f"{answer.latency_ms} ms"
    facts = {"layer": answer.layer, "status": answer.status}
    status, host = answer.status, cfg.api_host
    if answer.layer == "auth" and status == 403:
        return failed(
            f"Cloudinary refused {what} (403): this API key may not use the Admin API.",
            evidence,
            remediation="In the Cloudinary console → Settings → API Keys "
            f"({API_KEYS_PAGE}), use a key whose role allows the Admin API.",
            facts=facts,
        )
    if answer.layer == "auth":
        return failed(
            f"Cloudinary rejected the API key/secret in CLOUDINARY_URL ({status}), so the "
            "backend's uploads and Admin API calls fail.",
            evidence,
            remediation="Copy the API key and API secret from the Cloudinary console → Settings "
            f"→ API Keys ({API_KEYS_PAGE}) into CLOUDINARY_URL as "
            "cloudinary://<api_key>:<api_secret>@<cloud_name>, then redeploy the backend.",
            facts=facts,
        )
    if answer.layer == "quota":
        rate = answer.rate_limit
        reset = rate.reset_text()
        evidence["rate limit"] = _rate_text(rate)
        evidence["resets at"] = reset
        return failed(
            f"Cloudinary's Admin API is rate limited ({status}) until {reset}: Admin calls "
            "(backups, listings) fail until then; image delivery and uploads are not affected.",
            evidence,
            remediation="Wait for the reset; then find what spends the hourly allowance "
            "(500 requests/hour on free plans, 2000 on paid) and cache or batch those calls.",
            facts=facts,
        )
    if answer.layer == "http":
        if status is not None and status >= 500:
            summary = (
                f"Cloudinary answered {status} to {what}: the Admin API is failing on its side."
            )
            fix = f"Check {STATUS_PAGE} and re-run in a few minutes; if it persists, contact Cloudinary support."
        elif status == 404:
            summary = (
                f"Cloudinary answered 404 to {what}: the cloud name {cfg.cloud_name!r} or the API "
                "address in CLOUDINARY_URL is wrong."
            )
            fix = f"Copy the cloud name from the Cloudinary console → Settings ({API_KEYS_PAGE})."
        else:
            summary = f"Cloudinary {answer.reason} to {what}, which is not a usable answer."
            fix = f"Check {STATUS_PAGE}; a proxy or firewall between here and {host} may answer instead."
        return failed(summary, evidence, remediation=fix, facts=facts)
    where = {
        "dns": f"the name {host} does not resolve (DNS)",
        "tcp": f"{answer.reason} (TCP)",
        "tls": f"{answer.reason} (TLS)",
        "query": f"{answer.reason} (timeout)",
    }.get(answer.layer, answer.reason)
    return failed(
        f"Cannot reach Cloudinary's Admin API at {host}: {where}.",
        evidence,
        remediation=f"Check this machine's outbound network to {host} (proxy, firewall, DNS) "
        f"and {STATUS_PAGE}.",
        facts=facts,
    )


def _rate_text(rate: probe.RateLimit) -> str:
    if not rate.known:
        return "not reported"
    return f"{rate.remaining} of {rate.allowed} requests left this hour"


@check(
    "cloudinary.api",
    section="1.1",
    title="Cloudinary Admin API accepts CLOUDINARY_URL",
    kind="live",
    tags=("cloudinary",),
    needs=("env.cloudinary_url",),
)
async def cloudinary_api(ctx: Context) -> Verdict:
    """Ping the Admin API with CLOUDINARY_URL's key and secret; report latency and rate limit."""
    answered = await _call_admin_api(ctx, probe.ping, "the Admin API ping")
    if isinstance(answered, Verdict):
        return answered
    cfg, answer = answered
    rate = answer.rate_limit
    evidence: dict[str, Any] = {
        "cloud": cfg.cloud_name,
        "api": cfg.api_host,
        "latency": f"{answer.latency_ms} ms",
        "rate limit": _rate_text(rate),
        "rate limit resets": rate.reset_text(),
    }
    for i, note in enumerate(cfg.notes, 1):
        evidence[f"note {i}"] = note
    facts = {
        "cloud_name": cfg.cloud_name,
        "latency_ms": answer.latency_ms,
        "rate_limit_allowed": rate.allowed,
        "rate_limit_remaining": rate.remaining,
    }
    # env.cloudinary_url gives these their verdict; here they only explain the evidence.
    if cfg.backend_problems:
        evidence["backend problem"] = "; ".join(cfg.backend_problems)
    if ctx.get("CLOUDINARY_CLOUD_NAME"):
        evidence["CLOUDINARY_CLOUD_NAME"] = "set, so the backend's SDK ignores CLOUDINARY_URL"
    if rate.low:
        return warned(
            f"Cloudinary answers, but only {rate.remaining} of {rate.allowed} Admin API "
            f"requests are left until {rate.reset_text()}.",
            evidence,
            remediation="Find what spends the hourly allowance (backups, listings in request "
            "handlers) before it runs out and Admin calls start failing with 420.",
            facts=facts,
        )
    return passed(
        f"Cloudinary's Admin API accepts the key for cloud {cfg.cloud_name!r} "
        f"({answer.latency_ms} ms).",
        evidence,
        facts=facts,
    )


@dataclasses.dataclass(frozen=True)
class UsageMetric:
    """One metric of `usage()`: how much of the plan's limit is used."""

    name: str
    usage: float | None
    limit: float | None
    used_percent: float


def usage_metrics(result: Mapping[str, Any]) -> list[UsageMetric]:
    """The metrics of a `usage()` answer with a percentage (or a usage and limit to compute it)."""
    out: list[UsageMetric] = []
    for name in _LABELS:
        item = result.get(name)
        if not isinstance(item, Mapping):
            continue
        used, limit = _num(item.get("usage")), _num(item.get("limit"))
        pct = _num(item.get("used_percent"))
        if pct is None and used is not None and limit:
            pct = used * 100.0 / limit
        if pct is not None:
            out.append(UsageMetric(name, used, limit, pct))
    return out


def _num(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    try:
        number = float(value)
    except ValueError:
        return None
    return number if math.isfinite(number) else None


def _amount(name: str, value: float | None) -> str:
    if value is None:
        return "?"
    if name in _BYTE_METRICS:
        return f"{value / 1024**3:.2f} GB"
    return f"{value:g}" if name == "credits" else f"{value:,.0f}"


def _percent(value: float) -> str:
    return f"{round(value, 2):g}%"


@check(
    "cloudinary.quota",
    section="4.4",
    title="Cloudinary plan has room (credits, bandwidth, storage)",
    kind="live",
    tags=("cloudinary",),
    needs=("cloudinary.api",),
)
async def cloudinary_quota(ctx: Context) -> Verdict:
    """Read usage(): warn at 80% and fail at 95% of any plan limit."""
    answered = await _call_admin_api(ctx, probe.usage, "the usage report")
    if isinstance(answered, Verdict):
        return answered
    cfg, answer = answered
    plan = str(answer.result.get("plan") or "unknown")
    metrics = usage_metrics(answer.result)
    evidence: dict[str, Any] = {"cloud": cfg.cloud_name, "plan": plan}
    for m in metrics:
        evidence[m.name] = (
            f"{_amount(m.name, m.usage)} of {_amount(m.name, m.limit)} ({_percent(m.used_percent)})"
        )
    evidence["last updated"] = answer.result.get("last_updated") or "unknown"
    evidence["thresholds"] = f"warn at {WARN_PERCENT:g}%, fail at {FAIL_PERCENT:g}%"
    usage_page = _console(ctx, USAGE_PAGE)
    if not metrics:
        return warned(
            f"Cloudinary's usage report for the {plan} plan gives no limits, so launchtui "
            "cannot tell how close the account is to running out.",
            evidence,
            remediation=f"Read the usage page of the Cloudinary console ({usage_page}).",
            facts={"plan": plan, "percents": {}},
        )
    worst = max(metrics, key=lambda m: m.used_percent)
    facts = {
        "plan": plan,
        "worst": worst.name,
        "percents": {m.name: m.used_percent for m in metrics},
    }
    pct = _percent(worst.used_percent)
    label = _LABELS.get(worst.name, worst.name)
    if worst.used_percent >= FAIL_PERCENT:
        return failed(
            f"Cloudinary {label} is at {pct} of the {plan} plan's limit: at 100% "
            "Cloudinary stops serving images, the usual cause of 'images not loading'.",
            evidence,
            remediation=f"Upgrade the plan or reduce {label} now (delete unused assets and "
            f"derived versions) on the Cloudinary console's usage page ({usage_page}).",
            facts=facts,
        )
    if worst.used_percent >= WARN_PERCENT:
        return warned(
            f"Cloudinary {label} is at {pct} of the {plan} plan's limit; at "
            f"{FAIL_PERCENT:g}% launch is at risk of images not loading.",
            evidence,
            remediation=f"Plan an upgrade or clean-up before launch ({usage_page}).",
            facts=facts,
        )
    return passed(
        f"Cloudinary usage has room: the highest is {label} at {pct} of the {plan} plan.",
        evidence,
        facts=facts,
    )
