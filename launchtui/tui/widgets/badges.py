"""Status badges: a glyph and a word in the status's color, so they read with or without color."""

from __future__ import annotations

from textual.content import Content

from launchtui.core.model import Status
from launchtui.tui.board import Phase

STATUS_STYLE: dict[Status, str] = {
    Status.PASS: "$text-success",
    Status.WARN: "$text-warning",
    Status.FAIL: "$text-error",
    Status.ERROR: "$text-accent",
    Status.SKIP: "$text-muted",
    Status.MANUAL: "$text-primary",
}

SPINNER = "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏"


def badge(status: Status, *, stale: bool = False, pad: bool = True) -> Content:
    """`✘ fail` in the status's color; dimmed when it comes from the last recorded run."""
    style = STATUS_STYLE[status] + (" dim" if stale else " bold")
    word = f"{status.value:<6}" if pad else status.value
    return Content.styled(f"{status.glyph} {word}", style)


def phase_badge(phase: Phase, frame: int) -> Content:
    """The badge of a check that has no fresh result yet."""
    if phase is Phase.RUNNING:
        return Content.styled(f"{SPINNER[frame % len(SPINNER)]} check ", "$text-accent")
    if phase is Phase.QUEUED:
        return Content.styled("· queued", "$text-muted")
    return Content.styled("  ------", "$text-muted")


def glyph(status: Status) -> Content:
    return Content.styled(status.glyph, STATUS_STYLE[status] + " bold")


def counts_line(counts: dict[str, int], *, tight: bool = False) -> Content:
    """`✔ 5  ▲ 1  ✘ 1` (tight: `✔5 ▲1 ✘1`) for the statuses that occur."""
    parts: list[Content | str] = []
    for status in Status:
        n = counts.get(str(status), 0)
        if n:
            if parts:
                parts.append(" " if tight else "  ")
            text = f"{status.glyph}{n}" if tight else f"{status.glyph} {n}"
            parts.append(Content.styled(text, STATUS_STYLE[status]))
    return Content.assemble(*parts)
