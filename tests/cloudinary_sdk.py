"""The real Cloudinary SDK's own reading of a CLOUDINARY_URL, to hold our parser against."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

SdkConfig = Callable[[str], Any]


@pytest.fixture
def sdk_config(monkeypatch: pytest.MonkeyPatch) -> Iterator[SdkConfig]:
    """`sdk_config(url)`: the SDK's config, read from CLOUDINARY_URL as the backend's SDK reads it."""
    import cloudinary

    def load(url: str) -> Any:
        monkeypatch.delenv("CLOUDINARY_CLOUD_NAME", raising=False)
        monkeypatch.setenv("CLOUDINARY_URL", url)
        cloudinary.reset_config()
        return cloudinary.config()

    yield load
    monkeypatch.delenv("CLOUDINARY_URL", raising=False)
    cloudinary.reset_config()
