"""Renderings of a run for the CLI and CI: text, JSON, Markdown and JUnit XML."""

from __future__ import annotations

import json
import textwrap
from collections.abc import Callable, Sequence
from typing import Any
from xml.etree import ElementTree as ET

from launchtui import __version__
from launchtui.core.model import Result, RunFinished, Status, count_statuses
from launchtui.core.registry import SECTIONS

WIDTH = 80

_ANSI = {
    Status.PASS: "\x1b[32m",
    Status.WARN: "\x1b[33m",
    Status.FAIL: "\x1b[31m",
    Status.ERROR: "\x1b[35m",
    Status.SKIP: "\x1b[2m",
    Status.MANUAL: "\x1b[36m",
}
_BOLD, _DIM, _RESET = "\x1b[1m", "\x1b[2m", "\x1b[0m"


def readiness(results: Sequence[Result]) -> str:
    """One line for the whole run, like "17/21 ready, 2 warn, 2 fail"."""
    counts = count_statuses(list(results))
    ready = counts["pass"]
    total = len(results)
    parts = [f"{ready}/{total} ready"]
    for key in ("warn", "fail", "error", "skip", "manual"):
        if counts[key]:
            parts.append(f"{counts[key]} {key}")
    return ", ".join(parts)


def worst(results: Sequence[Result]) -> int:
    return max((r.status.rank for r in results), default=0)


def to_json(
    run: RunFinished, profile: str | None, *, scrub: Callable[[Any], Any] | None = None
) -> str:
    """The contract's JSON object; `scrub` cleans its values before they are encoded."""
    doc: dict[str, Any] = {
        "launchtui": __version__,
        "profile": profile,
        "started_at": run.started_at,
        "duration_ms": run.duration_ms,
        "summary": count_statuses(run.results),
        "results": [r.to_dict() for r in run.results],
    }
    if scrub is not None:  # on values, not on the encoded text, so escapes stay intact
        doc["results"] = scrub(doc["results"])
    return json.dumps(doc, indent=2, ensure_ascii=False)


def to_text(run: RunFinished, profile: str | None, *, color: bool = False) -> str:
    """Readable at 80 columns: a badge and id per check, its summary below; problems
    also get their evidence, the fix and the command."""

    def paint(code: str, s: str) -> str:
        return f"{code}{s}{_RESET}" if color else s

    lines: list[str] = []
    head = f"launchtui {__version__}"
    if profile:
        head += f" · profile {profile}"
    head += f" · {len(run.results)} checks in {run.duration_ms / 1000:.1f} s"
    lines.append(paint(_BOLD, head))
    for section, items in _by_section(run.results):
        lines.append("")
        lines.append(paint(_BOLD, f"{section} {SECTIONS.get(section, '')}".rstrip()))
        for r in items:
            badge = f"{r.status.glyph} {r.status.value.upper():<6}"
            lines.append(f"  {paint(_ANSI[r.status], badge)} {paint(_BOLD, r.id)}")
            lines.extend(_wrap(r.summary, _INDENT))
            if r.status in (Status.WARN, Status.FAIL, Status.ERROR):
                lines.extend(_details(r, paint))
    lines.append("")
    lines.append(paint(_BOLD, readiness(run.results)))
    return "\n".join(lines) + "\n"


_INDENT = " " * 11


def _wrap(text: str, indent: str, hang: str = "") -> list[str]:
    # URLs and host names stay whole unless they are longer than a line.
    return textwrap.wrap(
        text,
        WIDTH,
        initial_indent=indent,
        subsequent_indent=indent + hang,
        break_on_hyphens=False,
    ) or [indent]


def _details(r: Result, paint: Any) -> list[str]:
    out: list[str] = []
    for k, v in r.evidence.items():
        out.extend(paint(_DIM, line) for line in _wrap(f"· {k}: {v}", _INDENT, "    "))
    if r.remediation:
        out.extend(_wrap(f"fix: {r.remediation}", _INDENT, "     "))
    if r.command:
        out.append(_INDENT + "run: " + paint(_BOLD, r.command))
    return out


def _by_section(results: Sequence[Result]) -> list[tuple[str, list[Result]]]:
    groups: dict[str, list[Result]] = {}
    for r in results:
        groups.setdefault(r.section, []).append(r)
    order = list(SECTIONS)
    return sorted(groups.items(), key=lambda kv: order.index(kv[0]) if kv[0] in order else 99)


def _md_escape(s: str) -> str:
    return s.replace("|", "\\|").replace("\n", " ")


def to_markdown(
    run: RunFinished,
    profile: str | None,
    *,
    signoffs: dict[str, tuple[str, str]] | None = None,
) -> str:
    """A sign-off report: a table per section, then the fixes for what is not ready.

    `signoffs` maps a check id to (who, when) for items a person confirmed.
    """
    signoffs = signoffs or {}
    out = ["# Pre-launch sign-off", ""]
    out.append(f"- launchtui {__version__}")
    out.append(f"- profile: {profile or '(none)'}")
    out.append(f"- run started: {run.started_at}")
    out.append(f"- result: **{readiness(run.results)}**")
    out.append("")
    for section, items in _by_section(run.results):
        out.append(f"## {section} {SECTIONS.get(section, '')}".rstrip())
        out.append("")
        out.append("| | check | status | summary | signed off |")
        out.append("|---|---|---|---|---|")
        for r in items:
            who = signoffs.get(r.id)
            signed = f"{who[0]} at {who[1]}" if who else ""
            out.append(
                f"| {r.status.glyph} | `{r.id}` | {r.status.value} | {_md_escape(r.summary)} "
                f"| {_md_escape(signed)} |"
            )
        out.append("")
    todo = [r for r in run.results if r.status.rank > 0]
    if todo:
        out.append("## To fix before launch")
        out.append("")
        for r in todo:
            out.append(f"### `{r.id}`: {r.status.value}")
            out.append("")
            out.append(r.summary)
            out.append("")
            for k, v in r.evidence.items():
                out.append(f"- {k}: {v}")
            if r.evidence:
                out.append("")
            if r.remediation:
                out.append(f"**Fix:** {r.remediation}")
                out.append("")
            if r.command:
                out.extend(["```sh", r.command, "```", ""])
    return "\n".join(out).rstrip() + "\n"


def to_junit(run: RunFinished, profile: str | None) -> str:
    counts = count_statuses(run.results)
    suite = ET.Element(
        "testsuite",
        name=f"launchtui{':' + profile if profile else ''}",
        tests=str(len(run.results)),
        failures=str(counts["fail"]),
        errors=str(counts["error"]),
        skipped=str(counts["skip"] + counts["manual"]),
        time=f"{run.duration_ms / 1000:.3f}",
        timestamp=run.started_at,
    )
    for r in run.results:
        case = ET.SubElement(
            suite,
            "testcase",
            classname=f"launchtui.{r.section}",
            name=r.id,
            time=f"{r.duration_ms / 1000:.3f}",
        )
        text = "\n".join(
            [r.summary, *(f"{k}: {v}" for k, v in r.evidence.items())]
            + ([f"fix: {r.remediation}"] if r.remediation else [])
            + ([f"run: {r.command}"] if r.command else [])
        )
        if r.status is Status.FAIL:
            ET.SubElement(case, "failure", message=r.summary).text = text
        elif r.status is Status.ERROR:
            ET.SubElement(case, "error", message=r.summary).text = text
        elif r.status in (Status.SKIP, Status.MANUAL):
            ET.SubElement(case, "skipped", message=r.summary)
        else:
            ET.SubElement(case, "system-out").text = text
    ET.indent(suite)
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(suite, encoding="unicode") + "\n"
    )
