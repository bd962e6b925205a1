"""A whole sweep imports no heavy client library on the event loop's thread."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent.parent / "fixtures"
# Each takes 30-300 ms to import: on the loop that stalls every other probe's timing.
HEAVY = ("sqlalchemy", "pymysql", "alembic", "cloudinary", "httpx", "urllib3", "cryptography")

# Runs in a fresh interpreter, so nothing is imported yet; an audit hook sees every import.
SWEEP = """
import asyncio, json, sys, threading
from pathlib import Path

heavy, seen, on = set(json.loads(sys.argv[1])), set(), [False]
loop_thread = threading.main_thread()

def hook(event, args):
    if event == "import" and on[0] and threading.current_thread() is loop_thread:
        if args[0].split(".")[0] in heavy:
            seen.add(args[0].split(".")[0])

sys.addaudithook(hook)
from launchtui.core.config import Settings
from launchtui.core.context import Context
from launchtui.core.registry import default_registry
from launchtui.core.runner import run

dead, backend, backups, *silence = sys.argv[2:]
settings = Settings(
    backend_dir=Path(backend), frontend_url=dead, backend_url=dead,
    backup_dir=Path(backups), silence=frozenset(silence),
)
ctx = Context.build(settings, environ={
    "DATABASE_URL": "mysql+pymysql://app:pw@127.0.0.1:1/appdb?ssl_ca=/x.pem",
    "CLOUDINARY_URL": "cloudinary://123:abc@demo?upload_prefix=http://127.0.0.1:1",
    "CORS_ORIGINS": "https://app.example.com",
    "PATH": "/usr/bin:/bin",
})

async def sweep():
    on[0] = True
    try:
        return await run(default_registry(), ctx)
    finally:
        on[0] = False

final = asyncio.run(sweep())
ctx.close()
print(json.dumps({"on_loop": sorted(seen), "ran": len(final.results)}))
"""


@pytest.fixture
def dead_url() -> Iterator[str]:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))  # bound, never listening: connections are refused
    yield f"https://127.0.0.1:{sock.getsockname()[1]}"
    sock.close()


@pytest.mark.parametrize("silence", [(), ("env.database_url",)], ids=["all", "url-silenced"])
def test_a_sweep_imports_no_heavy_library_on_the_loop_thread(
    dead_url: str, tmp_path: Path, silence: tuple[str, ...]
) -> None:
    args = [json.dumps(HEAVY), dead_url, str(FIXTURES / "backend_good"), str(tmp_path), *silence]
    p = subprocess.run(
        [sys.executable, "-c", SWEEP, *args], capture_output=True, text=True, timeout=60
    )
    assert p.returncode == 0, p.stderr
    out = json.loads(p.stdout.strip().splitlines()[-1])
    assert out["ran"] > 20
    assert out["on_loop"] == []
