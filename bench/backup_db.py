"""`launchtui backup db` side by side with the real tools, on the same data, in one run.

Starts a private TLS MariaDB, loads a table of ROWS rows (about 250 MB of dump at the
default 2,000,000) and a small copy (about 25 MB), then times, median of --rounds:
  - plain `mysqldump > file`, with exactly the flags launchtui uses (TLS verified);
  - `mysqldump | gzip > file` (gzip at its default level, the usual cron line);
  - `launchtui backup db --compress none` and `--compress zstd`;
  - `mysqldump | cat > file` and `mysqldump | zstd -3 > file`: what a pipe and zstd
    alone cost on this box, the floor under launchtui's numbers;
  - `mydumper` (Debian's package, if installed), as a reference row;
and launchtui's peak RSS (VmHWM of its own process, the dump tool not counted) on the
small and the large table, which should be flat.

    .venv/bin/python bench/backup_db.py [--rows 2000000] [--rounds 3]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from launchtui.probes import dump_tools  # noqa: E402
from tests.servers.mariadb import MariaDB, running_mariadb  # noqa: E402

LAUNCHTUI = [sys.executable, "-m", "launchtui"]


def load(db: MariaDB, name: str, rows: int) -> None:
    """A table of `rows` rows of mixed columns, from MariaDB's sequence engine."""
    db.root_sql(f"CREATE DATABASE `{name}`")
    db.root_sql(f"GRANT ALL ON `{name}`.* TO '{db.user}'@'%'")
    db.root_sql(
        f"CREATE TABLE `{name}`.events (id INT PRIMARY KEY, user VARCHAR(40), "
        "payload VARCHAR(80), amount DECIMAL(10,2), at DATETIME, note TEXT)"
    )
    db.root_sql(
        f"INSERT INTO `{name}`.events SELECT seq, CONCAT('user-', seq % 9973), "
        "MD5(seq), seq % 100000 / 100, '2026-01-01' + INTERVAL (seq % 31536000) SECOND, "
        "IF(seq % 7 = 0, NULL, CONCAT('note ', seq)) "
        f"FROM `{name}`.seq_1_to_{rows}"
    )


@contextlib.contextmanager
def option_file(db: MariaDB) -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="bench-opt-") as d:
        path = Path(d) / "client.cnf"
        path.write_text(f'[client]\npassword="{db.password}"\n', encoding="utf-8")
        path.chmod(0o600)
        yield path


def dump_argv(db: MariaDB, database: str, opt: Path) -> list[str]:
    tool = shutil.which("mariadb-dump") or shutil.which("mysqldump")
    assert tool, "no mysqldump on PATH: apt-get install mariadb-client"
    run = dump_tools.run_tool([tool, "--version"], path_env=os.environ["PATH"])
    version = dump_tools.parse_version(run.stdout)
    assert version is not None, run.stdout
    return dump_tools.dump_argv(
        tool,
        version,
        option_file=opt,
        host=db.host,
        port=db.port,
        user=db.user,
        database=database,
        ca_file=str(db.ca_pem),
    )


def timed_shell(command: str) -> float:
    t0 = time.perf_counter()
    subprocess.run(["bash", "-o", "pipefail", "-c", command], check=True)
    return time.perf_counter() - t0


def peak_rss_mb(pid: int, done: threading.Event, out: list[float]) -> None:
    """Poll the process's own high-water mark until it ends; the last value is its peak."""
    peak = 0.0
    while not done.is_set():
        with contextlib.suppress(OSError, ValueError):
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    peak = max(peak, int(line.split()[1]) / 1024)
        time.sleep(0.02)
    out.append(peak)


def launchtui_backup(env_file: Path, backup_dir: Path, compress: str) -> tuple[float, float, int]:
    """Wall time, peak RSS (MB) and bytes of one `launchtui backup db`."""
    shutil.rmtree(backup_dir, ignore_errors=True)
    argv = [
        *LAUNCHTUI,
        "backup",
        "db",
        "--compress",
        compress,
        "--format",
        "json",
        "--env-file",
        str(env_file),
        "--backup-dir",
        str(backup_dir),
    ]
    t0 = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    done, peaks = threading.Event(), []
    watcher = threading.Thread(target=peak_rss_mb, args=(proc.pid, done, peaks))
    watcher.start()
    out, err = proc.communicate()
    wall = time.perf_counter() - t0
    done.set()
    watcher.join()
    doc = json.loads(out.strip().splitlines()[-1]) if out.strip() else {}
    if proc.returncode != 0 or not doc.get("ok"):
        raise SystemExit(f"launchtui backup db failed: {err or out}")
    return wall, peaks[0], int(doc["bytes"])


def median(xs: Sequence[float]) -> float:
    return statistics.median(xs)


def mydumper_time(db: MariaDB, database: str, rounds: int) -> float | str:
    """mydumper's median seconds on the database, or why there is none."""
    tool = shutil.which("mydumper")
    if tool is None:
        return "not installed (apt-get install mydumper)"
    times = []
    for _ in range(rounds):
        with tempfile.TemporaryDirectory(prefix="bench-mydumper-") as out:
            # mydumper 0.10 speaks no verified TLS: it dumps over the server's Unix socket.
            argv = [
                tool,
                "--socket",
                str(db.socket),
                "--user",
                "root",
                "--database",
                database,
                "--outputdir",
                out,
                "--threads",
                "2",
                "--trx-consistency-only",
            ]
            t0 = time.perf_counter()
            proc = subprocess.run(argv, capture_output=True, text=True, check=False)
            times.append(time.perf_counter() - t0)
            if proc.returncode != 0:
                return f"failed: {proc.stderr.strip()[:60]}"
    return median(times)


@dataclass(frozen=True)
class BackupResult:
    rows: int
    rounds: int
    # "small" and "big" -> plain, gzip, cat, zstd_cli, none, zstd (median s), rss_none,
    # rss_zstd (peak MB over the rounds), mb (plain dump MB), zstd_mb
    results: dict[str, dict[str, float]]
    mydumper: float | str  # median s on "big", or why not


def measure(rows: int = 2_000_000, rounds: int = 3, log: bool = False) -> BackupResult:
    """Every tool on a table of `rows` rows and on one of a tenth of it."""
    with running_mariadb() as db, tempfile.TemporaryDirectory(prefix="bench-backup-") as tmp:
        root = Path(tmp)
        if log:
            print(f"loading {rows:,} rows and {rows // 10:,} rows ...", flush=True)
        load(db, "big", rows)
        load(db, "small", rows // 10)
        results: dict[str, dict[str, float]] = {}
        for name in ("small", "big"):
            env = root / f"{name}.env"
            env.write_text(f"DATABASE_URL={db.url_for(database=name)}\n", encoding="utf-8")
            env.chmod(0o600)
            with option_file(db) as opt:
                argv = " ".join(dump_argv(db, name, opt))
                target = root / "plain.sql"
                plain = [timed_shell(f"{argv} > {target}") for _ in range(rounds)]
                size = target.stat().st_size
                gz = [timed_shell(f"{argv} | gzip > {target}.gz") for _ in range(rounds)]
                # The floor of any pipeline on this box: the dump through a pipe at all.
                cat = [timed_shell(f"{argv} | cat > {target}") for _ in range(rounds)]
                zst = [timed_shell(f"{argv} | zstd -q -3 > {target}.zst") for _ in range(rounds)]
            runs = {
                c: [launchtui_backup(env, root / "b", c) for _ in range(rounds)]
                for c in ("none", "zstd")
            }
            results[name] = {
                "plain": median(plain),
                "gzip": median(gz),
                "cat": median(cat),
                "zstd_cli": median(zst),
                "none": median([r[0] for r in runs["none"]]),
                "zstd": median([r[0] for r in runs["zstd"]]),
                "rss_none": max(r[1] for r in runs["none"]),
                "rss_zstd": max(r[1] for r in runs["zstd"]),
                "mb": size / 1e6,
                "zstd_mb": runs["zstd"][0][2] / 1e6,
            }
        return BackupResult(rows, rounds, results, mydumper_time(db, "big", rounds))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=2_000_000)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    r = measure(args.rows, args.rounds, log=True)
    big, small = r.results["big"], r.results["small"]
    print()
    print(f"dump of {big['mb']:.0f} MB ({args.rows:,} rows), median of {args.rounds}")
    print(f"mysqldump > file        {big['plain']:6.2f} s   1.00x")
    print(f"mysqldump | gzip        {big['gzip']:6.2f} s   {big['gzip'] / big['plain']:.2f}x")
    print(f"mysqldump | cat > file  {big['cat']:6.2f} s   {big['cat'] / big['plain']:.2f}x")
    print(
        f"mysqldump | zstd -3     {big['zstd_cli']:6.2f} s   {big['zstd_cli'] / big['plain']:.2f}x"
    )
    print(
        f"launchtui --compress none {big['none']:5.2f} s   "
        f"{big['none'] / big['plain']:.2f}x   (goal <= 1.05x)"
    )
    print(
        f"launchtui --compress zstd {big['zstd']:5.2f} s   "
        f"{big['zstd'] / big['plain']:.2f}x   (goal <= 1.3x; {big['zstd_mb']:.0f} MB)"
    )
    if isinstance(r.mydumper, str):
        print(f"mydumper              {r.mydumper}")
    else:
        print(f"mydumper (socket, 2t)  {r.mydumper:6.2f} s")
    print()
    print(
        f"launchtui peak RSS      {small['mb']:.0f} MB dump: none {small['rss_none']:.0f} MB, "
        f"zstd {small['rss_zstd']:.0f} MB"
    )
    print(
        f"                        {big['mb']:.0f} MB dump: none {big['rss_none']:.0f} MB, "
        f"zstd {big['rss_zstd']:.0f} MB   (goal <= 80 MB, flat)"
    )


if __name__ == "__main__":
    main()
