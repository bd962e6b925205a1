"""The layered URL probe: DNS, TCP, TLS, then HTTP, stopping at the first layer that breaks."""

from __future__ import annotations

import asyncio
import functools
import socket
import ssl
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from launchtui.probes.http import (
    CHECK_BUDGET,
    CONNECT_TIMEOUT,
    ProbeError,
    SiteURL,
    client,
    describe_error,
    parse_site_url,
)
from launchtui.probes.tls import CertInfo, cert_evidence, fetch_certificate

RunBlocking = Callable[..., Awaitable[Any]]


@dataclass(frozen=True)
class Step:
    """One layer of a layered probe: what was tried, whether it worked, the evidence."""

    layer: str  # dns, tcp, tls, http
    ok: bool
    summary: str
    evidence: Mapping[str, str] = field(default_factory=dict)
    duration_ms: int = 0
    facts: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class LayeredProbe:
    url: str
    steps: tuple[Step, ...]

    @property
    def failed_layer(self) -> str | None:
        """The first layer that broke, or None when every layer answered."""
        return next((s.layer for s in self.steps if not s.ok), None)

    @property
    def ok(self) -> bool:
        return self.failed_layer is None


async def probe_url(
    url: str,
    *,
    ca_file: Path | None = None,
    expect: Callable[[int], bool] = lambda status: status < 400,
    run_blocking: RunBlocking = asyncio.to_thread,
    budget: float = CHECK_BUDGET,
    verify: ssl.SSLContext | None = None,
    on_step: Callable[[Step], None] | None = None,
) -> LayeredProbe:
    """DNS, TCP, TLS (verify + days left), then HTTP status; stops at the first broken layer.

    `verify` is the HTTP layer's TLS context (from `tls_for`, built off the event loop);
    `on_step` sees each layer as soon as it is done, so a caller can show progress.
    """
    try:
        site = parse_site_url(url)
    except ValueError as exc:
        return LayeredProbe(url, (Step("config", False, f"{url!r} is not a usable URL: {exc}."),))
    http_step = functools.partial(_http_step, verify=verify)
    layers = {"dns": _dns_step, "tcp": _tcp_step, "tls": _tls_step, "http": http_step}
    deadline = asyncio.get_running_loop().time() + budget
    steps: list[Step] = []
    for name, layer in layers.items():
        t0 = time.perf_counter()
        try:
            async with asyncio.timeout_at(deadline):
                step = await layer(site, ca_file, expect, run_blocking)
        except TimeoutError:
            step = Step(name, False, f"The probe ran out of its {budget:g} s budget at {name}.")
        if step is None:
            continue
        steps.append(replace(step, duration_ms=int((time.perf_counter() - t0) * 1000)))
        if on_step is not None:
            on_step(steps[-1])
        if not step.ok:
            break
    return LayeredProbe(site.url, tuple(steps))


async def _dns_step(site: SiteURL, *_: Any) -> Step:
    loop = asyncio.get_running_loop()
    try:
        infos = await asyncio.wait_for(
            loop.getaddrinfo(site.host, site.port, type=socket.SOCK_STREAM), CONNECT_TIMEOUT
        )
    except TimeoutError:
        return Step("dns", False, f"{site.host} did not resolve within {CONNECT_TIMEOUT:g} s.")
    except OSError as exc:
        return Step("dns", False, f"{site.host} does not resolve ({exc}).")
    addrs = sorted({str(i[4][0]) for i in infos})
    return Step(
        "dns",
        True,
        f"{site.host} resolves to {', '.join(addrs[:3])}.",
        {"addresses": ", ".join(addrs)},
        facts={"addresses": addrs},
    )


async def _tcp_step(site: SiteURL, *_: Any) -> Step:
    where = f"{site.host}:{site.port}"
    try:
        _reader, writer = await asyncio.wait_for(
            asyncio.open_connection(site.host, site.port), CONNECT_TIMEOUT
        )
    except TimeoutError:
        return Step("tcp", False, f"{where} did not accept a connection in {CONNECT_TIMEOUT:g} s.")
    except OSError as exc:
        return Step(
            "tcp", False, f"{where} refused or dropped the connection ({exc.strerror or exc})."
        )
    writer.close()
    return Step("tcp", True, f"{where} accepts connections.")


async def _tls_step(
    site: SiteURL, ca_file: Path | None, _expect: Any, run_blocking: RunBlocking
) -> Step | None:
    if site.scheme != "https":
        return None
    try:
        cert: CertInfo = await run_blocking(fetch_certificate, site.host, site.port, ca_file)
    except ProbeError as exc:
        return Step("tls", False, f"TLS fails: {exc}.")
    evidence = cert_evidence(cert)
    facts = {"days_left": cert.days_left(), "verified": cert.verified}
    if not cert.verified:
        return Step("tls", False, f"TLS fails: {cert.explain()}.", evidence, facts=facts)
    days = cert.days_left()
    left = f", expires in {int(days)} days" if days is not None else ""
    return Step(
        "tls", True, f"The certificate verifies ({cert.tls_version}{left}).", evidence, facts=facts
    )


async def _http_step(
    site: SiteURL,
    ca_file: Path | None,
    expect: Callable[[int], bool],
    _rb: Any,
    *,
    verify: ssl.SSLContext | None = None,
) -> Step:
    async with client(ca_file, verify=verify) as http:
        try:
            resp = await http.get(site.url)
        except Exception as exc:
            err = describe_error(exc, site.url)
            return Step("http", False, f"HTTP fails: {err}.")
    ok = expect(resp.status_code)
    evidence = {"status": str(resp.status_code)}
    if resp.headers.get("server"):
        evidence["server"] = resp.headers["server"]
    verb = "answers" if ok else "answers with an error:"
    return Step(
        "http",
        ok,
        f"GET {site.url} {verb} {resp.status_code}.",
        evidence,
        facts={"status": resp.status_code},
    )
