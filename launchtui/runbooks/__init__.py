"""Incident runbooks (checklist section 4): each module defines one `Runbook` as RUNBOOK.

`default_runbooks()` lists them by name, in section order. See `launchtui.core.runbooks`
for what a runbook is and how a pass runs.
"""

from __future__ import annotations

import importlib

from launchtui.core.runbooks import Runbook

# name -> module, in section order (4.1 to 4.4).
MODULES = {
    "frontend-down": "frontend_down",
    "api-500": "api_500",
    "db-down": "db_down",
    "images-broken": "images_broken",
}


def default_runbooks() -> dict[str, Runbook]:
    """The shipped runbooks, by name, in section order."""
    return {
        name: importlib.import_module(f"launchtui.runbooks.{module}").RUNBOOK
        for name, module in MODULES.items()
    }


def for_section(section: str) -> Runbook | None:
    """The runbook of an incident section (4.1 to 4.4), if it exists."""
    return next((r for r in default_runbooks().values() if r.section == section), None)
