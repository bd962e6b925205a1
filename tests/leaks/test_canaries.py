"""Canary secrets through every command and every main TUI screen, healthy and failing: never
written anywhere a user, a log collector or another user of the box could read them.

Every secret input gets a distinctive value (DATABASE_URL's password, SECRET_KEY,
JWT_SECRET_KEY, CLOUDINARY_URL's key and secret, the AWS secret key, the restore target's
LAUNCHTUI_TARGET_PASSWORD), and every command runs against real servers that work and that
fail (a refused port, wrong passwords, a dead Cloudinary). Then stdout, stderr, every file
under HOME, the XDG dirs, the log dir and the backup dir, and the screen captures are searched
for each value, percent-encoded and base64 too; `/proc/*/cmdline` and `/proc/*/environ` are
searched while a `backup db` runs.
"""

from __future__ import annotations

import base64
import logging
import os
import shutil
import subprocess
import sys
import time
import urllib.parse
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest
import zstandard
from textual.pilot import Pilot
from textual.widgets import Static

from launchtui.core.config import Settings, user_log_dir
from launchtui.core.logs import setup_logging
from launchtui.core.secrets import Redactor
from launchtui.core.setup import FIELD_KEYS
from launchtui.tui.app import LaunchApp
from launchtui.tui.screens.action import ActionScreen
from launchtui.tui.screens.help import HelpScreen
from launchtui.tui.screens.runbook import RunbookScreen
from launchtui.tui.screens.setup import SetupScreen
from tests.actions import db_support as s
from tests.cli import run_launchtui
from tests.servers.cloudinary_api import CloudinaryApi
from tests.servers.mariadb import MariaDB
from tests.servers.s3 import Bucket
from tests.tui.helpers import detail_text, settle, until

DB_PW = "Cnry/DbPw+7731=x"
WRONG_PW = "Cnry/WrongPw+4410=y"
TARGET_PW = "Cnry/TargetPw+5582=z"
SECRET_KEY = "CnrySecretKey-4e8a1b7d3f6e0a5c9b2d8e4f1a7c3b6d0e9f2a5c8b1d4e7"
JWT_KEY = "CnryJwtKey-XVmMrGk097fFqbwNvjqx8orFNget8mZtiZnulUs74KUjjMWiLyHY"
CLD_KEY = "731942086513579"
CLD_SECRET = "Cnry-CldSecret_Qx9Zb4"
AWS_SECRET = "Cnry/AwsSecret+Key9=/w"
CANARIES = (DB_PW, WRONG_PW, TARGET_PW, SECRET_KEY, JWT_KEY, CLD_KEY, CLD_SECRET, AWS_SECRET)
BACKEND = Path(__file__).resolve().parent.parent / "fixtures" / "backend_migrate"
RUNBOOKS = ("frontend-down", "api-500", "db-down", "images-broken")
SIZE = (100, 32)


def forms(value: str) -> set[bytes]:
    """The value as written, percent-encoded (both ways) and base64-encoded (both alphabets)."""
    raw = value.encode()
    return {
        raw,
        urllib.parse.quote(value, safe="").encode(),
        urllib.parse.quote_plus(value).encode(),
        base64.b64encode(raw),
        base64.urlsafe_b64encode(raw),
    }


# Each canary in every form; and the Basic auth header the Cloudinary SDK sends.
NEEDLES = {form for c in CANARIES for form in forms(c)} | {
    base64.b64encode(f"{CLD_KEY}:{CLD_SECRET}".encode())
}


def hits(data: bytes | str) -> list[bytes]:
    blob = data.encode(errors="surrogateescape") if isinstance(data, str) else data
    return sorted(n for n in NEEDLES if n in blob)


def files_under(*roots: Path) -> Iterator[Path]:
    for root in roots:
        if root.is_file():
            yield root
        elif root.exists():
            yield from (p for p in root.rglob("*") if p.is_file() and not p.is_symlink())


@dataclass
class World:
    """The servers, the env files and the dirs every command shares."""

    tmp: Path
    home: Path
    backups: Path
    working: Path  # env file: every input right, secrets are canaries
    failing: Path  # env file: wrong password, dead Cloudinary
    refused: Path  # env file: the database on a refused port
    migrating: Path  # env file: working, with an empty database for `flask db upgrade`
    refused_url: str  # frontend and backend: refused
    source: s.Source
    target_db: str
    target_user: str
    offsite: str
    offsite_endpoint: str

    def roots(self) -> list[Path]:
        """Every place a leak would be kept: HOME, the XDG dirs, the log and backup dirs."""
        xdg = [Path(os.environ[v]) for v in os.environ if v.startswith("XDG_")]
        return [self.home, *xdg, user_log_dir(), self.backups]

    def inputs(self, env_file: Path) -> list[str]:
        return [
            "--env-file",
            str(env_file),
            "--frontend-url",
            self.refused_url,
            "--backend-url",
            self.refused_url,
            "--backup-dir",
            str(self.backups),
            "--backend-dir",
            str(self.tmp / "backend"),
        ]

    def env(self, **extra: str) -> dict[str, str]:
        return {"HOME": str(self.home), "TMPDIR": str(self.tmp / "tmpdir"), **extra}


@pytest.fixture
def world(
    mariadb: MariaDB,
    cloudinary_api: CloudinaryApi,
    s3: Bucket,
    refused_port: int,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[World]:
    home = tmp_path / "home"
    home.mkdir()
    (tmp_path / "tmpdir").mkdir()
    monkeypatch.setenv("HOME", str(home))
    backend = tmp_path / "backend"
    shutil.copytree(BACKEND, backend, ignore=shutil.ignore_patterns("__pycache__"))
    (backend / ".venv").symlink_to(Path(sys.prefix))

    db = mariadb.create_database("cnry")
    user = f"cn{os.urandom(4).hex()}"
    mariadb.create_user(user, DB_PW, [db])
    scratch = db.replace("_", "\\_") + "\\_launchtui\\_verify\\_%"  # --verify-restore's copies
    mariadb.root_sql(f"GRANT ALL ON `{scratch}`.* TO '{user}'@'%'")
    s.fill_big(mariadb, db, 100_000)
    source = s.Source(mariadb, db, user, DB_PW, ("audit", "big"))
    migrate_db = mariadb.create_database("cnrymig", grant_to=user)
    target_db = mariadb.create_database("cnrytarget")
    target_user = f"ct{os.urandom(4).hex()}"
    mariadb.create_user(target_user, TARGET_PW, [target_db])

    cloudinary_api.add_account("cnry-cloud", CLD_KEY, CLD_SECRET)
    cloudinary_api.seed(40, "image", "upload", cloud="cnry-cloud")
    cloudinary_api.seed(3, "raw", "private", cloud="cnry-cloud")
    dead_cloudinary = f"cloudinary://{CLD_KEY}:{CLD_SECRET}@cnry-cloud?upload_prefix=http://127.0.0.1:{refused_port}"

    common = (
        f"SECRET_KEY={SECRET_KEY}\nJWT_SECRET_KEY={JWT_KEY}\n"
        f"AWS_ACCESS_KEY_ID=AKIACANARY0001\nAWS_SECRET_ACCESS_KEY={AWS_SECRET}\n"
        f"AWS_REGION=us-east-1\nCORS_ORIGINS=http://127.0.0.1:{refused_port}\n"
    )
    env_files = {}
    urls = {
        "working": (source.url(), cloudinary_api.url_for("cnry-cloud")),
        "failing": (source.url(password=urllib.parse.quote(WRONG_PW, safe="")), dead_cloudinary),
        "refused": (source.url(port=refused_port), dead_cloudinary),
        "migrating": (source.url(database=migrate_db), cloudinary_api.url_for("cnry-cloud")),
    }
    for name, (db_url, cld_url) in urls.items():
        path = tmp_path / f"{name}.env"
        path.write_text(f"DATABASE_URL={db_url}\nCLOUDINARY_URL={cld_url}\n{common}")
        path.chmod(0o600)
        env_files[name] = path
    yield World(
        tmp=tmp_path,
        home=home,
        backups=tmp_path / "backups",
        working=env_files["working"],
        failing=env_files["failing"],
        refused=env_files["refused"],
        migrating=env_files["migrating"],
        refused_url=f"https://127.0.0.1:{refused_port}",
        source=source,
        target_db=target_db,
        target_user=target_user,
        offsite=s3.url(),
        offsite_endpoint=s3.endpoint,
    )
    for name in (db, migrate_db, target_db):
        mariadb.drop_database(name)


Run = tuple[str, list[str], dict[str, str]]  # a name, the arguments, extra environment


def run_all(world: World, runs: Iterable[Run], codes: dict[str, int]) -> list[str]:
    """Run each command (three at a time): the leaks in its output, named by the command."""

    def one(run: Run) -> list[str]:
        name, argv, extra = run
        proc = run_launchtui(*argv, env=world.env(**extra), cwd=world.tmp, timeout=120)
        codes[name] = proc.returncode
        found = [f"{name}: stdout has {h!r}" for h in hits(proc.stdout)]
        return found + [f"{name}: stderr has {h!r}" for h in hits(proc.stderr)]

    with ThreadPoolExecutor(max_workers=3) as pool:
        return [leak for found in pool.map(one, list(runs)) for leak in found]


def scan_proc_during(proc: subprocess.Popen[str], child: str) -> tuple[list[str], bool]:
    """Search every readable process's argv and environment until `proc` ends."""
    leaks: set[str] = set()
    seen_child = False
    deadline = time.monotonic() + s.WAIT_S
    while proc.poll() is None and time.monotonic() < deadline:
        for pid, cmdline, environ, ppid in s.processes():
            if ppid == proc.pid and os.path.basename(cmdline.split(b"\0")[0]) == child.encode():
                seen_child = True
            for h in hits(cmdline):
                leaks.add(f"{pid} argv {cmdline[:120]!r} has {h!r}")
            for h in hits(environ):
                leaks.add(f"{pid} environ ({cmdline[:120]!r}) has {h!r}")
    return sorted(leaks), seen_child


def test_no_command_leaks_a_canary_anywhere(world: World) -> None:
    w, inp = world, world.inputs
    # -- backup db while every process on the box is searched -----------------------------
    assert hits(w.working.read_bytes())  # the search finds the canaries where they are
    popen = s.launchtui_popen(
        "backup",
        "db",
        *inp(w.working),
        "--verify-restore",
        "--offsite",
        w.offsite,
        "--offsite-endpoint",
        w.offsite_endpoint,
        "--format",
        "json",
        env=w.env(),
    )
    proc_leaks, dumped = scan_proc_during(popen, "mariadb-dump")
    out, err = popen.communicate(timeout=s.WAIT_S)
    assert popen.returncode == 0, err[-2000:]
    assert dumped, "the dump was never seen running"
    assert proc_leaks == []
    leaks = [f"backup db: stdout has {h!r}" for h in hits(out)]
    leaks += [f"backup db: stderr has {h!r}" for h in hits(err)]
    dump = next(p for p in w.backups.iterdir() if p.name.endswith(".sql.zst"))

    into = f"mysql+pymysql://{w.target_user}@127.0.0.1:{w.source.mariadb.port}/{w.target_db}"
    uploads = w.tmp / "uploads"
    uploads.mkdir()
    for i in range(3):
        (uploads / f"old-{i}.jpg").write_bytes(b"x" * 100)
        os.utime(uploads / f"old-{i}.jpg", (time.time() - 3 * 86400,) * 2)
    offsite = ["--offsite", w.offsite, "--offsite-endpoint", w.offsite_endpoint]
    js = ["--format", "json"]
    # Every format on the failing stack; the working one's evidence in two of them.
    runs: list[Run] = [
        (f"check {fmt}", ["check", "--format", fmt, *inp(w.failing)], {})
        for fmt in ("text", "json", "markdown", "junit")
    ]
    runs += [
        (f"check {fmt} working", ["check", "--format", fmt, *inp(w.working)], {})
        for fmt in ("text", "junit")
    ]
    # Every runbook on the failing stack (auth and a dead Cloudinary); db-down refused too.
    runs += [
        (f"runbook {name} {fmt}", ["runbook", name, "--format", fmt, *inp(path)], {})
        for name, path in [*((n, w.failing) for n in RUNBOOKS), ("db-down", w.refused)]
        for fmt in ("text", "json")
    ]
    target_pw = {"LAUNCHTUI_TARGET_PASSWORD": TARGET_PW}
    wrong_pw = {"LAUNCHTUI_TARGET_PASSWORD": WRONG_PW}
    restore = ["restore", "db", str(dump), "--into", into, "--yes"]
    runs += [
        ("backup db failing", ["backup", "db", *inp(w.failing), *js], {}),
        ("backup db refused", ["backup", "db", *inp(w.refused)], {}),
        ("backup media", ["backup", "media", "--download", *inp(w.working), *offsite, *js], {}),
        ("backup media dead", ["backup", "media", *inp(w.failing)], {}),
        ("backup media dead json", ["backup", "media", *inp(w.failing), *js], {}),
        ("restore db", [*restore, *inp(w.working), *js], target_pw),
        ("restore db wrong password", [*restore, "--force", *inp(w.working)], wrong_pw),
        ("migrate", ["migrate", "--yes", *inp(w.migrating), *js], {}),
        ("migrate unstamped", ["migrate", "--yes", *inp(w.working), *js], {}),
        ("migrate failing", ["migrate", "--yes", "--sql", *inp(w.failing)], {}),
        ("migrate refused", ["migrate", "--yes", *inp(w.refused), *js], {}),
        ("cleanup dry run", ["cleanup", "--tmp-dir", str(uploads), *inp(w.failing)], {}),
        ("init", ["init", "--path", str(w.home / "launchtui.toml"), *inp(w.working)], {}),
    ]
    codes: dict[str, int] = {}
    leaks += run_all(w, runs, codes)
    # What the checks recorded, read back; then the files deleted.
    cleanup = ["cleanup", "--yes", "--tmp-dir", str(uploads), *inp(w.failing), *js]
    leaks += run_all(
        w, [("report", ["report", *inp(w.working)], {}), ("cleanup", cleanup, {})], codes
    )
    leaks += files_leaks(w)
    assert leaks == []
    # Each command did what it was there for: the working ones worked, the others failed.
    worked = {
        "backup media",
        "restore db",
        "migrate",
        "cleanup dry run",
        "cleanup",
        "init",
        "report",
    }
    assert {n for n, code in codes.items() if code == 0} == worked, codes
    assert not uploads.exists() or not any(uploads.iterdir())


def files_leaks(world: World) -> list[str]:
    """Every file where a leak would stay, compressed dumps read decompressed."""
    found = []
    for path in files_under(*world.roots()):
        data = path.read_bytes()
        if path.name.endswith(".zst"):
            data = zstandard.ZstdDecompressor().decompressobj().decompress(data)
        found += [f"{path} has {h!r}" for h in hits(data)]
    return found


async def tour(app: LaunchApp, pilot: Pilot[object], shots: dict[str, str], env: str) -> None:
    """Every item's detail, help, both backup modals to their end, and every runbook."""
    await settle(pilot)
    shots[f"{env} checklist"] = app.export_screenshot()
    for cid in list(app.board.results):
        app.checklist.select_check(cid)
        await pilot.pause()
        shots[f"{env} {cid}"] = app.export_screenshot()
        shots[f"{env} {cid} detail"] = detail_text(app)  # the part scrolled out of view too
    await pilot.press("question_mark")
    await until(pilot, lambda: isinstance(app.screen, HelpScreen), "help")
    shots[f"{env} help"] = app.export_screenshot()
    await pilot.press("escape")
    for action in ("backup-db", "backup-media"):
        app.action_run_action(action)
        await until(pilot, lambda: isinstance(app.screen, ActionScreen), action)
        screen = app.screen
        assert isinstance(screen, ActionScreen)
        await until(pilot, lambda m=screen: m.state != "planning", f"the plan of {action}")
        shots[f"{env} {action} plan"] = app.export_screenshot()
        if screen.state == "ready":
            await pilot.press("enter")
        await until(pilot, lambda m=screen: m.state == "done", f"the end of {action}")
        shots[f"{env} {action} done"] = app.export_screenshot()
        await pilot.press("escape")
        await until(pilot, lambda: not isinstance(app.screen, ActionScreen), "the modal to close")
    for name in RUNBOOKS:
        app.open_runbook(name)
        runbook = app.screen
        assert isinstance(runbook, RunbookScreen)
        await until(pilot, lambda r=runbook: r.finished is not None, f"runbook {name}")
        shots[f"{env} runbook {name}"] = app.export_screenshot()
        await pilot.press("escape")
        await until(pilot, lambda: not isinstance(app.screen, RunbookScreen), "the board")
    # The setup screen reads the env file, and looks around the current dir for more.
    await pilot.press("s")
    await until(pilot, lambda: setup_judged(app), "the setup screen's judgements")
    shots[f"{env} setup"] = app.export_screenshot()
    setup = app.screen
    shots[f"{env} setup reasons"] = "\n".join(
        str(w.content) for w in setup.query(".setup-why").results(Static)
    )
    await pilot.press("escape")
    await until(pilot, lambda: not isinstance(app.screen, SetupScreen), "the board")
    await settle(pilot)


def setup_judged(app: LaunchApp) -> bool:
    """The setup screen is up, has looked around, and every field has its final words."""
    screen = app.screen
    if not isinstance(screen, SetupScreen) or screen.found is None:
        return False
    keys = [*FIELD_KEYS, "path"]
    return all(k in screen.judged and "asking" not in screen.judged[k].reason for k in keys)


@pytest.fixture
def app_logging() -> Iterator[Redactor]:
    """The log file the TUI writes when run as `launchtui`, taken down after the test."""
    redactor = Redactor()
    root = logging.getLogger("launchtui")
    level, before = root.level, list(root.handlers)
    setup_logging(redactor)
    yield redactor
    for handler in root.handlers:
        if handler not in before:
            root.removeHandler(handler)
            handler.close()
    root.setLevel(level)


async def test_no_tui_screen_leaks_a_canary(
    world: World, app_logging: Redactor, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A project folder holding a canary env file, for the setup screen to find and read.
    project = world.tmp / "project"
    project.mkdir()
    shutil.copy(world.working, project / ".env.production")
    monkeypatch.chdir(project)
    shots: dict[str, str] = {}
    for env, env_file in (("working", world.working), ("failing", world.failing)):
        settings = Settings(
            env_file=env_file,
            frontend_url=world.refused_url,
            backend_url=world.refused_url,
            backup_dir=world.backups,
            backend_dir=world.tmp / "backend",
        )
        environ = {"PATH": os.environ["PATH"], "HOME": str(world.home)}
        app = LaunchApp(settings, environ=environ, redactor=app_logging)
        async with app.run_test(size=SIZE) as pilot:
            await tour(app, pilot, shots, env)
    assert any("cnry-cloud" in text for text in shots.values())  # the working cloud was shown
    # The setup screen read the canary env file (and looked at the one in the project).
    assert "variables" in shots["working setup reasons"]
    leaks = [f"screen {name} has {h!r}" for name, text in shots.items() for h in hits(text)]
    leaks += files_leaks(world)
    assert leaks == []
