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
# The words of the badges of checks without a fresh result.
RUNNING, QUEUED, IDLE = "check", "queued", "----"


def badge_word(status: Status | None, phase: Phase) -> str:
    """The word a row's badge shows, to size the badge column."""
    if phase is Phase.RUNNING:
        return RUNNING
    if phase is Phase.QUEUED:
        return QUEUED
    return status.value if status is not None else IDLE


def badge(status: Status, *, stale: bool = False, width: int = 0) -> Content:
    """`✘ fail` in the status's color; dimmed when it comes from the last recorded run.

    With a width, the word is padded to it and a space follows, inside the colored run.
    """
    style = STATUS_STYLE[status] + (" dim" if stale else " bold")
    return Content.styled(_column(status.glyph, status.value, width), style)


def phase_badge(phase: Phase, frame: int, *, width: int = 0) -> Content:
    """The badge of a check that has no fresh result yet."""
    if phase is Phase.RUNNING:
        return Content.styled(
            _column(SPINNER[frame % len(SPINNER)], RUNNING, width), "$text-accent"
        )
    if phase is Phase.QUEUED:
        return Content.styled(_column("·", QUEUED, width), "$text-muted")
    return Content.styled(_column(" ", IDLE, width), "$text-muted")


def _column(mark: str, word: str, width: int) -> str:
    # The padding stays inside the styled run: a run never starts with spaces.
    return f"{mark} {word:<{width}} " if width else f"{mark} {word}"


def glyph(status: Status) -> Content:
    return Content.styled(status.glyph, STATUS_STYLE[status] + " bold")


def counts_line(counts: dict[str, int]) -> Content:
    """`✔5 ▲1 ✘1` for the statuses that occur."""
    parts: list[Content | str] = []
    for status in Status:
        n = counts.get(str(status), 0)
        if n:
            if parts:
                parts.append(" ")
            parts.append(Content.styled(f"{status.glyph}{n}", STATUS_STYLE[status]))
    return Content.assemble(*parts)
