"""Checklist 1.2: the frontend's build variables on Vercel (VITE_API_URL, the cloud name)."""

from __future__ import annotations

import urllib.parse

from launchtui.checks.env import one_line, shell_only
from launchtui.checks.env_cors import is_local_host, origin_of
from launchtui.core.context import Context
from launchtui.core.model import Status, Verdict, failed, passed, warned
from launchtui.core.registry import check
from launchtui.probes.cloudinary_config import CloudinaryUrlError, parse_cloudinary_url

# Vite copies VITE_* values into the JavaScript bundle when it builds.
VERCEL = (
    "in Vercel's Environment Variables (Production) and redeploy: Vite inlines it at build time"
)


def _shown(value: str) -> str:
    """A value safe to print on one line: escaped and cut short."""
    return value[:120].encode("unicode_escape").decode("ascii")


@one_line
def assess_api_url(value: str | None, backend_url: str | None = None) -> Verdict:
    """The verdict on VITE_API_URL: a public https URL, equal to the backend's URL."""
    example = "https://your-backend.up.railway.app"
    if value is None:
        return failed(
            "VITE_API_URL is not set, so the built frontend does not know where the backend is.",
            {"VITE_API_URL": "(not set)"},
            remediation=f"Set VITE_API_URL to {origin_of(backend_url or '') or example} {VERCEL}.",
        )
    fix = f"Set VITE_API_URL to the backend's https URL (like {example}) {VERCEL}."
    evidence = {"VITE_API_URL": _shown(value)}
    problem = _api_url_problem(value)
    if problem is not None:
        return failed(f"VITE_API_URL {problem}.", evidence, remediation=fix)
    mine = origin_of(value)
    if backend_url:
        evidence["backend URL"] = _shown(backend_url)
        theirs = origin_of(backend_url)
        if theirs is None or mine != theirs:
            return failed(
                f"VITE_API_URL points at {mine} but the backend is "
                f"{theirs or _shown(backend_url)}, so the deployed frontend talks to the wrong "
                "server.",
                evidence,
                remediation=f"Set VITE_API_URL to {theirs or 'the backend URL'} {VERCEL}.",
            )
        compared = f"equals the backend URL, {mine}"
    else:
        evidence["backend URL"] = "(not given: pass --backend-url or set backend_url)"
        compared = "could not be compared with the backend, because no backend URL was given"
    if urllib.parse.urlsplit(value).path.endswith("/"):
        return warned(
            "VITE_API_URL ends with a slash, so frontend code that appends /api/... requests "
            "a double slash.",
            evidence,
            remediation=f"Remove the trailing slash {VERCEL}.",
        )
    return passed(f"VITE_API_URL is a public https URL and {compared}.", evidence)


def _api_url_problem(value: str) -> str | None:
    """Why a VITE_API_URL value cannot work from a visitor's browser, or None."""
    if value[:1] in "'\"" or value[-1:] in "'\"":
        return "is wrapped in quotes, which Vercel keeps as part of the value"
    try:
        parts = urllib.parse.urlsplit(value)
        host = parts.hostname
        parts.port  # noqa: B018  (raises ValueError for a bad port)
    except ValueError:
        return "is not a URL"
    if "://" not in value:
        return "has no https://, so the browser reads it as a path on the frontend's own site"
    if parts.scheme.lower() == "http":
        return "is plain http, which browsers block from an https page (mixed content)"
    if parts.scheme.lower() != "https" or not host:
        return "is not an https:// URL"
    if is_local_host(host):
        return f"points at {host}, which a visitor's browser cannot reach"
    if parts.username is not None or parts.password is not None:
        return "carries a user name or password, which every visitor would see"
    if parts.query or parts.fragment:
        return "has a ?query or #fragment, which breaks every path appended to it"
    return None


@check("frontend.api_url", section="1.2", title="VITE_API_URL points at the backend")
async def api_url(ctx: Context) -> Verdict:
    """VITE_API_URL is set, https, and equal to the backend URL."""
    return from_shell(ctx, assess_api_url(ctx.frontend("VITE_API_URL"), ctx.settings.backend_url))


@one_line
def assess_cloud_name(
    value: str | None, cloud: str | None, why_unknown: str = "CLOUDINARY_URL is not set"
) -> Verdict:
    """The verdict on VITE_CLOUDINARY_CLOUD_NAME against CLOUDINARY_URL's cloud name."""
    if value is None:
        return failed(
            "VITE_CLOUDINARY_CLOUD_NAME is not set, so the frontend cannot build image URLs "
            "(the checklist says to set only one variable, but both are needed).",
            {"VITE_CLOUDINARY_CLOUD_NAME": "(not set)", "backend cloud": cloud or "(unknown)"},
            remediation=f"Set VITE_CLOUDINARY_CLOUD_NAME to {cloud or 'your cloud name'} {VERCEL}.",
        )
    if "://" in value or "@" in value or ":" in value:
        return failed(
            "VITE_CLOUDINARY_CLOUD_NAME holds a URL or credentials, not a cloud name, and Vite "
            "ships it to every browser.",
            {"VITE_CLOUDINARY_CLOUD_NAME": f"({len(value)} characters, not shown)"},
            remediation="Set it to the cloud name only, and if it held the API secret, "
            "rotate that secret in the Cloudinary console (Settings > API Keys) "
            f"then redeploy the frontend; {VERCEL}.",
        )
    evidence = {"VITE_CLOUDINARY_CLOUD_NAME": _shown(value), "backend cloud": cloud or "(unknown)"}
    if cloud is None:
        return warned(
            f"launchtui could not compare VITE_CLOUDINARY_CLOUD_NAME with the backend: {why_unknown}.",
            evidence,
            remediation="Fix CLOUDINARY_URL first (see env.cloudinary_url).",
        )
    fix = f"Set VITE_CLOUDINARY_CLOUD_NAME to {cloud} {VERCEL}."
    if value == cloud:
        return passed(f"The frontend and the backend both use Cloudinary cloud {cloud}.", evidence)
    if value.casefold() == cloud.casefold():
        return warned(
            f"VITE_CLOUDINARY_CLOUD_NAME differs from the backend's cloud {cloud} only in "
            "letter case; Cloudinary cloud names are lowercase.",
            evidence,
            remediation=fix,
        )
    return failed(
        f"The frontend builds image URLs for cloud {_shown(value)} but the backend uploads to "
        f"{cloud}, so uploaded images do not load.",
        evidence,
        remediation=fix,
    )


@check(
    "frontend.cloud_name",
    section="1.2",
    title="VITE_CLOUDINARY_CLOUD_NAME matches CLOUDINARY_URL",
    after=("env.cloudinary_url",),
)
async def cloud_name(ctx: Context) -> Verdict:
    """VITE_CLOUDINARY_CLOUD_NAME equals the cloud name inside CLOUDINARY_URL."""
    cloud = ctx.fact("env.cloudinary_url", "cloud_name")
    why = "CLOUDINARY_URL is not set"
    raw = ctx.get("CLOUDINARY_URL")
    if cloud is None and raw is not None:
        try:
            cloud = parse_cloudinary_url(raw).cloud_name
        except CloudinaryUrlError:
            why = "CLOUDINARY_URL is not a valid cloudinary:// URL (see env.cloudinary_url)"
    return from_shell(
        ctx, assess_cloud_name(ctx.frontend("VITE_CLOUDINARY_CLOUD_NAME"), cloud, why)
    )


def from_shell(ctx: Context, verdict: Verdict) -> Verdict:
    """A "not set" verdict, when no frontend env file was given: it says where it looked."""
    unset = any(v == "(not set)" for k, v in verdict.evidence.items() if k.startswith("VITE_"))
    if verdict.status is not Status.FAIL or not unset or ctx.settings.frontend_env_file:
        return verdict
    return shell_only(verdict, "frontend_env_file")
