"""Checklist 1.1: CLOUDINARY_URL has an API key, an API secret and a cloud name."""

from __future__ import annotations

import re
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass

from launchtui.checks.env import WHERE, Findings, not_set, one_line
from launchtui.core.context import Context
from launchtui.core.model import Verdict, failed
from launchtui.core.registry import check
from launchtui.core.secrets import MASK, Secret


class CloudinaryUrlError(ValueError):
    """CLOUDINARY_URL cannot be used; the message names no secret."""


@dataclass(frozen=True)
class CloudinaryUrl:
    """CLOUDINARY_URL as the Cloudinary SDK reads it."""

    api_key: Secret
    api_secret: Secret
    cloud_name: str
    written_cloud: str
    path: str
    query: Mapping[str, str]
    masked: str


def parse_cloudinary_url(raw: str) -> CloudinaryUrl:
    """Parse CLOUDINARY_URL the way the SDK does (urlparse; hostname is the cloud)."""
    text = (raw or "").strip()
    shape = "cloudinary://API_KEY:API_SECRET@CLOUD_NAME"
    if text.upper().startswith("CLOUDINARY_URL="):
        raise CloudinaryUrlError("CLOUDINARY_URL's value starts with the variable name itself.")
    try:
        parts = urllib.parse.urlparse(text)
        cloud = parts.hostname
        parts.port  # noqa: B018  (raises ValueError for a bad port)
    except ValueError:
        raise CloudinaryUrlError(f"CLOUDINARY_URL is not a URL like {shape}.") from None
    if parts.scheme.lower() != "cloudinary":
        raise CloudinaryUrlError(f"CLOUDINARY_URL must start with cloudinary://, like {shape}.")
    if not parts.username:
        raise CloudinaryUrlError(f"CLOUDINARY_URL has no API key; it should look like {shape}.")
    if not parts.password:
        raise CloudinaryUrlError(f"CLOUDINARY_URL has no API secret; it should look like {shape}.")
    if not cloud:
        raise CloudinaryUrlError(f"CLOUDINARY_URL has no cloud name after the @, like {shape}.")
    after_at = parts.netloc.rsplit("@", 1)[1]
    query = {k: v[0] for k, v in urllib.parse.parse_qs(parts.query).items()}
    shown_query = "&".join(
        f"{k}={MASK}" if re.search(r"secret|password|key|token", k, re.I) else f"{k}={v}"
        for k, v in query.items()
    )
    masked = f"cloudinary://{MASK}:{MASK}@{after_at}{parts.path}"
    return CloudinaryUrl(
        api_key=Secret(parts.username),
        api_secret=Secret(parts.password),
        cloud_name=cloud,
        written_cloud=after_at.split(":", 1)[0],
        path=parts.path,
        query=query,
        masked=masked + (f"?{shown_query}" if shown_query else ""),
    )


@one_line
def assess_cloudinary_url(raw: str, cloud_name_var: str | None = None) -> Verdict:
    """The verdict on CLOUDINARY_URL: all three parts, and SDK pitfalls in its query."""
    shape = "cloudinary://API_KEY:API_SECRET@CLOUD_NAME"
    try:
        c = parse_cloudinary_url(raw)
    except CloudinaryUrlError as exc:
        return failed(
            str(exc),
            {"length": f"{len(raw)} characters"},
            remediation=f"Copy the API environment variable from the Cloudinary console "
            f"(Settings > API Keys), {shape}, and set it as CLOUDINARY_URL {WHERE}.",
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
    for k, v in c.query.items():
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
    raw = ctx.get("CLOUDINARY_URL")
    if raw is None:
        return not_set("CLOUDINARY_URL", "uploads and the Admin API cannot authenticate")
    ctx.redactor.add(raw)
    return assess_cloudinary_url(raw, ctx.get("CLOUDINARY_CLOUD_NAME"))
