"""The check registry: stable ids, checklist sections, tags, and what each check needs."""

from __future__ import annotations

import difflib
from collections.abc import Awaitable, Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from launchtui.core.context import Context
    from launchtui.core.model import Verdict

CheckFn = Callable[["Context"], Awaitable["Verdict"]]
Kind = Literal["static", "live"]

# The checklist's sections, in order, with the seed's own titles.
SECTIONS: dict[str, str] = {
    "1.1": "Environment variables",
    "1.2": "Frontend build configuration",
    "2.1": "Run migrations",
    "2.2": "Database backups",
    "2.3": "Cloudinary resource backup",
    "3.1": "Connection pool",
    "3.2": "Temporary file cleanup",
    "3.3": "Security",
    "4.1": "Frontend unreachable",
    "4.2": "API 500 error",
    "4.3": "Database connection failure",
    "4.4": "Image load failure",
}

# Section 4's incidents: the checklist's own first step, and the `links` keys it points at.
INCIDENT_STEPS: dict[str, tuple[str, tuple[str, ...]]] = {
    "4.1": ("Check the Vercel deployment logs.", ("vercel",)),
    "4.2": ("Check the Railway/Render backend logs.", ("railway", "render")),
    "4.3": ("Log in to the TiDB Cloud console to check the cluster's status.", ("tidb_console",)),
    "4.4": ("Check the Cloudinary traffic quota.", ("cloudinary_console",)),
}


@dataclass(frozen=True)
class Check:
    """A check is data plus one async function."""

    id: str
    section: str
    title: str
    fn: CheckFn
    kind: Kind = "static"
    tags: frozenset[str] = frozenset()
    # Checks that must pass (or warn) first; otherwise this one is skipped, naming them.
    needs: tuple[str, ...] = ()
    # Checks whose results this one reads if present, but runs regardless of them.
    after: tuple[str, ...] = ()
    timeout: float = 10.0
    doc: str = field(default="", compare=False)


class Registry:
    """An ordered set of checks, looked up by id."""

    def __init__(self) -> None:
        self._checks: dict[str, Check] = {}

    def add(self, check: Check) -> Check:
        if check.id in self._checks:
            raise ValueError(f"duplicate check id {check.id!r}")
        if check.section not in SECTIONS:
            raise ValueError(f"{check.id}: unknown checklist section {check.section!r}")
        self._checks[check.id] = check
        return check

    def check(
        self,
        id: str,
        *,
        section: str,
        title: str,
        kind: Kind = "static",
        tags: Iterable[str] = (),
        needs: Iterable[str] = (),
        after: Iterable[str] = (),
        timeout: float | None = None,
    ) -> Callable[[CheckFn], CheckFn]:
        """Decorator: register an async `fn(ctx) -> Verdict` as a check."""

        def register(fn: CheckFn) -> CheckFn:
            self.add(
                Check(
                    id=id,
                    section=section,
                    title=title,
                    fn=fn,
                    kind=kind,
                    tags=frozenset((*tags, kind)),
                    needs=tuple(needs),
                    after=tuple(after),
                    timeout=timeout if timeout is not None else (20.0 if kind == "live" else 10.0),
                    doc=(fn.__doc__ or "").strip(),
                )
            )
            return fn

        return register

    def __iter__(self) -> Iterator[Check]:
        """Checks in checklist order: by section, then in registration order."""
        order = list(SECTIONS)
        return iter(sorted(self._checks.values(), key=lambda c: order.index(c.section)))

    def __len__(self) -> int:
        return len(self._checks)

    def __contains__(self, id: object) -> bool:
        return id in self._checks

    def __getitem__(self, id: str) -> Check:
        return self._checks[id]

    def ids(self) -> frozenset[str]:
        return frozenset(self._checks)

    def in_section(self, section: str) -> list[Check]:
        return [c for c in self if c.section == section]

    def closest(self, id: str, n: int = 3) -> list[str]:
        """Known ids that look like a mistyped one."""
        return difflib.get_close_matches(id, list(self._checks), n=n, cutoff=0.4)

    def closure(self, ids: Iterable[str]) -> list[Check]:
        """The checks named, plus everything they need or read, in registry order."""
        want: set[str] = set()
        stack = list(ids)
        while stack:
            cid = stack.pop()
            if cid in want or cid not in self._checks:
                continue
            want.add(cid)
            c = self._checks[cid]
            stack.extend(c.needs)
            stack.extend(c.after)
        return [c for c in self if c.id in want]

    def validate(self) -> None:
        """Every needs/after id exists and there is no cycle."""
        for c in self:
            for dep in (*c.needs, *c.after):
                if dep not in self._checks:
                    raise ValueError(f"{c.id} depends on unknown check {dep!r}")
        state: dict[str, int] = {}

        def visit(cid: str) -> None:
            if state.get(cid) == 1:
                raise ValueError(f"dependency cycle through {cid!r}")
            if state.get(cid) == 2:
                return
            state[cid] = 1
            c = self._checks[cid]
            for dep in (*c.needs, *c.after):
                visit(dep)
            state[cid] = 2

        for cid in self._checks:
            visit(cid)


# The registry the shipped checks register into (see launchtui.checks).
REGISTRY = Registry()
check = REGISTRY.check


def default_registry() -> Registry:
    """The registry with every shipped check loaded."""
    import launchtui.checks  # noqa: F401  (registers the checks)

    return REGISTRY
