"""What the web runbooks (4.1, 4.2) share: one layered probe of a site, read step by step.

The runbook's config step starts `probe_url` once and hands it to the DNS, TCP and TLS
steps through its facts. Each of those steps waits only for its own layer (the probe
reports layers as they finish), so every step's time is its layer's time, not the whole
probe's, and a layer the probe never reached is skipped naming the step that broke.
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Mapping

from launchtui.checks.web import site_url, tls_for
from launchtui.core.context import Context
from launchtui.core.model import (
    Verdict,
    errored,
    failed,
    passed,
    skipped,
    warned,
)
from launchtui.core.registry import INCIDENT_STEPS, Registry
from launchtui.core.runbooks import LayerFutures, link_lines
from launchtui.probes.http import SiteURL
from launchtui.probes.layered import LayeredProbe, Step, probe_url

# The layered probe's whole budget: under the steps' own timeouts, so a hung site gets a
# named layer from the probe rather than a generic "did not finish" from the runner.
PROBE_BUDGET_S = 9.0
# Each runbook step's own timeout (the runner's), above what it waits on.
STEP_TIMEOUT_S = 10.0
# Under this many days left the certificate still works, but say so.
CERT_WARN_DAYS = 7

LAYER_NAMES = {"dns": "DNS", "tcp": "TCP", "tls": "TLS", "http": "HTTP"}


class LayerWatch:
    """One running `probe_url`, with a future per layer that resolves as that layer ends."""

    LAYERS = ("dns", "tcp", "tls", "http")

    def __init__(self, url: str) -> None:
        self.url = url
        self._layers: LayerFutures[Step] = LayerFutures(self.LAYERS)
        self.probe: LayeredProbe | None = None
        self.error: str | None = None  # why the probe itself could not run (a launchtui bug)
        self.task: asyncio.Task[None] | None = None

    def start(self, ctx: Context) -> None:
        self.task = asyncio.ensure_future(self._run(ctx))

    def _seen(self, step: Step) -> None:
        self._layers.seen(step.layer, step)

    async def _run(self, ctx: Context) -> None:
        try:
            self.probe = await probe_url(
                self.url,
                ca_file=ctx.settings.ca_file,
                run_blocking=ctx.to_thread,
                budget=PROBE_BUDGET_S,
                verify=await tls_for(ctx),
                on_step=self._seen,
            )
        except Exception as exc:
            # Kept for the steps to report: nobody awaits this task's own exception.
            self.error = f"{type(exc).__name__}: {exc}"
        finally:
            # Layers the probe never reached (it stopped earlier, or was cancelled): None.
            self._layers.end()

    async def layer(self, name: str) -> Step | None:
        """This layer's step once the probe has done it; None when the probe stopped before."""
        return await self._layers.layer(name)


async def unusable_ca(ctx: Context) -> Verdict | None:
    """The config fail when --ca-file cannot be loaded (every TLS layer would need it)."""
    try:
        await tls_for(ctx)
    except (OSError, ssl.SSLError) as exc:
        return failed(
            f"The CA bundle {ctx.settings.ca_file} cannot be loaded ({exc}), so no TLS "
            "certificate can be verified.",
            remediation="Pass --ca-file with a readable PEM bundle (profile key ca_file), or "
            "leave it out to use the system bundle.",
        )
    return None


async def https_site(
    ctx: Context, url: str | None, role: str, *, no_url: str, plain_http: tuple[str, str]
) -> SiteURL | Verdict:
    """The site a config step probes: its URL given, usable, https, and a CA that loads;
    else the failure that stops the runbook there. `no_url` is the fix for a missing URL;
    `plain_http` what a plain-http URL breaks (ending the summary) and its fix."""
    if not url:
        return failed(f"No {role} URL is set, so there is nothing to probe.", remediation=no_url)
    site = site_url(ctx, url, role)
    if isinstance(site, Verdict):
        return site
    if site.scheme != "https":
        breaks, fix = plain_http
        return failed(
            f"The {role} URL {site.url} is plain http{breaks}",
            {"url": site.url},
            remediation=fix,
        )
    if (bad_ca := await unusable_ca(ctx)) is not None:
        return bad_ca
    return site


def start_watch(ctx: Context, site: SiteURL, path: str) -> LayerWatch:
    """Start the layered probe of `path` on the site; the config step keeps it in its facts."""
    watch = LayerWatch(site.at(path))
    watch.start(ctx)
    return watch


def watch_of(ctx: Context, config_id: str) -> LayerWatch | None:
    watch = ctx.fact(config_id, "watch")
    return watch if isinstance(watch, LayerWatch) else None


async def layer_verdict(
    ctx: Context, config_id: str, layer: str, role: str, fixes: Mapping[str, str]
) -> Verdict:
    """The verdict of one layer of the site's probe (the runner already skipped it when the
    layer before did not pass)."""
    watch = watch_of(ctx, config_id)
    if watch is None:
        return skipped(f"Skipped: {config_id} did not start a probe of the {role}.")
    step = await watch.layer(layer)
    if step is None and watch.error:
        return errored(f"launchtui could not probe the {role}: {watch.error}.")
    if step is None:
        if layer == "tls":
            return passed(f"The {role} URL is plain http, so there is no TLS to check.")
        return skipped(f"Skipped: the probe of the {role} stopped before the {layer} layer.")
    evidence = {**step.evidence, "layer time": f"{step.duration_ms} ms"}
    if not step.ok:
        return failed(step.summary, evidence, remediation=fixes.get(layer, ""), facts=step.facts)
    days = step.facts.get("days_left") if layer == "tls" else None
    if days is not None and days < CERT_WARN_DAYS:
        return warned(
            f"The certificate verifies but expires in {max(int(days), 0)} days; renew it now "
            "before it takes the site down.",
            evidence,
            remediation=fixes.get("expiring", ""),
            facts=step.facts,
        )
    return passed(step.summary, evidence, facts=step.facts)


def checklist_next(ctx: Context, section: str, keys: tuple[str, ...], command: str) -> list[str]:
    """The checklist's own step, the console links the profile has, and the log command."""
    step, _all_keys = INCIDENT_STEPS[section]
    have = tuple(k for k in keys if ctx.settings.links.get(k))
    return [step, *link_lines(ctx.settings, have or keys), f"Read the logs: `{command}`."]


# What each layer step proves, in its title: "The backend's name resolves".
_LAYER_TITLES = {
    "dns": "The {role}'s name resolves",
    "tcp": "The {role} accepts connections",
    "tls": "The {role}'s certificate verifies",
}


def add_layer_steps(
    steps: Registry, prefix: str, role: str, section: str, fixes: Mapping[str, str]
) -> None:
    """Register `<prefix>.dns`, `.tcp` and `.tls`: each layer of the config step's probe.

    Each needs the config step and the layers below it, so a skip names the first one
    that broke; each waits only for its own layer of the one probe the config step began.
    """
    config = f"{prefix}.config"
    below = [config]
    for layer in ("dns", "tcp", "tls"):

        async def step(ctx: Context, layer: str = layer) -> Verdict:
            return await layer_verdict(ctx, config, layer, role, fixes)

        step.__doc__ = f"The {layer} layer of the {role}'s layered probe."
        steps.check(
            f"{prefix}.{layer}",
            section=section,
            title=_LAYER_TITLES[layer].format(role=role),
            kind="live",
            needs=tuple(below),
            timeout=STEP_TIMEOUT_S,
        )(step)
        below.append(f"{prefix}.{layer}")
