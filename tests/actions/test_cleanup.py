"""`launchtui cleanup` (3.2): real files aged with os.utime, the real CLI, no mocks."""

from __future__ import annotations

import json
import os
import shlex
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from launchtui.actions import execute_action, plan_action
from launchtui.actions.cleanup import ACTION, parse_duration
from launchtui.core.actions import Finished, Output, Plan, Progress
from launchtui.core.config import Settings
from launchtui.core.context import Context
from launchtui.core.model import Status
from tests.checks_backend.helpers import CANARY_SECRET_KEY, GOOD, copy_backend, run_check
from tests.cli import run_launchtui

HOUR = 3600.0


def aged(path: Path, hours: float, data: bytes = b"x" * 1000) -> Path:
    """A file of `data`, last modified `hours` ago."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    t = path.stat().st_mtime - hours * HOUR
    os.utime(path, (t, t))
    return path


def names(d: Path) -> set[str]:
    """Every entry under d, relative, folders included."""
    return {str(p.relative_to(d)) for p in d.rglob("*")}


def cleanup_json(*args: str, **kw: Any) -> tuple[subprocess.CompletedProcess[str], dict[str, Any]]:
    proc = run_launchtui("cleanup", "--format", "json", *args, **kw)
    try:
        return proc, json.loads(proc.stdout)
    except json.JSONDecodeError as exc:
        raise AssertionError(f"no JSON (exit {proc.returncode}): {proc.stderr}") from exc


def ctx_for(**settings: Any) -> Context:
    return Context.build(Settings(**settings), environ={})


async def run_action(
    ctx: Context, options: dict[str, Any], between: Any = None
) -> tuple[Plan, list[Any]]:
    """Plan, then (after `between(plan)`, someone else's doing) execute: the plan and events."""
    plan = await plan_action(ACTION, ctx, options)
    if between is not None:
        between(plan)
    events = [e async for e in execute_action(ACTION, ctx, plan, options)]
    assert isinstance(events[-1], Finished)
    return plan, events


@pytest.fixture
def uploads(tmp_path: Path) -> Path:
    """Two old files (one in a subfolder) and two new ones."""
    d = tmp_path / "uploads"
    aged(d / "old-1.jpg", 30)
    aged(d / "sub" / "old-2.jpg", 80)
    aged(d / "new-1.jpg", 1)
    aged(d / "sub" / "new-2.jpg", 23)
    return d


# -- dry run and --yes through the CLI -------------------------------------------------------


def test_the_dry_run_lists_the_old_files_oldest_first_and_deletes_nothing(uploads: Path) -> None:
    before = names(uploads)
    proc, doc = cleanup_json("--tmp-dir", str(uploads))
    assert proc.returncode == 0, proc.stderr
    assert doc["ok"] is True and doc["dry_run"] is True
    assert (doc["files"], doc["bytes"]) == (2, 2000)
    assert names(uploads) == before

    text = run_launchtui("cleanup", "--tmp-dir", str(uploads))
    assert text.returncode == 0
    lines = text.stdout.splitlines()
    assert lines[0] == f"Delete 2 files (2.0 KB) older than 24 h from {uploads}."
    assert lines[1].startswith("  sub/old-2.jpg  (1000 B, 3 days old)")
    assert lines[2].startswith("  old-1.jpg  (1000 B, 30 h old)")
    assert "Dry run: nothing changed. Pass --yes to delete 2 files." in text.stdout
    assert names(uploads) == before


def test_yes_deletes_only_the_old_files_and_keeps_the_new_ones_and_the_dir(uploads: Path) -> None:
    proc, doc = cleanup_json("--tmp-dir", str(uploads), "--yes")
    assert proc.returncode == 0, proc.stderr
    assert doc == {**doc, "ok": True, "files": 2, "bytes": 2000, "dry_run": False}
    assert isinstance(doc["duration_ms"], int)
    assert names(uploads) == {"new-1.jpg", "sub", "sub/new-2.jpg"}


def test_nothing_old_is_nothing_to_do(tmp_path: Path) -> None:
    d = tmp_path / "up"
    aged(d / "fresh.png", 2)
    proc, doc = cleanup_json("--tmp-dir", str(d), "--yes")
    assert proc.returncode == 0
    assert (doc["ok"], doc["files"], doc["bytes"], doc["dry_run"]) == (True, 0, 0, True)
    text = run_launchtui("cleanup", "--tmp-dir", str(d))
    assert f"No files older than 24 h in {d} (1 file newer, kept)." in text.stdout
    assert "Nothing to do." in text.stdout
    assert names(d) == {"fresh.png"}


@pytest.mark.parametrize(
    ("older_than", "kept"),
    [
        ("90m", {"1h"}),
        ("36h", {"1h", "2h", "30h"}),
        ("7d", {"1h", "2h", "30h", "40h", "144h"}),
    ],
)
def test_older_than_is_honoured(tmp_path: Path, older_than: str, kept: set[str]) -> None:
    d = tmp_path / "up"
    for h in (1, 2, 30, 40, 144, 192):
        aged(d / f"{h}h", h)
    proc, doc = cleanup_json("--tmp-dir", str(d), "--older-than", older_than, "--yes")
    assert proc.returncode == 0, proc.stderr
    assert doc["files"] == 6 - len(kept)
    assert names(d) == kept


@pytest.mark.parametrize(
    ("value", "why"),
    [
        ("soon", "--older-than takes a number and a unit: 90m, 36h, 7d (not 'soon')"),
        ("36", "--older-than takes a number and a unit: 90m, 36h, 7d (not '36')"),
        ("0h", "--older-than must be more than zero"),
        ("-5h", "--older-than must be more than zero"),
        ("9" * 400 + "w", "is too long: at most 100 years"),
    ],
)
def test_a_bad_older_than_is_a_usage_error(tmp_path: Path, value: str, why: str) -> None:
    aged(tmp_path / "up" / "old", 48)
    proc = run_launchtui("cleanup", "--tmp-dir", str(tmp_path / "up"), f"--older-than={value}")
    assert proc.returncode == 2
    assert why in proc.stderr
    assert "90m, 36h, 7d" in proc.stderr and "Traceback" not in proc.stderr
    assert names(tmp_path / "up") == {"old"}


def test_durations_take_whitespace_case_and_the_other_units() -> None:
    assert parse_duration(" 36H ") == 36 * HOUR
    assert parse_duration("7 d") == 7 * 86400
    assert parse_duration("90m") == 90 * 60
    assert parse_duration("2w") == 14 * 86400
    assert parse_duration("45s") == 45
    assert parse_duration("1.5h") == 1.5 * HOUR


# -- what is never touched -------------------------------------------------------------------


def test_symlinks_out_of_the_dir_are_never_followed(tmp_path: Path) -> None:
    d, outside = tmp_path / "up", tmp_path / "precious"
    for n in range(3):
        aged(outside / f"photo-{n}.jpg", 500, b"keep me")
    target = aged(tmp_path / "lonely.db", 500, b"keep me too")
    aged(d / "old.tmp", 48)
    (d / "to-folder").symlink_to(outside)
    (d / "to-file").symlink_to(target)
    for link in ("to-folder", "to-file"):  # the links themselves are old too
        os.utime(d / link, (1e9, 1e9), follow_symlinks=False)

    dry = run_launchtui("cleanup", "--tmp-dir", str(d))
    assert "2 symlinks left alone: never followed, never deleted." in dry.stdout
    assert "photo" not in dry.stdout and "lonely" not in dry.stdout
    proc, doc = cleanup_json("--tmp-dir", str(d), "--yes")
    assert proc.returncode == 0 and doc["files"] == 1
    assert names(d) == {"to-folder", "to-file"}
    assert all((d / link).is_symlink() for link in ("to-folder", "to-file"))
    assert sorted(p.read_bytes() for p in outside.iterdir()) == [b"keep me"] * 3
    assert target.read_bytes() == b"keep me too"


async def test_a_folder_swapped_for_a_symlink_after_the_plan_is_not_followed(
    tmp_path: Path,
) -> None:
    d, outside = tmp_path / "up", tmp_path / "precious"
    aged(d / "sub" / "photo.jpg", 100)
    aged(d / "top.tmp", 100)
    aged(outside / "photo.jpg", 100, b"keep me")

    def swap(plan: Plan) -> None:
        assert plan.fields["files"] == 2
        (d / "sub").rename(tmp_path / "moved-away")
        (d / "sub").symlink_to(outside)

    _, events = await run_action(ctx_for(), {"tmp_dir": d}, between=swap)
    done = events[-1]
    assert done.ok, done.error
    assert done.fields["files"] == 1
    assert "1 file changed since the plan and was kept" in done.summary
    assert (outside / "photo.jpg").read_bytes() == b"keep me"
    assert (tmp_path / "moved-away" / "photo.jpg").exists()
    assert names(d) == {"sub"}


async def test_the_dir_itself_replaced_after_the_plan_stops_the_cleanup(tmp_path: Path) -> None:
    d, outside = tmp_path / "up", tmp_path / "precious"
    aged(d / "a.tmp", 100)
    aged(outside / "a.tmp", 100, b"keep me")

    def swap(_plan: Plan) -> None:
        d.rename(tmp_path / "up-before")
        d.symlink_to(outside)

    _, events = await run_action(ctx_for(), {"tmp_dir": d}, between=swap)
    done = events[-1]
    assert not done.ok
    assert "is no longer the folder the plan looked at" in (done.error or "")
    assert done.fields["files"] == 0
    assert (outside / "a.tmp").read_bytes() == b"keep me"
    assert (tmp_path / "up-before" / "a.tmp").exists()


async def test_a_file_deleted_by_someone_else_meanwhile_is_not_an_error(uploads: Path) -> None:
    def someone_else(plan: Plan) -> None:
        assert plan.fields["files"] == 2
        (uploads / "old-1.jpg").unlink()

    _, events = await run_action(ctx_for(), {"tmp_dir": uploads}, between=someone_else)
    done = events[-1]
    assert done.ok and done.error is None
    assert (done.fields["files"], done.fields["bytes"], done.fields["already_gone"]) == (1, 1000, 1)
    assert "1 file was already gone." in done.summary
    assert names(uploads) == {"new-1.jpg", "sub", "sub/new-2.jpg"}


async def test_a_file_made_new_again_after_the_plan_is_kept(uploads: Path) -> None:
    _, events = await run_action(
        ctx_for(), {"tmp_dir": uploads}, between=lambda _p: (uploads / "old-1.jpg").touch()
    )
    assert events[-1].ok and events[-1].fields["files"] == 1
    assert "old-1.jpg" in names(uploads)


# -- files that cannot be deleted --------------------------------------------------------------


def test_a_read_only_file_in_a_writable_dir_is_deleted(tmp_path: Path) -> None:
    d = tmp_path / "up"
    f = aged(d / "readonly.bin", 48)
    f.chmod(0o444)
    proc, doc = cleanup_json("--tmp-dir", str(d), "--yes")
    assert proc.returncode == 0 and doc["files"] == 1
    assert names(d) == set()


@pytest.fixture
def locked(tmp_path: Path) -> Iterator[Path]:
    """A temp dir whose `locked/` folder refuses deletions: immutable as root, 0555 otherwise.

    Root ignores permission bits, so a 0555 folder would not stop it; the immutable flag
    (chattr +i, which root may set) makes unlink fail with EPERM for everyone.
    """
    d = tmp_path / "up"
    aged(d / "free.tmp", 48)
    aged(d / "locked" / "stuck.tmp", 48)
    sub = d / "locked"
    if os.geteuid() == 0:
        subprocess.run(["chattr", "+i", str(sub)], check=True, capture_output=True)
    else:
        sub.chmod(0o555)
    try:
        yield d
    finally:
        if os.geteuid() == 0:
            subprocess.run(["chattr", "-i", str(sub)], check=True, capture_output=True)
        sub.chmod(stat.S_IRWXU)


def test_a_file_in_a_folder_that_refuses_deletion_fails_clearly(locked: Path) -> None:
    proc, doc = cleanup_json("--tmp-dir", str(locked), "--yes")
    assert proc.returncode == 1
    assert doc["ok"] is False
    assert doc["error"].startswith(f"Could not delete 1 of 2 files in {locked}: locked/stuck.tmp (")
    assert "Deleted 1 file (1000 B)" in doc["error"]
    assert "then run cleanup again" in doc["error"]
    assert doc["failed"] == ["locked/stuck.tmp"] and doc["files"] == 1
    assert "Could not delete locked/stuck.tmp:" in proc.stderr  # the Output line
    assert "Traceback" not in proc.stderr
    assert names(locked) == {"locked", "locked/stuck.tmp"}


# -- where the dir comes from ----------------------------------------------------------------


def test_a_dir_that_does_not_exist_exits_1_naming_the_flag_and_key(tmp_path: Path) -> None:
    gone = tmp_path / "never-made"
    proc = run_launchtui("cleanup", "--tmp-dir", str(gone), "--yes")
    assert proc.returncode == 1
    assert f"The temp dir {gone} (from --tmp-dir) does not exist" in proc.stderr
    assert "pass --tmp-dir PATH, or set tmp_dir in the launchtui.toml profile" in proc.stderr
    proc, doc = cleanup_json("--tmp-dir", str(gone))
    assert proc.returncode == 1 and doc["ok"] is False and "does not exist" in doc["error"]


def test_a_file_given_as_the_dir_is_refused(tmp_path: Path) -> None:
    f = aged(tmp_path / "not-a-dir", 48)
    proc, doc = cleanup_json("--tmp-dir", str(f), "--yes")
    assert proc.returncode == 1 and "is not a directory" in doc["error"]
    assert f.exists()


def test_no_dir_known_anywhere_exits_1_saying_how_to_give_one(tmp_path: Path) -> None:
    proc, doc = cleanup_json(cwd=tmp_path)
    assert proc.returncode == 1
    assert doc["error"].startswith("No temp dir is known: pass --tmp-dir PATH, or set tmp_dir")
    assert "--backend-dir" in doc["error"]


def test_the_profile_tmp_dir_is_used(tmp_path: Path) -> None:
    d = tmp_path / "srv" / "up"
    aged(d / "old", 30)
    (tmp_path / "launchtui.toml").write_text('[profiles.production]\ntmp_dir = "srv/up"\n')
    proc, doc = cleanup_json("--yes", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert doc["files"] == 1 and names(d) == set()


def backend_with_uploads(tmp_path: Path) -> Path:
    """The good backend, its UPLOAD_FOLDER default made the relative `uploads`."""
    backend = copy_backend(GOOD, tmp_path)
    config = backend / "config.py"
    config.write_text(config.read_text().replace('"/tmp/uploads"', '"uploads"'))
    aged(backend / "uploads" / "stale.jpg", 50)
    aged(backend / "uploads" / "today.jpg", 3)
    return backend


def test_the_dir_is_found_in_config_py_and_tmp_cleanup_passes_after(tmp_path: Path) -> None:
    backend = backend_with_uploads(tmp_path)
    proc = run_launchtui("cleanup", "--backend-dir", str(backend), "--yes")
    assert proc.returncode == 0, proc.stderr
    assert f"Deleted 1 file (1000 B) older than 24 h from {backend / 'uploads'}." in proc.stdout
    assert "✔ tmp.cleanup: pass:" in proc.stdout
    assert names(backend / "uploads") == {"today.jpg"}


async def test_finished_carries_the_fresh_tmp_cleanup_verdict(tmp_path: Path) -> None:
    backend = backend_with_uploads(tmp_path)
    before = await run_check("tmp.cleanup", backend, {})
    assert before.status is Status.WARN

    plan, events = await run_action(ctx_for(backend_dir=backend), {})
    assert plan.summary.endswith(f"from {backend / 'uploads'}.")
    done = events[-1]
    assert done.ok and done.fields == {"files": 1, "bytes": 1000, "dry_run": False}
    [after] = done.checks
    assert after.id == "tmp.cleanup" and after.status is Status.PASS
    assert "none older than 24 h" in after.summary


async def test_a_config_py_dir_read_from_the_environment_is_followed(tmp_path: Path) -> None:
    d = tmp_path / "elsewhere"
    aged(d / "stale", 30)
    ctx = Context.build(Settings(backend_dir=GOOD), environ={"UPLOAD_FOLDER": str(d)})
    plan = await plan_action(ACTION, ctx, {})
    assert plan.summary == f"Delete 1 file (1000 B) older than 24 h from {d}."


# -- progress and cancel ---------------------------------------------------------------------


async def test_progress_counts_files_and_cancel_stops_between_batches(tmp_path: Path) -> None:
    d = tmp_path / "up"
    for n in range(120):
        aged(d / f"f{n:03}", 30 + n)
    ctx = ctx_for()
    plan = await plan_action(ACTION, ctx, {"tmp_dir": d})
    assert len(plan.steps) == 51 and plan.steps[-1] == "... and 70 more."
    assert plan.steps[0].startswith("f119  ")  # oldest first
    assert plan.confirm_label == "Delete 120 files"

    gen = ACTION.execute(ctx, plan, {"tmp_dir": d})
    seen: list[Progress] = []
    async for event in gen:
        assert isinstance(event, Progress)
        seen.append(event)
        if event.done > 0:
            break
    await gen.aclose()  # the face cancels here
    assert [(p.done, p.total, p.unit) for p in seen] == [(0, 120, "files"), (50, 120, "files")]
    assert len(names(d)) == 70  # the 50 oldest are gone, nothing after the cancel

    full = [e async for e in execute_action(ACTION, ctx, plan, {})]
    progress = [e for e in full if isinstance(e, Progress)]
    assert progress[-1].done == progress[-1].total == 120
    assert not [e for e in full if isinstance(e, Output)]
    assert full[-1].fields["files"] == 70 and full[-1].fields["already_gone"] == 50
    assert names(d) == set()


# -- --print-cron --------------------------------------------------------------------------


def test_print_cron_is_an_absolute_standalone_job_with_the_profile(tmp_path: Path) -> None:
    (tmp_path / "up").mkdir()
    (tmp_path / ".env").write_text(f"SECRET_KEY={CANARY_SECRET_KEY}\n")
    (tmp_path / "launchtui.toml").write_text(
        '[profiles.production]\ntmp_dir = "nope"\n\n'
        '[profiles.staging]\ntmp_dir = "up"\nenv_file = ".env"\n'
    )
    proc = run_launchtui(
        "cleanup", "--print-cron", "--profile", "staging", "--older-than", "36h", cwd=tmp_path
    )
    assert proc.returncode == 0, proc.stderr
    [line] = proc.stdout.splitlines()
    assert line.startswith("17 * * * * ")
    words = shlex.split(line[len("17 * * * * ") :])
    exe = Path(words[0])
    assert exe.is_absolute() and os.access(exe, os.X_OK)
    rest = words[1:] if exe.name == "launchtui" else words[3:]
    if exe.name != "launchtui":
        assert words[:3] == [sys.executable, "-m", "launchtui"]
    assert rest[:4] == ["cleanup", "--yes", "--older-than", "36h"]
    assert rest[4:6] == ["--config", str(tmp_path / "launchtui.toml")]
    assert rest[6:8] == ["--profile", "staging"]
    assert "--tmp-dir" not in rest  # the profile names it
    log_dir = Path(os.environ["XDG_STATE_HOME"]) / "launchtui" / "log"
    assert rest[-3:] == [">>", str(log_dir / "cleanup.log"), "2>&1"]
    assert log_dir.is_dir()
    assert CANARY_SECRET_KEY not in proc.stdout


def test_print_cron_pins_a_tmp_dir_cron_could_not_find_and_quotes_it(tmp_path: Path) -> None:
    d = tmp_path / "my uploads 100%"
    proc = run_launchtui("cleanup", "--print-cron", "--tmp-dir", str(d), cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    line = proc.stdout.strip()
    assert "cleanup --yes --older-than 24h --tmp-dir " in line
    assert shlex.quote(str(d)).replace("%", "\\%") in line  # cron reads a bare % as a newline
    assert "--profile" not in line and "--config" not in line


def test_print_cron_without_a_dir_is_a_usage_error(tmp_path: Path) -> None:
    proc = run_launchtui("cleanup", "--print-cron", cwd=tmp_path)
    assert proc.returncode == 2
    assert "No temp dir is known" in proc.stderr and "--print-cron" in proc.stderr
    assert proc.stdout == ""
