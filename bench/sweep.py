"""A full live sweep against the slowest single probe, on real loopback servers.

Starts a private TLS MariaDB, HTTPS frontend and backend sites and a Cloudinary Admin
API, each behind an added round-trip delay (a WAN stand-in), then times:
  - every live check alone (with what it needs), to find the slowest and the sum;
  - all live checks in one sweep.
A runner whose concurrency is real finishes the sweep in about the slowest probe's time.

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


def delayed(app: Callable[..., Iterable[bytes]], delay: float) -> Callable[..., Iterable[bytes]]:
    def wrapped(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        time.sleep(delay)
        return app(environ, start_response)

    return wrapped


@contextlib.contextmanager
def site(app: Callable[..., Iterable[bytes]], cert: Any) -> Iterator[str]:
    with serving(LoopbackServer(app, server_context(cert))) as server:
        yield f"https://127.0.0.1:{server.port}"


async def timed(settings: Settings, environ: dict[str, str], only: list[str]) -> float:
    ctx = Context.build(settings, environ=environ)
    t0 = time.perf_counter()
    await run(default_registry(), ctx, only=only)
    elapsed = time.perf_counter() - t0
    ctx.close()
    return elapsed


def main() -> int:
    import trustme

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--delay-ms", type=float, default=100.0, help="added round trip per hop")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    delay = args.delay_ms / 1000

    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1", "localhost")
    with (
        tempfile.TemporaryDirectory() as tmp,
        running_mariadb() as db,
        contextlib.ExitStack() as stack,
    ):
        ca_file = Path(tmp) / "ca.pem"
        ca.cert_pem.write_to_path(str(ca_file))
        frontend_url = stack.enter_context(site(delayed(frontend_site(None), delay), cert))
        backend = delayed(flask_backend(origins=[frontend_url]), delay)
        backend_url = stack.enter_context(site(backend, cert))
        api = CloudinaryApi.start()
        stack.callback(api.stop)
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
        # The DB's CA differs from the sites' CA: trust both through one bundle.
        bundle = Path(tmp) / "bundle.pem"
        bundle.write_bytes(ca_file.read_bytes() + Path(db.ca_pem).read_bytes())
        settings = Settings(
            frontend_url=frontend_url,
            backend_url=backend_url,
            ca_file=bundle,
            backend_dir=ROOT / "tests" / "fixtures" / "backend_good",
        )

        live = [c.id for c in default_registry() if c.kind == "live"]
        singles: dict[str, list[float]] = {cid: [] for cid in live}
        sweeps: list[float] = []
        for _ in range(args.rounds):
            for cid in live:
                singles[cid].append(asyncio.run(timed(settings, environ, [cid])))
            sweeps.append(asyncio.run(timed(settings, environ, live)))

    medians = {cid: statistics.median(v) for cid, v in singles.items()}
    slowest_id = max(medians, key=medians.__getitem__)
    slowest, total = medians[slowest_id], sum(medians.values())
    sweep = statistics.median(sweeps)
    print(
        f"live checks: {len(live)}, added round trip: {args.delay_ms:g} ms, rounds: {args.rounds}"
    )
    for cid, t in sorted(medians.items(), key=lambda kv: -kv[1]):
        print(f"  {cid:<22} alone {t * 1000:8.0f} ms")
    print(f"sum of single probes     {total * 1000:8.0f} ms")
    print(f"slowest single probe     {slowest * 1000:8.0f} ms  ({slowest_id})")
    print(f"full live sweep          {sweep * 1000:8.0f} ms")
    print(f"sweep / slowest probe    {sweep / slowest:8.2f}x")
    print(f"sum / sweep (speed-up)   {total / sweep:8.2f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
