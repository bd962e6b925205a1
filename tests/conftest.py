"""Test-wide isolation: every test gets its own config, data, state and cache dirs."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _isolated_user_dirs(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    base = tmp_path_factory.mktemp("xdg")
    for var in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME"):
        d = base / var.lower()
        d.mkdir()
        monkeypatch.setenv(var, str(d))
    monkeypatch.setenv("NO_COLOR", "1")


# Real servers for the probe tests: a private TLS MariaDB, loopback HTTPS sites,
# and a loopback Cloudinary Admin API; and the real Cloudinary SDK's URL reading.
pytest_plugins = [
    "tests.servers.mariadb",
    "tests.servers.https",
    "tests.servers.cloudinary_api",
    "tests.servers.s3",
    "tests.cloudinary_sdk",
]
