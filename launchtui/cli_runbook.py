"""`launchtui runbook NAME [--format text|json] [--watch]`: an incident, probed layer by layer.

Text fits 80 columns; JSON is the contract's one object; `--watch` prints the first pass,
then one line per step whose status changes, until ctrl+c prints the timeline.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import textwrap
from typing import IO, Any

from launchtui.core.config import ConfigError

WATCH_INTERVAL_S = 5.0  # from the end of one pass to the start of the next
EXIT_OK, EXIT_BROKEN = 0, 1


def add_parser(sub: Any, add_inputs: Any) -> None:
    p = sub.add_parser(
        "runbook",
        help="probe an incident layer by layer and name the broken one (section 4)",
        description="Runbooks: frontend-down (4.1), api-500 (4.2), db-down (4.3), "
        "images-broken (4.4). Exit 0 only when every layer probed is healthy.",
    )
    p.add_argument("name", metavar="NAME", help="frontend-down, api-500, db-down, images-broken")
    p.add_argument("--format", choices=("text", "json"), default="text", help="default: text")
    p.add_argument(
        "--watch",
        action="store_true",
        help="re-probe every few seconds and print each change until ctrl+c",
    )
    add_inputs(p, suppress=True)


def _runbook(name: str) -> Any:
    from launchtui.runbooks import default_runbooks

    runbooks = default_runbooks()
    if name not in runbooks:
        known = ", ".join(runbooks) or "none"
        raise ConfigError(f"There is no runbook {name!r}; the runbooks are: {known}.")
    return runbooks[name]


def _wrap(text: str, indent: str, width: int = 80) -> str:
    return textwrap.fill(
        text, width=width, initial_indent=indent, subsequent_indent=" " * len(indent)
    )


def render_text(finished: Any, title: str) -> str:
    """One pass as 80-column text: the steps, then the verdict and what to do next."""
    lines = [f"launchtui runbook {finished.runbook}: {title} ({finished.duration_ms} ms)", ""]
    for r in finished.steps:
        head = f"{r.status.glyph} {r.status.value:<5} {r.id:<22} {r.duration_ms:>6} ms"
        lines.append(head)
        lines.append(_wrap(r.summary, "    "))
    v = finished.verdict
    lines += ["", _wrap(f"Verdict: {v.layer}. {v.summary}", "")]
    if v.next:
        lines.append("Next:")
        lines += [_wrap(n, "  - ") for n in v.next]
    return "\n".join(lines) + "\n"


async def _one_pass(runbook: Any, settings: Any, redactor: Any = None) -> Any:
    from launchtui.core.context import Context
    from launchtui.core.runbooks import RunbookFinished, run_runbook

    ctx = Context.build(settings)
    if redactor is not None:
        redactor.add_env(ctx.env)
    try:
        async for event in run_runbook(runbook, ctx):
            if isinstance(event, RunbookFinished):
                return event, ctx
    finally:
        ctx.close()
    raise AssertionError("run_runbook always ends with RunbookFinished")


def cmd_runbook(args: argparse.Namespace, settings: Any, out: IO[str] | None = None) -> int:
    """Run the runbook once (or watch it); the exit code."""
    out = out or sys.stdout
    runbook = _runbook(args.name)
    if args.watch:
        return _watch(runbook, settings, args.format, out)
    finished, ctx = asyncio.run(_one_pass(runbook, settings))
    if args.format == "json":
        out.write(json.dumps(finished.to_dict(ctx.redactor.scrub_any)) + "\n")
    else:
        out.write(ctx.redactor.scrub(render_text(finished, runbook.title)))
    out.flush()
    return EXIT_OK if finished.verdict.layer == "none" else EXIT_BROKEN


def _watch(runbook: Any, settings: Any, fmt: str, out: IO[str]) -> int:
    """Passes that never overlap; a line per change, flushed at once; ctrl+c: the timeline.

    The whole watch is one event loop, whose ctrl+c handler (a kill raises SIGINT) cancels
    it: a loop a pass made for itself took ctrl+c as an exception in its own set-up, which
    printed "Exception ignored" and a traceback.
    """
    from launchtui.core.runbooks import Timeline
    from launchtui.core.secrets import Redactor

    redactor = Redactor()
    timeline = Timeline(runbook.name, runbook.title)
    last = None

    def say(text: str) -> None:
        out.write(redactor.scrub(text) + "\n")
        out.flush()

    async def watch() -> None:
        nonlocal last
        finished, _ctx = await _one_pass(runbook, settings, redactor)
        last = finished
        timeline.observe(finished)
        first = (
            json.dumps(finished.to_dict(redactor.scrub_any))
            if fmt == "json"
            else render_text(finished, runbook.title)
        )
        say(first.rstrip("\n"))
        while True:
            await asyncio.sleep(WATCH_INTERVAL_S)
            finished, _ctx = await _one_pass(runbook, settings, redactor)
            last = finished
            for line in timeline.observe(finished):
                say(line)

    try:
        asyncio.run(watch())
    except KeyboardInterrupt:
        out.write("\n" + redactor.scrub(timeline.to_markdown(last)))
        out.flush()
    return EXIT_OK
