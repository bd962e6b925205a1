"""The byte pipelines of `backup db` and `restore db`: chunks in, chunks out, flat memory.

Dump:  the tool's stdout -> watch (bytes, table boundaries, the last 4 KB for the footer)
       -> compress (zstd, gzip or none) -> encrypt (age, when there are recipients)
       -> sha256 + write to the `.partial` file.
Load:  the backup file -> sha256 -> decrypt (age) -> decompress -> drop MariaDB's
       sandbox line for MySQL's client -> watch -> the client's stdin.

Each pipeline runs in one worker thread. With encryption, pyrage drives it: `encrypt_io`
pulls compressed bytes from `DumpSource.read`, `decrypt_io` pushes plaintext into
`LoadSink.write`, so no plaintext ever touches the disk. The async side reads `Stats`
for progress and, to stop early, sets `Stats.cancel` and kills the tool's process
group, which ends the worker's blocking read or write.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import signal
import subprocess
import threading
import zlib
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, Protocol

from launchtui.core.actions import ActionError
from launchtui.probes.backup_verify import stream_decoder

CHUNK = 1 << 20
TAIL = 4096
ZSTD_LEVEL = 3  # about as fast as the dump itself (domain-facts.md); gzip -6 is 4x slower
# MariaDB >= 10.11.8 starts its dumps with this line; MySQL's client stops at it.
SANDBOX_LINE = b"/*M!999999\\- enable the sandbox mode */"
_TABLE_MARK = b"\n-- Table structure for table `"
_NAME_MAX = 1024  # bytes of a table name in the comment line (64 characters, quoted)
_F_SETPIPE_SZ = 1031  # Linux: a 1 MB pipe means fewer, larger reads from the dump
_STDERR_KEPT = 40


class Cancelled(Exception):
    """The async side asked the worker to stop."""


class LoadError(Exception):
    """The backup's bytes cannot be turned back into SQL (decryption, decompression)."""


@dataclass
class Stats:
    """Counters the worker updates and the async side reads for progress."""

    plain: int = 0  # SQL bytes seen
    stored: int = 0  # bytes written to (or read from) the backup file
    tables: list[str] = field(default_factory=list)  # tables begun, in dump order
    cancel: threading.Event = field(default_factory=threading.Event)


class Watcher:
    """The SQL text as it passes: its size, the tables it begins, and its last 4 KB."""

    def __init__(self, stats: Stats) -> None:
        self.stats = stats
        self.tail = b""
        self._carry = b""
        self._offset = 0  # absolute offset of the end of what was fed
        self._next = 0  # absolute offset where the next table mark may start

    def feed(self, chunk: bytes) -> None:
        self.stats.plain += len(chunk)
        self.tail = chunk[-TAIL:] if len(chunk) >= TAIL else (self.tail + chunk)[-TAIL:]
        buf = self._carry + chunk
        base = self._offset - len(self._carry)
        i = buf.find(_TABLE_MARK, max(0, self._next - base))
        while i != -1:
            start = i + len(_TABLE_MARK)
            j = buf.find(b"`\n", start, start + _NAME_MAX)
            if j == -1:
                if len(buf) - start < _NAME_MAX:
                    break  # the name goes on in the next chunk
                j = start  # not a name after all: skip this mark
            else:
                self.stats.tables.append(
                    buf[start:j].replace(b"``", b"`").decode("utf-8", "replace")
                )
            self._next = base + j
            i = buf.find(_TABLE_MARK, j)
        self._offset += len(chunk)
        self._carry = buf[-(len(_TABLE_MARK) + _NAME_MAX) :]


class _Codec(Protocol):
    def compress(self, data: bytes, /) -> bytes: ...
    def flush(self) -> bytes: ...


class _Plain:
    def compress(self, data: bytes, /) -> bytes:
        return data

    def flush(self) -> bytes:
        return b""


def compressor(kind: str) -> _Codec:
    """A streaming compressor: zstd (with its checksum), gzip, or none."""
    if kind == "zstd":
        import zstandard

        return zstandard.ZstdCompressor(level=ZSTD_LEVEL, write_checksum=True).compressobj()
    if kind == "gzip":
        return zlib.compressobj(6, zlib.DEFLATED, 31)  # type: ignore[return-value]
    return _Plain()


def write_all(fd: int, data: bytes) -> None:
    """os.write until every byte is out (a pipe or a file may take a part)."""
    view = memoryview(data)
    while view:
        n = os.write(fd, view)
        view = view[n:]


class StoredFile:
    """The `.partial` file: every byte written is hashed and counted; errors are kept."""

    def __init__(self, fd: int, stats: Stats) -> None:
        self.fd, self.stats = fd, stats
        self.sha256 = hashlib.sha256()
        self.error: BaseException | None = None

    def write(self, data: bytes) -> int:
        try:
            write_all(self.fd, data)
        except OSError as exc:
            self.error = exc
            raise
        self.sha256.update(data)
        self.stats.stored += len(data)
        return len(data)

    def flush(self) -> None:
        return None


class DumpSource:
    """`read(n)`: the next compressed bytes of the dump's stdout (b"" at its end)."""

    def __init__(
        self, fd: int, watcher: Watcher, codec: _Codec, stats: Stats, first: Callable[[], None]
    ) -> None:
        self.fd, self.watcher, self.codec, self.stats = fd, watcher, codec, stats
        self._first: Callable[[], None] | None = first
        self._buf, self._pos, self._eof = b"", 0, False
        self.error: BaseException | None = None

    def read(self, n: int = -1) -> bytes:
        try:
            while self._pos >= len(self._buf):
                if self._eof:
                    return b""
                self._fill()
        except BaseException as exc:
            self.error = exc
            raise
        end = len(self._buf) if n is None or n < 0 else self._pos + n
        out = self._buf[self._pos : end]
        self._pos += len(out)
        return out

    def _fill(self) -> None:
        if self.stats.cancel.is_set():
            raise Cancelled
        data = os.read(self.fd, CHUNK)
        if self.stats.cancel.is_set():
            raise Cancelled
        if not data:
            self._eof = True
            self._buf, self._pos = self.codec.flush(), 0
            return
        if self._first is not None:
            self._first()  # the tool has connected, so it has read its option file
            self._first = None
        self.watcher.feed(data)
        self._buf, self._pos = self.codec.compress(data), 0


@dataclass(frozen=True)
class Pumped:
    """What went through a pipeline."""

    sha256: str
    stored: int
    plain: int
    tail: bytes
    tables: tuple[str, ...]


def pump_dump(
    fd: int,
    out_fd: int,
    compression: str,
    recipients: Sequence[Any],
    stats: Stats,
    first: Callable[[], None],
) -> Pumped:
    """Dump stdout -> compress -> (encrypt) -> file, then fsync; raises the first real error."""
    watcher = Watcher(stats)
    source = DumpSource(fd, watcher, compressor(compression), stats, first)
    stored = StoredFile(out_fd, stats)
    try:
        if recipients:
            import pyrage

            pyrage.encrypt_io(source, stored, list(recipients))
        else:
            while data := source.read(CHUNK):
                stored.write(data)
    except Exception as exc:
        # pyrage wraps what the callbacks raised; the callbacks kept the original.
        raise (source.error or stored.error or exc) from None
    os.fsync(out_fd)
    return Pumped(
        stored.sha256.hexdigest(), stats.stored, stats.plain, watcher.tail, tuple(stats.tables)
    )


class LoadSink:
    """`write(data)`: decrypted bytes -> decompress -> (drop the sandbox line) -> the client."""

    def __init__(self, fd: int, name: str, watcher: Watcher, strip_sandbox: bool) -> None:
        self.fd, self.watcher = fd, watcher
        self.decoder = stream_decoder(name)
        self._head: bytes | None = b"" if strip_sandbox else None  # None: past the first line
        self.stripped = False
        self.error: BaseException | None = None

    def write(self, data: bytes) -> int:
        try:
            if self.watcher.stats.cancel.is_set():
                raise Cancelled
            for piece in self.decoder.feed(data) if self.decoder else (data,):
                self._plain(piece)
            if self.decoder is not None and self.decoder.error:
                raise LoadError(self.decoder.error)
        except BaseException as exc:
            self.error = exc
            raise
        return len(data)

    def flush(self) -> None:
        return None

    def _plain(self, piece: bytes) -> None:
        if self._head is not None:
            self._head += piece
            if b"\n" not in self._head and len(self._head) < TAIL:
                return
            piece, self._head = self._head, None
            if piece.startswith(SANDBOX_LINE):
                piece = piece[piece.find(b"\n") + 1 :] if b"\n" in piece else b""
                self.stripped = True
        self.watcher.feed(piece)
        write_all(self.fd, piece)

    def finish(self) -> None:
        if self._head is not None:
            head, self._head = self._head, None
            if not head.startswith(SANDBOX_LINE):
                self._plain(head)
        problem = self.decoder.finish() if self.decoder is not None else None
        if problem:
            raise LoadError(problem)


class HashedReader:
    """The backup file, read in chunks, hashed and counted."""

    def __init__(self, f: IO[bytes], stats: Stats) -> None:
        self.f, self.stats = f, stats
        self.sha256 = hashlib.sha256()

    def read(self, n: int = -1) -> bytes:
        data = self.f.read(CHUNK if n is None or n < 0 else n)
        self.sha256.update(data)
        self.stats.stored += len(data)
        return data


def pump_load(
    path: Path,
    stdin_fd: int,
    *,
    name: str,
    identities: Sequence[Any],
    strip_sandbox: bool,
    stats: Stats,
) -> tuple[Pumped, bool]:
    """The backup file -> (decrypt) -> decompress -> the client's stdin.

    `name` is the backup's final name, which says how it is stored (`path` may be its
    `.partial`). Returns what went through and whether the sandbox line was dropped.
    """
    watcher = Watcher(stats)
    sink = LoadSink(stdin_fd, name.removesuffix(".age"), watcher, strip_sandbox)
    with open(path, "rb") as f:
        reader = HashedReader(f, stats)
        # A BrokenPipeError (the client died) goes up as it is: the client's error says why.
        if name.endswith(".age"):
            _decrypt(reader, sink, identities)
        else:
            while data := reader.read(CHUNK):
                sink.write(data)
        sink.finish()
    return Pumped(
        reader.sha256.hexdigest(), stats.stored, stats.plain, watcher.tail, tuple(stats.tables)
    ), sink.stripped


def _decrypt(reader: HashedReader, sink: LoadSink, identities: Sequence[Any]) -> None:
    import pyrage

    if not identities:
        raise LoadError("it is encrypted (age) and no --identity was given to decrypt it")
    try:
        pyrage.decrypt_io(reader, sink, list(identities))
    except Exception as exc:
        if sink.error is not None:
            raise sink.error from None
        if "No matching keys" in str(exc):
            raise LoadError(
                "the --identity file holds no key this backup was encrypted to"
            ) from None
        raise LoadError(f"it cannot be decrypted ({exc}): the file is damaged") from None


# -- the tool's process --------------------------------------------------------


class Tool:
    """A dump or client process in its own process group; stderr drained into a short tail."""

    def __init__(self, argv: Sequence[str], env: Mapping[str, str], *, feed_stdin: bool) -> None:
        try:
            self.proc = subprocess.Popen(
                list(argv),
                stdin=subprocess.PIPE if feed_stdin else subprocess.DEVNULL,
                stdout=subprocess.DEVNULL if feed_stdin else subprocess.PIPE,
                stderr=subprocess.PIPE,
                env=dict(env),
                bufsize=0,
                close_fds=True,
                # Its own process group: a cancel kills whatever it started too.
                start_new_session=True,
            )
        except OSError as exc:
            raise ActionError(
                f"{argv[0]} could not be started ({exc.strerror or exc}); check that it is "
                "installed and executable."
            ) from None
        self.stderr: deque[str] = deque(maxlen=_STDERR_KEPT)
        pipe = self.proc.stdout if not feed_stdin else None
        if pipe is not None:
            with contextlib.suppress(OSError):
                fcntl.fcntl(pipe.fileno(), _F_SETPIPE_SZ, CHUNK)
        self._drain = threading.Thread(target=self._read_stderr, daemon=True)
        self._drain.start()

    @property
    def pid(self) -> int:
        return self.proc.pid

    @property
    def stdout_fd(self) -> int:
        assert self.proc.stdout is not None
        return self.proc.stdout.fileno()

    @property
    def stdin_fd(self) -> int:
        assert self.proc.stdin is not None
        return self.proc.stdin.fileno()

    def close_stdin(self) -> None:
        if self.proc.stdin is not None:
            with contextlib.suppress(OSError):
                self.proc.stdin.close()

    def _read_stderr(self) -> None:
        assert self.proc.stderr is not None
        while line := self.proc.stderr.readline(1 << 16):
            self.stderr.append(line.decode("utf-8", "replace").rstrip())

    def kill(self) -> None:
        """SIGKILL the whole group if it still runs (an unreaped zombie keeps its pid)."""
        if self.proc.returncode is None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.proc.pid, signal.SIGKILL)

    def wait(self) -> int:
        """Reap it and finish reading its stderr (blocking)."""
        code = self.proc.wait()
        self._drain.join(timeout=5.0)
        for pipe in (self.proc.stdin, self.proc.stdout, self.proc.stderr):
            if pipe is not None:
                with contextlib.suppress(OSError):
                    pipe.close()
        return code
