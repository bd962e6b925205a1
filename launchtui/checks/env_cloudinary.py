"""Checklist 1.1: CLOUDINARY_URL has an API key, an API secret and a cloud name."""

from __future__ import annotations

from launchtui.checks.env import WHERE, Findings, not_set, one_line, unparsable
from launchtui.core.context import Context
from launchtui.core.model import Verdict
from launchtui.core.registry import check
from launchtui.probes.cloudinary_config import SHAPE, CloudinaryUrlError, parse_cloudinary_url


@one_line
def assess_cloudinary_url(raw: str, cloud_name_var: str | None = None) -> Verdict:
    """The verdict on CLOUDINARY_URL: all three parts, and SDK pitfalls in its query."""
    try:
        c = parse_cloudinary_url(raw)
    except CloudinaryUrlError as exc:
        return unparsable(
            f"{exc}.",
            raw,
            "Copy the API environment variable from the Cloudinary console "
            f"(Settings > API Keys), {SHAPE}, and set it as CLOUDINARY_URL {WHERE}.",
        )
    f = Findings()
    key = c.api_key.reveal()
    if not key.isdigit():
        f.warn(
            "CLOUDINARY_URL's API key is not a number, but Cloudinary API keys are digits.",
            "Check that key and secret are not swapped.",
        )
    if c.written_cloud != c.cloud_name:
        f.warn(
            f"The SDK lowercases the cloud name to {c.cloud_name}; Cloudinary cloud names "
            "are lowercase.",
            "Write the cloud name in lowercase.",
        )
    if c.path:
        what = "ends with a slash" if c.path == "/" else "has a path after the cloud name"
        f.warn(
            f"CLOUDINARY_URL {what}, so the SDK assumes a private CDN and builds image URLs "
            f"on {c.cloud_name}-res.cloudinary.com instead of res.cloudinary.com.",
            "Remove everything after the cloud name unless your plan has a private CDN.",
        )
    for k, v in c.query:
        if k == "timeout":
            f.warn(
                "CLOUDINARY_URL's ?timeout= arrives in the SDK as text, so requests raise ValueError.",
                "Remove ?timeout= and set the timeout in code.",
            )
        elif v.strip().lower() in ("false", "0", "no", "off"):
            f.warn(
                f"CLOUDINARY_URL's ?{k}={v} arrives in the SDK as non-empty text, which counts "
                "as true.",
                f"Remove ?{k}= from the URL and set it in code.",
            )
    if cloud_name_var:
        f.warn(
            "CLOUDINARY_CLOUD_NAME is also set, so the Cloudinary SDK ignores CLOUDINARY_URL.",
            "Unset CLOUDINARY_CLOUD_NAME (and the other CLOUDINARY_* variables) on the backend.",
        )
    evidence = {
        "URL": c.masked,
        "cloud name": c.cloud_name,
        "API key": f"{len(key)} characters" + (", digits" if key.isdigit() else ""),
    }
    ok = f"CLOUDINARY_URL names cloud {c.cloud_name} with an API key and secret."
    return f.verdict(ok, evidence, facts={"cloud_name": c.cloud_name})


@check("env.cloudinary_url", section="1.1", title="CLOUDINARY_URL has key, secret and cloud")
async def cloudinary_url(ctx: Context) -> Verdict:
    """CLOUDINARY_URL is cloudinary://<api_key>:<api_secret>@<cloud_name>."""
    raw = ctx.secret("CLOUDINARY_URL")
    if raw is None:
        return not_set("CLOUDINARY_URL", "uploads and the Admin API cannot authenticate", ctx=ctx)
    return assess_cloudinary_url(raw.reveal(), ctx.get("CLOUDINARY_CLOUD_NAME"))
