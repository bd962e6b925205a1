"""`backup media --download`: every original beside its inventory, each checked by its size.

Files go to `media_<cloud>_<stamp>/<resource_type>/<type>/<public_id>[.<format>]` (0700
folders, 0600 files). Each is written as `.<name>.partial` and renamed only once it holds
exactly the inventory's `bytes`; a file already complete is not asked for again, and a
partial one continues with a Range request when the delivery host honours it. Private and
authenticated assets are fetched through signed delivery URLs. One httpx client, a bounded
number of connections, TLS verified with --ca-file or certifi's bundle.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import ssl
from collections.abc import AsyncIterator, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from launchtui.actions.media_inventory import Completed
from launchtui.checks.backups import format_size
from launchtui.core.actions import ActionError, Output, Progress
from launchtui.core.context import Context
from launchtui.probes.backup_files import (
    manifest_path,
    media_download_dir,
    utc_iso,
    write_manifest,
)
from launchtui.probes.cloudinary_config import CloudinaryConfig
from launchtui.probes.cloudinary_delivery import delivery_url

# Each file costs a round trip to the CDN, which serves many at once: 64 kept-alive
# connections hide that latency (cld's 30 fresh connections pay a handshake per file too)
# and stay far below a box's socket and file limits.
DOWNLOAD_CONNECTIONS = 64
ATTEMPTS = 4
# Pauses after an attempt that got nothing; one that got bytes continues at once.
RETRY_DELAYS = (0.5, 1.0, 2.0)
CONNECT_TIMEOUT_S = 10.0
READ_TIMEOUT_S = 60.0
PROGRESS_EVERY_S = 0.5
FAILED_SHOWN = 20
_FATAL = (401, 403, 404, 410)
_CONTENT_RANGE = re.compile(r"bytes (\d+)-")
COMMAND = "launchtui backup media"


def plural(count: int, word: str) -> str:
    """`1 file`, `1,204 files`."""
    return f"{count:,} {word}" + ("" if count == 1 else "s")


@dataclass
class DownloadTally:
    """What the download did, for the summary and the JSON ending."""

    files: int = 0  # in the inventory
    fetched: int = 0  # completed by this run
    skipped: int = 0  # already complete on disk, not asked for
    resumed: int = 0  # continued from a partial file with a Range request
    bytes_fetched: int = 0  # received by this run
    bytes_done: int = 0  # on disk now, complete or not
    failed: list[tuple[str, str]] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        return not self.failed and self.fetched + self.skipped == self.files


def local_path(item: Mapping[str, Any]) -> PurePosixPath:
    """Where an original goes under the download folder; never outside it."""
    pid = str(item["public_id"])
    fmt = item.get("format")
    name = f"{pid}.{fmt}" if fmt else pid
    parts = [str(item.get("resource_type") or "image"), str(item.get("type") or "upload")]
    parts += name.split("/")
    # `..`, `.` and empty segments (a leading or doubled slash) would leave the folder.
    safe = [p if p not in ("", ".", "..") else f"_{p.replace('.', '_')}_" for p in parts]
    return PurePosixPath(*(p.replace("\0", "_") for p in safe))


def source_url(cfg: CloudinaryConfig, item: Mapping[str, Any]) -> str:
    """Public uploads from their secure_url; private and authenticated ones signed."""
    if (item.get("type") or "upload") == "upload" and item.get("secure_url"):
        return str(item["secure_url"])
    return delivery_url(cfg, item)


def _expected(item: Mapping[str, Any]) -> int | None:
    size = item.get("bytes")
    return size if isinstance(size, int) and not isinstance(size, bool) and size >= 0 else None


def read_items(inventory: Path) -> Iterator[dict[str, Any]]:
    """The inventory's resources, one line at a time (flat memory however many)."""
    with open(inventory, encoding="utf-8") as f:
        for line in f:
            with contextlib.suppress(ValueError):
                item = json.loads(line)
                if isinstance(item, dict) and isinstance(item.get("public_id"), str):
                    yield item


def tls_context(cfg: CloudinaryConfig) -> ssl.SSLContext:
    """Verification as the other Cloudinary probes do it: --ca-file, else certifi's bundle."""
    import certifi

    return ssl.create_default_context(cafile=cfg.ca_file or certifi.where())


def _fsync_rename(partial: Path, final: Path) -> None:
    fd = os.open(partial, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(partial, final)


class _Attempt:
    """One GET of one file; `outcome` is done, retry or fatal, and `reason` says why not."""

    def __init__(self) -> None:
        self.outcome = "retry"
        self.reason = ""
        self.progressed = False


class Downloader:
    """Fetch every original of an inventory into `root`; `run()` streams progress."""

    def __init__(self, cfg: CloudinaryConfig, inventory: Path, root: Path, *, files: int,
                 total_bytes: int, connections: int = DOWNLOAD_CONNECTIONS) -> None:  # fmt: skip
        self.cfg = cfg
        self.inventory = inventory
        self.root = root
        self.total_bytes = total_bytes
        self.connections = connections
        self.tally = DownloadTally(files=files)
        self._dirs: set[Path] = set()
        self._shown = 0

    def _mkdirs(self, folder: Path) -> None:
        """Create each missing folder down to `folder` as 0700 (makedirs would use 0755)."""
        if folder in self._dirs:
            return
        for d in [*reversed(folder.relative_to(self.root).parents), folder.relative_to(self.root)]:
            path = self.root / d
            if path not in self._dirs:
                with contextlib.suppress(FileExistsError):
                    os.mkdir(path, 0o700)
                self._dirs.add(path)

    async def run(self) -> AsyncIterator[Output | Progress]:
        """Download with bounded concurrency; progress in bytes and files, failures as lines."""
        import httpx

        with contextlib.suppress(FileExistsError):
            os.mkdir(self.root, 0o700)
        self._dirs.add(self.root)
        items = read_items(self.inventory)
        timeout = httpx.Timeout(READ_TIMEOUT_S, connect=CONNECT_TIMEOUT_S)
        # identity: the originals' own bytes, which is what the inventory's sizes count.
        headers = {"Accept-Encoding": "identity", "User-Agent": "launchtui-backup"}
        verify = tls_context(self.cfg)
        # One client of one kept-alive connection per worker: httpcore's pool scans every
        # connection for each request, which at 64 connections cost more than the network.
        clients = [
            httpx.AsyncClient(
                verify=verify,
                limits=httpx.Limits(max_connections=1, max_keepalive_connections=1),
                timeout=timeout,
                follow_redirects=True,
                headers=headers,
            )
            for _ in range(self.connections)
        ]
        async with contextlib.AsyncExitStack() as stack:
            for client in clients:
                await stack.enter_async_context(client)
            workers = [asyncio.ensure_future(self._worker(client, items)) for client in clients]
            try:
                yield self._progress()
                pending: set[asyncio.Future[None]] = set(workers)
                while pending:
                    _, pending = await asyncio.wait(pending, timeout=PROGRESS_EVERY_S)
                    for event in self._news():
                        yield event
                    yield self._progress()
                for w in workers:
                    w.result()  # a bug in a worker is not a silent half download
            finally:
                for w in workers:
                    w.cancel()
                await asyncio.gather(*workers, return_exceptions=True)

    def _progress(self) -> Progress:
        t = self.tally
        done = t.fetched + t.skipped
        return Progress(
            t.bytes_done,
            self.total_bytes or None,
            "bytes",
            f"{done} of {t.files} files, {format_size(t.bytes_done)} of "
            f"{format_size(self.total_bytes)}",
        )

    def _news(self) -> list[Output]:
        news = self.tally.failed[self._shown : FAILED_SHOWN]
        self._shown += len(news)
        return [Output(f"Could not download {name}: {why}.") for name, why in news]

    async def _worker(self, client: Any, items: Iterator[dict[str, Any]]) -> None:
        # Workers share one iterator; the event loop runs one `next` at a time.
        for item in items:
            await self._one(client, item)

    async def _one(self, client: Any, item: Mapping[str, Any]) -> None:
        rel = local_path(item)
        final = self.root / rel
        partial = final.with_name(f".{final.name}.partial")
        expected = _expected(item)
        try:
            st = final.stat()
        except FileNotFoundError:
            pass
        except OSError as exc:
            self.tally.failed.append((str(rel), exc.strerror or str(exc)))
            return
        else:
            if expected is None or st.st_size == expected:
                self.tally.skipped += 1
                self.tally.bytes_done += st.st_size
                return
        try:
            self._mkdirs(final.parent)
            url = source_url(self.cfg, item)
        except Exception as exc:  # a folder in the way, or the SDK could not sign
            self.tally.failed.append((str(rel), str(exc)))
            return
        attempt = _Attempt()
        counted = [0]  # bytes of this file already in tally.bytes_done
        for n in range(ATTEMPTS):
            attempt = await self._attempt(client, url, partial, expected, counted)
            if attempt.outcome == "done":
                try:
                    await asyncio.to_thread(_fsync_rename, partial, final)
                except OSError as exc:
                    attempt.outcome, attempt.reason = "fatal", exc.strerror or str(exc)
                    break
                self.tally.fetched += 1
                return
            if attempt.outcome == "fatal":
                break
            if not attempt.progressed and n < ATTEMPTS - 1:
                await asyncio.sleep(RETRY_DELAYS[min(n, len(RETRY_DELAYS) - 1)])
        self.tally.failed.append((str(rel), attempt.reason or "it failed"))

    async def _attempt(
        self, client: Any, url: str, partial: Path, expected: int | None, counted: list[int]
    ) -> _Attempt:
        import httpx

        a = _Attempt()
        t = self.tally
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT, 0o600)
        try:
            offset = os.fstat(fd).st_size
            if counted[0] != offset:  # what an earlier run (or attempt) left on disk
                t.bytes_done += offset - counted[0]
                counted[0] = offset
            if expected is not None and offset == expected and offset:
                a.outcome = "done"  # all there already: the last run stopped before the rename
                return a
            if expected is not None and offset > expected:
                offset = 0
            headers = {"Range": f"bytes={offset}-"} if offset else {}
            pos = offset
            try:
                async with client.stream("GET", url, headers=headers) as resp:
                    status = resp.status_code
                    if status == 206 and offset:
                        m = _CONTENT_RANGE.match(resp.headers.get("content-range", ""))
                        if m is None or int(m[1]) != offset:
                            os.ftruncate(fd, 0)
                            t.bytes_done -= counted[0]
                            counted[0] = 0
                            a.reason = "the delivery host answered the Range request wrongly"
                            return a
                        t.resumed += 1
                    elif status == 200:
                        pos = 0  # the host sent it all: the Range was not honoured
                    else:
                        a.outcome = "fatal" if status in _FATAL else "retry"
                        a.reason = f"the delivery host answered HTTP {status}"
                        if status == 416:
                            os.ftruncate(fd, 0)  # our partial is past the end: start over
                        if resp.headers.get("x-cld-error"):
                            a.reason += f" ({resp.headers['x-cld-error'][:120]})"
                        return a
                    os.ftruncate(fd, pos)
                    t.bytes_done += pos - counted[0]
                    counted[0] = pos
                    # No chunk_size: httpx would hold bytes back, and lose them if the body breaks.
                    async for chunk in resp.aiter_bytes():
                        os.pwrite(fd, chunk, pos)
                        pos += len(chunk)
                        t.bytes_fetched += len(chunk)
                        t.bytes_done += len(chunk)
                        counted[0] = pos
                        a.progressed = True
                        if expected is not None and pos > expected:
                            break
            except httpx.HTTPError as exc:
                a.reason = f"the download broke off after {pos} bytes ({type(exc).__name__})"
                return a
        finally:
            os.close(fd)
        if expected is None or pos == expected:
            a.outcome = "done"
        elif pos > expected:
            os.truncate(partial, 0)
            t.bytes_done -= counted[0]
            counted[0] = 0
            a.reason = f"the delivery host sent more than the {expected} bytes the inventory lists"
        else:
            a.reason = f"got {pos} of the {expected} bytes the inventory lists"
        return a


# -- the step of the action ------------------------------------------------------------------


@dataclass(frozen=True)
class DownloadDone:
    """How the download went: the JSON members and the sentence for the action's ending."""

    root: Path
    tally: DownloadTally

    def fields(self) -> dict[str, Any]:
        t = self.tally
        return {
            "download_dir": str(self.root),
            "downloaded": t.fetched,
            "download_skipped": t.skipped,
            "download_resumed": t.resumed,
            "download_bytes": t.bytes_fetched,
            "download_failed": [name for name, _ in t.failed[:100]],
        }

    def words(self) -> tuple[bool, str]:
        """Whether every original is there, and the sentence that says so (or what is not)."""
        t = self.tally
        said = (
            f"Downloaded {plural(t.fetched, 'original')} ({format_size(t.bytes_fetched)}) to "
            f"{self.root}"
            + (f"; {t.skipped:,} already complete were skipped" if t.skipped else "")
            + "."
        )
        if not t.failed:
            return True, said
        names = ", ".join(f"{n} ({why})" for n, why in t.failed[:5])
        more = f", and {len(t.failed) - 5:,} more" if len(t.failed) > 5 else ""
        return False, (
            f"Could not download {len(t.failed):,} of {plural(t.files, 'original')}: "
            f"{names}{more}. {said} The rest are kept; `{COMMAND} --download --resume` fetches "
            "what is missing."
        )


def _record(done: Completed, record: dict[str, Any]) -> None:
    """The manifest, now saying where the originals are and whether they are all there."""
    done.manifest["download"] = record
    write_manifest(manifest_path(done.path), done.manifest)


async def download_originals(
    ctx: Context, cfg: CloudinaryConfig, done: Completed
) -> AsyncIterator[Output | Progress | DownloadDone]:
    """Check the inventory, fetch its originals, record how it went in its manifest."""
    from launchtui.probes.backup_verify import verify_media_inventory

    v = await ctx.to_thread(verify_media_inventory, done.path)
    if not v.good:
        problems = "; ".join(v.problems) or "it is incomplete"
        raise ActionError(
            f"{done.path.name} does not match its manifest ({problems}), so its originals are "
            f"not downloaded; take a new inventory with `{COMMAND}`."
        )
    root = media_download_dir(done.path)
    total = sum(v.bytes_by_type.values())
    record: dict[str, Any] = {"dir": root.name, "files": v.lines, "bytes": total, "complete": False}
    # Said before the first byte: a run killed now is one `--download --resume` finishes.
    await ctx.to_thread(_record, done, record)
    yield Output(f"Downloading {plural(v.lines, 'original')} ({format_size(total)}) to {root}.")
    dl = Downloader(cfg, done.path, root, files=v.lines, total_bytes=total)
    async for event in dl.run():
        yield event
    t = dl.tally
    record = {**record, "complete": t.complete, "failed": len(t.failed), "finished_at": utc_iso()}
    await ctx.to_thread(_record, done, record)
    yield DownloadDone(root, t)
