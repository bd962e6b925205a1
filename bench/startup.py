"""Start-up: launchtui's first paint, `--help` and a static `check`, against a minimal
Textual app's first paint, on this machine.

Each sample is a fresh process, timed by this script from spawn: until the app's first
frame is on screen (Textual's Ready event; headless, 80x24) for the two apps, until the
process exits for `launchtui --help` and for `launchtui check --only` of every static
check but pool.recycle (whose `after` would pull in the live db.connect) on the test
fixtures' backend and env files: a run that makes no network probe. Prints the medians
and each one's ratio to the minimal app's first paint (goal for the first paint: close
to 1x, as the TUI issue asks):

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
from dataclasses import dataclass
from pathlib import Path

READY = "first-paint"
ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures"
KINDS = ("minimal", "launchtui", "help", "check")


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


def static_ids() -> list[str]:
    """Every static check whose closure stays static (pool.recycle reads db.connect's)."""
    sys.path.insert(0, str(ROOT))
    from launchtui.core.registry import default_registry

    registry = default_registry()
    static = [c.id for c in registry if c.kind == "static"]
    return [cid for cid in static if all(c.kind == "static" for c in registry.closure([cid]))]


def check_argv(ids: list[str], backup_dir: Path) -> list[str]:
    return [
        sys.executable, "-m", "launchtui", "check", "--only", *ids,
        "--env-file", str(FIXTURES / "env" / "production.env"),
        "--frontend-env-file", str(FIXTURES / "env" / "frontend.production.env"),
        "--backend-dir", str(FIXTURES / "backend_good"),
        "--backup-dir", str(backup_dir),
    ]  # fmt: skip


def paint(which: str, env: dict[str, str], cwd: Path) -> float:
    """Seconds from spawning a process to its first paint."""
    t0 = time.perf_counter()
    with subprocess.Popen(
        [sys.executable, __file__, "--child", which],
        stdout=subprocess.PIPE,
        text=True,
        env=env,
        cwd=cwd,
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


def to_exit(argv: list[str], env: dict[str, str], cwd: Path) -> float:
    """Seconds from spawning a process until it has exited (with 0)."""
    t0 = time.perf_counter()
    proc = subprocess.run(argv, env=env, cwd=cwd, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - t0
    if proc.returncode != 0:
        what = " ".join(argv[2:4])
        raise SystemExit(f"{what} exited {proc.returncode}: {proc.stderr[-300:]}")
    return elapsed


@dataclass(frozen=True)
class StartupResult:
    runs: int
    medians: dict[str, float]  # kind -> seconds: minimal, launchtui, help, check
    static_checks: int

    def ratio(self, kind: str) -> float:
        return self.medians[kind] / self.medians["minimal"]


def measure(runs: int = 9) -> StartupResult:
    """Median of `runs` fresh processes of each kind, interleaved."""
    ids = static_ids()
    with tempfile.TemporaryDirectory(prefix="bench-startup-") as tmp:
        # A throwaway data dir, and a working dir with no launchtui.toml in it: the bench
        # must not touch the user's history nor read a profile.
        home, cwd = Path(tmp) / "home", Path(tmp) / "cwd"
        home.mkdir()
        cwd.mkdir()
        env = {
            **os.environ,
            **{v: str(home) for v in ("XDG_DATA_HOME", "XDG_STATE_HOME", "XDG_CONFIG_HOME")},
        }
        check = check_argv(ids, Path(tmp) / "backups")
        help_ = [sys.executable, "-m", "launchtui", "--help"]

        def sample(kind: str) -> float:
            if kind == "help":
                return to_exit(help_, env, cwd)
            if kind == "check":
                return to_exit(check, env, cwd)
            return paint(kind, env, cwd)

        for kind in KINDS:
            sample(kind)  # warm the OS file cache for all
        times: dict[str, list[float]] = {kind: [] for kind in KINDS}
        for _ in range(runs):
            for kind in KINDS:
                times[kind].append(sample(kind))
    return StartupResult(runs, {k: statistics.median(v) for k, v in times.items()}, len(ids))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--child", choices=("minimal", "launchtui"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child == "minimal":
        return minimal_app()
    if args.child == "launchtui":
        return launchtui_app()
    r = measure(args.runs)
    ms = {k: v * 1000 for k, v in r.medians.items()}
    print(f"median of {r.runs} fresh processes each")
    print(f"minimal Textual app:      first paint in {ms['minimal']:4.0f} ms   1.00x")
    print(f"launchtui:                first paint in {ms['launchtui']:4.0f} ms   "
          f"{r.ratio('launchtui'):.2f}x")  # fmt: skip
    print(f"launchtui --help:         exits in       {ms['help']:4.0f} ms   {r.ratio('help'):.2f}x")
    print(f"launchtui check, {r.static_checks} static: exits in       {ms['check']:4.0f} ms   "
          f"{r.ratio('check'):.2f}x")  # fmt: skip


if __name__ == "__main__":
    main()
