"""The live web checks never block the event loop, even with a large --ca-file to load."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from launchtui.core.model import Status
from tests.probe_http.support import run_check
from tests.servers.https import Certs, ServeFn, flask_backend

SYSTEM_BUNDLE = Path("/etc/ssl/certs/ca-certificates.crt")
# Loading a CA bundle this big takes OpenSSL several hundred milliseconds.
COPIES = 20
# Far above a healthy loop's longest pause, far below one bundle load.
MAX_PAUSE_S = 0.3


async def _longest_pause(task: asyncio.Task[object]) -> float:
    """The longest time the loop did not run a 10 ms heartbeat while `task` ran."""
    longest = 0.0
    last = time.perf_counter()
    while not task.done():
        await asyncio.sleep(0.01)
        now = time.perf_counter()
        longest = max(longest, now - last - 0.01)
        last = now
    return longest


async def test_web_checks_load_the_ca_bundle_off_the_event_loop(
    serve: ServeFn, https_certs: Certs, tmp_path: Path
) -> None:
    big = tmp_path / "big-bundle.pem"
    big.write_bytes(SYSTEM_BUNDLE.read_bytes() * COPIES + https_certs.ca_file.read_bytes())
    back = serve(flask_backend())
    for check_id in ("security.debugger", "https.backend"):
        task = asyncio.ensure_future(run_check(check_id, backend_url=back.url, ca_file=big))
        pause = await _longest_pause(task)
        result = task.result()
        assert result.status in (Status.PASS, Status.WARN), result
        assert pause < MAX_PAUSE_S, f"{check_id} blocked the event loop for {pause:.2f} s"
