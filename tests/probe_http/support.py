"""Run one check through the real runner against the loopback sites."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from launchtui.core.config import Settings
from launchtui.core.model import Result
from tests import runner


async def run_check(
    check_id: str, *, environ: Mapping[str, str] | None = None, **settings: Any
) -> Result:
    """The result of `check_id` for these settings and this explicit environment."""
    return await runner.run_check(check_id, environ, Settings(**settings))
