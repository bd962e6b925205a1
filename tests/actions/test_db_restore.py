"""`launchtui restore db` against real servers: backups of awkward data, each compression and
encrypted, loaded into a fresh MariaDB with the real client, compared row by row; refusals
(a target with tables, a tampered file, no key); and the plain `age` CLI reading the file."""

from __future__ import annotations

import asyncio
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from launchtui.actions import plan_action
from launchtui.actions.db_restore import ACTION
from launchtui.actions.db_stream import SANDBOX_LINE, LoadSink, Stats, Watcher
from launchtui.core.model import Status
from launchtui.probes.backup_files import manifest_path, read_manifest
from tests.actions import db_support as s
from tests.checks_backups.builders import run_check
from tests.servers.mariadb import MariaDB, running_mariadb


@pytest.fixture(scope="module")
def source(mariadb_server: MariaDB) -> s.Source:
    db = mariadb_server.create_database("awk")
    user, password = s.make_user(mariadb_server, db)
    tables = s.fill_awkward(mariadb_server, db, definer=user)
    return s.Source(mariadb_server, db, user, password, tables)


@pytest.fixture(scope="module")
def fresh() -> Iterator[tuple[MariaDB, str, str]]:
    """Another, empty server, and a user there who may create and fill databases."""
    with running_mariadb() as server:
        server.create_user("restorer", "Rst-pw'\"\\ x", ["*"])
        yield server, "restorer", "Rst-pw'\"\\ x"


@pytest.fixture(scope="module")
def identity(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """An age X25519 identity file (0600) and its public key, made with pyrage."""
    import pyrage

    key = pyrage.x25519.Identity.generate()
    path = tmp_path_factory.mktemp("age") / "key.txt"
    path.write_text(f"# created by the test\n{key}\n")
    path.chmod(0o600)
    return path, str(key.to_public())


def take_backup(src: s.Source, tmp_path: Path, *args: str) -> Path:
    proc, doc = s.cli_json(
        "backup", "db", "--env-file", str(src.env_file(tmp_path)),
        "--backup-dir", str(tmp_path / "backups"), *args,
    )  # fmt: skip
    assert proc.returncode == 0 and doc["ok"], proc.stderr
    return Path(doc["path"])


def into_url(server: MariaDB, user: str, db: str) -> str:
    return f"mysql+pymysql://{user}@127.0.0.1:{server.port}/{db}?ssl_ca={server.ca_pem}"


def restore(
    path: Path, url: str, *args: str, password: str | None = None, env_file: Path | None = None
) -> tuple[subprocess.CompletedProcess[str], dict[str, Any]]:
    env = {"LAUNCHTUI_TARGET_PASSWORD": password} if password else {}
    extra = ["--env-file", str(env_file)] if env_file else []
    return s.cli_json("restore", "db", str(path), "--into", url, *extra, *args, env=env)


@pytest.mark.parametrize("compression", ["zstd", "gzip", "none"])
def test_each_compression_restores_every_row_into_a_fresh_server(
    source: s.Source, fresh: tuple[MariaDB, str, str], tmp_path: Path, compression: str
) -> None:
    server, user, password = fresh
    path = take_backup(source, tmp_path, "--compress", compression)
    target = f"restored_{compression}"
    proc, doc = restore(path, into_url(server, user, target), "--yes", password=password)
    assert proc.returncode == 0, proc.stderr
    assert set(doc) >= {"ok", "tables", "duration_ms"} and doc["ok"] is True
    assert doc["tables"] == 4 and doc["database"] == target
    assert doc["sandbox_line_dropped"] is False  # MariaDB's own client reads it
    assert s.snapshot(server, target) == s.snapshot(source.mariadb, source.db)
    assert s.views(server, target) == ["people_names"]
    assert password not in proc.stdout + proc.stderr


def test_the_plan_asks_for_the_target_name_and_changes_nothing(
    source: s.Source, fresh: tuple[MariaDB, str, str], tmp_path: Path
) -> None:
    server, user, password = fresh
    path = take_backup(source, tmp_path)
    from launchtui.core.secrets import Secret

    ctx = s.context({}, tmp_path / "backups")
    options = {"backup": path, "into": into_url(server, user, "asked_first")}
    plan = asyncio.run(plan_action(ACTION, ctx, {**options, "target_password": Secret(password)}))
    assert plan.ask is True and plan.confirm_word == "asked_first"
    assert plan.confirm_label == "Restore into asked_first"
    assert "does not exist: it will be created" in "\n".join(plan.steps)
    assert "sha256 matches its manifest" in "\n".join(plan.steps)
    proc, doc = restore(path, into_url(server, user, "asked_first"), password=password)
    assert proc.returncode == 1 and "Not confirmed, so nothing was done" in doc["error"]
    assert s.databases_like(server, "asked_first") == []


def test_a_target_with_tables_is_refused_unless_forced(
    source: s.Source, fresh: tuple[MariaDB, str, str], tmp_path: Path
) -> None:
    server, user, password = fresh
    server.root_sql("CREATE DATABASE busy")
    server.root_sql("CREATE TABLE busy.people (id INT PRIMARY KEY, name TEXT)")
    server.root_sql("CREATE TABLE busy.keep_me (id INT PRIMARY KEY)")
    server.root_sql("INSERT INTO busy.people VALUES (1, 'old row')")
    path = take_backup(source, tmp_path)
    url = into_url(server, user, "busy")
    proc, doc = restore(path, url, "--yes", password=password)
    assert proc.returncode == 1 and set(doc) == {"ok", "error", "duration_ms"}
    assert doc["error"].startswith("busy on 127.0.0.1:")
    assert "already has 2 tables (keep_me, people), so nothing was restored" in doc["error"]
    assert "pass --force" in doc["error"]
    assert server.root_sql("SELECT name FROM busy.people") == [("old row",)]
    proc, doc = restore(path, url, "--yes", "--force", password=password)
    assert proc.returncode == 0, proc.stderr
    assert s.snapshot(server, "busy") == {
        **s.snapshot(source.mariadb, source.db),
        "keep_me": [],  # a table the dump does not hold is left alone
    }


def test_a_tampered_backup_is_refused_before_anything_is_touched(
    source: s.Source, fresh: tuple[MariaDB, str, str], tmp_path: Path
) -> None:
    server, user, password = fresh
    path = take_backup(source, tmp_path, "--compress", "none")
    data = bytearray(path.read_bytes())
    at = data.index(b"INSERT INTO `people`") + 40
    data[at] = ord("X") if data[at] != ord("X") else ord("Y")
    path.write_bytes(bytes(data))  # same size, one byte different
    result = asyncio.run(run_check("backup.database", backup_dir=path.parent))
    assert result.status is Status.FAIL
    assert "its sha256 does not match the manifest" in result.summary
    proc, doc = restore(path, into_url(server, user, "never_made"), "--yes", password=password)
    assert proc.returncode == 1
    assert doc["error"].startswith(
        f"{path.name} does not check out against its manifest, so nothing was restored: "
    )
    assert "sha256 does not match" in doc["error"]
    assert s.databases_like(server, "never_made") == []


def test_a_backup_without_its_manifest_is_refused(
    source: s.Source, fresh: tuple[MariaDB, str, str], tmp_path: Path
) -> None:
    server, user, password = fresh
    path = take_backup(source, tmp_path)
    manifest_path(path).unlink()
    proc, doc = restore(path, into_url(server, user, "never_made"), "--yes", password=password)
    assert proc.returncode == 1 and "manifest" in doc["error"] and "is missing" in doc["error"]


# -- encryption --------------------------------------------------------------------


@pytest.fixture(scope="module")
def encrypted(
    source: s.Source, identity: tuple[Path, str], tmp_path_factory: pytest.TempPathFactory
) -> Path:
    _key, public = identity
    return take_backup(source, tmp_path_factory.mktemp("enc"), "--encrypt-to", public)


def test_an_encrypted_backup_is_unreadable_without_its_key(
    encrypted: Path, identity: tuple[Path, str]
) -> None:
    assert encrypted.name.endswith(".sql.zst.age")
    data = encrypted.read_bytes()
    assert data.startswith(b"age-encryption.org/v1\n")
    for plain in (b"CREATE TABLE", b"INSERT INTO", b"Dump completed", "😀".encode()):
        assert plain not in data
    import zstandard

    with pytest.raises(zstandard.ZstdError):
        zstandard.ZstdDecompressor().decompressobj().decompress(data)
    manifest, _ = read_manifest(encrypted)
    assert manifest is not None
    assert manifest["encrypted_to"] == [identity[1]]  # the public key, nothing else
    assert "AGE-SECRET-KEY" not in manifest_path(encrypted).read_text()


def test_backup_database_verifies_an_encrypted_backup_by_its_checksum(encrypted: Path) -> None:
    result = asyncio.run(run_check("backup.database", backup_dir=encrypted.parent))
    assert result.status is Status.PASS, result.summary
    assert "checked while the dump streamed, at backup time" in result.evidence["footer"]
    assert result.evidence["encrypted to"].startswith("age1")


def test_an_encrypted_backup_restores_with_its_identity(
    source: s.Source,
    encrypted: Path,
    identity: tuple[Path, str],
    fresh: tuple[MariaDB, str, str],
) -> None:
    server, user, password = fresh
    url = into_url(server, user, "from_encrypted")
    proc, doc = restore(encrypted, url, "--yes", "--identity", str(identity[0]), password=password)
    assert proc.returncode == 0, proc.stderr
    assert doc["tables"] == 4
    assert s.snapshot(server, "from_encrypted") == s.snapshot(source.mariadb, source.db)


def test_an_encrypted_backup_without_or_with_the_wrong_identity_is_a_clear_error(
    encrypted: Path, fresh: tuple[MariaDB, str, str], tmp_path: Path
) -> None:
    import pyrage

    server, user, password = fresh
    url = into_url(server, user, "never_made")
    proc, doc = restore(encrypted, url, "--yes", password=password)
    assert proc.returncode == 1
    assert f"{encrypted.name} is encrypted with age (to age1" in doc["error"]
    assert "pass --identity FILE" in doc["error"]
    other = tmp_path / "other.txt"
    other.write_text(f"{pyrage.x25519.Identity.generate()}\n")
    proc, doc = restore(encrypted, url, "--yes", "--identity", str(other), password=password)
    assert proc.returncode == 1
    assert "which is not one of the recipients this backup is encrypted to" in doc["error"]
    assert s.databases_like(server, "never_made") == []


def test_the_age_cli_decrypts_it_too(encrypted: Path, identity: tuple[Path, str]) -> None:
    age, zstd = shutil.which("age"), shutil.which("zstd")
    assert age and zstd, "install age and zstd: apt-get install -y age zstd"
    decrypted = subprocess.run(
        [age, "-d", "-i", str(identity[0]), str(encrypted)], capture_output=True, check=True
    ).stdout
    sql = subprocess.run([zstd, "-d", "-c"], input=decrypted, capture_output=True, check=True)
    assert sql.stdout.rstrip().split(b"\n")[-1].startswith(b"-- Dump completed on ")
    assert "😀🎉".encode() in sql.stdout


def test_verify_restore_of_an_encrypted_backup_uses_the_identity(
    source: s.Source, identity: tuple[Path, str], tmp_path: Path
) -> None:
    key, public = identity
    proc, doc = s.cli_json(
        "backup", "db", "--env-file", str(source.env_file(tmp_path)),
        "--backup-dir", str(tmp_path / "b"), "--encrypt-to", public,
        "--verify-restore", "--identity", str(key),
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert doc["verify_restore"]["ok"] is True and doc["verify_restore"]["tables"] == 4
    proc, doc = s.cli_json(
        "backup", "db", "--env-file", str(source.env_file(tmp_path)),
        "--backup-dir", str(tmp_path / "b2"), "--encrypt-to", public, "--verify-restore",
    )  # fmt: skip
    assert proc.returncode == 1 and "needs --identity FILE" in doc["error"]
    assert s.backup_files(tmp_path / "b2") == []


# -- passwords and CAs of the target -----------------------------------------------


def test_the_same_login_as_database_url_lends_its_password_and_ca(
    source: s.Source, tmp_path: Path
) -> None:
    """--into names the source's server without password or ssl_ca: DATABASE_URL's serve."""
    path = take_backup(source, tmp_path)
    target = source.mariadb.create_database("twin", grant_to=source.user)
    url = f"mysql+pymysql://{source.user}@127.0.0.1:{source.mariadb.port}/{target}"
    proc, doc = restore(path, url, "--yes", env_file=source.env_file(tmp_path))
    assert proc.returncode == 0, proc.stderr
    assert doc["tables"] == 4 and doc["database"] == target
    assert s.snapshot(source.mariadb, target) == s.snapshot(source.mariadb, source.db)


def test_another_user_without_a_password_is_a_clear_error(
    source: s.Source, fresh: tuple[MariaDB, str, str], tmp_path: Path
) -> None:
    server, user, _password = fresh
    path = take_backup(source, tmp_path)
    proc, doc = restore(path, into_url(server, user, "x"), "--yes")
    assert proc.returncode == 1
    assert doc["error"].startswith(f"No password for {user} on 127.0.0.1: set ")
    assert "LAUNCHTUI_TARGET_PASSWORD" in doc["error"]


def test_a_password_in_the_into_url_is_warned_about_and_used(
    source: s.Source, fresh: tuple[MariaDB, str, str], tmp_path: Path
) -> None:
    import urllib.parse

    server, user, password = fresh
    path = take_backup(source, tmp_path)
    quoted = urllib.parse.quote(password, safe="")
    url = f"mysql+pymysql://{user}:{quoted}@127.0.0.1:{server.port}/with_pw?ssl_ca={server.ca_pem}"
    proc, doc = restore(path, url, "--yes")
    assert proc.returncode == 0 and doc["ok"], proc.stderr
    assert "holds a password, and a command line shows in `ps`" in proc.stderr
    assert password not in proc.stdout + proc.stderr and quoted not in proc.stderr
    assert (
        s.snapshot(server, "with_pw")["people"] == s.snapshot(source.mariadb, source.db)["people"]
    )


def test_a_target_with_a_wrong_password_names_the_into_url(
    source: s.Source, fresh: tuple[MariaDB, str, str], tmp_path: Path
) -> None:
    server, user, _password = fresh
    path = take_backup(source, tmp_path)
    proc, doc = restore(path, into_url(server, user, "x"), "--yes", password="wrong")
    assert proc.returncode == 1
    assert "cannot be reached, so nothing was restored" in doc["error"]
    assert "1045 Access denied" in doc["error"] and "the --into URL" in doc["error"]


# -- MySQL's client and MariaDB's sandbox line ------------------------------------


def _through_sink(chunks: list[bytes], strip: bool) -> tuple[bytes, bool]:
    import os

    r, w = os.pipe()
    try:
        sink = LoadSink(w, "backup.sql", Watcher(Stats()), strip)
        for chunk in chunks:
            sink.write(chunk)
        sink.finish()
        os.close(w)
        w = -1
        with os.fdopen(r, "rb") as f:
            r = -1
            return f.read(), sink.stripped
    finally:
        for fd in (r, w):
            if fd >= 0:
                os.close(fd)


def test_the_sandbox_line_is_dropped_for_mysqls_client_however_the_bytes_arrive() -> None:
    body = b"-- MariaDB dump 10.19\nCREATE TABLE `t` (`id` int);\n-- Dump completed\n"
    dump = SANDBOX_LINE + b" \n" + body
    for size in (1, 3, 7, 64, len(dump)):
        chunks = [dump[i : i + size] for i in range(0, len(dump), size)]
        assert _through_sink(chunks, strip=True) == (body, True)
        assert _through_sink(chunks, strip=False) == (dump, False)
    assert _through_sink([body], strip=True) == (body, False)  # nothing to drop


def test_a_mysql_flavoured_client_gets_the_sandbox_line_dropped(
    source: s.Source, fresh: tuple[MariaDB, str, str], tmp_path: Path
) -> None:
    """Only `mysql --version` is faked here (MySQL's client is not packaged in Debian)."""
    from launchtui.core.secrets import Secret

    server, user, password = fresh
    path = take_backup(source, tmp_path)
    fake = tmp_path / "bin"
    fake.mkdir()
    (fake / "mysql").write_text(
        "#!/bin/sh\necho 'mysql  Ver 8.0.36 for Linux on x86_64 (MySQL Community Server - GPL)'\n"
    )
    (fake / "mysql").chmod(0o755)
    ctx = s.context({"PATH": str(fake)}, tmp_path / "backups")
    options = {
        "backup": path,
        "into": into_url(server, user, "mysql_client"),
        "target_password": Secret(password),
    }
    plan = asyncio.run(plan_action(ACTION, ctx, options))
    assert plan.data["strip"] is True and plan.data["client"].version.flavor == "mysql"
    assert "MariaDB's sandbox line is dropped for MySQL's client" in "\n".join(plan.steps)
    assert s.databases_like(server, "mysql_client") == []  # the plan changed nothing
