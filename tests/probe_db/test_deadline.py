"""The probe's budget is a hard deadline, even against a server that drips bytes."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterator

import pytest

from launchtui.probes.database import probe_database
from launchtui.probes.dburl import intended_tls, parse_database_url


@pytest.fixture
def dripping_server() -> Iterator[int]:
    """Accepts, announces a 1000-byte greeting, then sends one byte of it every 0.2 s:
    each of the client's read timeouts restarts, forever."""
    srv = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()

    def serve() -> None:
        conn, _ = srv.accept()
        with conn, contextlib.suppress(OSError):
            conn.sendall((1000).to_bytes(3, "little") + b"\x00")  # packet length, sequence
            end = time.monotonic() + 8  # bounded, so a probe without a deadline fails, not hangs
            while not stop.wait(0.2) and time.monotonic() < end:
                conn.sendall(b"\x00")

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield srv.getsockname()[1]
    stop.set()
    srv.close()
    thread.join(timeout=5)


def test_a_server_that_drips_bytes_is_cut_off_at_the_budget(dripping_server: int) -> None:
    url = parse_database_url(f"mysql+pymysql://app:pw@127.0.0.1:{dripping_server}/appdb?ssl_ca=x")
    started = time.perf_counter()
    probe = probe_database(url, intended_tls(url), budget_s=1.5)
    elapsed = time.perf_counter() - started
    assert elapsed < 1.5 + 1.0
    assert probe.layer == "tls"
    assert "time budget" in probe.summary or "within" in probe.summary, probe.summary
