"""A full live sweep against the slowest single probe, on real loopback servers.

Starts a private TLS MariaDB, HTTPS frontend and backend sites (the frontend's build
calls the backend) and a Cloudinary Admin API with a few images, each behind an added
round-trip delay (a WAN stand-in), then times:
  - every live check alone (with what it needs), to find the slowest and the sum;
  - all live checks in one sweep.
A runner whose concurrency is real finishes the sweep in about the slowest probe's time
(goal: about 1x). bench/runbook.py runs the runbooks against the same healthy stack.

    .venv/bin/python bench/sweep.py [--delay-ms 100] [--rounds 3]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from launchtui.core.config import Settings  # noqa: E402
from launchtui.core.context import Context  # noqa: E402
from launchtui.core.registry import default_registry  # noqa: E402
from launchtui.core.runner import run  # noqa: E402
from tests.servers.cloudinary_api import CloudinaryApi  # noqa: E402
from tests.servers.https import (  # noqa: E402
    LoopbackServer,
    flask_backend,
    frontend_site,
    server_context,
    serving,
)
from tests.servers.mariadb import running_mariadb  # noqa: E402
from tests.servers.slow_link import SlowLink  # noqa: E402

WSGIApp = Callable[..., Iterable[bytes]]


def delayed(app: WSGIApp, delay: float) -> WSGIApp:
    def wrapped(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        time.sleep(delay)
        return app(environ, start_response)

    return wrapped


@contextlib.contextmanager
def site(app: WSGIApp, cert: Any) -> Iterator[tuple[str, LoopbackServer]]:
    with serving(LoopbackServer(app, server_context(cert))) as server:
        yield f"https://127.0.0.1:{server.port}", server


@dataclass(frozen=True)
class Stack:
    """A healthy stack on loopback: what a Context needs to probe all of it."""

    settings: Settings
    environ: dict[str, str]


@contextlib.contextmanager
def healthy_stack(delay: float) -> Iterator[Stack]:
    """MariaDB (TLS), frontend and backend (HTTPS) and Cloudinary, each `delay` s away.

    The sites and Cloudinary answer each request `delay` late; the database sits behind a
    SlowLink forward, which also charges a round trip for the TCP handshake.
    """
    import trustme

    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1", "localhost")
    with (
        tempfile.TemporaryDirectory(prefix="bench-stack-") as tmp,
        running_mariadb() as db,
        contextlib.ExitStack() as stack,
    ):
        ca_file = Path(tmp) / "ca.pem"
        ca.cert_pem.write_to_path(str(ca_file))
        # The frontend's build names the backend's URL, known once the backend is up.
        frontend_url, frontend = stack.enter_context(site(frontend_site(None), cert))
        backend = delayed(flask_backend(origins=[frontend_url]), delay)
        backend_url, _ = stack.enter_context(site(backend, cert))
        frontend.set_app(delayed(frontend_site(backend_url), delay))
        api = CloudinaryApi.start()
        stack.callback(api.stop)
        api.seed(3)  # a real asset for images-broken to fetch
        api.fail(None, delay=delay)  # answer normally, one round trip late
        link = SlowLink(db.port, delay)
        stack.callback(link.close)
        db_url = db.url.replace(f":{db.port}/", f":{link.port}/")
        environ = {
            "DATABASE_URL": db_url,
            "CLOUDINARY_URL": api.cloudinary_url,
            "CORS_ORIGINS": frontend_url,
            "PATH": "/usr/bin:/bin",
        }
        frontend_env = Path(tmp) / "frontend.env"
        frontend_env.write_text(
            f"VITE_API_URL={backend_url}\nVITE_CLOUDINARY_CLOUD_NAME={api.cloud}\n",
            encoding="utf-8",
        )
        # The DB's CA differs from the sites' CA: trust both through one bundle.
        bundle = Path(tmp) / "bundle.pem"
        bundle.write_bytes(ca_file.read_bytes() + Path(db.ca_pem).read_bytes())
        settings = Settings(
            frontend_url=frontend_url,
            backend_url=backend_url,
            ca_file=bundle,
            backend_dir=ROOT / "tests" / "fixtures" / "backend_good",
            frontend_env_file=frontend_env,
            backup_dir=Path(tmp) / "backups",  # empty: never the user's own
        )
        yield Stack(settings, environ)


async def timed(settings: Settings, environ: dict[str, str], only: list[str]) -> float:
    ctx = Context.build(settings, environ=environ)
    t0 = time.perf_counter()
    await run(default_registry(), ctx, only=only)
    elapsed = time.perf_counter() - t0
    ctx.close()
    return elapsed


@dataclass(frozen=True)
class SweepResult:
    delay_ms: float
    rounds: int
    singles: dict[str, float]  # check id -> median seconds alone (with what it needs)
    sweep: float  # median seconds of the full live sweep

    @property
    def slowest_id(self) -> str:
        return max(self.singles, key=self.singles.__getitem__)

    @property
    def slowest(self) -> float:
        return self.singles[self.slowest_id]

    @property
    def total(self) -> float:
        return sum(self.singles.values())


def measure(delay_ms: float = 100.0, rounds: int = 3) -> SweepResult:
    """Every live check alone and all of them in one sweep, `rounds` times each."""
    with healthy_stack(delay_ms / 1000) as stack:
        settings, environ = stack.settings, stack.environ
        live = [c.id for c in default_registry() if c.kind == "live"]
        singles: dict[str, list[float]] = {cid: [] for cid in live}
        sweeps: list[float] = []
        for _ in range(rounds):
            for cid in live:
                singles[cid].append(asyncio.run(timed(settings, environ, [cid])))
            sweeps.append(asyncio.run(timed(settings, environ, live)))
    medians = {cid: statistics.median(v) for cid, v in singles.items()}
    return SweepResult(delay_ms, rounds, medians, statistics.median(sweeps))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--delay-ms", type=float, default=100.0, help="added round trip per hop")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    r = measure(args.delay_ms, args.rounds)
    print(f"live checks: {len(r.singles)}, added round trip: {r.delay_ms:g} ms, rounds: {r.rounds}")
    for cid, t in sorted(r.singles.items(), key=lambda kv: -kv[1]):
        print(f"  {cid:<22} alone {t * 1000:8.0f} ms")
    print(f"sum of single probes     {r.total * 1000:8.0f} ms")
    print(f"slowest single probe     {r.slowest * 1000:8.0f} ms  ({r.slowest_id})")
    print(f"full live sweep          {r.sweep * 1000:8.0f} ms")
    print(f"sweep / slowest probe    {r.sweep / r.slowest:8.2f}x")
    print(f"sum / sweep (speed-up)   {r.total / r.sweep:8.2f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
