"""Each healthy runbook end to end against its slowest single probe, on loopback servers.

The same healthy stack as bench/sweep.py (a private TLS MariaDB behind a slow link,
HTTPS frontend and backend sites and a Cloudinary API that answer each request one round
trip late), then, median of --rounds, for each runbook of launchtui/runbooks:
  - one pass of the runbook, as `launchtui runbook NAME` runs it (run_runbook on a fresh
    Context), which must end with the verdict `none`;
  - each network probe its steps run, alone on a fresh Context, called as the step calls
    it: db-down runs the layered DB probe, then db.saturation's own connection;
    frontend-down the layered probe of `/`, then frontend.bundle's fetch of the build;
    api-500 the layered probe of the health URL, then GET health, the CORS preflight and
    the debugger probes, beside the layered DB probe; images-broken the Admin API ping,
    then the usage report, beside the sample asset (list one, fetch it).
Independent steps run at once, so a healthy runbook should take about its slowest
probe (goal: about 1x, as the runbook issue and the README say); a probe that must
wait for another (it needs that layer first) adds its time on top.

    .venv/bin/python bench/runbook.py [--delay-ms 100] [--rounds 3]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import textwrap
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from sweep import Stack, healthy_stack  # noqa: E402

from launchtui.core.config import Settings  # noqa: E402
from launchtui.core.context import Context  # noqa: E402
from launchtui.core.model import Status, Verdict  # noqa: E402
from launchtui.core.runbooks import RunbookFinished, run_runbook  # noqa: E402
from launchtui.runbooks import default_runbooks  # noqa: E402

Probe = Callable[[Context], Awaitable[None]]


class Unhealthy(Exception):
    """A probe or a runbook did not pass on the healthy stack: its time would mean nothing."""


def _passed(v: Verdict, what: str) -> None:
    if v.status not in (Status.PASS, Status.WARN):
        raise Unhealthy(f"{what}: {v.status}: {v.summary}")


# -- the probes, each called as its runbook step calls it -------------------------------


def _db_target(ctx: Context) -> tuple[Any, Any]:
    from launchtui.checks.database import backend_database

    parsed = backend_database(ctx)
    if isinstance(parsed, Verdict):
        raise Unhealthy(f"DATABASE_URL: {parsed.summary}")
    return parsed


async def db_layered(ctx: Context) -> None:
    """db.config's parse, then the layered probe (dns, tcp, tls, auth, SELECT 1)."""
    from launchtui.probes.database import PROBE_BUDGET_S, probe_database

    url, intent = await ctx.to_thread(_db_target, ctx)
    probe = await ctx.to_thread(probe_database, url, intent, PROBE_BUDGET_S)
    if not probe.ok:
        raise Unhealthy(f"database probe: {probe.summary}")


async def db_saturation(ctx: Context) -> None:
    """db-down's probe: the layered probe, then db.saturation's reads on its connection."""
    from launchtui.probes.database import PROBE_BUDGET_S, probe_database
    from launchtui.runbooks.db_down import read_saturation

    url, intent = await ctx.to_thread(_db_target, ctx)
    probe = await ctx.to_thread(
        lambda: probe_database(url, intent, PROBE_BUDGET_S, then=read_saturation)
    )
    if not probe.ok or probe.then is None or probe.then["max"] is None:
        raise Unhealthy(f"database probe with db.saturation's reads: {probe.summary}")


def web_layered(url_of: Callable[[Settings], str]) -> Probe:
    """The layered probe (dns, tcp, tls, http) the config step starts, of one URL."""

    async def run(ctx: Context) -> None:
        from launchtui.checks.web import tls_for
        from launchtui.probes.layered import probe_url
        from launchtui.runbooks.web_layers import PROBE_BUDGET_S

        url = url_of(ctx.settings)
        probe = await probe_url(
            url,
            ca_file=ctx.settings.ca_file,
            run_blocking=ctx.to_thread,
            budget=PROBE_BUDGET_S,
            verify=await tls_for(ctx),
        )
        if not probe.ok:
            raise Unhealthy(f"layered probe of {url}: {probe.failed_layer} failed")

    return run


def _frontend_root(s: Settings) -> str:
    from launchtui.probes.http import parse_site_url

    return parse_site_url(s.frontend_url or "").at("/")


def _health(s: Settings) -> str:
    from launchtui.probes.http import parse_site_url

    return parse_site_url(s.backend_url or "").at(s.health_path)


async def frontend_bundle(ctx: Context) -> None:
    """frontend.bundle: index.html, its module scripts, VITE_API_URL in them."""
    from launchtui.checks.frontend_bundle import frontend_bundle as check

    _passed(await check(ctx), "frontend.bundle")


async def api_health(ctx: Context) -> None:
    """api.health's GET of the health URL, on its own client."""
    from launchtui.checks.web import tls_for
    from launchtui.probes import http as probe
    from launchtui.runbooks.api_500 import BODY_CAP

    url = _health(ctx.settings)
    async with probe.client(ctx.settings.ca_file, verify=await tls_for(ctx)) as http:
        resp, _body, _cut = await probe.read_capped(http, "GET", url, cap=BODY_CAP)
    if resp.status_code >= 400:
        raise Unhealthy(f"GET {url}: {resp.status_code}")


async def api_cors(ctx: Context) -> None:
    """api.cors's preflight from the frontend's origin, on its own client."""
    from launchtui.checks.web import tls_for
    from launchtui.probes import http as probe
    from launchtui.runbooks.api_500 import frontend_origin

    url = _health(ctx.settings)
    headers = {
        "Origin": frontend_origin(ctx) or "",
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type, authorization",
    }
    async with probe.client(ctx.settings.ca_file, verify=await tls_for(ctx)) as http:
        resp = await http.options(url, headers=headers)
    if not resp.headers.get("access-control-allow-origin"):
        raise Unhealthy(f"preflight to {url}: no Access-Control-Allow-Origin")


async def api_debugger(ctx: Context) -> None:
    """security.debugger, which api.debugger runs: four requests at once."""
    from launchtui.checks.security import security_debugger

    _passed(await security_debugger(ctx), "security.debugger")


async def cloudinary_ping(ctx: Context) -> None:
    """cloudinary.ping: the check cloudinary.api, an authenticated Admin API ping."""
    from launchtui.checks.cloudinary import cloudinary_api

    _passed(await cloudinary_api(ctx), "cloudinary.api")


async def cloudinary_quota(ctx: Context) -> None:
    """cloudinary.quota: the usage report."""
    from launchtui.checks.cloudinary import cloudinary_quota as check

    _passed(await check(ctx), "cloudinary.quota")


async def cloudinary_asset(ctx: Context) -> None:
    """cloudinary.asset: list the newest image, fetch it from its delivery URL."""
    from launchtui.checks.cloudinary import _load
    from launchtui.probes.cloudinary import API_BUDGET_S
    from launchtui.runbooks.images_broken import _sample

    cfg = _load(ctx)
    if isinstance(cfg, Verdict):
        raise Unhealthy(f"CLOUDINARY_URL: {cfg.summary}")
    seen = await ctx.to_thread(_sample, ctx, cfg, API_BUDGET_S)
    if "fetch" not in seen or not seen["fetch"].ok:
        raise Unhealthy(f"sample asset: {seen}")


# name -> (label, probe); labels short enough for a table row.
PROBES: dict[str, list[tuple[str, Probe]]] = {
    "frontend-down": [
        ("layered probe of /", web_layered(_frontend_root)),
        ("frontend.bundle fetch", frontend_bundle),
    ],
    "api-500": [
        ("layered probe of health", web_layered(_health)),
        ("GET health", api_health),
        ("CORS preflight", api_cors),
        ("debugger probes", api_debugger),
        ("layered DB probe", db_layered),
    ],
    "db-down": [
        ("layered DB probe", db_layered),
        ("layered DB probe + saturation reads", db_saturation),
    ],
    "images-broken": [
        ("Admin API ping", cloudinary_ping),
        ("usage report", cloudinary_quota),
        ("sample asset", cloudinary_asset),
    ],
}


# -- timing ----------------------------------------------------------------------------


async def _one_pass(name: str, stack: Stack) -> tuple[float, RunbookFinished]:
    """One pass on a fresh Context, as the CLI runs it; the seconds and the final event."""
    ctx = Context.build(stack.settings, environ=stack.environ)
    try:
        t0 = time.perf_counter()
        async for event in run_runbook(default_runbooks()[name], ctx):
            if isinstance(event, RunbookFinished):
                elapsed = time.perf_counter() - t0
                break
        else:
            raise AssertionError("run_runbook always ends with RunbookFinished")
    finally:
        ctx.close()
    if event.verdict.layer != "none":
        raise Unhealthy(f"{name} is not healthy: {event.verdict.layer}: {event.verdict.summary}")
    return elapsed, event


async def _alone(probe: Probe, stack: Stack) -> float:
    ctx = Context.build(stack.settings, environ=stack.environ)
    try:
        t0 = time.perf_counter()
        await probe(ctx)
        return time.perf_counter() - t0
    finally:
        ctx.close()


@dataclass
class RunbookTiming:
    name: str
    runbook: float = 0.0  # median seconds of a whole pass
    probes: dict[str, float] = field(default_factory=dict)  # label -> median seconds alone
    steps: dict[str, int] = field(default_factory=dict)  # step id -> ms, in the last pass
    error: str | None = None

    @property
    def slowest_label(self) -> str:
        return max(self.probes, key=self.probes.__getitem__)

    @property
    def slowest(self) -> float:
        return self.probes[self.slowest_label]

    @property
    def ratio(self) -> float:
        return self.runbook / self.slowest


def measure(delay_ms: float = 100.0, rounds: int = 3) -> list[RunbookTiming]:
    """Every runbook and each of its probes, `rounds` times, after one warm-up of each."""
    out = {name: RunbookTiming(name) for name in PROBES}
    passes: dict[str, list[float]] = {name: [] for name in PROBES}
    alone: dict[str, dict[str, list[float]]] = {
        n: {lbl: [] for lbl, _ in p} for n, p in PROBES.items()
    }
    with healthy_stack(delay_ms / 1000) as stack:
        for i in range(rounds + 1):  # round 0 warms imports, TLS files and servers
            for name, probes in PROBES.items():
                timing = out[name]
                if timing.error is not None:
                    continue
                try:
                    elapsed, finished = asyncio.run(_one_pass(name, stack))
                    singles = [(lbl, asyncio.run(_alone(p, stack))) for lbl, p in probes]
                except Exception as exc:
                    timing.error = f"{type(exc).__name__}: {exc}"
                    continue
                if i == 0:
                    continue
                passes[name].append(elapsed)
                for lbl, t in singles:
                    alone[name][lbl].append(t)
                timing.steps = {r.id: r.duration_ms for r in finished.steps}
    for name, timing in out.items():
        if timing.error is None:
            timing.runbook = statistics.median(passes[name])
            timing.probes = {lbl: statistics.median(v) for lbl, v in alone[name].items()}
    return list(out.values())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--delay-ms", type=float, default=100.0, help="added round trip per hop")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    results = measure(args.delay_ms, args.rounds)
    print(f"healthy runbooks, added round trip: {args.delay_ms:g} ms, median of {args.rounds}")
    failed = 0
    for t in results:
        print()
        if t.error is not None:
            print(f"{t.name}: not measured: {t.error}")
            failed += 1
            continue
        print(f"{t.name}: one pass {t.runbook * 1000:.0f} ms")
        steps = ", ".join(f"{sid} {ms}" for sid, ms in t.steps.items())
        print(textwrap.fill(f"(steps of the last pass, ms: {steps})", 80, initial_indent="  ",
                            subsequent_indent="  "))  # fmt: skip
        for label, s in sorted(t.probes.items(), key=lambda kv: -kv[1]):
            print(f"  {label:<26} alone {s * 1000:6.0f} ms")
        print(f"  runbook / slowest probe    {t.ratio:.2f}x  (goal about 1x)")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
