"""Checklist 1.1: the live backend's CORS preflight allows the frontend and refuses others."""

from __future__ import annotations

import asyncio
from typing import Any

from launchtui.checks.web import Findings, live_site, tls_for
from launchtui.core.context import Context
from launchtui.core.model import Status, Verdict, failed
from launchtui.core.registry import check
from launchtui.probes import http as probe

FOREIGN_ORIGIN = "https://launchtui-probe.invalid"
NO_CORS_ORIGINS = (
    "No CORS_ORIGINS to test: set it in the file given with --env-file (profile key "
    "env_file): the frontend origins the backend allows, comma-separated."
)


def allowed_origins(raw: str) -> tuple[list[str], list[str]]:
    """CORS_ORIGINS as browsers send origins (scheme://host[:port]), and notes on odd entries."""
    origins: list[str] = []
    notes: list[str] = []
    for item in (part.strip() for part in raw.split(",")):
        if not item:
            continue
        if "*" in item:
            notes.append(f"{item!r} is a wildcard, not testable")
            continue
        try:
            origin = probe.parse_site_url(item).origin
        except ValueError as exc:
            notes.append(f"{item!r} is not an origin: {exc}")
            continue
        if origin != item:
            notes.append(f"{item!r} is tested as {origin}, what browsers send")
        origins.append(origin)
    return list(dict.fromkeys(origins)), notes


@check(
    "cors.preflight",
    section="1.1",
    title="CORS preflight allows the frontend",
    kind="live",
    after=("env.cors_origins",),
)
async def cors_preflight(ctx: Context) -> Verdict:
    """Each allowed origin gets its own Access-Control-Allow-Origin; a foreign origin gets none."""
    raw = ctx.get("CORS_ORIGINS") or ""
    site = live_site(ctx, "backend", missing=None if raw else (NO_CORS_ORIGINS, "env_file"))
    if isinstance(site, Verdict):
        return site
    origins, notes = allowed_origins(raw)
    if not origins:
        return failed(
            f"CORS_ORIGINS holds no origin a browser could send ({'; '.join(notes)}).",
            remediation="Set CORS_ORIGINS to the frontend's origins, like "
            "https://your-app.vercel.app (see env.cors_origins).",
        )
    target = site.at(ctx.settings.health_path)

    async def preflight(origin: str) -> Any:
        headers = {
            "Origin": origin,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type, authorization",
        }
        async with probe.client(ctx.settings.ca_file, verify=await tls_for(ctx)) as http:
            try:
                return await http.options(target, headers=headers)
            except Exception as exc:
                return probe.describe_error(exc, target)

    try:
        async with asyncio.timeout(probe.CHECK_BUDGET):
            answers = await asyncio.gather(*(preflight(o) for o in [*origins, FOREIGN_ORIGIN]))
    except TimeoutError:
        return failed(f"The backend did not answer within {probe.CHECK_BUDGET:g} s.")
    evidence: dict[str, Any] = {"preflight to": target}
    found = Findings()
    for origin, resp in zip([*origins, FOREIGN_ORIGIN], answers, strict=True):
        if isinstance(resp, probe.ProbeError):
            evidence[f"origin {origin}"] = f"no answer: {resp}"
            if not found.items:
                found.add(Status.FAIL, f"The backend did not answer the preflight: {resp}.")
            continue
        acao = resp.headers.get("access-control-allow-origin")
        creds = resp.headers.get("access-control-allow-credentials", "").lower() == "true"
        evidence[f"origin {origin}"] = (
            f"{resp.status_code}, Access-Control-Allow-Origin: {acao or '(none)'}"
            + (", credentials: true" if creds else "")
        )
        if origin == FOREIGN_ORIGIN:
            _judge_foreign(found, acao, creds)
        else:
            _judge_allowed(found, origin, resp, acao, creds)
    if notes:
        evidence["note"] = "; ".join(notes)
    ok = f"The backend allows {', '.join(origins)} and refuses a foreign origin."
    return found.verdict(ok, evidence, {"origins": origins})


CORS_FIX = (
    "Make Flask-CORS allow exactly the frontend origins: "
    "`CORS(app, origins=os.environ['CORS_ORIGINS'].split(','), supports_credentials=True)`, "
    "with CORS_ORIGINS like https://your-app.vercel.app (no trailing slash), then redeploy."
)


def _judge_allowed(found: Findings, origin: str, resp: Any, acao: str | None, creds: bool) -> None:
    if acao is None:
        found.add(
            Status.FAIL,
            f"The live backend does not allow {origin}: its preflight got {resp.status_code} "
            "with no Access-Control-Allow-Origin, so browsers block the frontend's API calls.",
            CORS_FIX,
        )
    elif acao == "*" and creds:
        found.add(
            Status.FAIL,
            f"The backend answers {origin} with Access-Control-Allow-Origin * and credentials, "
            "which browsers refuse.",
            CORS_FIX,
        )
    elif acao not in (origin, "*"):
        found.add(
            Status.FAIL,
            f"The backend answers {origin} with Access-Control-Allow-Origin {acao}, so browsers "
            "block the frontend's API calls.",
            CORS_FIX,
        )
    elif not 200 <= resp.status_code < 300:
        found.add(
            Status.FAIL,
            f"The preflight from {origin} got {resp.status_code}; browsers need a 2xx answer.",
            CORS_FIX,
        )
    else:
        allowed = resp.headers.get("access-control-allow-headers", "").lower()
        if "*" not in allowed and "authorization" not in allowed:
            found.add(
                Status.WARN,
                f"The preflight from {origin} does not allow the Authorization header, so "
                "requests that carry a JWT are blocked.",
                "Let Flask-CORS allow the Authorization and Content-Type headers "
                "(`allow_headers=['Content-Type', 'Authorization']`).",
            )


def _judge_foreign(found: Findings, acao: str | None, creds: bool) -> None:
    if acao not in (FOREIGN_ORIGIN, "*"):
        return  # none, or a fixed origin that does not match: browsers refuse the foreign site
    what = "reflects any origin into" if acao == FOREIGN_ORIGIN else "sends * as"
    risk = (
        "so any website can call the API as the logged-in user and read the answers "
        "(credentials theft)"
        if creds
        else "so any website can call the API from a visitor's browser and read the answers"
    )
    found.add(
        Status.FAIL,
        f"The backend {what} Access-Control-Allow-Origin"
        + (" with credentials" if creds else "")
        + f", {risk}.",
        CORS_FIX,
    )
