"""Sample backend trees and a way to run one check on them through the real runner."""

from __future__ import annotations

import json
import shutil
import textwrap
from pathlib import Path

from launchtui.core.config import Settings
from launchtui.core.model import Result
from tests import runner

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
GOOD = FIXTURES / "backend_good"
BAD = FIXTURES / "backend_bad"

# Canary secrets: they must never show up in any output.
CANARY_SECRET_KEY = "canary-secret-key-7f3a9d0c41b2e85f6a7c9e1d3b5f7a9c"
CANARY_JWT = "canary-jwt-key-1e2d3c4b5a69788796a5b4c3d2e1f0a9"
CANARY_CLOUDINARY = "canary-cld-secret-Zq8Xw7Vu6Ts5"

# Every production variable the good backend reads, except DATABASE_URL: with it unset,
# env.database_url fails and db.connect (which pool.recycle waits for) skips at once.
PROD_ENV = {
    "SECRET_KEY": CANARY_SECRET_KEY,
    "JWT_SECRET_KEY": CANARY_JWT,
    "CLOUDINARY_URL": f"cloudinary://123456789012345:{CANARY_CLOUDINARY}@my-cloud",
    "CORS_ORIGINS": "https://app.example.com",
}


def copy_backend(src: Path, tmp_path: Path, name: str = "backend") -> Path:
    """A private copy of a fixture tree, safe to change."""
    dest = tmp_path / name
    shutil.copytree(src, dest, ignore=shutil.ignore_patterns("__pycache__"))
    return dest


def backend_with_config(tmp_path: Path, config: str | bytes, **files: str) -> Path:
    """A minimal backend dir: config.py (dedented) plus other files (`app__py=` for app.py)."""
    d = tmp_path / "backend"
    d.mkdir(exist_ok=True)
    if isinstance(config, bytes):
        (d / "config.py").write_bytes(config)
    else:
        (d / "config.py").write_text(textwrap.dedent(config), encoding="utf-8")
    for name, text in files.items():
        path = d / name.replace("__", ".")  # app__py -> app.py
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
    return d


async def run_check(
    check_id: str,
    backend_dir: Path | None,
    env: dict[str, str] | None = None,
) -> Result:
    """Run one check (and what it needs) through the real runner; return its result."""
    return await runner.run_check(check_id, env, Settings(backend_dir=backend_dir))


def everything(result: Result) -> str:
    """All the text a result can show anywhere, for leak assertions."""
    return json.dumps(result.to_dict()) + str(result.command)
