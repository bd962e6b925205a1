"""What the TUI knows about the checklist: results, runs in flight, sign-offs, latencies."""

from __future__ import annotations

import enum
from collections import Counter, deque
from collections.abc import Iterable

from launchtui.core.model import Result, RunFinished, Status, count_statuses
from launchtui.core.registry import SECTIONS, Check, Registry

# How many latency samples a sparkline shows.
LATENCY_SAMPLES = 30

# Which status speaks for a whole section: the most urgent one present.
_URGENCY = (Status.FAIL, Status.ERROR, Status.WARN, Status.MANUAL, Status.SKIP, Status.PASS)


class Phase(enum.Enum):
    """Where a check is in its life on screen."""

    IDLE = "idle"  # never run in this session
    QUEUED = "queued"  # in a run, waiting for what it needs
    RUNNING = "running"
    DONE = "done"


class Board:
    """The checklist's live state, shared by every panel; it knows nothing of Textual."""

    def __init__(self, registry: Registry | None = None) -> None:
        self.registry = registry or Registry()
        self.checks: dict[str, Check] = {c.id: c for c in self.registry}
        self.loaded = registry is not None
        self.results: dict[str, Result] = {}
        self.baseline: dict[str, Result] = {}
        self.baseline_started_at: str | None = None
        self.previous: dict[str, Status] = {}
        self.signoffs: dict[str, tuple[str, str]] = {}
        self.latency: dict[str, deque[float]] = {}
        self.last_started_at: str | None = None
        self._pending: Counter[str] = Counter()
        self._started: set[str] = set()

    # -- the checklist's shape ----------------------------------------------

    def set_registry(self, registry: Registry) -> None:
        """The checks, once loaded (importing them all is left until after the first paint)."""
        self.registry = registry
        self.checks = {c.id: c for c in registry}
        self.loaded = True

    def sections(self) -> list[str]:
        """Every section of the checklist, 1.1 to 4.4, in order."""
        return list(SECTIONS)

    def in_section(self, section: str) -> list[Check]:
        return self.registry.in_section(section)

    def live_ids(self) -> list[str]:
        return [cid for cid, c in self.checks.items() if c.kind == "live"]

    # -- runs ----------------------------------------------------------------

    def queue(self, ids: Iterable[str]) -> None:
        """A run will report these ids."""
        for cid in ids:
            self._pending[cid] += 1

    def start(self, cid: str) -> None:
        self._started.add(cid)

    def finish(self, result: Result) -> None:
        """A fresh result arrived: remember what it replaces, and its latency."""
        cid = result.id
        before = self.shown(cid)
        if before is not None:
            self.previous[cid] = before.status
        self.results[cid] = result
        self._settle(cid)
        latency = _latency_ms(result)
        if latency is not None:
            self.latency.setdefault(cid, deque(maxlen=LATENCY_SAMPLES)).append(latency)

    def abandon(self, ids: Iterable[str]) -> None:
        """A run ended without reporting these ids (it was cancelled or crashed)."""
        for cid in ids:
            self._settle(cid)

    def _settle(self, cid: str) -> None:
        self._pending[cid] -= 1
        if self._pending[cid] <= 0:
            del self._pending[cid]
            self._started.discard(cid)

    def phase(self, cid: str) -> Phase:
        if cid in self._started:
            return Phase.RUNNING
        if cid in self._pending:
            return Phase.QUEUED
        return Phase.DONE if cid in self.results else Phase.IDLE

    def busy(self) -> bool:
        return bool(self._pending)

    def in_flight(self) -> int:
        return len(self._pending)

    # -- what to show --------------------------------------------------------

    def load_baseline(self, run: RunFinished | None) -> None:
        """The last recorded run: shown until fresh results replace it."""
        if run is None:
            return
        self.baseline = {r.id: r for r in run.results}
        self.baseline_started_at = run.started_at
        # Results that arrived before the history was read compare against it too.
        for cid in self.results:
            old = self.baseline.get(cid)
            if old is not None:
                self.previous.setdefault(cid, old.status)

    def shown(self, cid: str) -> Result | None:
        """This session's result, else the last recorded one."""
        return self.results.get(cid) or self.baseline.get(cid)

    def is_stale(self, cid: str) -> bool:
        """True when what is shown comes from the last recorded run, not this session."""
        return cid not in self.results and cid in self.baseline

    def changed_from(self, cid: str) -> Status | None:
        """The status before the latest result, when the latest one differs from it."""
        current = self.results.get(cid)
        before = self.previous.get(cid)
        if current is None or before is None or before == current.status:
            return None
        return before

    def section_counts(self, section: str) -> dict[str, int]:
        shown = [r for c in self.in_section(section) if (r := self.shown(c.id)) is not None]
        return count_statuses(shown)

    def section_status(self, section: str) -> Status | None:
        counts = self.section_counts(section)
        return next((s for s in _URGENCY if counts[str(s)]), None)

    def section_running(self, section: str) -> int:
        return sum(1 for c in self.in_section(section) if c.id in self._pending)

    def merged(self) -> list[Result]:
        """Every check's latest known result, in checklist order."""
        return [r for cid in self.checks if (r := self.shown(cid)) is not None]

    def complete(self) -> bool:
        """Every registered check has a result from this session."""
        return all(cid in self.results for cid in self.checks)

    def snapshot(self, started_at: str, duration_ms: int) -> RunFinished:
        """The whole checklist as one run, for the history and the sign-off report."""
        return RunFinished(tuple(self.merged()), started_at, duration_ms)

    def statuses(self) -> dict[str, Status]:
        return {r.id: r.status for r in self.merged()}


def _latency_ms(result: Result) -> float | None:
    """A live probe's latency: its `latency_ms` fact, else how long an answered probe took."""
    if result.kind != "live":
        return None
    fact = result.facts.get("latency_ms")
    if isinstance(fact, int | float) and not isinstance(fact, bool):
        return float(fact)
    if result.status in (Status.PASS, Status.WARN):
        return float(result.duration_ms)
    return None
