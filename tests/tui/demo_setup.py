"""The setup screen in a fixed project folder, its URLs answered by fixed words: the same
screen every time, for the snapshot. (The real judgements are tested against real
servers in test_setup_screen.py and test_first_run.py.)"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from launchtui.core.config import Settings
from launchtui.core.setup import Judgement
from launchtui.tui.app import LaunchApp
from launchtui.tui.screens.setup import SetupScreen
from tests.tui.demo import demo_registry

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
ANSWERS = {
    "https://shop.example.com": Judgement("ok", "answers HTTP 200 in 84 ms"),
    "https://api.shop.example.com": Judgement("ok", "answers HTTP 404 in 132 ms"),
}


def make_project(root: Path) -> Path:
    """A checkout as the users have it: the backend, the frontend, their env files."""
    project = root / "shop"
    shutil.copytree(FIXTURES / "backend_good", project / "backend")
    (project / "frontend").mkdir()
    env = project / ".env.production"
    env.write_text((FIXTURES / "env" / "production.env").read_text())
    env.chmod(0o600)
    (project / "frontend" / ".env.production").write_text(
        (FIXTURES / "env" / "frontend.production.env").read_text()
    )
    (project / ".env.example").write_text("SECRET_KEY=change-me\n")
    return project


class DemoSetup(SetupScreen):
    async def ask(self, key: str, text: str, ca_file: Path | None) -> Judgement:
        return ANSWERS.get(text, Judgement("warn", "no answer"))


class DemoApp(LaunchApp):
    def _setup_screen(self, *, first_run: bool = False) -> Any:
        return DemoSetup(first_run=first_run)


def demo_app() -> LaunchApp:
    return DemoApp(Settings(), registry=demo_registry(), environ={}, first_run=True)
