"""The app over the shipped checks (the default registry) and the fixture files."""

from __future__ import annotations

from pathlib import Path

from launchtui.core.config import Settings
from launchtui.core.registry import default_registry
from launchtui.tui.app import LaunchApp
from launchtui.tui.widgets.checklist import CheckList
from tests.tui.helpers import settle

FIXTURES = Path(__file__).parent.parent / "fixtures"


async def test_every_shipped_check_is_listed_with_a_verdict(tmp_path: Path) -> None:
    settings = Settings(
        profile="production",
        env_file=FIXTURES / "env" / "production.env",
        frontend_env_file=FIXTURES / "env" / "frontend.production.env",
        backend_dir=FIXTURES / "backend_good",
        backup_dir=tmp_path / "backups",
    )
    app = LaunchApp(settings, environ={})
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert app.board.loaded
        shown: list[str] = []
        await pilot.press("left")
        for _ in app.board.sections():
            items = app.checklist.query_one(CheckList)
            shown += [o.id for o in items.options if o.id is not None]
            await pilot.press("down")
        ids = default_registry().ids()
        assert sorted(shown) == sorted(ids)
        # Every check finished: a verdict, no spinner left behind.
        assert set(app.board.results) == ids
        assert not app.board.busy()
