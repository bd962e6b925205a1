"""Helpers shared by the Cloudinary probe tests."""

from __future__ import annotations

# Canary credentials: digits like a real API key, a secret no output may ever contain.
CANARY_KEY = "918273645546372"
CANARY_SECRET = "CanarySecret-x9Q2vT7wLm4P"


def env_for(url: str) -> dict[str, str]:
    """A backend environment holding only CLOUDINARY_URL."""
    return {"CLOUDINARY_URL": url}
