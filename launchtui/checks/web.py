"""What the live web checks share: the site's URL, one GET, and problems folded into a verdict."""

from __future__ import annotations

import functools
import ssl
from collections.abc import Mapping
from typing import Any

from launchtui.core.context import Context
from launchtui.core.model import Status, Verdict, failed, needs_input, passed, warned
from launchtui.core.secrets import url_secrets
from launchtui.probes import http as probe

NO_FRONTEND = (
    "No frontend URL to probe: pass --frontend-url https://your-app.vercel.app "
    "(profile key frontend_url)."
)
NO_BACKEND = (
    "No backend URL to probe: pass --backend-url https://your-api.up.railway.app "
    "(profile key backend_url), or set VITE_API_URL in --frontend-env-file."
)
FLAG = {
    "frontend": "--frontend-url (profile key frontend_url)",
    "backend": "--backend-url (profile key backend_url) or VITE_API_URL",
}


def no_site(role: str) -> Verdict:
    """The skip of a live check whose site's URL was not given."""
    if role == "frontend":
        return needs_input(NO_FRONTEND, "frontend_url")
    return needs_input(NO_BACKEND, "backend_url", "frontend_env_file")


class Findings:
    """Problems found by one check; the worst decides the status, the first of those the summary."""

    def __init__(self) -> None:
        self.items: list[tuple[Status, str, str]] = []

    def add(self, status: Status, sentence: str, fix: str = "") -> None:
        self.items.append((status, sentence, fix))

    def verdict(self, ok: str, evidence: Mapping[str, Any], facts: Mapping[str, Any]) -> Verdict:
        if not self.items:
            return passed(ok, evidence, facts=facts)
        worst = max(self.items, key=lambda item: item[0].rank)
        others = [item[1] for item in self.items if item is not worst]
        evidence = {**evidence, **({"also": " ".join(others)} if others else {})}
        fixes = " ".join(dict.fromkeys(fix for _s, _t, fix in self.items if fix))
        make = failed if worst[0] is Status.FAIL else warned
        return make(worst[1], evidence, remediation=fixes, facts=facts)


def site_url(ctx: Context, url: str, role: str) -> probe.SiteURL | Verdict:
    """The parsed site, or the fail that says why its URL is unusable; its password is redacted."""
    ctx.redactor.add(*url_secrets(url))  # a password in a URL never reaches the output
    try:
        return probe.parse_site_url(url)
    except ValueError as exc:
        return failed(
            f"The {role} URL {url!r} is not usable: {exc}.",
            {"url": url},
            remediation=f"Fix {FLAG[role]}: it must look like https://host.example.com.",
        )


def live_site(
    ctx: Context, role: str, missing: tuple[str, str] | None = None
) -> probe.SiteURL | Verdict:
    """The frontend or backend site a live check probes, or the verdict that stops the check.

    In this order: a skip when the site's URL is not given, a skip saying `missing` (why
    another input the check needs is not given, and the input key that gives it), a fail
    when the URL is unusable.
    """
    url = ctx.frontend_url if role == "frontend" else ctx.backend_url
    if not url:
        return no_site(role)
    if missing:
        return needs_input(missing[0], missing[1])
    return site_url(ctx, url, role)


async def tls_for(ctx: Context) -> ssl.SSLContext:
    """The run's verifying TLS context, built once in a thread (reading the CA bundle blocks)."""
    ca_file = ctx.settings.ca_file
    return await ctx.shared(f"http.tls:{ca_file}", functools.partial(probe.load_tls, ca_file))


async def get_page(ctx: Context, url: str, **kw: Any) -> Any:
    """A GET (following redirects) or the ProbeError that explains why it failed."""
    verify = await tls_for(ctx)
    async with probe.client(ctx.settings.ca_file, follow_redirects=True, verify=verify) as http:
        try:
            resp, _body, _cut = await probe.read_capped(http, "GET", url, cap=1 << 20, **kw)
        except Exception as exc:
            return probe.describe_error(exc, url)
    return resp
