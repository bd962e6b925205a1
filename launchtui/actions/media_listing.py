"""Reading the nine Cloudinary listings page by page, a few at once, into an `Inventory`.

The SDK blocks, so pages are fetched in a small thread pool (one pager and one HTTP
connection per listing); this coordinator, on the event loop, commits each page as it
arrives, so only one writer ever touches the file. The rate limit is read from every
answer: a refused page (420), or an answer saying none are left, pauses every listing until
the reset, shown as a countdown; a reset further away than `max_wait` stops the run with
its state kept, for `--resume`. A 500 or a dropped connection is retried with backoff.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import datetime as dt
import math
import time
from collections import deque
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import Any

from launchtui.actions.media_inventory import Inventory
from launchtui.checks.backups import format_age
from launchtui.core.actions import Output, Progress
from launchtui.probes.cloudinary import ApiAnswer, RateLimit, iter_resource_pages, new_pool
from launchtui.probes.cloudinary_config import CloudinaryConfig

# One page in flight per listing: the nine take about as long as the longest one. A page
# costs one request of the hour's allowance however many run at once, so this spends
# the allowance no faster per resource than one listing at a time would.
PARALLEL_LISTINGS = 9
# A page of 500 resources is a few hundred KB; a slow link needs more than a ping's 5 s.
PAGE_TIMEOUT_S = 30.0
# A 500 or a dropped connection: asked again after these pauses, then the run stops.
RETRY_DELAYS = (1.0, 2.0, 4.0)
# A reset already past (clock skew) still gets a pause before asking again.
MIN_RATE_WAIT_S = 1.0
# An answer without a reset time: Cloudinary's allowance is hourly, so look again in a minute.
UNKNOWN_RESET_WAIT_S = 60.0
_TRANSPORT = ("dns", "tcp", "tls", "query")
STATUS_PAGE = "https://status.cloudinary.com"


@dataclass(frozen=True)
class Stopped:
    """Why the listings stopped before the end: `cause` and `advice` are sentences' parts."""

    kind: str  # rate_limit, server, auth, request
    cause: str
    advice: str
    reset_at: dt.datetime | None = None


def _clock(when: dt.datetime) -> str:
    return f"{when:%H:%M:%S} UTC"


def _allowance(rate: RateLimit) -> str:
    if rate.known:
        return f"{rate.remaining} of {rate.allowed} requests left this hour"
    return "no requests left this hour"


class Lister:
    """Fills an `Inventory` from the Admin API; `run()` streams events, `stopped` says why not."""

    def __init__(self, cfg: CloudinaryConfig, inventory: Inventory, *, max_wait: float) -> None:
        self.cfg = cfg
        self.inv = inventory
        self.max_wait = max_wait
        self.stopped: Stopped | None = None
        self.rate = RateLimit()
        self.requests = 0
        self.waited = 0.0
        self._pagers: dict[str, Iterator[tuple[str | None, ApiAnswer]]] = {}
        self._pools: dict[str, Any] = {}
        self._tries: dict[str, int] = {}
        self._delay: dict[str, float] = {}
        self._listed_here: set[str] = set()  # listings that got a page in this run
        self._gated = False
        self._reset: dt.datetime | None = None
        self._episode = 0.0  # seconds waited since the last page that came through

    # -- the threads' side --------------------------------------------------------

    def _fetch(self, key: str) -> tuple[str | None, ApiAnswer]:
        """The next page of one listing (in a worker thread); never raises for HTTP trouble."""
        pager = self._pagers.get(key)
        if pager is None:
            state = self.inv.listings[key]
            pool = self._pools.get(key)
            if pool is None:
                pool = self._pools[key] = new_pool(self.cfg.ca_file)
            pager = iter_resource_pages(
                self.cfg,
                state.resource_type,
                state.delivery_type,
                next_cursor=state.next_cursor,
                timeout=PAGE_TIMEOUT_S,
                pool=pool,
            )
            self._pagers[key] = pager
        return next(pager)

    async def _page(
        self, executor: concurrent.futures.Executor, key: str, delay: float
    ) -> tuple[str | None, ApiAnswer]:
        if delay:
            await asyncio.sleep(delay)
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(executor, self._fetch, key)

    # -- the coordinator ------------------------------------------------------------

    async def run(self) -> AsyncIterator[Output | Progress]:
        """List until every listing is done or the run must stop; events as it goes."""
        ready = deque(k for k, s in self.inv.listings.items() if not s.done)
        inflight: dict[asyncio.Future[tuple[str | None, ApiAnswer]], str] = {}
        executor = concurrent.futures.ThreadPoolExecutor(
            PARALLEL_LISTINGS, thread_name_prefix="launchtui-media"
        )
        try:
            yield self._progress("Listing")
            while True:
                while self.stopped is None and not self._gated and ready:
                    if len(inflight) >= PARALLEL_LISTINGS:
                        break
                    key = ready.popleft()
                    task = asyncio.ensure_future(
                        self._page(executor, key, self._delay.pop(key, 0.0))
                    )
                    inflight[task] = key
                if inflight:
                    done, _ = await asyncio.wait(inflight, return_when=asyncio.FIRST_COMPLETED)
                    for task in done:
                        key = inflight.pop(task)
                        asked, answer = task.result()
                        for event in self._handle(key, asked, answer, ready):
                            yield event
                    continue
                if self.stopped is not None or not ready:
                    return
                async for event in self._wait_out():  # gated, nothing in flight
                    yield event
        finally:
            for task in inflight:
                task.cancel()
            # A page being fetched cannot be interrupted; its thread ends within its timeout.
            executor.shutdown(wait=False, cancel_futures=True)
            for pool in self._pools.values():
                pool.clear()

    def _progress(self, what: str) -> Progress:
        n = len(self.inv.listings)
        return Progress(
            self.inv.resources,
            None,
            "resources",
            f"{what}: {self.inv.listings_done} of {n} listings done",
        )

    def _handle(
        self, key: str, asked: str | None, answer: ApiAnswer, ready: deque[str]
    ) -> list[Output | Progress]:
        self.requests += 1
        state = self.inv.listings[key]
        if answer.rate_limit.known or answer.rate_limit.reset_at:
            self.rate = answer.rate_limit
        if answer.ok:
            if asked != state.next_cursor:  # pragma: no cover - the pager follows our cursor
                raise AssertionError(f"{key}: asked {asked!r}, expected {state.next_cursor!r}")
            self.inv.commit(state, answer.resources, answer.next_cursor)
            self._tries.pop(key, None)
            self._listed_here.add(key)
            self._episode = 0.0
            if state.done:
                self._pagers.pop(key, None)
            else:
                # Next in line: a long listing's chain of pages is what the run waits for.
                ready.appendleft(key)
            events: list[Output | Progress] = [self._progress(f"{key} page {state.pages}")]
            if answer.rate_limit.remaining == 0:
                # The next request would be refused: pause before asking, not after.
                events += self._gate(answer.rate_limit)
            return events
        # The pager ends after a failure: the next try starts a new one at the same cursor.
        self._pagers.pop(key, None)
        where = f"the {key} listing" + (f" (page {state.pages + 1})" if state.pages else "")
        if answer.layer == "quota":
            ready.appendleft(key)
            return self._gate(answer.rate_limit)
        if answer.layer in _TRANSPORT or (answer.status or 0) >= 500:
            return self._retry(key, where, answer, ready)
        what = answer.reason or "failed"
        if answer.layer == "auth":
            self._stop(
                "auth",
                f"Cloudinary {what} to {where}: it no longer accepts the API key/secret in "
                "CLOUDINARY_URL",
                "Fix CLOUDINARY_URL (the Cloudinary console → Settings → API Keys), then",
            )
            return []
        if answer.status == 400 and state.next_cursor and key not in self._listed_here:
            # A cursor saved by an earlier run that the API no longer takes: list it again.
            self.inv.restart(state)
            ready.appendleft(key)
            return [
                Output(
                    f"Cloudinary refused the saved cursor of {key} ({answer.message or what}); "
                    "listing it again from its first page (resources already listed are kept, "
                    "not repeated)."
                )
            ]
        self._stop(
            "request",
            f"Cloudinary {what} to {where}",
            f"Check {STATUS_PAGE} and CLOUDINARY_URL, then",
        )
        return []

    def _retry(self, key: str, where: str, answer: ApiAnswer, ready: deque[str]) -> list[Output]:
        tries = self._tries.get(key, 0) + 1
        self._tries[key] = tries
        what = (
            f"answered HTTP {answer.status}" if answer.layer == "http" else answer.reason
        ) or "failed"
        if tries > len(RETRY_DELAYS):
            self._stop(
                "server",
                f"Cloudinary's Admin API {what} to {where} {tries} times in a row",
                f"Check {STATUS_PAGE}; once it answers again,",
            )
            return []
        delay = RETRY_DELAYS[tries - 1]
        self._delay[key] = delay
        ready.appendleft(key)
        return [
            Output(
                f"Cloudinary's Admin API {what} to {where}; asking again in {delay:g} s "
                f"(retry {tries} of {len(RETRY_DELAYS)})."
            )
        ]

    def _stop(self, kind: str, cause: str, advice: str, reset: dt.datetime | None = None) -> None:
        if self.stopped is None:
            self.stopped = Stopped(kind, cause, advice, reset)

    def _gate(self, rate: RateLimit) -> list[Output]:
        """Pause every listing until the reset (the latest one any answer named)."""
        if rate.reset_at is not None and (self._reset is None or rate.reset_at > self._reset):
            self._reset = rate.reset_at
        if self._gated:
            return []
        self._gated = True
        return [Output(f"Cloudinary's Admin API rate limit is spent ({_allowance(rate)}).")]

    async def _wait_out(self) -> AsyncIterator[Output | Progress]:
        """The countdown to the reset, or the stop when it is further than `max_wait`."""
        reset, self._reset = self._reset, None
        now = dt.datetime.now(dt.UTC)
        wait = (reset - now).total_seconds() if reset else UNKNOWN_RESET_WAIT_S
        wait = max(wait, MIN_RATE_WAIT_S)
        when = _clock(reset) if reset else f"in about {format_age(wait)}"
        if self._episode + wait > self.max_wait:
            limit = f"longer than --max-wait ({format_age(self.max_wait)})"
            if reset:
                cause = (
                    f"Cloudinary's Admin API rate limit is spent until {when}, "
                    f"{format_age(wait)} from now, {limit}"
                )
            else:
                cause = (
                    "Cloudinary's Admin API rate limit is spent and it gave no reset time; "
                    f"the {format_age(wait)} launchtui would wait is {limit}"
                )
            self._stop("rate_limit", cause, f"After {when}," if reset else "Later,", reset)
            return
        self._episode += wait
        yield Output(
            f"Waiting {format_age(wait)} for the rate limit to reset at {when}; ctrl+c stops "
            "here, and `launchtui backup media --resume` continues later."
        )
        start = time.monotonic()
        total, note_at = math.ceil(wait), 60.0
        while (left := wait - (time.monotonic() - start)) > 0:
            yield Progress(
                total - math.ceil(left),
                total,
                "s",
                f"Rate limited: {math.ceil(left)} s until the reset at {when}",
            )
            if wait - left >= note_at:  # a line a minute for logs, where progress is not shown
                note_at += 60.0
                yield Output(f"Still waiting for the rate limit: {format_age(left)} to go.")
            await asyncio.sleep(min(1.0, left))
        self.waited += wait
        self._gated = False
        yield Progress(total, total, "s", "The rate limit has reset; listing again")
        yield Output("The rate limit has reset; listing goes on.")
