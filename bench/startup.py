"""Time to first paint: launchtui against a minimal Textual app, on this machine.

Each sample is a fresh process, timed by this script from spawn until the app's
first frame is on screen (Textual's Ready event; headless, 80x24). Prints both
medians and their ratio:

    python bench/startup.py [--runs N]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

READY = "first-paint"


def minimal_app() -> None:
    from textual.app import App, ComposeResult
    from textual.widgets import Footer, Label

    class Minimal(App[None]):
        def compose(self) -> ComposeResult:
            yield Label("Hello")
            yield Footer()

        def on_ready(self) -> None:
            print(READY, flush=True)
            self.exit()

    Minimal().run(headless=True, size=(80, 24))


def launchtui_app() -> None:
    # The same imports and work as `launchtui` with no arguments (cli.main -> run_app).
    from textual import events

    from launchtui.cli import main  # noqa: F401
    from launchtui.core.config import load_settings
    from launchtui.tui.app import LaunchApp

    class FirstPaint(LaunchApp):
        def on_ready(self, event: events.Ready) -> None:
            event.prevent_default()  # measure the paint, not the checks that start after it
            print(READY, flush=True)
            self.exit()

    FirstPaint(load_settings({})).run(headless=True, size=(80, 24))


def sample(which: str, env: dict[str, str]) -> float:
    """Seconds from spawning a process to its first paint."""
    t0 = time.perf_counter()
    with subprocess.Popen(
        [sys.executable, __file__, "--child", which],
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    ) as proc:
        assert proc.stdout is not None
        for line in proc.stdout:
            if line.strip() == READY:
                elapsed = time.perf_counter() - t0
                break
        else:
            raise SystemExit(f"{which} exited without painting (exit code {proc.wait()})")
        proc.wait()
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--child", choices=("minimal", "launchtui"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child == "minimal":
        return minimal_app()
    if args.child == "launchtui":
        return launchtui_app()

    with tempfile.TemporaryDirectory() as home:
        # A throwaway data dir: the bench must not touch the user's history.
        env = {**os.environ, **{v: home for v in ("XDG_DATA_HOME", "XDG_STATE_HOME")}}
        sample("minimal", env)  # warm the OS file cache for both
        sample("launchtui", env)
        times: dict[str, list[float]] = {"minimal": [], "launchtui": []}
        for _ in range(args.runs):
            for which in times:
                times[which].append(sample(which, env))
    minimal = statistics.median(times["minimal"]) * 1000
    launch = statistics.median(times["launchtui"]) * 1000
    print(f"minimal Textual app: first paint in {minimal:.0f} ms (median of {args.runs})")
    print(f"launchtui:           first paint in {launch:.0f} ms (median of {args.runs})")
    print(f"ratio:               {launch / minimal:.2f}x")


if __name__ == "__main__":
    main()
