"""`launchtui migrate` (2.1): show the pending revisions, then run `flask db upgrade`.

The plan reads what db.migrations reads (through the check itself, so its sentences and
its time budget are the same) and, with `--sql`, asks Alembic for the SQL offline. The
upgrade runs in the backend dir with the backend's variables as its environment: that
environment is the one place a secret may go, never the command line.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib.util
import os
import re
import shlex
import shutil
import sys
from collections import deque
from collections.abc import AsyncIterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from launchtui.actions.child import lines, spawn, stop
from launchtui.core.actions import (
    Action,
    ActionError,
    ActionEvent,
    Finished,
    Output,
    Plan,
    Progress,
)
from launchtui.core.context import Context
from launchtui.core.model import Result, Status

_UPGRADE = "flask db upgrade"
# Loading a big app can take a while; past this the SQL preview gives up (nothing was changed).
_SQL_TIMEOUT_S = 60.0
# Output lines kept for the error message and for recognising Flask's own errors.
_TAIL_KEPT = 60
_TAIL_SHOWN = 3
# Alembic logs this line as it starts each revision ("Running upgrade  -> a1b2" from base).
_RUNNING = re.compile(r"Running upgrade (\S*) -> ([^\s,]+)")
# The last line of a Python traceback: "ModuleNotFoundError: No module named 'x'".
_EXCEPTION = re.compile(r"^[A-Za-z_][\w.]*(Error|Exception|Exit): ")
# Flask's words when the app cannot even be found or loaded.
_NOT_FOUND = ("Could not locate a Flask application", "Failed to find Flask application")
_NOT_IMPORTED = ("While importing", "Could not import", "Failed to find attribute")


# -- which command runs --------------------------------------------------------


def find_flask(backend: Path, env: Mapping[str, str]) -> tuple[list[str], str]:
    """The `flask` to run, and in words where it was found (the backend's venv first)."""
    for venv in (".venv", "venv"):
        exe = backend / venv / "bin" / "flask"
        if exe.is_file() and os.access(exe, os.X_OK):
            return [str(exe)], f"flask from the backend's own {venv}"
    on_path = shutil.which("flask", path=env.get("PATH", os.defpath))
    if on_path:
        return [on_path], "flask found on PATH"
    if importlib.util.find_spec("flask") is not None:
        return [sys.executable, "-m", "flask"], "flask from launchtui's own Python"
    raise ActionError(
        f"No `flask` command was found: not in {backend}/.venv or {backend}/venv, not on PATH, "
        "and not installed beside launchtui. Create the backend's virtualenv "
        "(python -m venv .venv && .venv/bin/pip install -r requirements.txt) or set "
        "migrate_command in the profile."
    )


def _is_flask(argv: Sequence[str]) -> bool:
    return Path(argv[0]).name == "flask" or list(argv[1:3]) == ["-m", "flask"]


def upgrade_command(ctx: Context, backend: Path) -> tuple[list[str], str]:
    """The upgrade argv (the profile's migrate_command, else `flask db upgrade`), and whence."""
    custom = ctx.settings.migrate_command
    if not custom:
        flask, how = find_flask(backend, ctx.env)
        argv = [*flask, "db", "upgrade"]
    else:
        try:
            words = shlex.split(custom)
        except ValueError as exc:
            raise ActionError(f"The profile's migrate_command cannot be parsed ({exc}).") from None
        if not words:
            raise ActionError(
                "The profile's migrate_command is empty; remove it or name a command."
            )
        if words[0] == "flask":
            flask, how = find_flask(backend, ctx.env)
            argv, how = [*flask, *words[1:]], f"{how}, as the profile's migrate_command"
        else:
            exe = _resolve(words[0], backend, ctx.env)
            argv, how = [exe, *words[1:]], "the profile's migrate_command"
    if any(ctx.redactor.scrub(word) != word for word in argv):
        # Arguments show in `ps` to every user of the box; the environment does not.
        raise ActionError(
            "The migrate command would carry a secret in its arguments, where `ps` shows it; "
            "move the value into the env file and let the command read it from there."
        )
    return argv, how


def _resolve(program: str, backend: Path, env: Mapping[str, str]) -> str:
    """A program of migrate_command as an absolute path (relative ones are the backend's)."""
    if "/" in program:
        path = Path(program).expanduser()
        path = path if path.is_absolute() else backend / path
        if path.is_file() and os.access(path, os.X_OK):
            return str(path)
        found = None
    else:
        found = shutil.which(program, path=env.get("PATH", os.defpath))
    if found is None:
        raise ActionError(
            f"The profile's migrate_command runs {program}, which is not an executable file "
            f"here (looked in {backend} and on PATH); fix migrate_command or install it."
        )
    return found


def child_env(ctx: Context) -> dict[str, str]:
    """The backend's variables, as the platform hands them to its release command."""
    env = dict(ctx.env)
    # Line by line as the child prints, not all at once when it exits.
    env.setdefault("PYTHONUNBUFFERED", "1")
    return env


# -- the plan ------------------------------------------------------------------


def _sentence(result: Result) -> str:
    words = result.summary
    if result.remediation:
        words += f" {result.remediation}"
    if result.command and result.command not in words:
        words += f" (`{result.command}`)"
    return words


def _pending(results: Mapping[str, Result]) -> Result:
    """db.migrations' result when `flask db upgrade` alone brings the database to head."""
    state, connect = results.get("db.migrations"), results.get("db.connect")
    if state is None:
        raise ActionError("db.migrations gave no verdict, so the pending revisions are unknown.")
    if state.status is Status.SKIP and connect is not None and connect.status is Status.SKIP:
        raise ActionError(f"The database's revision cannot be read: {_sentence(connect)}")
    if state.status is Status.SKIP and connect is not None and connect.status is not Status.PASS:
        raise ActionError(
            "The database cannot be reached, so the pending revisions are unknown and nothing "
            f"was run: {_sentence(connect)}"
        )
    if state.status is not Status.PASS and "pending" not in state.facts:
        raise ActionError(_sentence(state))
    return state


def _named(revs: Sequence[str], messages: Mapping[str, str]) -> str:
    return ", ".join(f"{r} ({messages[r]})" if messages.get(r) else r for r in revs)


async def _offline_sql(
    ctx: Context, argv: list[str], backend: Path, db_heads: Sequence[str], head: str
) -> list[str]:
    """What `flask db upgrade --sql FROM:HEAD` prints: Alembic's offline mode, no connection."""
    span = f"{db_heads[0]}:{head}" if db_heads else head
    proc = await spawn([*argv, "--sql", span], backend, child_env(ctx))
    try:
        out, err = await asyncio.wait_for(proc.communicate(), _SQL_TIMEOUT_S)
    except TimeoutError:
        raise ActionError(
            f"Asking Alembic for the SQL (`{_UPGRADE} --sql`) took over {_SQL_TIMEOUT_S:g} s, so "
            "no SQL is shown and nothing was run; try again without --sql."
        ) from None
    finally:
        await stop(proc)
    lines = (out + err).decode(errors="replace").splitlines()
    if proc.returncode != 0:
        why = _load_failure(lines, ctx, backend, argv[0])
        raise ActionError(why or f"Asking Alembic for the SQL failed: {_last(lines)}")
    return [line.rstrip() for line in out.decode(errors="replace").splitlines() if line.strip()]


async def plan(ctx: Context, options: Mapping[str, Any]) -> Plan:
    """The pending revisions in apply order (and, with `sql`, the SQL); changes nothing."""
    from launchtui.actions import recheck

    backend = ctx.settings.backend_dir
    if backend is None:
        raise ActionError(
            "No backend checkout was given, so there is nothing to migrate; pass --backend-dir "
            "PATH (the directory with config.py and migrations/) or set backend_dir in the profile."
        )
    if not (Path(backend) / "migrations").is_dir():
        raise ActionError(
            f"{Path(backend) / 'migrations'} does not exist, so there are no migrations to run; "
            "point --backend-dir at the Flask backend checkout."
        )
    backend = Path(backend)
    state = _pending({r.id: r for r in await recheck(ctx, ["db.connect", "db.migrations"])})
    db_heads = list(state.facts["db_heads"])
    messages: Mapping[str, str] = state.facts.get("messages", {})
    if state.status is Status.PASS:
        return Plan(
            summary=f"{state.summary} Nothing to migrate.",
            nothing_to_do=True,
            fields={"from": db_heads, "to": db_heads},
        )
    head = state.facts["repo_heads"][0]
    pending = list(state.facts["pending"])
    argv, how = upgrade_command(ctx, backend)
    shown = ctx.settings.migrate_command or _UPGRADE
    n = len(pending)
    where = f"at {', '.join(db_heads)}" if db_heads else "without any migration applied"
    steps = [f"{i}. {rev}  {messages.get(rev, '')}".rstrip() for i, rev in enumerate(pending, 1)]
    source = ctx.settings.env_file or "the environment"
    steps.append(f"command: {shlex.join(argv)} ({how}), with the variables of {source}")
    if options.get("sql"):
        steps.append("SQL Alembic would run (offline: nothing is sent to the database):")
        if len(db_heads) > 1:
            steps.append("  (Alembic prints offline SQL from one revision only, not from several.)")
        elif not _is_flask(argv):
            steps.append("  (migrate_command is not a flask command, so it is not asked for SQL.)")
        else:
            steps.extend(
                f"  {line}" for line in await _offline_sql(ctx, argv, backend, db_heads, head)
            )
    return Plan(
        summary=f"The database is {where}, {n} revision{'s' if n != 1 else ''} behind the head "
        f"{_named([head], messages)}: run `{shown}` in {backend}.",
        steps=tuple(steps),
        fields={"from": db_heads, "to": db_heads, "pending": pending},
        data={
            "argv": tuple(argv),
            "how": how,
            "backend": backend,
            "from": tuple(db_heads),
            "pending": tuple(pending),
            "messages": dict(messages),
            "shown": shown,
        },
        confirm_label=f"Run {shown}",
    )


# -- running it ------------------------------------------------------------------


def _last(lines: Sequence[str], n: int = _TAIL_SHOWN) -> str:
    kept = [
        line.strip() for line in lines if line.strip() and "Background on this error" not in line
    ]
    return " | ".join(kept[-n:]) or "(no output)"


def _load_failure(lines: Sequence[str], ctx: Context, backend: Path, program: str) -> str | None:
    """The sentence for a Flask app that could not be found or loaded, else None."""
    text = "\n".join(lines)
    flask_app = ctx.get("FLASK_APP")
    now = f"FLASK_APP is now {flask_app}" if flask_app else "FLASK_APP is not set"
    if any(words in text for words in _NOT_FOUND):
        said = next((line.strip() for line in lines if "Flask application" in line), "")
        return (
            f"Flask could not find the backend's application in {backend}, so nothing was "
            f"migrated ({said}). Set FLASK_APP in the env file to its module and factory, for "
            f"example FLASK_APP=app:create_app, or add app.py or wsgi.py there; {now}."
        )
    if any(words in text for words in _NOT_IMPORTED):
        cause = next(
            (line.strip() for line in reversed(lines) if _EXCEPTION.match(line.strip())),
            next((line.strip() for line in lines if line.startswith("Error:")), ""),
        )
        return (
            f"The backend's Flask app in {backend} failed to import ({cause}), so nothing was "
            f"migrated. Install the backend's requirements where {program} runs, or set "
            f"FLASK_APP in the env file to the right module and factory; {now}."
        )
    if "No such command 'db'" in text:
        return (
            f"flask has no `db` command for the app in {backend}, so nothing was migrated: the "
            f"app does not set up Flask-Migrate (Migrate(app, db)), Flask-Migrate is not "
            f"installed where {program} runs, or FLASK_APP names another app; {now}."
        )
    return None


def _revision_failure(
    code: int,
    data: Mapping[str, Any],
    started: Sequence[str],
    after: Result | None,
    lines: Sequence[str],
) -> str:
    """The error of an upgrade that failed in a revision: where it stopped, the last lines."""
    messages, shown = data["messages"], data["shown"]
    if after is not None and "db_heads" in after.facts:
        at = _named(after.facts["db_heads"], messages) or "no revision (no alembic_version)"
        now = f"the database is at {at}"
    else:
        why = after.summary if after is not None else "db.migrations gave no verdict"
        now = f"the database's revision could not be read afterwards ({why})"
    if started:
        rev = started[-1]
        return (
            f"`{shown}` failed (exit {code}) while applying {_named([rev], messages)}; {now}. "
            f"MySQL and TiDB cannot roll back DDL: check what part of {rev} ran before retrying. "
            f"Last output: {_last(lines)}"
        )
    return (
        f"`{shown}` failed (exit {code}) before applying any revision; {now}. "
        f"Last output: {_last(lines)}"
    )


async def execute(
    ctx: Context, plan: Plan, options: Mapping[str, Any]
) -> AsyncIterator[ActionEvent]:
    """Run the upgrade, streaming its lines, then re-check db.migrations."""
    from launchtui.actions import recheck

    data = plan.data
    argv, backend, pending = list(data["argv"]), data["backend"], data["pending"]
    total = len(pending)
    yield Output(f"Running {shlex.join(argv)} in {backend} ({data['how']}).")
    yield Progress(0, total, "revisions", "starting")
    tail: deque[str] = deque(maxlen=_TAIL_KEPT)
    started: list[str] = []
    proc = await spawn(argv, backend, child_env(ctx))
    try:
        async with contextlib.aclosing(lines(proc)) as output:
            async for line in output:
                tail.append(line)
                yield Output(line)
                if found := _RUNNING.search(line):
                    started.append(found.group(2))
                    name = _named([found.group(2)], data["messages"])
                    yield Progress(len(started) - 1, total, "revisions", f"applying {name}")
        code = await proc.wait()
    finally:
        await stop(proc)
    checks = await recheck(ctx, ["db.migrations"])
    after = next((r for r in checks if r.id == "db.migrations"), None)
    fields = {
        "from": list(data["from"]),
        "to": list(after.facts["db_heads"]) if after and "db_heads" in after.facts else None,
        "applied": started,
        "command": shlex.join(argv),
    }
    if code != 0:
        why = _load_failure(tail, ctx, backend, argv[0]) or _revision_failure(
            code, data, started, after, tail
        )
        yield Finished(False, why, fields=fields, error=why, checks=tuple(checks))
        return
    yield Progress(total, total, "revisions", "done")
    if after is None or after.status is not Status.PASS:
        verdict = f"{after.status}: {after.summary}" if after else "no verdict"
        why = f"`{data['shown']}` exited 0, but db.migrations does not pass ({verdict})."
        yield Finished(False, why, fields=fields, error=why, checks=tuple(checks))
        return
    n = len(started)
    yield Finished(
        True,
        f"Applied {n} revision{'s' if n != 1 else ''}; the database is now at "
        f"{_named(fields['to'] or [], data['messages'])} and db.migrations passes.",
        fields=fields,
        checks=tuple(checks),
    )


ACTION = Action(
    id="migrate",
    title="Run migrations",
    section="2.1",
    fixes=("db.migrations",),
    plan=plan,
    execute=execute,
    unconfirmed="ask",
    help="Show the pending revisions (with --sql, the SQL Alembic would run, offline), then run "
    "`flask db upgrade` in the backend dir with the backend's variables and re-check "
    "db.migrations.",
)
