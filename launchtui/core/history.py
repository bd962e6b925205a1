"""The run history: every walkthrough and every sign-off, in SQLite under the user data dir."""

from __future__ import annotations

import getpass
import json
import os
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from launchtui.core.config import Settings, user_data_dir
from launchtui.core.model import Result, RunFinished, Status

if TYPE_CHECKING:
    from sqlalchemy import Engine, MetaData

HISTORY_FILE = "history.sqlite3"
# Runs kept per profile; older ones (and their results) are pruned on each record.
KEEP_RUNS = 200


def history_path() -> Path:
    """Where the history database lives: the platformdirs user data dir."""
    return user_data_dir() / HISTORY_FILE


def current_user() -> str:
    """Who is signing off: `$USER`, else the login name the OS knows."""
    user = os.environ.get("USER", "").strip()
    if user:
        return user
    try:
        return getpass.getuser()
    except (OSError, KeyError):
        return "unknown"


def _profile_key(settings: Settings) -> str:
    return settings.profile or ""


@cache
def _metadata() -> MetaData:
    from sqlalchemy import Column, ForeignKey, Integer, MetaData, Table, Text

    md = MetaData()
    Table(
        "runs",
        md,
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column("profile", Text, nullable=False, index=True),
        Column("started_at", Text, nullable=False),
        Column("duration_ms", Integer, nullable=False),
    )
    Table(
        "results",
        md,
        Column("run_id", Integer, ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True),
        Column("position", Integer, primary_key=True),
        Column("check_id", Text, nullable=False),
        Column("section", Text, nullable=False),
        Column("title", Text, nullable=False),
        Column("kind", Text, nullable=False),
        Column("status", Text, nullable=False),
        Column("summary", Text, nullable=False),
        Column("evidence", Text, nullable=False),
        Column("remediation", Text, nullable=False),
        Column("command", Text),
        Column("duration_ms", Integer, nullable=False),
    )
    Table(
        "signoffs",
        md,
        Column("profile", Text, primary_key=True),
        Column("check_id", Text, primary_key=True),
        Column("who", Text, nullable=False),
        Column("at", Text, nullable=False),
    )
    return md


# One engine per history file (tests and profiles may point at several).
_engines: dict[Path, Engine] = {}


def _engine() -> Engine:
    """An engine on the history file, created 0600 in a 0700 directory on first use."""
    path = history_path()
    engine = _engines.get(path)
    if engine is None or not path.exists():
        engine = _engines[path] = _create_engine(path)
    return engine


def _create_engine(path: Path) -> Engine:
    from sqlalchemy import create_engine, event
    from sqlalchemy.pool import NullPool

    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    if not path.exists():
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))
    engine = create_engine(f"sqlite:///{path}", poolclass=NullPool)

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_conn: Any, _record: Any) -> None:
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=5000")
        cur.close()

    _metadata().create_all(engine)
    return engine


def record_run(settings: Settings, final: RunFinished) -> None:
    """Store a finished run (its results are already scrubbed of secrets)."""
    from sqlalchemy import delete, insert, select

    md = _metadata()
    runs, results = md.tables["runs"], md.tables["results"]
    profile = _profile_key(settings)
    with _engine().begin() as conn:
        run_id = conn.execute(
            insert(runs).values(
                profile=profile, started_at=final.started_at, duration_ms=final.duration_ms
            )
        ).inserted_primary_key[0]
        rows = [
            {
                "run_id": run_id,
                "position": i,
                "check_id": r.id,
                "section": r.section,
                "title": r.title,
                "kind": r.kind,
                "status": str(r.status),
                "summary": r.summary,
                "evidence": json.dumps(dict(r.evidence), ensure_ascii=False),
                "remediation": r.remediation,
                "command": r.command,
                "duration_ms": r.duration_ms,
            }
            for i, r in enumerate(final.results)
        ]
        if rows:
            conn.execute(insert(results), rows)
        keep = (
            select(runs.c.id)
            .where(runs.c.profile == profile)
            .order_by(runs.c.id.desc())
            .limit(KEEP_RUNS)
        )
        conn.execute(delete(runs).where(runs.c.profile == profile, runs.c.id.not_in(keep)))


def last_run(settings: Settings) -> RunFinished | None:
    """The profile's most recent recorded run, or None when there is none."""
    from sqlalchemy import select

    md = _metadata()
    runs, results = md.tables["runs"], md.tables["results"]
    with _engine().connect() as conn:
        run = conn.execute(
            select(runs)
            .where(runs.c.profile == _profile_key(settings))
            .order_by(runs.c.id.desc())
            .limit(1)
        ).first()
        if run is None:
            return None
        rows = conn.execute(
            select(results).where(results.c.run_id == run.id).order_by(results.c.position)
        ).all()
    return RunFinished(
        results=tuple(_result(row) for row in rows),
        started_at=run.started_at,
        duration_ms=run.duration_ms,
    )


def _result(row: Any) -> Result:
    try:
        evidence = json.loads(row.evidence)
    except ValueError:
        evidence = {}
    try:
        status = Status(row.status)
    except ValueError:
        status = Status.ERROR
    return Result(
        id=row.check_id,
        section=row.section,
        title=row.title,
        status=status,
        summary=row.summary,
        evidence={str(k): str(v) for k, v in evidence.items()},
        remediation=row.remediation,
        command=row.command,
        duration_ms=row.duration_ms,
        kind=row.kind,
    )


def signoffs(settings: Settings) -> dict[str, tuple[str, str]]:
    """The profile's sign-offs: check id -> (who, when in UTC)."""
    from sqlalchemy import select

    table = _metadata().tables["signoffs"]
    with _engine().connect() as conn:
        rows = conn.execute(select(table).where(table.c.profile == _profile_key(settings))).all()
    return {row.check_id: (row.who, row.at) for row in rows}


def sign_off(settings: Settings, check_id: str, who: str, at: str) -> None:
    """Record that `who` confirmed a check at `at` (replacing an earlier sign-off)."""
    from sqlalchemy.dialects.sqlite import insert

    table = _metadata().tables["signoffs"]
    stmt = insert(table).values(profile=_profile_key(settings), check_id=check_id, who=who, at=at)
    stmt = stmt.on_conflict_do_update(
        index_elements=[table.c.profile, table.c.check_id], set_={"who": who, "at": at}
    )
    with _engine().begin() as conn:
        conn.execute(stmt)


def withdraw_signoff(settings: Settings, check_id: str) -> None:
    """Remove a check's sign-off for the profile."""
    from sqlalchemy import delete

    table = _metadata().tables["signoffs"]
    with _engine().begin() as conn:
        conn.execute(
            delete(table).where(
                table.c.profile == _profile_key(settings), table.c.check_id == check_id
            )
        )


def markdown_report(settings: Settings) -> str | None:
    """The Markdown sign-off of the profile's last walkthrough, or None before the first."""
    from launchtui.core.report import to_markdown

    run = last_run(settings)
    if run is None:
        return None
    return to_markdown(run, settings.profile, signoffs=signoffs(settings))
