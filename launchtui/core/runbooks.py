"""Incident runbooks: ordered steps over probes, and a verdict that names the broken layer.

A runbook's steps are checks in a registry of their own (stable ids like `db.tcp`,
`needs` to skip what a broken layer makes pointless, a timeout each), so the same runner
runs them concurrently and streams the same events. When every step has reported, the
runbook's `verdict` function reads the results and names the most likely broken layer,
why, and what to do next.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Generic, Literal, TypeVar

from launchtui.core.model import Event, Result, RunFinished, Status

S = TypeVar("S")

if TYPE_CHECKING:
    from launchtui.core.config import Settings
    from launchtui.core.context import Context
    from launchtui.core.registry import Registry

Layer = Literal[
    "config", "dns", "tcp", "tls", "auth", "query", "http", "cors", "quota", "asset", "none"
]
LAYERS: tuple[str, ...] = (
    "config", "dns", "tcp", "tls", "auth", "query", "http", "cors", "quota", "asset", "none",
)  # fmt: skip

# Every runbook ends within this, whatever the fault (its steps' own timeouts are shorter).
RUNBOOK_BUDGET_S = 45.0


class LayerFutures(Generic[S]):
    """A future per layer of one layered probe: each resolves with that layer's step as soon
    as the probe is past it, or with None once the probe has ended without reaching it. The
    runbook steps of the layers each wait for their own, not for the whole probe."""

    def __init__(self, layers: Iterable[str]) -> None:
        self._loop = asyncio.get_running_loop()
        self._futures: dict[str, asyncio.Future[S | None]] = {
            name: self._loop.create_future() for name in layers
        }

    def seen(self, layer: str, step: S | None) -> None:
        fut = self._futures.get(layer)
        if fut is not None and not fut.done():
            fut.set_result(step)

    def seen_from_thread(self, layer: str, step: S) -> None:
        """`seen`, called from the thread a blocking probe runs in."""
        self._loop.call_soon_threadsafe(self.seen, layer, step)

    def end(self) -> None:
        """The probe is over: the layers it never reached resolve with None."""
        for name in self._futures:
            self.seen(name, None)

    async def layer(self, name: str) -> S | None:
        return await asyncio.shield(self._futures[name])


@dataclass(frozen=True)
class RunbookVerdict:
    """The most likely broken layer, one sentence of why, and what to do next."""

    layer: Layer
    summary: str
    next: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {"layer": self.layer, "summary": self.summary, "next": list(self.next)}


VerdictFn = Callable[["Context", Mapping[str, Result]], RunbookVerdict]
# The argv of the platform CLI that shows the logs (`vercel logs URL`), from the settings.
LogCommandFn = Callable[["Settings"], tuple[str, ...] | None]


@dataclass(frozen=True)
class Runbook:
    """One incident of checklist section 4: its steps, and how their results read."""

    name: str  # the CLI's NAME: frontend-down, api-500, db-down, images-broken
    section: str  # 4.1 .. 4.4
    title: str  # the checklist's words: "Frontend unreachable"
    steps: Registry
    verdict: VerdictFn
    log_command: LogCommandFn | None = None
    budget_s: float = RUNBOOK_BUDGET_S
    doc: str = field(default="", compare=False)


@dataclass(frozen=True)
class RunbookFinished:
    """The end of one pass of a runbook: every step's result and the verdict."""

    runbook: str
    started_at: str
    duration_ms: int
    steps: tuple[Result, ...]
    verdict: RunbookVerdict

    def to_dict(self, scrub: Callable[[Any], Any] = lambda x: x) -> dict[str, Any]:
        """The contract's `launchtui runbook NAME --format json` object."""
        return scrub(
            {
                "runbook": self.runbook,
                "started_at": self.started_at,
                "duration_ms": self.duration_ms,
                "steps": [
                    {
                        "id": r.id,
                        "title": r.title,
                        "status": str(r.status),
                        "summary": r.summary,
                        "evidence": dict(r.evidence),
                        "duration_ms": r.duration_ms,
                    }
                    for r in self.steps
                ],
                "verdict": self.verdict.to_dict(),
            }
        )


RunbookEvent = Event | RunbookFinished


async def run_runbook(runbook: Runbook, ctx: Context) -> AsyncIterator[RunbookEvent]:
    """One pass: the runner's events for every step, then RunbookFinished with the verdict.

    The whole pass is held to the runbook's budget; a step still running then is
    reported as an error that says so, and the verdict is made from what is known.
    """
    from launchtui.core.runner import stream, utc_now

    started_at, t0 = utc_now(), time.perf_counter()
    final: RunFinished | None = None
    try:
        async with asyncio.timeout(runbook.budget_s):
            async for event in stream(runbook.steps, ctx):
                if isinstance(event, RunFinished):
                    final = event
                else:
                    yield event
    except TimeoutError:
        final = None
    results = dict(ctx.results)
    for check in runbook.steps:
        if check.id not in results:
            results[check.id] = Result(
                id=check.id,
                section=check.section,
                title=check.title,
                status=Status.ERROR,
                summary=f"The step did not finish within the runbook's {runbook.budget_s:g} s.",
                kind=check.kind,
            )
    ordered = tuple(results[c.id] for c in runbook.steps)
    if final is not None:
        started_at = final.started_at
    verdict = runbook.verdict(ctx, results)
    scrubbed = RunbookVerdict(
        verdict.layer,
        ctx.redactor.scrub(verdict.summary),
        tuple(ctx.redactor.scrub(n) for n in verdict.next),
    )
    yield RunbookFinished(
        runbook.name, started_at, int((time.perf_counter() - t0) * 1000), ordered, scrubbed
    )


def first_failure(results: Mapping[str, Result], order: tuple[str, ...]) -> Result | None:
    """The first step, in `order`, that failed or errored: usually the broken layer."""
    for sid in order:
        r = results.get(sid)
        if r is not None and r.status in (Status.FAIL, Status.ERROR):
            return r
    return None


def link_lines(settings: Settings, keys: tuple[str, ...]) -> list[str]:
    """The profile's console links for these `[links]` keys, and one line on adding the
    others: "(set links.railway or links.render in the profile)"."""
    out = [f"Open {key}: {settings.links[key]}" for key in keys if settings.links.get(key)]
    missing = [f"links.{key}" for key in keys if not settings.links.get(key)]
    if missing:
        out.append(f"(set {' or '.join(missing)} in the profile)")
    return out


def _utc_clock() -> str:
    import datetime as dt

    return dt.datetime.now(dt.UTC).strftime("%H:%M:%S")


@dataclass
class Timeline:
    """What was seen and done during an incident, for the postmortem."""

    runbook: str
    title: str
    entries: list[tuple[str, str]] = field(default_factory=list)  # (HH:MM:SS UTC, text)
    last: dict[str, str] = field(default_factory=dict)  # step id -> status
    last_layer: str | None = None
    clock: Callable[[], str] = field(default_factory=lambda: _utc_clock, repr=False)

    def observe(self, finished: RunbookFinished) -> list[str]:
        """Record a pass; the lines of what changed (`03:02:11 db.tcp fail -> pass`)."""
        now, lines = self.clock(), []
        for r in finished.steps:
            was = self.last.get(r.id)
            if was is not None and was != str(r.status):
                lines.append(f"{now} {r.id} {was} -> {r.status}")
            self.last[r.id] = str(r.status)
        if finished.verdict.layer != self.last_layer:
            lines.append(f"{now} verdict: {finished.verdict.layer}: {finished.verdict.summary}")
            self.last_layer = finished.verdict.layer
        self.entries += [(line[:8], line[9:]) for line in lines]
        return lines

    def note(self, text: str) -> str:
        """A note typed by the on-call engineer."""
        line = f"{self.clock()} note: {text}"
        self.entries.append((line[:8], line[9:]))
        return line

    def add(self, text: str) -> str:
        """Something done or seen (a log command's last lines, say)."""
        line = f"{self.clock()} {text}"
        self.entries.append((line[:8], line[9:]))
        return line

    def to_markdown(self, finished: RunbookFinished | None = None) -> str:
        """The incident report: the verdict, the steps as last seen, and the timeline."""
        out = [f"# Incident: {self.title} (`launchtui runbook {self.runbook}`)", ""]
        if finished is not None:
            v = finished.verdict
            out += [f"**Verdict:** `{v.layer}`: {v.summary}", ""]
            if v.next:
                out += ["**Next steps:**", *[f"- {n}" for n in v.next], ""]
            out += ["## Steps, last pass", "", "| step | status | summary |", "|---|---|---|"]
            for r in finished.steps:
                summary = r.summary.replace("|", "\\|").replace("\n", " ")
                out.append(f"| `{r.id}` | {r.status} | {summary} |")
            out.append("")
        out += ["## Timeline (UTC)", ""]
        out += [f"- {when} {text}" for when, text in self.entries] or ["- (nothing recorded)"]
        return "\n".join(out) + "\n"
