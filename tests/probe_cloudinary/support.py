"""Helpers shared by the Cloudinary probe tests."""

from __future__ import annotations

from launchtui.core.model import Result, RunFinished

# Canary credentials: digits like a real API key, a secret no output may ever contain.
CANARY_KEY = "918273645546372"
CANARY_SECRET = "CanarySecret-x9Q2vT7wLm4P"


def only_result(final: RunFinished, check_id: str) -> Result:
    """The one reported result with this id."""
    found = [r for r in final.results if r.id == check_id]
    assert len(found) == 1, [r.id for r in final.results]
    return found[0]


def env_for(url: str) -> dict[str, str]:
    """A backend environment holding only CLOUDINARY_URL."""
    return {"CLOUDINARY_URL": url}
