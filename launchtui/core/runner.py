"""The async runner: every check concurrently, a timeout each, needs respected, events out."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import re
import time
import traceback
from collections.abc import AsyncIterator, Iterable

from launchtui.core.context import Context
from launchtui.core.model import (
    MISSING_INPUT,
    CheckFinished,
    CheckStarted,
    Event,
    Result,
    RunFinished,
    RunStarted,
    Status,
    Verdict,
)
from launchtui.core.registry import Check, Registry

log = logging.getLogger("launchtui.runner")

# Statuses of a needed check that let the dependent check run.
_GOOD = (Status.PASS, Status.WARN)


def utc_now() -> str:
    return dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


class UnknownCheckError(ValueError):
    """`--only` named an id that is not registered."""

    def __init__(self, unknown: str, suggestions: list[str]) -> None:
        hint = f" Did you mean {', '.join(suggestions)}?" if suggestions else ""
        super().__init__(f"Unknown check id {unknown!r}.{hint}")
        self.unknown = unknown
        self.suggestions = suggestions


def select(registry: Registry, only: Iterable[str] | None) -> tuple[list[Check], set[str]]:
    """The checks to run (what was asked, plus what it needs) and the ids to report."""
    if not only:
        checks = list(registry)
        return checks, {c.id for c in checks}
    asked = list(dict.fromkeys(only))
    for cid in asked:
        if cid not in registry:
            raise UnknownCheckError(cid, registry.closest(cid))
    return registry.closure(asked), set(asked)


# Terminal control characters (C0 but tab and newline, DEL, C1) and bidi overrides.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def _inert(text: str) -> str:
    """Text with control characters shown as escapes: input echoed in a verdict cannot drive
    the terminal (clear it, retitle it, reorder it) nor hide in a copied command."""
    if not isinstance(text, str):
        return text
    return _CONTROL.sub(lambda m: m[0].encode("unicode_escape").decode("ascii"), text)


def _finish(check: Check, verdict: Verdict, started: float, ctx: Context) -> Result:
    def scrub(text: str) -> str:
        return _inert(ctx.redactor.scrub(text))

    return Result(
        id=check.id,
        section=check.section,
        title=check.title,
        status=verdict.status,
        summary=scrub(verdict.summary),
        evidence={scrub(k): scrub(v) for k, v in verdict.evidence.items()},
        remediation=scrub(verdict.remediation),
        command=scrub(verdict.command) if verdict.command else None,
        duration_ms=int((time.perf_counter() - started) * 1000),
        kind=check.kind,
        facts=verdict.facts,
    )


async def run_one(check: Check, ctx: Context) -> Result:
    """Run a single check with its timeout; any exception becomes an `error` verdict."""
    started = time.perf_counter()
    if check.id in ctx.settings.silence:
        where = f" in {ctx.settings.config_path}" if ctx.settings.config_path else ""
        verdict = Verdict(Status.SKIP, f"Silenced by the profile's `silence` list{where}.")
        return _finish(check, verdict, started, ctx)
    blocked = [
        dep for dep in check.needs if (r := ctx.results.get(dep)) is None or r.status not in _GOOD
    ]
    if blocked:
        why = ", ".join(
            f"{d} ({ctx.results[d].status})" if d in ctx.results else d for d in blocked
        )
        # A dependency skipped for a missing input: this check waits on the same input.
        missing = tuple(
            dict.fromkeys(
                key
                for d in blocked
                if d in ctx.results
                for key in ctx.results[d].facts.get(MISSING_INPUT, ())
            )
        )
        summary = f"Skipped: needs {why} to pass first."
        if missing:
            from launchtui.core.config import input_sources

            summary = f"Skipped: needs {why} to pass first, which needs {input_sources(missing)}."
        verdict = Verdict(Status.SKIP, summary, facts={MISSING_INPUT: missing} if missing else {})
        return _finish(check, verdict, started, ctx)
    try:
        verdict = await asyncio.wait_for(check.fn(ctx), timeout=check.timeout)
        if not isinstance(verdict, Verdict):
            raise TypeError(f"check returned {type(verdict).__name__}, not a Verdict")
    except TimeoutError:
        verdict = Verdict(
            Status.ERROR,
            f"The check did not finish within its {check.timeout:g} s budget.",
            remediation="Re-run it; if it keeps timing out, report it as a launchtui bug.",
        )
    except asyncio.CancelledError:
        raise
    except Exception as exc:
        # Scrubbed here with the run's own secrets: a log filter may not know them all yet.
        log.error("check %s crashed\n%s", check.id, ctx.redactor.scrub(traceback.format_exc()))
        verdict = Verdict(
            Status.ERROR,
            f"launchtui could not run this check: {type(exc).__name__}: {exc}",
            remediation="This is a launchtui bug; the log has the details.",
        )
    return _finish(check, verdict, started, ctx)


async def stream(
    registry: Registry,
    ctx: Context,
    only: Iterable[str] | None = None,
) -> AsyncIterator[Event]:
    """Run checks concurrently and yield events as they happen."""
    checks, reported = select(registry, only)
    order = [c.id for c in checks if c.id in reported]
    started_at = utc_now()
    t0 = time.perf_counter()
    queue: asyncio.Queue[Event | None] = asyncio.Queue()
    done: dict[str, asyncio.Event] = {c.id: asyncio.Event() for c in checks}

    async def drive(check: Check) -> None:
        try:
            for dep in (*check.needs, *check.after):
                if dep in done:
                    await done[dep].wait()
            if check.id in reported:
                queue.put_nowait(CheckStarted(check.id))
            result = await run_one(check, ctx)
            ctx.results[check.id] = result
            if check.id in reported:
                queue.put_nowait(CheckFinished(result))
        finally:
            done[check.id].set()

    yield RunStarted(tuple(order), started_at)
    tasks = [asyncio.create_task(drive(c), name=f"check:{c.id}") for c in checks]

    async def close_when_done() -> None:
        await asyncio.gather(*tasks, return_exceptions=True)
        queue.put_nowait(None)

    closer = asyncio.create_task(close_when_done())
    try:
        while (event := await queue.get()) is not None:
            yield event
    finally:
        for t in (*tasks, closer):
            t.cancel()
    results = tuple(ctx.results[cid] for cid in order if cid in ctx.results)
    yield RunFinished(results, started_at, int((time.perf_counter() - t0) * 1000))


async def run(
    registry: Registry,
    ctx: Context,
    only: Iterable[str] | None = None,
) -> RunFinished:
    """Run checks and return the final event (all results, in registry order)."""
    final: RunFinished | None = None
    async for event in stream(registry, ctx, only):
        if isinstance(event, RunFinished):
            final = event
    assert final is not None
    return final
