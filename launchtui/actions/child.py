"""A child process for an action: its own process group, its lines as they come, a sure end.

Used by `migrate` for `flask db upgrade`; anything an action runs that may take long and
must die with a cancel (the whole group: a wrapper script's children too) fits here.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
from collections.abc import AsyncIterator, Mapping, Sequence
from pathlib import Path

from launchtui.core.actions import ActionError

# How long a cancelled child gets after SIGTERM before its process group is killed.
KILL_GRACE_S = 3.0
# Lines longer than this are cut, so one runaway line cannot exhaust memory.
LINE_LIMIT = 1 << 20


async def spawn(
    argv: Sequence[str], cwd: Path, env: Mapping[str, str]
) -> asyncio.subprocess.Process:
    """Start argv in cwd with exactly env, in a new session; ActionError if it cannot start."""
    try:
        return await asyncio.create_subprocess_exec(
            *argv,
            cwd=cwd,
            env=dict(env),
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            # Its own process group, so a cancel reaches whatever it started too.
            start_new_session=True,
            limit=LINE_LIMIT,
        )
    except OSError as exc:
        raise ActionError(
            f"{argv[0]} could not be started ({exc.strerror or exc}); check that it is "
            "installed and executable."
        ) from None


async def stop(proc: asyncio.subprocess.Process) -> None:
    """End the process group if it still runs, and reap it; SIGKILL if it lingers."""
    if proc.returncode is not None:
        # Reaped already: its pid, and so the group id, may belong to someone else now.
        return
    try:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            await asyncio.wait_for(proc.wait(), KILL_GRACE_S)
            return
        except TimeoutError:
            pass
    except BaseException:
        # Cancelled again while waiting: do not leave it running.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        raise
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    await proc.wait()


async def lines(proc: asyncio.subprocess.Process) -> AsyncIterator[str]:
    """The child's stdout and stderr lines, interleaved as they arrive."""
    queue: asyncio.Queue[str | None] = asyncio.Queue()

    async def pump(stream: asyncio.StreamReader) -> None:
        try:
            while True:
                try:
                    raw = await stream.readline()
                except ValueError:
                    # The over-long line was dropped from the buffer: keep draining the pipe.
                    queue.put_nowait(f"(a line longer than {LINE_LIMIT} bytes was cut)")
                    continue
                if not raw:
                    return
                queue.put_nowait(raw.decode(errors="replace").rstrip("\r\n"))
        finally:
            queue.put_nowait(None)

    assert proc.stdout is not None and proc.stderr is not None
    pumps = [asyncio.create_task(pump(s)) for s in (proc.stdout, proc.stderr)]
    try:
        open_streams = len(pumps)
        while open_streams:
            item = await queue.get()
            if item is None:
                open_streams -= 1
            else:
                yield item
    finally:
        for task in pumps:
            task.cancel()
        await asyncio.gather(*pumps, return_exceptions=True)
