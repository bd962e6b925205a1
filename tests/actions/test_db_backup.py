"""`launchtui backup db` against the private TLS MariaDB: the real mariadb-dump, real files,
real failures (a killed dump, a killed server, a full disk, a wrong password or CA, a cancel),
and what every process could see while it ran."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import hashlib
import itertools
import json
import os
import re
import signal
import stat
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import zstandard

from launchtui.actions.db_backup import ACTION
from launchtui.core.actions import Finished, Output, Progress
from launchtui.core.model import Status
from launchtui.probes.backup_files import manifest_path, read_manifest
from tests.actions import db_support as s
from tests.checks_backups.builders import run_check
from tests.cli import check_json
from tests.servers.mariadb import MariaDB, free_port, running_mariadb

BIG_ROWS = 1_200_000


@pytest.fixture(scope="module")
def source(mariadb_server: MariaDB) -> s.Source:
    """Awkward data in its own database, and a user who may dump and restore-test it."""
    db = mariadb_server.create_database("awk")
    user, password = s.make_user(mariadb_server, db)
    tables = s.fill_awkward(mariadb_server, db, definer=user)
    return s.Source(mariadb_server, db, user, password, tables)


@pytest.fixture(scope="module")
def big(mariadb_server: MariaDB) -> s.Source:
    """A database whose dump takes a second or two: time to look at it while it runs."""
    db = mariadb_server.create_database("big")
    user, password = s.make_user(mariadb_server, db)
    s.fill_big(mariadb_server, db, BIG_ROWS)
    return s.Source(mariadb_server, db, user, password, ("audit", "big"))


@pytest.fixture
def tmpdir_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Where option files go, for the CLI (TMPDIR) and in-process (tempfile.tempdir)."""
    d = tmp_path / "tmp"
    d.mkdir()
    monkeypatch.setattr("tempfile.tempdir", str(d))
    return d


def backup(
    src: s.Source, tmp_path: Path, *args: str, env: dict[str, str] | None = None
) -> tuple[subprocess.CompletedProcess[str], dict[str, Any], Path]:
    out = tmp_path / "backups"
    proc, doc = s.cli_json(
        "backup",
        "db",
        "--env-file",
        str(src.env_file(tmp_path)),
        "--backup-dir",
        str(out),
        *args,
        env={"TMPDIR": str(tmp_path / "tmp"), **(env or {})},
    )
    return proc, doc, out


def decompressed(path: Path) -> bytes:
    data = path.read_bytes()
    if path.name.endswith(".zst"):
        return zstandard.ZstdDecompressor().decompressobj().decompress(data)
    if path.name.endswith(".gz"):
        import gzip

        return gzip.decompress(data)
    return data


# -- the happy path, per compression -------------------------------------------------


@pytest.mark.parametrize("compression", ["zstd", "gzip", "none"])
def test_backup_writes_a_complete_dump_and_manifest_private_to_the_user(
    source: s.Source, tmp_path: Path, tmpdir_env: Path, compression: str
) -> None:
    proc, doc, out = backup(source, tmp_path, "--compress", compression)
    assert proc.returncode == 0, proc.stderr
    # The contract's JSON ending, and more.
    assert doc["ok"] is True
    assert {"path", "bytes", "sha256", "tables", "duration_ms"} <= set(doc)
    path = Path(doc["path"])
    suffix = {"zstd": ".sql.zst", "gzip": ".sql.gz", "none": ".sql"}[compression]
    assert re.fullmatch(rf"backup_{source.db}_\d{{8}}T\d{{6}}Z{re.escape(suffix)}", path.name)
    assert doc["bytes"] == path.stat().st_size
    assert doc["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
    assert doc["tables"] == len(source.tables) == 4
    assert isinstance(doc["duration_ms"], int)
    assert doc["compression"] == compression
    assert [c["status"] for c in doc["checks"] if c["id"] == "backup.database"] == ["pass"]
    # 0600 files in a 0700 directory, nothing else left behind.
    assert stat.S_IMODE(out.stat().st_mode) == 0o700
    for f in out.iterdir():
        assert stat.S_IMODE(f.stat().st_mode) == 0o600, f
    assert s.backup_files(out) == sorted([path.name, manifest_path(path).name])
    assert s.option_dirs(tmpdir_env) == []
    # The dump is mysqldump's complete output, footer last, awkward data inside.
    sql = decompressed(path)
    assert re.search(rb"\n-- Dump completed on \d{4}-\d\d-\d\d +\d{1,2}:\d\d:\d\d\n\Z", sql)
    assert "😀🎉".encode() in sql and b"CREATE TABLE `select`" in sql
    # The manifest: the format, plus what was done and how, no secret.
    manifest, problem = read_manifest(path)
    assert problem is None and manifest is not None
    assert manifest["file"] == path.name and manifest["sha256"] == doc["sha256"]
    assert manifest["database"] == source.db and manifest["host"] == "127.0.0.1"
    assert manifest["tool"] == "mariadb-dump" and manifest["flavor"] == "mariadb"
    assert manifest["compression"] == compression and manifest["encrypted_to"] == []
    assert manifest["footer"].startswith("-- Dump completed on ")
    assert manifest["sql_bytes"] == len(sql)
    assert set(manifest["row_estimates"]) == set(source.tables)
    assert manifest["server_version"].startswith("10.11")
    assert manifest["tls"] == {"ca": str(source.mariadb.ca_pem), "ca_source": "url"}
    flags = manifest["flags"]
    for flag in ("--single-transaction", "--quick", "--skip-lock-tables", "--no-tablespaces"):
        assert flag in flags
    assert "--ssl-verify-server-cert" in flags and f"--ssl-ca={source.mariadb.ca_pem}" in flags
    text = manifest_path(path).read_text()
    assert source.password not in text and source.user not in text


def test_the_plan_names_tool_tables_file_and_asks_nothing(source: s.Source, tmp_path: Path) -> None:
    ctx = s.context({"DATABASE_URL": source.url()}, tmp_path / "b")
    from launchtui.actions import plan_action

    plan = asyncio.run(plan_action(ACTION, ctx, {"compress": "zstd"}))
    assert plan.ask is False  # a new file changes nothing that exists
    text = "\n".join(plan.steps)
    assert "mariadb-dump" in text and "MariaDB 10.11" in text
    for table in source.tables:
        assert re.search(rf"\n  {re.escape(table)} +~ *[\d,]+ rows", text), table
    assert "people_names" in text and "(view)" in text
    assert re.search(rf"backup_{source.db}_\d{{8}}T\d{{6}}Z\.sql\.zst", plan.summary)
    assert "restore test: none" in text and "encryption: none" in text
    assert source.password not in text + plan.summary
    assert s.backup_files(tmp_path / "b") == []  # looked, made the dir, wrote nothing


def test_progress_reports_bytes_and_tables_at_most_every_100_ms(
    big: s.Source, tmp_path: Path, tmpdir_env: Path
) -> None:
    arrivals: list[tuple[float, Progress]] = []

    def note(event: Any) -> None:
        if isinstance(event, Progress):
            arrivals.append((time.monotonic(), event))

    ctx = s.context({"DATABASE_URL": big.url()}, tmp_path / "b")
    plan, _events, finished = asyncio.run(s.run_action(ACTION, ctx, {"compress": "zstd"}, note))
    assert finished.ok, finished.error
    assert len(arrivals) >= 5
    total = plan.data["total"]
    assert total > 100_000_000  # information_schema's data_length of `big`
    for _t, p in arrivals:
        assert p.unit == "bytes" and p.total == total
        assert re.fullmatch(r"table [0-2]/2 (\(header\)|audit|big)", p.message)
    dones = [p.done for _, p in arrivals]
    assert dones == sorted(dones) and dones[-1] == finished.fields["sql_bytes"]
    gaps = [b[0] - a[0] for a, b in itertools.pairwise(arrivals[:-1])]
    assert min(gaps) >= 0.09, gaps
    assert any(p.message.startswith("table 2/2 big") for _, p in arrivals)


# -- secrets ---------------------------------------------------------------------------


def test_the_password_is_in_no_argv_or_environment_while_the_dump_runs(
    big: s.Source, tmp_path: Path, tmpdir_env: Path
) -> None:
    out = tmp_path / "backups"
    secrets_seen = [big.password.encode(), json.dumps(big.password).encode()[1:-1]]
    proc = s.launchtui_popen(
        "backup",
        "db",
        "--env-file",
        str(big.env_file(tmp_path)),
        "--backup-dir",
        str(out),
        "--compress",
        "none",
        "--format",
        "json",
        env={"TMPDIR": str(tmpdir_env)},
    )
    leaks: list[str] = []
    dumps: dict[int, list[bytes]] = {}
    option_modes: set[tuple[int, int]] = set()
    deadline = time.monotonic() + s.WAIT_S
    while proc.poll() is None and time.monotonic() < deadline:
        for pid, cmdline, environ, ppid in s.processes():
            for secret in secrets_seen:
                if secret in cmdline or secret in environ:
                    leaks.append(f"{pid}: {cmdline[:200]!r}")
            argv = cmdline.split(b"\0")
            # The dump itself, not the `--no-defaults --version` probe of the plan.
            if ppid == proc.pid and argv[0].endswith(b"mariadb-dump") and b"--version" not in argv:
                dumps[pid] = argv
        for d in s.option_dirs(tmpdir_env):
            for f in d.iterdir():
                # Removed as soon as the dump has connected: it may be gone already.
                with contextlib.suppress(FileNotFoundError):
                    option_modes.add(
                        (stat.S_IMODE(d.stat().st_mode), stat.S_IMODE(f.stat().st_mode))
                    )
    stdout, stderr = proc.communicate(timeout=s.WAIT_S)
    assert proc.returncode == 0, stderr
    assert dumps, "the dump was never seen running"
    assert leaks == []
    for argv in dumps.values():
        assert argv[1].startswith(b"--defaults-extra-file=")  # the first argument
        assert not any(a.startswith((b"-p", b"--password")) for a in argv)
    assert option_modes <= {(0o700, 0o600)}
    assert s.option_dirs(tmpdir_env) == []
    assert big.password not in stdout + stderr


# -- failures: nothing under a final name ------------------------------------------


def dump_under_way(proc: subprocess.Popen[str], out: Path) -> int | None:
    """The pid of the dump tool once it has written 100 KB into its partial; None if never."""
    deadline = time.monotonic() + s.WAIT_S
    while time.monotonic() < deadline and proc.poll() is None:
        partial = [p for p in out.glob(".*.partial")] if out.exists() else []
        running = s.children_running(proc.pid, "mariadb-dump")
        with contextlib.suppress(FileNotFoundError):  # renamed meanwhile: the dump ended
            if running and partial and partial[0].stat().st_size > 100_000:
                return running[0][0]
    return None


def test_a_killed_dump_fails_and_leaves_nothing(
    big: s.Source, tmp_path: Path, tmpdir_env: Path
) -> None:
    out = tmp_path / "backups"
    proc = s.launchtui_popen(
        "backup",
        "db",
        "--env-file",
        str(big.env_file(tmp_path)),
        "--backup-dir",
        str(out),
        "--format",
        "json",
        env={"TMPDIR": str(tmpdir_env)},
    )
    killed = dump_under_way(proc, out)
    if killed is not None:
        os.kill(killed, signal.SIGKILL)
    stdout, _stderr = proc.communicate(timeout=s.WAIT_S)
    assert killed is not None, "the dump was not caught while it ran"
    assert proc.returncode == 1
    doc = json.loads(stdout)
    assert set(doc) == {"ok", "error", "duration_ms"} and doc["ok"] is False
    assert "mariadb-dump was killed (signal 9) before the dump finished" in doc["error"]
    assert "no backup was kept" in doc["error"]
    assert s.backup_files(out) == []
    assert s.option_dirs(tmpdir_env) == []
    assert not s.alive(killed)


def test_a_terminated_backup_cleans_up_like_a_cancel(
    big: s.Source, tmp_path: Path, tmpdir_env: Path
) -> None:
    out = tmp_path / "backups"
    proc = s.launchtui_popen(
        "backup", "db", "--env-file", str(big.env_file(tmp_path)), "--backup-dir", str(out),
        "--format", "json", env={"TMPDIR": str(tmpdir_env)},
    )  # fmt: skip
    dump = dump_under_way(proc, out)
    if dump is not None:
        proc.terminate()  # SIGTERM to launchtui itself, as `kill PID` or systemd sends
    stdout, _stderr = proc.communicate(timeout=s.WAIT_S)
    assert dump is not None, "the dump was not caught while it ran"
    assert proc.returncode == 130
    doc = json.loads(stdout)
    assert doc["ok"] is False and "cancelled" in doc["error"]
    assert s.backup_files(out) == []
    assert s.option_dirs(tmpdir_env) == []
    assert not s.alive(dump)


def test_a_server_that_dies_mid_dump_fails_and_leaves_nothing(
    tmp_path: Path, tmpdir_env: Path
) -> None:
    with running_mariadb() as server:
        db = server.create_database("dying")
        user, password = s.make_user(server, db)
        s.fill_big(server, db, BIG_ROWS)
        src = s.Source(server, db, user, password, ("audit", "big"))
        ctx = s.context({"DATABASE_URL": src.url()}, tmp_path / "b")
        events: list[Any] = []

        async def scenario() -> Finished:
            task = asyncio.ensure_future(s.run_action(ACTION, ctx, {}, events.append))
            await s.wait_for(lambda: s.progressed(events, 5_000_000), "the dump to stream")
            pid = int((server.datadir / "mysqld.pid").read_text())
            os.kill(pid, signal.SIGKILL)
            _plan, _events, finished = await task
            return finished

        finished = asyncio.run(scenario())
    assert finished.ok is False
    assert "The database server 127.0.0.1 went away in the middle of the dump" in finished.error
    # Over TLS the client sees the cut as "2026 ... unexpected eof", without TLS as 2013.
    assert re.search(
        r"\(mariadb-dump: Error (2026|2013): .*(unexpected eof|Lost conn)", finished.error
    )
    assert "`big`" in finished.error, finished.error  # the table it was dumping
    assert s.backup_files(tmp_path / "b") == []
    assert s.option_dirs(tmpdir_env) == []


def test_a_wrong_password_fails_with_the_1045_words(
    source: s.Source, tmp_path: Path, tmpdir_env: Path
) -> None:
    url = source.url(password="not-the-password")
    out = tmp_path / "backups"
    proc, doc = s.cli_json(
        "backup", "db", "--env-file", str(source.env_file(tmp_path, url)), "--backup-dir", str(out)
    )
    assert (
        proc.returncode == 1 and doc["ok"] is False and set(doc) == {"ok", "error", "duration_ms"}
    )
    assert "cannot be reached, so nothing was backed up" in doc["error"]
    assert "1045 Access denied" in doc["error"]
    assert s.backup_files(out) == []


def test_a_password_changed_after_the_plan_fails_in_the_dump_with_the_1045_words(
    mariadb_server: MariaDB, tmp_path: Path, tmpdir_env: Path
) -> None:
    db = mariadb_server.create_database("pw")
    user, password = s.make_user(mariadb_server, db)
    src = s.Source(mariadb_server, db, user, password, ())
    ctx = s.context({"DATABASE_URL": src.url()}, tmp_path / "b")
    from launchtui.actions import execute_action, plan_action

    async def scenario() -> Finished:
        plan = await plan_action(ACTION, ctx, {})
        mariadb_server.root_sql(f"ALTER USER '{user}'@'%%' IDENTIFIED BY %s", ("changed-now",))
        return [e async for e in execute_action(ACTION, ctx, plan, {})][-1]

    finished = asyncio.run(scenario())
    assert isinstance(finished, Finished) and not finished.ok
    assert f"The database refused the login for user '{user}' on 127.0.0.1 (1045" in finished.error
    assert "no backup was kept" in finished.error
    assert s.backup_files(tmp_path / "b") == []
    assert s.option_dirs(tmpdir_env) == []


def test_an_untrusted_server_ca_fails_at_tls(source: s.Source, tmp_path: Path) -> None:
    url = source.url(query=f"ssl_ca={source.mariadb.wrong_ca_pem}")
    out = tmp_path / "backups"
    proc, doc = s.cli_json(
        "backup",
        "db",
        "--env-file",
        str(source.env_file(tmp_path, url)),
        "--backup-dir",
        str(out),
        "--ca-file",
        str(source.mariadb.ca_pem),  # not used: the URL names its own CA
    )
    assert proc.returncode == 1 and doc["ok"] is False
    assert "TLS handshake failed" in doc["error"]
    assert f"not trusted by the URL's own ssl_ca, {source.mariadb.wrong_ca_pem}" in doc["error"]
    assert s.backup_files(out) == []


def test_the_dump_tool_itself_verifies_the_server_certificate(
    source: s.Source, tmp_path: Path, tmpdir_env: Path
) -> None:
    """The plan verified with the right CA; the dump is handed the wrong one and refuses."""
    ctx = s.context({"DATABASE_URL": source.url()}, tmp_path / "b")
    from launchtui.actions import execute_action, plan_action

    async def scenario() -> Finished:
        plan = await plan_action(ACTION, ctx, {})
        db = dataclasses.replace(plan.data["db"], ca_file=str(source.mariadb.wrong_ca_pem))
        plan = dataclasses.replace(plan, data={**plan.data, "db": db})
        return [e async for e in execute_action(ACTION, ctx, plan, {})][-1]

    finished = asyncio.run(scenario())
    assert isinstance(finished, Finished) and not finished.ok
    assert "mariadb-dump does not trust the TLS certificate of 127.0.0.1" in finished.error
    assert "2026" in finished.error
    assert s.backup_files(tmp_path / "b") == []


@pytest.fixture
def tiny_disk(tmp_path: Path) -> Iterator[Path]:
    """A 2 MB tmpfs: a real file system that runs out of space."""
    mount = tmp_path / "tiny"
    mount.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(mount)], check=True)
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=True)


def test_a_full_disk_fails_with_its_own_words_and_leaves_nothing(
    big: s.Source, tmp_path: Path, tmpdir_env: Path, tiny_disk: Path
) -> None:
    out = tiny_disk / "backups"
    proc, doc = s.cli_json(
        "backup",
        "db",
        "--env-file",
        str(big.env_file(tmp_path)),
        "--backup-dir",
        str(out),
        "--compress",
        "none",
        env={"TMPDIR": str(tmpdir_env)},
    )
    assert proc.returncode == 1 and doc["ok"] is False
    assert doc["error"].startswith(
        f"The disk is full at {out}: free space or point --backup-dir elsewhere."
    )
    assert s.backup_files(out) == []
    assert s.option_dirs(tmpdir_env) == []


def test_cancelling_mid_dump_kills_the_dump_and_leaves_nothing(
    big: s.Source, tmp_path: Path, tmpdir_env: Path
) -> None:
    ctx = s.context({"DATABASE_URL": big.url()}, tmp_path / "b")
    events: list[Any] = []
    seen: dict[str, Any] = {}

    async def scenario() -> None:
        task = asyncio.ensure_future(s.run_action(ACTION, ctx, {}, events.append))
        await s.wait_for(lambda: s.progressed(events, 5_000_000), "the dump to stream")
        seen["dumps"] = s.children_running(os.getpid(), "mariadb-dump")
        seen["partials"] = list((tmp_path / "b").glob(".*.partial"))
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(scenario())
    assert len(seen["dumps"]) == 1 and len(seen["partials"]) == 1
    assert not s.alive(seen["dumps"][0][0])
    assert s.backup_files(tmp_path / "b") == []
    assert s.option_dirs(tmpdir_env) == []
    assert not any(isinstance(e, Finished) for e in events)


@pytest.mark.parametrize(
    ("env_text", "flags", "words"),
    [
        ("SECRET_KEY=x\n", [], "There is no database to back up: DATABASE_URL is not set"),
        (None, ["--encrypt-to", "age1notakey"], "is not an age recipient"),
        (None, ["--encrypt-to", "AGE-SECRET-KEY-1XYZ"], "was given a private key"),
    ],
)
def test_bad_inputs_are_clear_errors(
    source: s.Source, tmp_path: Path, env_text: str | None, flags: list[str], words: str
) -> None:
    env_file = source.env_file(tmp_path)
    if env_text is not None:
        env_file.write_text(env_text)
    out = tmp_path / "backups"
    proc, doc = s.cli_json(
        "backup", "db", "--env-file", str(env_file), "--backup-dir", str(out), *flags
    )
    assert proc.returncode == 1 and doc["ok"] is False
    assert words in doc["error"]
    assert s.backup_files(out) == []


def test_no_dump_tool_on_path_is_a_clear_error(source: s.Source, tmp_path: Path) -> None:
    empty = tmp_path / "bin"
    empty.mkdir()
    out = tmp_path / "backups"
    proc, doc = s.cli_json(
        "backup",
        "db",
        "--env-file",
        str(source.env_file(tmp_path)),
        "--backup-dir",
        str(out),
        env={"PATH": str(empty)},
    )
    assert proc.returncode == 1
    assert doc["error"].startswith("No mysqldump or mariadb-dump is on PATH")
    assert "apt-get install -y mariadb-client" in doc["error"]


def test_an_unreachable_database_names_the_layer(source: s.Source, tmp_path: Path) -> None:
    url = source.url(port=free_port())
    proc, doc = s.cli_json(
        "backup",
        "db",
        "--env-file",
        str(source.env_file(tmp_path, url)),
        "--backup-dir",
        str(tmp_path / "backups"),
    )
    assert proc.returncode == 1
    assert "cannot be reached, so nothing was backed up: TCP connect failed" in doc["error"]


def test_a_backup_dir_that_cannot_be_written_is_a_clear_error(
    source: s.Source, tmp_path: Path
) -> None:
    ro = tmp_path / "ro"
    ro.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "ro,size=1m", "tmpfs", str(ro)], check=True)
    try:
        proc, doc = s.cli_json(
            "backup", "db", "--env-file", str(source.env_file(tmp_path)), "--backup-dir", str(ro)
        )
        assert proc.returncode == 1
        assert doc["error"] == (
            f"The backup directory {ro} is not writable; point --backup-dir (or the profile's "
            "backup_dir) at a writable directory."
        )
        file_dir = tmp_path / "a-file"
        file_dir.write_text("x")
        proc, doc = s.cli_json(
            "backup",
            "db",
            "--env-file",
            str(source.env_file(tmp_path)),
            "--backup-dir",
            str(file_dir / "backups"),
        )
        assert proc.returncode == 1 and "cannot be created (Not a directory)" in doc["error"]
    finally:
        subprocess.run(["umount", str(ro)], check=True)


# -- the restore test -------------------------------------------------------------------


def test_verify_restore_proves_every_table_and_drops_the_scratch_copy(
    source: s.Source, tmp_path: Path, tmpdir_env: Path
) -> None:
    proc, doc, out = backup(source, tmp_path, "--verify-restore")
    assert proc.returncode == 0, proc.stderr
    proof = doc["verify_restore"]
    assert proof["ok"] is True and proof["differs"] == []
    assert proof["target"] == "scratch" and proof["dropped"] is True
    assert re.fullmatch(rf"{source.db}_launchtui_verify_\d{{8}}T\d{{6}}Z", proof["database"])
    assert proof["tables"] == 4 and proof["checksums"] == 4
    assert proof["rows"] == s.AWKWARD_ROWS + 59 + 500
    assert "SELECT COUNT(*)" in proof["compared"] and "CHECKSUM TABLE" in proof["compared"]
    manifest, _ = read_manifest(Path(doc["path"]))
    assert manifest is not None and manifest["verify_restore"] == proof
    assert s.databases_like(source.mariadb, "%\\_launchtui\\_verify\\_%") == []
    assert "Restore test passed: restored at" in proc.stderr  # streamed lines go to stderr
    # backup.database shows the proof.
    _p, report = check_json("--only", "backup.database", "--backup-dir", str(out))
    (result,) = report["results"]
    assert result["status"] == "pass"
    words = result["evidence"]["restore proof"]
    assert words.startswith(f"passed: restored at {proof['at']} into the scratch database ")
    assert "(dropped afterwards)" in words and "every table is equal" in words
    assert s.option_dirs(tmpdir_env) == []


def test_verify_restore_without_the_create_privilege_creates_nothing(
    source: s.Source, tmp_path: Path
) -> None:
    user, password = s.make_user(source.mariadb, source.db, scratch=False)
    limited = dataclasses.replace(source, user=user, password=password)
    proc, doc, out = backup(limited, tmp_path, "--verify-restore")
    assert proc.returncode == 1 and doc["ok"] is False
    assert f"User '{user}' may not create databases on 127.0.0.1 (1044" in doc["error"]
    assert "was not created and nothing was dumped" in doc["error"]
    assert "--restore-into URL" in doc["error"]
    assert s.backup_files(out) == []
    assert s.databases_like(source.mariadb, "%\\_launchtui\\_verify\\_%") == []


def test_verify_restore_into_another_database_asks_then_restores_there(
    source: s.Source, tmp_path: Path
) -> None:
    target = source.mariadb.create_database("into", grant_to=source.user)
    into = f"mysql+pymysql://{source.user}@127.0.0.1:{source.mariadb.port}/{target}"
    proc, doc, out = backup(source, tmp_path, "--restore-into", into)
    assert proc.returncode == 1 and "Not confirmed, so nothing was done" in doc["error"]
    assert s.backup_files(out) == [] and s.snapshot(source.mariadb, target) == {}
    proc, doc, out = backup(source, tmp_path, "--restore-into", into, "--yes")
    assert proc.returncode == 0, proc.stderr
    proof = doc["verify_restore"]
    assert proof["ok"] and proof["target"] == "restore_into" and proof["database"] == target
    assert s.snapshot(source.mariadb, target) == s.snapshot(source.mariadb, source.db)


def test_verify_restore_names_a_table_written_to_during_the_dump(
    big: s.Source, tmp_path: Path, tmpdir_env: Path
) -> None:
    ctx = s.context({"DATABASE_URL": big.url()}, tmp_path / "b")
    events: list[Any] = []

    async def scenario() -> Finished:
        task = asyncio.ensure_future(
            s.run_action(ACTION, ctx, {"verify_restore": True}, events.append)
        )
        await s.wait_for(lambda: s.progressed(events, 5_000_000), "the dump to stream")
        big.mariadb.root_sql(f"INSERT INTO `{big.db}`.audit (what) VALUES ('during the dump')")
        _plan, _events, finished = await task
        return finished

    try:
        finished = asyncio.run(scenario())
    finally:
        big.mariadb.root_sql(f"DELETE FROM `{big.db}`.audit WHERE what = 'during the dump'")
    assert finished.ok is False
    assert "is complete and kept, but its restore test did not match the source" in finished.error
    assert "audit (row counts differ: source 2 rows, restored 1)" in finished.error
    assert "a table written to during or after the dump differs too" in finished.error
    path = Path(finished.fields["path"])
    manifest, _ = read_manifest(path)
    assert manifest is not None and manifest["verify_restore"]["ok"] is False
    assert [d["table"] for d in manifest["verify_restore"]["differs"]] == ["audit"]
    assert manifest["verify_restore"]["dropped"] is True
    assert s.databases_like(big.mariadb, "%\\_launchtui\\_verify\\_%") == []
    result = asyncio.run(run_check("backup.database", backup_dir=tmp_path / "b"))
    assert result.status is Status.WARN
    assert "restore test did not match the source" in result.summary and "audit" in result.summary


def test_cancelling_the_restore_test_drops_the_scratch_copy_and_keeps_nothing(
    big: s.Source, tmp_path: Path, tmpdir_env: Path
) -> None:
    ctx = s.context({"DATABASE_URL": big.url()}, tmp_path / "b")
    events: list[Any] = []
    seen: dict[str, Any] = {}

    async def scenario() -> None:
        task = asyncio.ensure_future(
            s.run_action(ACTION, ctx, {"verify_restore": True}, events.append)
        )
        await s.wait_for(
            lambda: s.progressed(events, 1_000_000, "restore test:"), "the restore test to load"
        )
        seen["scratch"] = s.databases_like(big.mariadb, "%\\_launchtui\\_verify\\_%")
        seen["clients"] = s.children_running(os.getpid(), "mariadb")
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(scenario())
    assert len(seen["scratch"]) == 1 and len(seen["clients"]) == 1
    assert s.databases_like(big.mariadb, "%\\_launchtui\\_verify\\_%") == []
    assert not s.alive(seen["clients"][0][0])
    assert s.backup_files(tmp_path / "b") == []
    assert s.option_dirs(tmpdir_env) == []


def test_streamed_lines_say_what_happens(source: s.Source, tmp_path: Path) -> None:
    ctx = s.context({"DATABASE_URL": source.url()}, tmp_path / "b")
    _plan, events, finished = asyncio.run(s.run_action(ACTION, ctx, {"compress": "gzip"}))
    lines = [e.line for e in events if isinstance(e, Output)]
    assert lines[0].startswith(f"Dumping {source.db} on 127.0.0.1:")
    assert re.match(r"Dump complete: 4 tables, [\d.]+ (KB|MB) of SQL", lines[1])
    assert finished.ok and finished.summary.startswith(f"Backed up {source.db}: 4 tables")
    assert [r.id for r in finished.checks] == ["backup.database"]
    assert finished.checks[0].status is Status.PASS


# -- after the local backup: the offsite copy (helper C's step) ------------------------


def test_an_offsite_copy_follows_the_local_backup(
    source: s.Source, tmp_path: Path, s3: Any
) -> None:
    proc, doc, out = backup(
        source, tmp_path, "--offsite", s3.url("db"), "--offsite-endpoint", s3.endpoint,
        env=s3.environ(),
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    path = Path(doc["path"])
    assert doc["offsite"] == f"{s3.url('db')}/{path.name}"
    assert s3.body(f"db/{path.name}") == path.read_bytes()
    manifest, _ = read_manifest(path)
    assert manifest is not None and manifest["offsite"]["url"] == doc["offsite"]
    assert s.backup_files(out) == sorted([path.name, manifest_path(path).name])  # kept here too


def test_a_failed_offsite_copy_keeps_the_local_backup_and_exits_1(
    source: s.Source, tmp_path: Path, s3: Any
) -> None:
    dead = f"http://127.0.0.1:{free_port()}"
    proc, doc, out = backup(
        source, tmp_path, "--offsite", s3.url("db"), "--offsite-endpoint", dead,
        env=s3.environ(),
    )  # fmt: skip
    assert proc.returncode == 1 and doc["ok"] is False
    path = Path(doc["path"])
    assert doc["error"].startswith(f"The backup {path} is complete and kept locally, but ")
    assert doc["offsite"] is None and doc["offsite_error"]
    assert path.is_file() and manifest_path(path).is_file()
    result = asyncio.run(run_check("backup.database", backup_dir=out))
    assert result.status is Status.PASS  # the local backup itself is good


def test_the_comparison_says_what_it_compared_when_no_checksum_can_serve() -> None:
    from launchtui.actions.db_verify import _findings, _product

    found = _findings(
        ["kept", "lost", "grew"],
        {"kept", "grew"},
        {"kept": 3, "lost": 1, "grew": 5},
        {"kept": 3, "grew": 4},
        {},
        {},
    )
    assert found["ok"] is False and found["checksums"] == 0 and found["rows"] == 7
    assert "no CHECKSUM TABLE" in found["compared"] and "as TiDB" in found["compared"]
    assert [(d["table"], d["why"]) for d in found["differs"]] == [
        ("lost", "missing from the copy"),
        ("grew", "row counts differ"),
    ]
    assert _product("8.0.11-TiDB-v7.5.0") == "tidb"  # whose checksums are never compared
