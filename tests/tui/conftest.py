"""TUI test parts: a loopback HTTP server that holds its answer, and a registry of real checks."""

from __future__ import annotations

import threading
import time
import urllib.request
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from launchtui.core.config import Settings
from launchtui.core.context import Context
from launchtui.core.model import Verdict, failed, manual, passed
from launchtui.core.registry import Registry
from launchtui.tui.app import LaunchApp

STRONG_KEY = "9f2c4e6a8b0d1f3e5a7c9b1d3f5e7a9c2b4d6f8e0a1c3e5b7d9f1a3c5e7b9d1f"


class HeldServer:
    """A real HTTP server on 127.0.0.1 that answers each GET only when released.

    It counts requests, the answers it gave, and the most requests it held at once.
    """

    def __init__(self, *, hold: float = 3.0) -> None:
        self.hold = hold  # the longest a request waits for `release()`
        self.requests = 0
        self.answered = 0
        self.in_flight = 0
        self.max_in_flight = 0
        self.released = threading.Event()
        self.changed = threading.Condition()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                with outer.changed:
                    outer.requests += 1
                    outer.in_flight += 1
                    outer.max_in_flight = max(outer.max_in_flight, outer.in_flight)
                    outer.changed.notify_all()
                outer.released.wait(outer.hold)
                body = b"ok"
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
                with outer.changed:
                    outer.in_flight -= 1
                    outer.answered += 1
                    outer.changed.notify_all()

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/health"
        self._thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def release(self) -> None:
        self.released.set()

    def wait_for(self, predicate: object, timeout: float = 10.0) -> bool:
        """Block (in a thread) until `predicate(self)` holds."""
        with self.changed:
            return self.changed.wait_for(lambda: predicate(self), timeout)  # type: ignore[operator]

    def __enter__(self) -> HeldServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def held_server() -> Iterator[HeldServer]:
    """Holds each answer until released (at most 8 s, within the probe's 10 s timeout): a
    slow live probe whose answer the test controls, so a busy machine cannot release it."""
    with HeldServer(hold=8.0) as server:
        yield server


@pytest.fixture
def quick_server() -> Iterator[HeldServer]:
    """Answers at once."""
    with HeldServer(hold=0.0) as server:
        server.release()
        yield server


def make_registry(url: str) -> Registry:
    """Three real checks: one reads SECRET_KEY from the env file, one calls `url`, one is manual."""
    registry = Registry()

    @registry.check("env.secret_key", section="1.1", title="SECRET_KEY is strong")
    async def secret_key(ctx: Context) -> Verdict:
        value = ctx.secret("SECRET_KEY")
        if value is None:
            return failed("SECRET_KEY is not set, so Flask cannot sign sessions.")
        if len(value) < 32:
            return failed(
                "SECRET_KEY is too short to resist guessing.",
                {"length": len(value)},
                remediation="Set SECRET_KEY to a fresh random value.",
                command="openssl rand -hex 32",
            )
        return passed("SECRET_KEY is long and random-looking.", {"length": len(value)})

    @registry.check("https.backend", section="3.3", title="The backend answers", kind="live")
    async def backend(ctx: Context) -> Verdict:
        started = time.perf_counter()
        body = await ctx.to_thread(_fetch, url)
        latency = int((time.perf_counter() - started) * 1000)
        evidence = {"url": url, "server": "[werkzeug] looks like markup"}
        return passed(f"The backend answered {body!r}.", evidence, facts={"latency_ms": latency})

    @registry.check("backup.media", section="2.3", title="Media inventory is offsite")
    async def media(ctx: Context) -> Verdict:
        return manual("Confirm that the media inventory is stored offsite.")

    return registry


def _fetch(url: str) -> str:
    with urllib.request.urlopen(url, timeout=10) as response:
        return response.read().decode()


@pytest.fixture
def env_file(tmp_path: Path) -> Path:
    path = tmp_path / ".env.production"
    path.write_text("SECRET_KEY=Tr0ub4dor\n", encoding="utf-8")
    return path


@pytest.fixture
def settings(env_file: Path) -> Settings:
    return Settings(profile="production", env_file=env_file)


def make_app(settings: Settings, url: str, **kwargs: object) -> LaunchApp:
    return LaunchApp(settings, registry=make_registry(url), environ={}, **kwargs)  # type: ignore[arg-type]
