"""The detail panel: a check's verdict, evidence, fix, command, latency and sign-off."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.content import Content
from textual.widgets import Label, Sparkline, Static

from launchtui.core.model import MISSING_INPUT, Result
from launchtui.core.registry import SECTIONS
from launchtui.tui.actions import fix_command
from launchtui.tui.board import Board, Phase
from launchtui.tui.widgets.badges import badge, glyph

if TYPE_CHECKING:
    from rich.table import Table


# A `code` span in a summary or a fix: backticks around anything but a backtick or a newline.
_CODE = re.compile(r"`[^`\n]+`")


class CheckDetail(VerticalScroll):
    """Everything about the selected check, top to bottom in the order it is needed."""

    def __init__(self, board: Board, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.board = board
        self.check_id: str | None = None

    def compose(self) -> ComposeResult:
        yield Static(id="detail-head")
        yield Static(id="detail-summary")
        with Horizontal(id="detail-latency"):
            yield Label("Latency", classes="heading")
            yield Sparkline([], id="latency-sparkline")
            yield Label(id="latency-value")
        yield Label("Evidence", id="detail-evidence-label", classes="heading")
        yield Static(id="detail-evidence")
        yield Label("Fix", id="detail-fix-label", classes="heading")
        yield Static(id="detail-fix")
        yield Label("Command  [dim]c copies it[/]", id="detail-command-label", classes="heading")
        yield Static(id="detail-command")

    def on_mount(self) -> None:
        self.show(self.check_id)

    def show(self, cid: str | None) -> None:
        """Render a check (or nothing when the section is empty)."""
        if not self.is_mounted:  # shown on mount, once the parts exist
            self.check_id = cid
            return
        if cid != self.check_id:
            self.scroll_home(animate=False)
        self.check_id = cid
        if cid is None:
            self.border_title = None
            self._set("detail-head", Content.styled("Pick a check on the left.", "$text-muted"))
            for part in ("detail-summary", "detail-evidence", "detail-fix", "detail-command"):
                self._set(part, None)
            self.query_one("#detail-latency").display = False
            return
        board = self.board
        check = board.checks[cid]
        shown = board.shown(cid)
        self.border_title = cid
        self._set("detail-head", self._head(cid))
        self._set("detail-summary", prose(shown.summary) if shown else None)
        self._set("detail-evidence", _evidence(shown) if shown and shown.evidence else None)
        fix = shown.remediation if shown else ""
        missing = tuple(shown.facts.get(MISSING_INPUT, ())) if shown else ()
        if missing:  # an input is not given: the setup screen gives it
            from launchtui.core.config import input_sources

            give = f"Give launchtui {input_sources(missing)}: s opens the setup."
            fix = f"{give}\n{fix}" if fix else give
        self._set("detail-fix", prose(fix) if fix else None)
        runs = fix_command(cid) if fix and shown and shown.status.rank > 0 else None
        label = "Fix"
        if runs:
            label = f"Fix  [dim]f runs {runs}[/]"
        elif missing:
            label = "Fix  [dim]s opens the setup[/]"
        self.query_one("#detail-fix-label", Label).update(label)
        command = shown.command if shown else None
        self._set("detail-command", Content(command) if command else None)
        samples = list(board.latency.get(cid, ()))
        latency = self.query_one("#detail-latency")
        latency.display = check.kind == "live" and bool(samples)
        if samples:
            sparkline = self.query_one(Sparkline)
            # One sample has no trend: a sparkline of it would be one solid bar.
            sparkline.display = len(samples) > 1
            sparkline.data = samples
            self.query_one("#latency-value", Label).update(format_ms(samples[-1]))

    def _head(self, cid: str) -> Content:
        board = self.board
        check = board.checks[cid]
        shown = board.shown(cid)
        phase = board.phase(cid)
        lines: list[Content] = []
        title = Content.styled(check.title, "bold")
        lines.append(Content.assemble(badge(shown.status, width=1), title) if shown else title)
        lines.append(
            Content.styled(
                f"{check.section} {SECTIONS.get(check.section, '')} · {check.kind}", "$text-muted"
            )
        )
        if phase is Phase.RUNNING:
            lines.append(Content.styled("Checking now…", "$text-accent italic"))
        elif phase is Phase.QUEUED:
            lines.append(Content.styled("Waiting for the checks it needs…", "$text-muted italic"))
        if board.is_stale(cid):
            again = "" if phase is not Phase.IDLE else "; press r to check it again"
            lines.append(
                Content.styled(f"From the last recorded run{again}.", "$text-muted italic")
            )
        elif shown is None and phase is Phase.IDLE:
            lines.append(Content.styled("Not run yet: press r to run it.", "$text-muted italic"))
        was = board.changed_from(cid)
        if was is not None:
            lines.append(
                Content.assemble(
                    ("Changed since the last run: was ", "$text-warning"),
                    glyph(was),
                    (f" {was.value}", "$text-warning"),
                )
            )
        signed = board.signoffs.get(cid)
        if signed is not None:
            who, when = signed
            lines.append(Content.styled(f"✓ Signed off by {who} at {when}", "$text-success"))
        return Content("\n").join(lines)

    def _set(self, part: str, content: object) -> None:
        widget = self.query_one(f"#{part}", Static)
        widget.display = content is not None
        for label in self.query(f"#{part}-label"):
            label.display = content is not None
        if content is not None:
            widget.update(content)  # type: ignore[arg-type]


def _evidence(result: Result) -> Table:
    """Keys and values in two columns; long values fold under their own column."""
    from rich.table import Table
    from rich.text import Text

    table = Table.grid(padding=(0, 2))
    table.add_column(style="bold", no_wrap=True, max_width=24)
    table.add_column(overflow="fold")
    for key, value in result.evidence.items():
        table.add_row(Text(key), Text(value))  # Text, not str: `[client]` is data, not markup
    return table


def prose(text: str) -> Content:
    """A verdict's words, with `code` spans in bold so commands and values stand out."""
    parts: list[Content | tuple[str, str] | str] = []
    end = 0
    for match in _CODE.finditer(text):
        parts += [text[end : match.start()], (match[0], "bold")]
        end = match.end()
    parts.append(text[end:])
    return Content.assemble(*parts)


def format_ms(ms: float) -> str:
    """`38 ms`, or `0.4 ms` for a round trip too short for whole milliseconds."""
    return f"{ms:.1f} ms" if ms < 10 else f"{ms:.0f} ms"
