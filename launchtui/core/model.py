"""The data every face of launchtui shares: statuses, verdicts, results, events."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


class Status(enum.StrEnum):
    """A check's outcome, exactly as the JSON contract spells it."""

    PASS = "pass"
    WARN = "warn"
    FAIL = "fail"
    ERROR = "error"
    SKIP = "skip"
    MANUAL = "manual"

    @property
    def rank(self) -> int:
        """How bad the status is: 0 fine, 1 warn, 2 fail (error counts as fail)."""
        return _RANK[self]

    @property
    def glyph(self) -> str:
        """A symbol that reads without color."""
        return _GLYPH[self]


_RANK = {
    Status.PASS: 0,
    Status.SKIP: 0,
    Status.MANUAL: 0,
    Status.WARN: 1,
    Status.FAIL: 2,
    Status.ERROR: 2,
}

_GLYPH = {
    Status.PASS: "✔",
    Status.WARN: "▲",
    Status.FAIL: "✘",
    Status.ERROR: "!",
    Status.SKIP: "–",
    Status.MANUAL: "?",
}

STATUS_ORDER: tuple[Status, ...] = (
    Status.PASS,
    Status.WARN,
    Status.FAIL,
    Status.ERROR,
    Status.SKIP,
    Status.MANUAL,
)


# The fact a verdict carries when an input is missing: the input keys, for "s sets it up".
MISSING_INPUT = "missing_input"


@dataclass(frozen=True)
class Verdict:
    """What a check function returns: a status and the words that explain it.

    `evidence` values must already be masked; `facts` carry typed values to checks
    that run after this one (for example the live `wait_timeout`) and never leave
    the core.
    """

    status: Status
    summary: str
    evidence: Mapping[str, str] = field(default_factory=dict)
    remediation: str = ""
    command: str | None = None
    facts: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)


def passed(summary: str, evidence: Mapping[str, Any] | None = None, **kw: Any) -> Verdict:
    return _verdict(Status.PASS, summary, evidence, **kw)


def warned(summary: str, evidence: Mapping[str, Any] | None = None, **kw: Any) -> Verdict:
    return _verdict(Status.WARN, summary, evidence, **kw)


def failed(summary: str, evidence: Mapping[str, Any] | None = None, **kw: Any) -> Verdict:
    return _verdict(Status.FAIL, summary, evidence, **kw)


def errored(summary: str, evidence: Mapping[str, Any] | None = None, **kw: Any) -> Verdict:
    return _verdict(Status.ERROR, summary, evidence, **kw)


def skipped(summary: str, evidence: Mapping[str, Any] | None = None, **kw: Any) -> Verdict:
    return _verdict(Status.SKIP, summary, evidence, **kw)


def needs_input(
    summary: str, *keys: str, evidence: Mapping[str, Any] | None = None, **kw: Any
) -> Verdict:
    """A skip because an input is missing: `summary` names the flag; the keys ride as a fact."""
    facts = {**kw.pop("facts", {}), MISSING_INPUT: keys}
    return _verdict(Status.SKIP, summary, evidence, facts=facts, **kw)


def manual(summary: str, evidence: Mapping[str, Any] | None = None, **kw: Any) -> Verdict:
    return _verdict(Status.MANUAL, summary, evidence, **kw)


def _verdict(
    status: Status,
    summary: str,
    evidence: Mapping[str, Any] | None,
    *,
    remediation: str = "",
    command: str | None = None,
    facts: Mapping[str, Any] | None = None,
) -> Verdict:
    return Verdict(
        status=status,
        summary=summary,
        evidence={str(k): str(v) for k, v in (evidence or {}).items()},
        remediation=remediation,
        command=command,
        facts=dict(facts or {}),
    )


@dataclass(frozen=True)
class Result:
    """A finished check: its identity, its verdict, and how long it took."""

    id: str
    section: str
    title: str
    status: Status
    summary: str
    evidence: Mapping[str, str] = field(default_factory=dict)
    remediation: str = ""
    command: str | None = None
    duration_ms: int = 0
    kind: str = "static"
    facts: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)

    def to_dict(self) -> dict[str, Any]:
        """The result as the JSON contract's `results[]` entry."""
        out: dict[str, Any] = {
            "id": self.id,
            "section": self.section,
            "title": self.title,
            "status": str(self.status),
            "summary": self.summary,
            "evidence": dict(self.evidence),
            "remediation": self.remediation,
            "duration_ms": self.duration_ms,
        }
        if self.command:
            out["command"] = self.command
        return out

    def __str__(self) -> str:
        return f"{self.id}: {self.status.value.upper()}: {self.summary}"


# Events the runner streams to whoever renders them (CLI, TUI, tests).


@dataclass(frozen=True)
class RunStarted:
    check_ids: tuple[str, ...]
    started_at: str


@dataclass(frozen=True)
class CheckStarted:
    id: str


@dataclass(frozen=True)
class CheckFinished:
    result: Result


@dataclass(frozen=True)
class RunFinished:
    results: tuple[Result, ...]
    started_at: str
    duration_ms: int

    def summary(self) -> dict[str, int]:
        return count_statuses(self.results)


Event = RunStarted | CheckStarted | CheckFinished | RunFinished


def count_statuses(results: tuple[Result, ...] | list[Result]) -> dict[str, int]:
    """Counts per status in the contract's key order."""
    counts = {str(s): 0 for s in STATUS_ORDER}
    for r in results:
        counts[str(r.status)] += 1
    return counts
