"""`launchtui migrate` against a real Flask + Flask-SQLAlchemy + Flask-Migrate backend and
the private TLS MariaDB: the real `flask db upgrade`, no mocks."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from launchtui.actions import execute_action, plan_action
from launchtui.actions.migrate import ACTION, find_flask
from launchtui.core.actions import ActionError, ActionEvent, Finished, Output, Progress
from launchtui.core.config import Settings
from launchtui.core.context import Context
from launchtui.core.model import Status
from tests.cli import check_json, run_launchtui
from tests.probe_db.support import stamp
from tests.servers.mariadb import MariaDB

FIXTURE = Path(__file__).parent.parent / "fixtures" / "backend_migrate"
USERS, POSTS, IMAGES = "a1b2c3d4e5f6", "b2c3d4e5f6a7", "c3d4e5f6a7b8"
EXTRA = "d4e5f6a7b8c9"  # a revision a test adds after IMAGES
# The test venv has Flask, Flask-SQLAlchemy, Flask-Migrate and PyMySQL: the backend's requirements.
TEST_VENV = Path(sys.prefix)
WAIT_S = 30.0

# A revision that holds until the test releases it: it reports its pid (and, if asked, starts
# a grandchild in its process group) so the test can look at the running `flask` process.
HOLD_BODY = """
def upgrade():
    import os, pathlib, subprocess, time
    hold = pathlib.Path(os.environ["MIGRATE_HOLD_DIR"])
    if os.environ.get("MIGRATE_HOLD_GRANDCHILD"):
        child = subprocess.Popen(["sleep", "600"], stdin=subprocess.DEVNULL,
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        (hold / "grandchild").write_text(str(child.pid))
    (hold / "pid.tmp").write_text(str(os.getpid()))
    (hold / "pid.tmp").rename(hold / "pid")
    deadline = time.monotonic() + 60
    while not (hold / "release").exists() and time.monotonic() < deadline:
        time.sleep(0.02)
    op.create_table("held", sa.Column("id", sa.Integer(), primary_key=True))
"""
# A careless debug print of the URL, then SQL the server refuses.
BROKEN_BODY = """
def upgrade():
    import os
    print("migrating", os.environ["DATABASE_URL"], flush=True)
    op.execute("ALTER TABLE no_such_table ADD COLUMN x INT")
"""


@dataclass
class Stack:
    """A copy of the backend fixture with its own venv, an env file, and a fresh database."""

    root: Path
    backend: Path
    env_file: Path
    db: str
    mariadb: MariaDB

    @property
    def url(self) -> str:
        return self.mariadb.url_for(database=self.db)

    @property
    def password(self) -> str:
        return self.mariadb.password

    def revisions(self) -> list[str]:
        """The database's alembic_version rows, as the server has them ([] with no table)."""
        rows = self.mariadb.root_sql(
            "SELECT COUNT(*) FROM information_schema.tables "
            "WHERE table_schema = %s AND table_name = 'alembic_version'",
            (self.db,),
        )
        if not rows[0][0]:
            return []
        return [r[0] for r in self.mariadb.root_sql(f"SELECT * FROM `{self.db}`.alembic_version")]

    def tables(self) -> set[str]:
        rows = self.mariadb.root_sql(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = %s", (self.db,)
        )
        return {r[0] for r in rows} - {"alembic_version"}

    def add_revision(self, body: str, message: str, rev: str = EXTRA, down: str = IMAGES) -> None:
        (self.backend / "migrations" / "versions" / f"{rev}_extra.py").write_text(
            f'"""{message}\n\nRevision ID: {rev}\nRevises: {down}\n"""\n\n'
            "import sqlalchemy as sa\nfrom alembic import op\n\n"
            f"revision = {rev!r}\ndown_revision = {down!r}\nbranch_labels = None\n"
            f"depends_on = None\n{body}",
            encoding="utf-8",
        )

    def write_env(self, **extra: str) -> None:
        lines = [f"DATABASE_URL={self.url}", "SECRET_KEY=" + "ab" * 32]
        lines += [f"{k}={v}" for k, v in extra.items()]
        self.env_file.write_text("\n".join(lines) + "\n", encoding="utf-8")
        self.env_file.chmod(0o600)

    def flask_upgrade(self, target: str) -> None:
        """Bring the database to `target` with the real `flask db upgrade`, as a deploy would."""
        done = subprocess.run(
            [str(self.backend / ".venv" / "bin" / "flask"), "db", "upgrade", target],
            cwd=self.backend,
            env={"PATH": os.environ["PATH"], "HOME": os.environ["HOME"], "DATABASE_URL": self.url},
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert done.returncode == 0, done.stderr[-2000:]
        assert self.revisions() == [target]

    def settings(self, **kw: Any) -> Settings:
        return Settings(backend_dir=self.backend, env_file=self.env_file, **kw)

    def inputs(self) -> list[str]:
        return ["--env-file", str(self.env_file), "--backend-dir", str(self.backend)]


@pytest.fixture
def stack(mariadb: MariaDB, tmp_path: Path) -> Iterator[Stack]:
    backend = tmp_path / "backend"
    shutil.copytree(FIXTURE, backend, ignore=shutil.ignore_patterns("__pycache__"))
    # The backend's own virtualenv, as on a box where the backend was deployed.
    (backend / ".venv").symlink_to(TEST_VENV)
    db = mariadb.create_database("mig")
    s = Stack(tmp_path, backend, tmp_path / ".env.production", db, mariadb)
    s.write_env()
    yield s
    mariadb.drop_database(db)


def launchtui(stack: Stack, *args: str) -> subprocess.CompletedProcess[str]:
    """`launchtui migrate ARGS` with the stack's inputs, from its folder."""
    return run_launchtui("migrate", *args, *stack.inputs(), cwd=stack.root, timeout=120)


def final_json(proc: subprocess.CompletedProcess[str]) -> dict[str, Any]:
    """The one object `--format json` prints on stdout."""
    lines = proc.stdout.strip().splitlines()
    assert len(lines) == 1, f"stdout should hold only the JSON object: {proc.stdout!r}"
    return json.loads(lines[0])


def assert_no_password(stack: Stack, proc: subprocess.CompletedProcess[str]) -> None:
    assert stack.password not in proc.stdout
    assert stack.password not in proc.stderr


def wait_until(condition: Callable[[], bool], what: str, timeout: float = WAIT_S) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.02)  # poll interval while waiting for the condition


async def async_wait_until(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + WAIT_S
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.02)  # poll interval while waiting for the condition


def gone(pid: int) -> bool:
    """No such process, or only its zombie (nobody may reap an orphan in a container)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return True
    return stat.rsplit(")", 1)[1].split()[0] == "Z"


# -- through the real CLI ----------------------------------------------------------


def test_a_database_behind_is_upgraded_to_head_and_db_migrations_then_passes(
    stack: Stack,
) -> None:
    stack.flask_upgrade(USERS)
    proc = run_launchtui(
        "migrate", "--yes", "--format", "json", *stack.inputs(), cwd=stack.root, timeout=120
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    doc = final_json(proc)
    assert doc["ok"] is True
    assert doc["from"] == [USERS]
    assert doc["to"] == [IMAGES]
    assert doc["applied"] == [POSTS, IMAGES]
    # With JSON on stdout, the command's own output streams on stderr.
    assert f"Running upgrade {USERS} -> {POSTS}, add posts" in proc.stderr
    assert stack.revisions() == [IMAGES]
    assert {"users", "posts", "images"} <= stack.tables()
    assert_no_password(stack, proc)
    _, report = check_json("--only", "db.migrations", *stack.inputs(), cwd=stack.root)
    assert [(r["id"], r["status"]) for r in report["results"]] == [("db.migrations", "pass")]


def test_a_fresh_database_in_text_mode_shows_the_plan_the_output_and_the_recheck(
    stack: Stack,
) -> None:
    proc = run_launchtui("migrate", "--yes", *stack.inputs(), cwd=stack.root, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    out = proc.stdout
    assert "without any migration applied, 3 revisions behind the head" in out
    assert f"  1. {USERS}  create users\n  2. {POSTS}  add posts\n  3. {IMAGES}  add images" in out
    assert f"Running upgrade  -> {USERS}, create users" in out
    assert "db.migrations: pass: The database is at the migrations head" in out
    assert out.rstrip().endswith(
        f"Applied 3 revisions; the database is now at {IMAGES} (add images) and "
        "db.migrations passes."
    )
    assert stack.revisions() == [IMAGES]
    assert_no_password(stack, proc)


def test_a_database_at_head_has_nothing_to_do_and_is_not_asked_about(stack: Stack) -> None:
    stack.flask_upgrade(IMAGES)
    proc = launchtui(stack, "--format", "json")  # no --yes: nothing to do needs no consent
    assert proc.returncode == 0, proc.stdout + proc.stderr
    doc = final_json(proc)
    assert doc["ok"] is True
    assert doc["from"] == doc["to"] == [IMAGES]
    assert "Running upgrade" not in proc.stderr
    assert stack.revisions() == [IMAGES]


def test_a_failing_revision_is_exit_1_naming_where_it_stopped_and_claims_nothing(
    stack: Stack,
) -> None:
    stack.add_revision(BROKEN_BODY, "add a column to a table that is not there")
    stack.flask_upgrade(USERS)
    proc = run_launchtui(
        "migrate", "--yes", "--format", "json", *stack.inputs(), cwd=stack.root, timeout=120
    )
    assert proc.returncode == 1, proc.stdout + proc.stderr
    doc = final_json(proc)
    assert doc["ok"] is False
    error = doc["error"]
    assert f"while applying {EXTRA} (add a column to a table that is not there)" in error
    assert f"the database is at {IMAGES} (add images)" in error
    assert "1146" in error and "no_such_table" in error  # the last lines of the real output
    assert "passes" not in error
    assert doc["to"] == [IMAGES]
    assert stack.revisions() == [IMAGES]  # the revisions before the broken one stayed applied
    # The child printed the URL: its line streamed, with the URL masked.
    assert "migrating ****" in proc.stderr
    assert_no_password(stack, proc)


@pytest.mark.parametrize(
    ("breakage", "expected"),
    [
        ("no app.py", "Flask could not find the backend's application"),
        ("import error", "failed to import (ModuleNotFoundError: No module named 'flask_nope')"),
    ],
)
def test_an_app_that_cannot_load_is_exit_1_naming_flask_app(
    stack: Stack, breakage: str, expected: str
) -> None:
    app = stack.backend / "app.py"
    if breakage == "no app.py":
        app.rename(stack.backend / "application.py")
    else:
        app.write_text("import flask_nope  # noqa: F401\n" + app.read_text())
    proc = run_launchtui(
        "migrate", "--yes", "--format", "json", *stack.inputs(), cwd=stack.root, timeout=120
    )
    assert proc.returncode == 1, proc.stdout + proc.stderr
    error = final_json(proc)["error"]
    assert expected in error
    assert "nothing was migrated" in error
    assert "FLASK_APP" in error and "FLASK_APP is not set" in error
    assert stack.revisions() == [] and stack.tables() == set()


def test_without_yes_and_no_terminal_nothing_is_done(stack: Stack) -> None:
    stack.flask_upgrade(USERS)
    proc = launchtui(stack, "--format", "json")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    doc = final_json(proc)
    assert doc["ok"] is False
    assert "nothing was done" in doc["error"] and "--yes" in doc["error"]
    assert doc["from"] == [USERS] and doc["pending"] == [POSTS, IMAGES]
    assert "Running upgrade" not in proc.stderr
    assert stack.revisions() == [USERS]
    assert "posts" not in stack.tables()


def test_sql_shows_the_offline_sql_from_the_current_revision_and_changes_nothing(
    stack: Stack,
) -> None:
    stack.flask_upgrade(USERS)
    proc = launchtui(stack, "--sql")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    out = proc.stdout
    assert "SQL Alembic would run (offline: nothing is sent to the database):" in out
    assert "CREATE TABLE posts (" in out and "CREATE TABLE images (" in out
    assert f"UPDATE alembic_version SET version_num='{IMAGES}'" in out
    assert "CREATE TABLE users" not in out  # only from the database's revision on
    assert "launchtui: Not confirmed, so nothing was done" in proc.stderr
    assert stack.revisions() == [USERS]
    assert stack.tables() == {"users"}
    assert_no_password(stack, proc)


def test_the_flask_child_gets_the_secret_in_its_environment_never_in_its_arguments(
    stack: Stack,
) -> None:
    hold = stack.root / "hold"
    hold.mkdir()
    stack.add_revision(HOLD_BODY, "hold until released")
    stack.write_env(MIGRATE_HOLD_DIR=str(hold))
    stack.flask_upgrade(IMAGES)
    done: list[subprocess.CompletedProcess[str]] = []
    runner = threading.Thread(
        target=lambda: done.append(
            run_launchtui("migrate", "--yes", "--format", "json", *stack.inputs(), cwd=stack.root)
        )
    )
    runner.start()
    try:
        wait_until((hold / "pid").exists, "the held revision to start")
        pid = int((hold / "pid").read_text())
        argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        environ = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
        ppid = int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
        parent_argv = Path(f"/proc/{ppid}/cmdline").read_bytes()
    finally:
        (hold / "release").touch()
        runner.join(timeout=120)
    password = stack.password.encode()
    flask = str(stack.backend / ".venv" / "bin" / "flask").encode()
    assert argv[1:] == [flask, b"db", b"upgrade", b""]  # argv[0]: the interpreter of its #!
    assert not any(password in word for word in argv)
    assert b"launchtui" in parent_argv and password not in parent_argv
    assert f"DATABASE_URL={stack.url}".encode() in environ  # the one place the secret goes
    assert done and done[0].returncode == 0, done
    assert final_json(done[0])["to"] == [EXTRA]
    assert_no_password(stack, done[0])


# -- in-process ----------------------------------------------------------------------


def context(stack: Stack, **settings: Any) -> Context:
    environ = {"PATH": os.environ["PATH"], "HOME": os.environ["HOME"]}
    return Context.build(stack.settings(**settings), environ=environ)


async def test_cancelling_kills_the_upgrade_and_its_process_group_and_reaps_it(
    stack: Stack,
) -> None:
    hold = stack.root / "hold"
    hold.mkdir()
    stack.add_revision(HOLD_BODY, "hold until released")
    stack.write_env(MIGRATE_HOLD_DIR=str(hold), MIGRATE_HOLD_GRANDCHILD="1")
    stack.flask_upgrade(IMAGES)
    ctx = context(stack)
    events: list[ActionEvent] = []
    try:
        plan = await plan_action(ACTION, ctx, {})

        async def drive() -> None:
            async for event in execute_action(ACTION, ctx, plan, {}):
                events.append(event)

        task = asyncio.create_task(drive())
        await async_wait_until((hold / "pid").exists, "the held revision to start")
        pid = int((hold / "pid").read_text())
        grandchild = int((hold / "grandchild").read_text())
        assert not gone(pid) and not gone(grandchild)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
    finally:
        ctx.close()
    assert not Path(f"/proc/{pid}").exists()  # killed and reaped before the task ended
    await async_wait_until(lambda: gone(grandchild), "the grandchild to die with its group")
    assert not any(isinstance(e, Finished) for e in events)
    assert any(isinstance(e, Output) and f"-> {EXTRA}" in e.line for e in events)
    assert stack.revisions() == [IMAGES] and "held" not in stack.tables()


async def test_the_plan_lists_pending_revisions_in_apply_order_and_the_command(
    stack: Stack,
) -> None:
    stamp(stack.mariadb, stack.db, USERS)
    ctx = context(stack)
    try:
        plan = await plan_action(ACTION, ctx, {})
    finally:
        ctx.close()
    assert plan.summary == (
        f"The database is at {USERS}, 2 revisions behind the head {IMAGES} (add images): "
        f"run `flask db upgrade` in {stack.backend}."
    )
    assert plan.steps == (
        f"1. {POSTS}  add posts",
        f"2. {IMAGES}  add images",
        f"command: {stack.backend}/.venv/bin/flask db upgrade (flask from the backend's own "
        f".venv), with the variables of {stack.env_file}",
    )
    assert plan.confirm_label == "Run flask db upgrade"
    assert plan.fields == {"from": [USERS], "to": [USERS], "pending": [POSTS, IMAGES]}
    assert not plan.nothing_to_do


async def test_progress_counts_the_revisions_as_alembic_applies_them(stack: Stack) -> None:
    stack.flask_upgrade(USERS)
    ctx = context(stack)
    try:
        plan = await plan_action(ACTION, ctx, {})
        events = [e async for e in execute_action(ACTION, ctx, plan, {})]
    finally:
        ctx.close()
    progress = [(e.done, e.total, e.message) for e in events if isinstance(e, Progress)]
    assert progress == [
        (0, 2, "starting"),
        (0, 2, f"applying {POSTS} (add posts)"),
        (1, 2, f"applying {IMAGES} (add images)"),
        (2, 2, "done"),
    ]
    finished = events[-1]
    assert isinstance(finished, Finished) and finished.ok
    assert [(r.id, r.status) for r in finished.checks] == [("db.migrations", Status.PASS)]


async def plan_error(ctx: Context) -> str:
    try:
        with pytest.raises(ActionError) as caught:
            await plan_action(ACTION, ctx, {})
    finally:
        ctx.close()
    return str(caught.value)


async def test_a_branched_history_is_refused_with_the_merge_command(stack: Stack) -> None:
    stack.add_revision("\ndef upgrade():\n    pass\n", "a second branch", down=USERS)
    stamp(stack.mariadb, stack.db, USERS)
    error = await plan_error(context(stack))
    assert "migrations/ has 2 heads" in error and EXTRA in error and IMAGES in error
    assert 'flask db merge heads -m "merge"' in error


async def test_an_unknown_database_revision_is_refused(stack: Stack) -> None:
    stamp(stack.mariadb, stack.db, "9f9e8d7c6b5a")
    error = await plan_error(context(stack))
    assert "at revision 9f9e8d7c6b5a, which is not in migrations/" in error
    assert "do not downgrade blind" in error


async def test_an_unreachable_database_is_refused_with_db_connects_words(
    stack: Stack, refused_port: int
) -> None:
    stack.env_file.write_text(f"DATABASE_URL={stack.mariadb.url_for(port=refused_port)}\n")
    error = await plan_error(context(stack))
    assert error.startswith("The database cannot be reached, so the pending revisions are unknown")
    assert "refused the connection" in error
    assert stack.password not in error


async def test_no_backend_dir_is_refused_with_the_flag_to_pass(stack: Stack) -> None:
    ctx = Context.build(Settings(env_file=stack.env_file), environ={})
    error = await plan_error(ctx)
    assert error.startswith("No backend checkout was given") and "--backend-dir" in error


async def test_a_migrate_command_that_is_not_installed_is_refused(stack: Stack) -> None:
    stamp(stack.mariadb, stack.db, USERS)
    error = await plan_error(context(stack, migrate_command="no-such-migrator upgrade"))
    assert "runs no-such-migrator, which is not an executable file here" in error


async def test_a_migrate_command_carrying_the_password_is_refused(stack: Stack) -> None:
    stamp(stack.mariadb, stack.db, USERS)
    command = f"flask db upgrade --x-password {stack.password}"
    error = await plan_error(context(stack, migrate_command=command))
    assert "would carry a secret in its arguments" in error
    assert stack.password not in error


def test_flask_is_found_in_the_backend_venv_then_on_path_then_beside_launchtui(
    tmp_path: Path,
) -> None:
    backend, bindir = tmp_path / "backend", tmp_path / "bin"
    for exe in (backend / "venv" / "bin" / "flask", bindir / "flask"):
        exe.parent.mkdir(parents=True)
        exe.write_text("#!/bin/sh\n")
        exe.chmod(0o755)
    assert find_flask(backend, {"PATH": str(bindir)}) == (
        [str(backend / "venv" / "bin" / "flask")],
        "flask from the backend's own venv",
    )
    shutil.rmtree(backend / "venv")
    assert find_flask(backend, {"PATH": str(bindir)}) == (
        [str(bindir / "flask")],
        "flask found on PATH",
    )
    assert find_flask(backend, {"PATH": str(tmp_path / "empty")}) == (
        [sys.executable, "-m", "flask"],
        "flask from launchtui's own Python",
    )
