"""How the app looks, at 80x24 and 120x40, dark, light and without color.

The checks are the shipped ones (ids, titles, sections); their verdicts are fixed.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest
from textual.pilot import Pilot

from launchtui.core.config import Settings
from launchtui.core.registry import default_registry
from launchtui.tui.app import LaunchApp
from tests.tui.demo import VERDICTS, demo_registry
from tests.tui.helpers import settle

Snap = Callable[..., bool]


@pytest.fixture
def color(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NO_COLOR", raising=False)


def demo_app() -> LaunchApp:
    return LaunchApp(Settings(profile="production"), registry=demo_registry(), environ={})


def then(
    *steps: Callable[[Pilot[object]], Awaitable[None]],
) -> Callable[[Pilot[object]], Awaitable[None]]:
    async def run(pilot: Pilot[object]) -> None:
        await settle(pilot)
        for step in steps:
            await step(pilot)
        await settle(pilot)

    return run


async def light(pilot: Pilot[object]) -> None:
    pilot.app.theme = "textual-light"


async def rerun_the_database_probe(pilot: Pilot[object]) -> None:
    """Four re-runs after the launch: five round trips for the sparkline."""
    app = pilot.app
    assert isinstance(app, LaunchApp)
    app.checklist.select_check("db.connect")
    for _ in range(4):
        await pilot.press("r")
        await settle(pilot)


def test_the_demo_gives_every_shipped_check_a_verdict_and_no_other() -> None:
    assert set(VERDICTS) == default_registry().ids()
    demo = demo_registry()
    for real in default_registry():
        shown = demo[real.id]
        assert (shown.section, shown.title, shown.kind) == (real.section, real.title, real.kind)


def test_checklist_80x24(snap_compare: Snap, color: None) -> None:
    assert snap_compare(demo_app(), terminal_size=(80, 24), run_before=then())


def test_checklist_120x40(snap_compare: Snap, color: None) -> None:
    assert snap_compare(demo_app(), terminal_size=(120, 40), run_before=then())


def test_checklist_light_80x24(snap_compare: Snap, color: None) -> None:
    assert snap_compare(demo_app(), terminal_size=(80, 24), run_before=then(light))


def test_live_check_with_latency_120x40(snap_compare: Snap, color: None) -> None:
    run_before = then(rerun_the_database_probe)
    assert snap_compare(demo_app(), terminal_size=(120, 40), run_before=run_before)


def test_help_80x24(snap_compare: Snap, color: None) -> None:
    assert snap_compare(
        demo_app(), terminal_size=(80, 24), run_before=then(), press=["question_mark"]
    )


def test_no_color_80x24(snap_compare: Snap) -> None:
    # The suite's conftest sets NO_COLOR=1: greys only, the glyphs carry the meaning.
    assert snap_compare(demo_app(), terminal_size=(80, 24), run_before=then())
