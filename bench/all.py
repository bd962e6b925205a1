"""Every benchmark of bench/ in one run, side by side, and one table of ratios.

Runs, one after the other (never at once: they would share the cores), the benchmarks of
bench/sweep.py, bench/startup.py, bench/backup_db.py, bench/media.py and bench/runbook.py,
each on its own loopback servers (no network beyond 127.0.0.1), then prints the machine,
how long the whole run took, and one row per comparison: what, launchtui's median, the
peer's median, their ratio, and the goal where an issue or the script states one. A
benchmark that cannot run (a tool missing, a server that would not start) is a row
that says why; the others still run.

Goals: "~1x" (the sweep, the TUI's first paint, a healthy runbook: "about the time of
its slowest probe", "close to a minimal Textual app's") counts as met up to 1.2x; the
others are the issues' own numbers.

    .venv/bin/python bench/all.py                  # the real sizes (about 3 min on 2 cores)
    .venv/bin/python bench/all.py --quick          # smaller data, one round (under 1 min)
    .venv/bin/python bench/all.py --format markdown --save run.json
    .venv/bin/python bench/all.py --load run.json --format markdown   # re-print a run
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import sys
import textwrap
import time
import traceback
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH.parent))
sys.path.insert(0, str(BENCH))

import backup_db  # noqa: E402
import media  # noqa: E402
import runbook  # noqa: E402
import startup  # noqa: E402
import sweep  # noqa: E402

ABOUT_1X = 1.2  # "~1x" is met up to this ratio
WIDTHS = (38, 8, 8, 6, 7, 6)  # what, launchtui, peer, ratio, goal, met: 78 columns


@dataclass
class Row:
    what: str
    launchtui: str = ""
    peer: str = ""
    ratio: float | None = None
    goal: str = ""
    met: bool | None = None
    error: str | None = None  # why this row has no numbers


@dataclass
class Report:
    mode: str
    command: str
    machine: str
    started: str
    wall_s: float = 0.0
    rows: list[Row] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def secs(s: float) -> str:
    return f"{s * 1000:.0f} ms" if s < 1 else f"{s:.2f} s"


def compare(what: str, lt: float, peer: float, goal: str = "", limit: float | None = None) -> Row:
    """launchtui's seconds against the peer's; met when the ratio is at most `limit`."""
    ratio = lt / peer
    return Row(what, secs(lt), secs(peer), ratio, goal, None if limit is None else ratio <= limit)


def failed(what: str, exc: BaseException) -> Row:
    why = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return Row(what, error=why)


def machine() -> str:
    model = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = " ".join(line.split(":", 1)[1].split())
                break
    except OSError:
        pass
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return f"nproc {cores}, {model}, Python {platform.python_version()}, {platform.system()}"


def loadavg() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f} {five:.2f} {fifteen:.2f}"


# -- each benchmark: its rows and notes ---------------------------------------------------

Sizes = dict[str, Any]
Bench = Callable[[Sizes], tuple[list[Row], list[str]]]


def bench_sweep(z: Sizes) -> tuple[list[Row], list[str]]:
    r = sweep.measure(z["delay_ms"], z["rounds"])
    row = compare(
        f"live sweep ({len(r.singles)} checks) vs slowest", r.sweep, r.slowest, "~1x", ABOUT_1X
    )
    note = (
        f"sweep: {r.delay_ms:g} ms added round trip, median of {r.rounds}; the slowest check "
        f"alone (with what it needs) is {r.slowest_id}; the single checks add up to "
        f"{secs(r.total)}, {r.total / r.sweep:.2f}x the sweep."
    )
    return [row], [note]


def bench_startup(z: Sizes) -> tuple[list[Row], list[str]]:
    r = startup.measure(z["runs"])
    m = r.medians
    rows = [
        compare("TUI first paint vs minimal Textual app", m["launchtui"], m["minimal"], "~1x", ABOUT_1X),
        compare("launchtui --help vs minimal app paint", m["help"], m["minimal"]),
        compare(f"check, {r.static_checks} static, vs minimal paint", m["check"], m["minimal"]),
    ]  # fmt: skip
    note = (
        f"start-up: fresh processes, median of {r.runs}; first paint = Textual's Ready, "
        f"headless 80x24; the static check is `launchtui check --only` the "
        f"{r.static_checks} static checks (all but pool.recycle, whose `after` pulls in "
        "the live db.connect) on tests/fixtures' backend and env files: no network probe. "
        "No goal is stated for --help and check."
    )
    return rows, [note]


def bench_backup(z: Sizes) -> tuple[list[Row], list[str]]:
    r = backup_db.measure(z["rows"], z["rounds"])
    big, small = r.results["big"], r.results["small"]
    rows = [
        compare("backup db none vs mysqldump > file", big["none"], big["plain"], "<=1.05x", 1.05),
        compare("backup db zstd vs mysqldump > file", big["zstd"], big["plain"], "<=1.3x", 1.3),
        compare("backup db zstd vs mysqldump | gzip", big["zstd"], big["gzip"]),
    ]  # fmt: skip
    if isinstance(r.mydumper, str):
        rows.append(Row("backup db none vs mydumper (2 thr)", error=f"mydumper {r.mydumper}"))
    else:
        rows.append(compare("backup db none vs mydumper (2 thr)", big["none"], r.mydumper))
    rss_big = max(big["rss_none"], big["rss_zstd"])
    rss_small = max(small["rss_none"], small["rss_zstd"])
    flat = rss_big / rss_small
    rows.append(
        Row(
            f"peak RSS, {big['mb']:.0f} MB vs {small['mb']:.0f} MB dump",
            f"{rss_big:.0f} MB",
            f"{rss_small:.0f} MB",
            flat,
            "<=80 MB",
            rss_big <= 80 and flat <= ABOUT_1X,
        )
    )
    note = (
        f"backup db: a {big['mb']:.0f} MB dump ({r.rows:,} rows; zstd makes it "
        f"{big['zstd_mb']:.0f} MB), median of {r.rounds}, TLS verified, the server on the "
        f"same cores; floors on this box: `mysqldump | cat > file` "
        f"{big['cat'] / big['plain']:.2f}x and `| zstd -3` {big['zstd_cli'] / big['plain']:.2f}x "
        "of `> file`; mydumper dumps over the Unix socket (no verified TLS). Peak RSS is "
        "launchtui's own VmHWM (the dump tool not counted), met when <= 80 MB and flat "
        f"(big/small <= {ABOUT_1X}x)."
    )
    return rows, [note]


def bench_media(z: Sizes) -> tuple[list[Row], list[str]]:
    r = media.measure(z["resources"], z["assets"], z["size"], z["delay_ms"], z["rounds"])
    rows = [
        compare("media inventory (9 lists) vs cld (1)", r.lt_nine, r.cld_list, "<=1.1x", 1.1),
        compare("media --download vs cld sync --pull", r.lt_download, r.cld_pull, "<=0.6x", 0.6),
    ]  # fmt: skip
    note = (
        f"media: {r.resources:,} resources (launchtui's 9 listings vs `cld admin -A "
        f"resources`, 1 listing; launchtui on 1 listing: {secs(r.lt_one)}), "
        f"{r.assets:,} downloads of {r.size:,} B (cld sync --pull, 30 threads), "
        f"{r.delay_ms:g} ms added round trip, median of {r.rounds}."
    )
    return rows, [note]


def bench_runbook(z: Sizes) -> tuple[list[Row], list[str]]:
    rows, slowest = [], []
    for t in runbook.measure(z["delay_ms"], z["rounds"]):
        what = f"runbook {t.name} vs slowest probe"
        if t.error is not None:
            rows.append(Row(what, error=t.error))
            continue
        rows.append(compare(what, t.runbook, t.slowest, "~1x", ABOUT_1X))
        slowest.append(f"{t.name}: {t.slowest_label}")
    note = (
        f"runbooks: one healthy pass (verdict none) on the sweep's stack, median of "
        f"{z['rounds']}, against the slowest of the network probes its steps run, each alone "
        f"on a fresh Context (slowest: {'; '.join(slowest) or '-'}); bench/runbook.py lists "
        "them all."
    )
    return rows, [note]


BENCHES: dict[str, tuple[str, Bench]] = {
    "sweep": ("live sweep vs slowest check", bench_sweep),
    "startup": ("start-up vs minimal Textual app", bench_startup),
    "backup": ("backup db vs mysqldump", bench_backup),
    "media": ("media backup vs cld", bench_media),
    "runbook": ("runbooks vs slowest probe", bench_runbook),
}

SIZES: dict[str, dict[str, Sizes]] = {
    "full": {
        "sweep": {"delay_ms": 100.0, "rounds": 3},
        "startup": {"runs": 9},
        "backup": {"rows": 2_000_000, "rounds": 3},
        "media": {"resources": 1200, "assets": 1000, "size": 20_000, "delay_ms": 100.0, "rounds": 3},
        "runbook": {"delay_ms": 100.0, "rounds": 3},
    },
    "quick": {
        "sweep": {"delay_ms": 100.0, "rounds": 1},
        "startup": {"runs": 3},
        "backup": {"rows": 200_000, "rounds": 1},
        "media": {"resources": 1200, "assets": 200, "size": 20_000, "delay_ms": 100.0, "rounds": 1},
        "runbook": {"delay_ms": 100.0, "rounds": 1},
    },
}  # fmt: skip


def run_all(mode: str, only: list[str], log: Callable[[str], None]) -> Report:
    load = loadavg()
    command = ".venv/bin/python bench/all.py" + (" --quick" if mode == "quick" else "")
    if only != list(BENCHES):
        command += f" --only {','.join(only)}"
    started = dt.datetime.now().astimezone().isoformat(timespec="seconds")
    report = Report(mode, command, machine(), started)
    report.notes.append(f"at the start: {load}")
    t0 = time.perf_counter()
    for key in only:
        title, fn = BENCHES[key]
        log(f"[{time.perf_counter() - t0:6.0f} s] {title} ...")
        b0 = time.perf_counter()
        try:
            rows, notes = fn(SIZES[mode][key])
        except KeyboardInterrupt:
            raise
        except BaseException as exc:  # SystemExit, pytest's Failed: a row, not an abort
            log(traceback.format_exc(limit=3))
            rows, notes = [failed(title, exc)], []
        report.rows += rows
        report.notes += notes
        log(f"[{time.perf_counter() - t0:6.0f} s] {title} done in {time.perf_counter() - b0:.0f} s")
    report.wall_s = time.perf_counter() - t0
    report.notes.append(f"at the end: {loadavg()}")
    return report


# -- rendering ---------------------------------------------------------------------------


def _met(row: Row) -> str:
    return "" if row.met is None else ("met" if row.met else "MISSED")


def _ratio(row: Row) -> str:
    return "" if row.ratio is None else f"{row.ratio:.2f}x"


def _cut(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 3] + "..."


def heading(report: Report) -> list[str]:
    return [
        f"{report.command} ({report.started})",
        f"the whole run took {report.wall_s:.0f} s ({report.wall_s / 60:.1f} min)",
        f"machine: {report.machine}",
    ]


def render_text(report: Report) -> str:
    w = WIDTHS
    lines = [*(_cut(h, 79) for h in heading(report)), ""]
    cols = ("what", "launchtui", "peer", "ratio", "goal", "met")
    fmt = f"{{:<{w[0]}}} {{:>{w[1]}}} {{:>{w[2]}}} {{:>{w[3]}}} {{:>{w[4]}}} {{:<{w[5]}}}"
    lines.append(fmt.format(*cols).rstrip())
    lines.append("-" * (sum(w) + len(w) - 1))
    for r in report.rows:
        if r.error is not None:
            lines.append(_cut(f"{_cut(r.what, w[0]):<{w[0]}} not measured: {r.error}", 79))
            continue
        cells = (_cut(r.what, w[0]), r.launchtui, r.peer, _ratio(r), r.goal, _met(r))
        lines.append(fmt.format(*cells).rstrip())
    lines.append("")

    for note in report.notes:
        lines += textwrap.wrap(note, 79, initial_indent="- ", subsequent_indent="  ")
    failures = [r for r in report.rows if r.error is not None]
    for r in failures:
        lines += textwrap.wrap(
            f"{r.what}: {r.error}", 79, initial_indent="! ", subsequent_indent="  "
        )
    return "\n".join(lines) + "\n"


def _md(text: str) -> str:
    return text.replace("|", "\\|")


def render_markdown(report: Report) -> str:
    lines = [f"{h}  " for h in heading(report)]
    lines += [
        "",
        "| what | launchtui | peer | ratio | goal | met |",
        "|---|---:|---:|---:|---:|---|",
    ]
    for r in report.rows:
        if r.error is not None:
            lines.append(f"| {_md(r.what)} | not measured: {_md(r.error)} | | | | |")
            continue
        lines.append(
            f"| {_md(r.what)} | {r.launchtui} | {r.peer} | {_ratio(r)} | {_md(r.goal)} | {_met(r)} |"
        )
    lines.append("")
    lines += [f"- {n}" for n in report.notes]
    return "\n".join(lines) + "\n"


def report_from(doc: dict[str, Any]) -> Report:
    rows = [Row(**r) for r in doc.pop("rows")]
    return Report(**doc, rows=rows)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="smaller data and one round")
    ap.add_argument("--format", choices=("text", "markdown"), default="text")
    ap.add_argument(
        "--only", default=",".join(BENCHES), help=f"comma-separated, of {','.join(BENCHES)}"
    )
    ap.add_argument("--save", type=Path, help="also write the run as JSON here")
    ap.add_argument("--load", type=Path, help="print a saved run instead of measuring")
    args = ap.parse_args()
    if args.load is not None:
        report = report_from(json.loads(args.load.read_text(encoding="utf-8")))
    else:
        asked = [k.strip() for k in args.only.split(",") if k.strip()]
        unknown = [k for k in asked if k not in BENCHES]
        if unknown:
            ap.error(
                f"unknown benchmark {', '.join(unknown)}; the benchmarks: {', '.join(BENCHES)}"
            )

        def log(line: str) -> None:
            print(line, file=sys.stderr, flush=True)

        only = [k for k in BENCHES if k in asked]  # always in the table's order
        report = run_all("quick" if args.quick else "full", only, log)
        if args.save is not None:
            args.save.write_text(json.dumps(asdict(report), indent=1) + "\n", encoding="utf-8")
    out = render_markdown(report) if args.format == "markdown" else render_text(report)
    sys.stdout.write(out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
