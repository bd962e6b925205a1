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
    """The shipped runbooks whose modules exist, by name, in section order."""
    found: dict[str, Runbook] = {}
    for name, module in MODULES.items():
        try:
            mod = importlib.import_module(f"launchtui.runbooks.{module}")
        except ModuleNotFoundError as exc:
            if exc.name != f"launchtui.runbooks.{module}":
                raise
            continue
        found[name] = mod.RUNBOOK
    return found


def for_section(section: str) -> Runbook | None:
    """The runbook of an incident section (4.1 to 4.4), if it exists."""
    return next((r for r in default_runbooks().values() if r.section == section), None)
