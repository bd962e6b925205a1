"""Regenerate screenshots/*.svg from the real app, over a fixed demo checklist.

    python scripts/screenshots.py

Deterministic: the demo checks return fixed verdicts, the history lives in a
throwaway data dir, and nothing on screen shows a clock.
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
from collections.abc import Awaitable, Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from textual.pilot import Pilot  # noqa: E402

from launchtui.core.config import Settings  # noqa: E402
from launchtui.tui.app import LaunchApp  # noqa: E402
from tests.tui.demo import demo_registry  # noqa: E402
from tests.tui.helpers import settle  # noqa: E402

OUT = ROOT / "screenshots"
Step = Callable[[Pilot[object]], Awaitable[None]]


async def nothing(pilot: Pilot[object]) -> None:
    pass


async def database_detail(pilot: Pilot[object]) -> None:
    """The live database probe, re-run a few times so its latency sparkline has a shape."""
    app = pilot.app
    assert isinstance(app, LaunchApp)
    app.checklist.select_check("db.connect")
    for _ in range(11):
        await pilot.press("r")
        await settle(pilot)
    await pilot.press("right")


async def help_screen(pilot: Pilot[object]) -> None:
    await pilot.press("question_mark")


SHOTS: tuple[tuple[str, tuple[int, int], str, Step], ...] = (
    ("checklist-80x24-dark", (80, 24), "textual-dark", nothing),
    ("checklist-80x24-light", (80, 24), "textual-light", nothing),
    ("checklist-120x40-dark", (120, 40), "textual-dark", nothing),
    ("checklist-120x40-light", (120, 40), "textual-light", nothing),
    ("detail-120x40-dark", (120, 40), "textual-dark", database_detail),
    ("detail-80x24-light", (80, 24), "textual-light", database_detail),
    ("wide-160x45-dark", (160, 45), "textual-dark", nothing),
    ("help-80x24-dark", (80, 24), "textual-dark", help_screen),
)


async def shoot(size: tuple[int, int], theme: str, step: Step) -> str:
    app = LaunchApp(Settings(profile="production"), registry=demo_registry(jitter=True), environ={})
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        app.theme = theme
        await step(pilot)
        await pilot.pause()
        return app.export_screenshot(title="launchtui")


def main() -> None:
    os.environ.pop("NO_COLOR", None)
    OUT.mkdir(exist_ok=True)
    for name, size, theme, step in SHOTS:
        with tempfile.TemporaryDirectory() as data:
            # A fresh, private history per shot: no earlier run shows through.
            os.environ["XDG_DATA_HOME"] = data
            os.environ["XDG_STATE_HOME"] = data
            svg = asyncio.run(shoot(size, theme, step))
        (OUT / f"{name}.svg").write_text(svg, encoding="utf-8")
        print(f"screenshots/{name}.svg")


if __name__ == "__main__":
    main()
