"""`launchtui backup media` side by side with Cloudinary's own CLI, `cld`, on the same data.

A loopback Cloudinary (Admin API, Search API and delivery host) sits behind an added
round trip (--delay-ms, default 100), a WAN stand-in. Two clouds hold the same number of
resources (--resources): "one" in a single listing (image/upload), "nine" spread over the
nine listings launchtui reads (image/video/raw x upload/private/authenticated). Timed,
median of --rounds:
  - inventory: `cld admin -A -F resources max_results=500` of cloud "one" against
    `launchtui backup media` of cloud "nine" (goal: <= 1.1x), and of "one" too;
  - download of --assets originals: `cld sync --pull` (30 threads) against
    `launchtui backup media --download` (goal: <= 0.6x).

    .venv/bin/pip install -e '.[bench]'   # cloudinary-cli, for `cld`
    .venv/bin/python bench/media.py [--resources 1200] [--assets 1000] [--delay-ms 100]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.servers.cloudinary_api import CloudinaryApi  # noqa: E402
from tests.servers.slow_link import SlowLink  # noqa: E402

LAUNCHTUI = [sys.executable, "-m", "launchtui"]
NINE = [(r, t) for r in ("image", "video", "raw") for t in ("upload", "private", "authenticated")]


def cld() -> str:
    found = shutil.which("cld") or str(Path(sys.executable).with_name("cld"))
    if not Path(found).exists():
        raise SystemExit("cld is not installed: .venv/bin/pip install -e '.[bench]'")
    return found


def through(api: CloudinaryApi, link: SlowLink, cloud: str) -> str:
    """The cloud's CLOUDINARY_URL with the Admin API and delivery both behind the slow link."""
    a = api.accounts[cloud]
    host = f"127.0.0.1:{link.port}"
    return f"cloudinary://{a.key}:{a.secret}@{cloud}?upload_prefix=http://{host}&cname={host}"


def seed(api: CloudinaryApi, link: SlowLink, cloud: str, spread: list[tuple[str, str]],
         count: int, size: int) -> None:  # fmt: skip
    account = api.add_account(cloud)
    account.limit = account.remaining = 1_000_000  # the benchmark measures speed, not quota
    for i, (rtype, dtype) in enumerate(spread):
        share = count // len(spread) + (1 if i < count % len(spread) else 0)
        api.seed(share, rtype, dtype, cloud=cloud, size=size)
    # Delivery URLs in the listings point through the link too, as a CDN is across the WAN.
    own, slow = f":{api.port}/", f":{link.port}/"
    for items in account.resources.values():
        for res in items:
            res["url"] = res["secure_url"] = res["secure_url"].replace(own, slow)


def timed(argv: list[str], env: dict[str, str]) -> tuple[float, subprocess.CompletedProcess[str]]:
    t0 = time.perf_counter()
    proc = subprocess.run(argv, env=env, capture_output=True, text=True, check=False)
    return time.perf_counter() - t0, proc


def launchtui_media(url: str, backup_dir: Path, *extra: str) -> float:
    shutil.rmtree(backup_dir, ignore_errors=True)
    backup_dir.mkdir(mode=0o700)
    env_file = backup_dir.with_suffix(".env")
    env_file.write_text(f"CLOUDINARY_URL={url}\n", encoding="utf-8")
    argv = [*LAUNCHTUI, "backup", "media", "--format", "json", "--env-file", str(env_file),
            "--backup-dir", str(backup_dir), *extra]  # fmt: skip
    wall, proc = timed(argv, {**os.environ})
    lines = proc.stdout.strip().splitlines()
    doc = json.loads(lines[-1]) if lines else {}
    if proc.returncode != 0 or not doc.get("ok"):
        raise SystemExit(f"launchtui backup media failed: {proc.stderr or proc.stdout}")
    return wall


def cld_run(url: str, *args: str) -> float:
    env = {**os.environ, "CLOUDINARY_URL": url}
    wall, proc = timed([cld(), *args], env)
    if proc.returncode != 0:
        raise SystemExit(f"cld {' '.join(args)} failed: {proc.stderr[-400:]}")
    return wall


@dataclass(frozen=True)
class MediaResult:
    resources: int
    assets: int
    size: int
    delay_ms: float
    rounds: int
    cld_list: float  # medians, seconds
    lt_nine: float
    lt_one: float
    cld_pull: float
    lt_download: float


def measure(
    resources: int = 1200,
    assets: int = 1000,
    size: int = 20_000,
    delay_ms: float = 100,
    rounds: int = 3,
) -> MediaResult:
    """cld and launchtui on the same clouds, behind the same slow link."""
    cld()  # fails early, before any server starts, when it is not installed
    api = CloudinaryApi.start()
    link = SlowLink(api.port, delay_ms / 1000)
    try:
        seed(api, link, "one", [("image", "upload")], resources, 2048)
        seed(api, link, "nine", NINE, resources, 2048)
        seed(api, link, "assets", [("image", "upload")], assets, size)
        med = statistics.median
        with tempfile.TemporaryDirectory(prefix="bench-media-") as tmp:
            root = Path(tmp)
            one, nine, pull_from = (through(api, link, c) for c in ("one", "nine", "assets"))
            listing = ["admin", "-A", "-F", "resources", "max_results=500"]
            cld_list = med([cld_run(one, *listing) for _ in range(rounds)])
            lt_nine = med([launchtui_media(nine, root / "b") for _ in range(rounds)])
            lt_one = med([launchtui_media(one, root / "b") for _ in range(rounds)])
            pulls, downloads = [], []
            for _ in range(rounds):
                target = root / "pull"
                shutil.rmtree(target, ignore_errors=True)
                pulls.append(cld_run(pull_from, "sync", "--pull", "-F", str(target), "/"))
                got = sum(len(files) for _, _, files in os.walk(target))
                if got != assets:
                    raise SystemExit(f"cld pulled {got} of {assets} assets")
                downloads.append(launchtui_media(pull_from, root / "b", "--download"))
    finally:
        link.close()
        api.stop()
    return MediaResult(
        resources, assets, size, delay_ms, rounds,
        cld_list, lt_nine, lt_one, med(pulls), med(downloads),
    )  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--resources", type=int, default=1200)
    ap.add_argument("--assets", type=int, default=1000)
    ap.add_argument("--size", type=int, default=20_000, help="bytes per downloaded asset")
    ap.add_argument("--delay-ms", type=float, default=100)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    r = measure(args.resources, args.assets, args.size, args.delay_ms, args.rounds)
    cld_list, lt_nine, lt_one, cld_pull, lt_dl = (
        r.cld_list, r.lt_nine, r.lt_one, r.cld_pull, r.lt_download
    )  # fmt: skip
    n, rtt = args.resources, args.delay_ms
    print(f"\ninventory of {n:,} resources, {rtt:g} ms round trip, median of {args.rounds}")
    print(f"cld admin -A resources (1 listing)     {cld_list:6.2f} s   1.00x")
    print(f"launchtui backup media (9 listings)    {lt_nine:6.2f} s   {lt_nine / cld_list:.2f}x"
          "   (goal <= 1.1x)")  # fmt: skip
    print(f"launchtui backup media (1 listing)     {lt_one:6.2f} s   {lt_one / cld_list:.2f}x")
    print(f"\ndownload of {args.assets:,} originals of {args.size:,} B, {rtt:g} ms round trip")
    print(f"cld sync --pull (30 threads)           {cld_pull:6.2f} s   1.00x")
    print(f"launchtui backup media --download      {lt_dl:6.2f} s   {lt_dl / cld_pull:.2f}x"
          "   (goal <= 0.6x)")  # fmt: skip


if __name__ == "__main__":
    main()
