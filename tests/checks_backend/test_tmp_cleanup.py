"""tmp.cleanup: the temp/upload dir holds no stale files; cleanup never runs in a request."""

from __future__ import annotations

import os
import time
from pathlib import Path

from launchtui.core.config import Settings
from launchtui.core.model import Status
from launchtui.probes.tempfiles import measure_dir
from tests import runner

from .helpers import BAD, GOOD, PROD_ENV, backend_with_config, copy_backend, run_check


def upload_dir(tmp_path: Path, *ages_h: float) -> Path:
    """A temp dir holding one 1000-byte file per age given (in hours)."""
    d = tmp_path / "uploads"
    d.mkdir(exist_ok=True)
    now = time.time()
    for n, age in enumerate(ages_h):
        f = d / f"upload-{n}.jpg"
        f.write_bytes(b"x" * 1000)
        os.utime(f, (now - age * 3600, now - age * 3600))
    return d


async def test_fresh_temp_dir_and_cron_cleanup_pass(tmp_path: Path) -> None:
    d = upload_dir(tmp_path, 0.5, 2, 23)
    result = await run_check("tmp.cleanup", GOOD, {**PROD_ENV, "UPLOAD_FOLDER": str(d)})
    assert result.status is Status.PASS
    assert f"{d} holds 3 files (2.9 KB), none older than 24 h" in result.summary
    assert "cli.py:24 flask cleanup-temp" in result.summary
    assert "UPLOAD_FOLDER from the environment" in result.evidence["UPLOAD_FOLDER (config.py:15)"]
    assert result.evidence[str(d)] == "3 files, 2.9 KB; oldest 23 h"


async def test_files_older_than_a_day_warn_that_cleanup_is_not_running(tmp_path: Path) -> None:
    d = upload_dir(tmp_path, 1, 30, 80)
    result = await run_check("tmp.cleanup", GOOD, {"UPLOAD_FOLDER": str(d)})
    assert result.status is Status.WARN
    assert "holds 2 files older than 24 h (oldest 3 days)" in result.summary
    assert "cleanup is not running" in result.summary
    assert "*/30 * * * * cd /app && flask cleanup-temp" in result.remediation
    assert "`launchtui cleanup` lists the old files (a dry run)" in result.remediation
    assert "`launchtui cleanup --yes` deletes them" in result.remediation
    assert "`launchtui cleanup --print-cron` prints the crontab line" in result.remediation
    assert result.command == "*/30 * * * * cd /app && flask cleanup-temp"


async def test_cleanup_inside_request_handlers_warns_and_lists_them(tmp_path: Path) -> None:
    d = upload_dir(tmp_path, 1)
    result = await run_check("tmp.cleanup", BAD, {"UPLOAD_FOLDER": str(d)})
    assert result.status is Status.WARN
    assert "Cleanup runs inside a request handler (app.py:15)" in result.summary
    assert "cron job" in result.summary
    handlers = result.evidence["in request handlers"]
    assert "@app.before_request sweep_uploads() calls purge_expired_uploads()" in handlers
    assert "routes.py:13 @api.route upload() calls cleanup_old_uploads()" in handlers


async def test_a_missing_temp_dir_passes_saying_it_is_not_on_this_machine(tmp_path: Path) -> None:
    gone = tmp_path / "never-created"
    result = await run_check("tmp.cleanup", GOOD, {"UPLOAD_FOLDER": str(gone)})
    assert result.status is Status.PASS
    assert f"{gone} does not exist on this machine" in result.summary
    assert "not called from request handlers" in result.summary


async def test_no_temp_folder_in_config_skips_with_the_reason(tmp_path: Path) -> None:
    d = backend_with_config(tmp_path, "class ProductionConfig:\n    DEBUG = False\n")
    result = await run_check("tmp.cleanup", d)
    assert result.status is Status.SKIP
    assert "sets no temp/upload folder" in result.summary


async def test_a_relative_default_resolves_inside_the_backend_dir(tmp_path: Path) -> None:
    backend = copy_backend(GOOD, tmp_path)
    config = backend / "config.py"
    config.write_text(config.read_text().replace('"/tmp/uploads"', '"uploads"'))
    (backend / "uploads").mkdir()
    (backend / "uploads" / "a.png").write_bytes(b"12345")
    result = await run_check("tmp.cleanup", backend, {})
    assert result.status is Status.PASS
    assert f"{backend / 'uploads'} holds 1 file (5 B)" in result.summary
    assert "UPLOAD_FOLDER unset, so its default" in result.evidence["UPLOAD_FOLDER (config.py:15)"]


async def test_a_folder_built_from_file_path_is_resolved(tmp_path: Path) -> None:
    d = backend_with_config(
        tmp_path,
        """\
        import os

        basedir = os.path.abspath(os.path.dirname(__file__))


        class ProductionConfig:
            TEMP_DIR = os.path.join(basedir, "tmp")
        """,
    )
    (d / "tmp").mkdir()
    result = await run_check("tmp.cleanup", d)
    assert result.status is Status.PASS
    assert f"{d / 'tmp'} holds 0 files" in result.summary


async def test_a_class_based_view_calling_cleanup_warns(tmp_path: Path) -> None:
    d = backend_with_config(
        tmp_path,
        'class ProductionConfig:\n    UPLOAD_FOLDER = "/nonexistent-up"\n',
        views__py="""\
        import shutil

        from flask.views import MethodView


        def purge_tmp(folder):
            shutil.rmtree(folder)


        class UploadAPI(MethodView):
            def post(self):
                purge_tmp("/tmp/x")
                return "", 204
        """,
    )
    result = await run_check("tmp.cleanup", d)
    assert result.status is Status.WARN
    handlers = result.evidence["in request handlers"]
    assert handlers == "views.py:11 UploadAPI.post() calls purge_tmp()"


async def test_a_cleanup_thread_started_from_a_handler_warns(tmp_path: Path) -> None:
    d = backend_with_config(
        tmp_path,
        'class ProductionConfig:\n    UPLOAD_FOLDER = "/nonexistent-up"\n',
        app__py="""\
        import os
        import threading

        from flask import Flask

        app = Flask(__name__)


        def clean_temp():
            for name in os.listdir("/tmp/up"):
                os.remove(os.path.join("/tmp/up", name))


        @app.route("/upload", methods=["POST"])
        def upload():
            threading.Thread(target=clean_temp).start()
            return "ok"
        """,
    )
    result = await run_check("tmp.cleanup", d)
    assert result.status is Status.WARN
    assert "upload() calls clean_temp()" in result.evidence["in request handlers"]


async def test_sanitizing_text_with_clean_in_a_handler_is_not_cleanup(tmp_path: Path) -> None:
    d = backend_with_config(
        tmp_path,
        'class ProductionConfig:\n    UPLOAD_FOLDER = "/nonexistent-up"\n',
        app__py="""\
        import os

        import bleach
        from flask import Flask, request

        app = Flask(__name__)


        @app.post("/comment")
        def comment():
            path = request.args["tmp"]
            os.remove(path)
            return bleach.clean(request.form["text"])
        """,
    )
    result = await run_check("tmp.cleanup", d)
    assert result.status is Status.PASS
    assert "in request handlers" not in result.evidence


async def test_unparsable_modules_are_listed_and_the_rest_still_judged(tmp_path: Path) -> None:
    backend = copy_backend(BAD, tmp_path)
    (backend / "broken.py").write_bytes(b"def oops(:\n\xff\n")
    result = await run_check("tmp.cleanup", backend, {"UPLOAD_FOLDER": str(tmp_path / "no")})
    assert result.status is Status.WARN
    assert result.evidence["modules not parsed"] == "broken.py"
    assert "inside a request handler" in result.summary


def test_the_walk_stops_at_its_cap_and_says_so(tmp_path: Path) -> None:
    d = upload_dir(tmp_path, *([1] * 30))
    stats = measure_dir(d, stale_after_s=86400, cap=10)
    assert stats.capped and stats.files == 10
    full = measure_dir(d, stale_after_s=86400)
    assert not full.capped and full.files == 30 and full.bytes == 30_000


async def test_a_temp_folder_that_is_a_file_warns(tmp_path: Path) -> None:
    not_a_dir = tmp_path / "uploads"
    not_a_dir.write_text("oops")
    result = await run_check("tmp.cleanup", GOOD, {"UPLOAD_FOLDER": str(not_a_dir)})
    assert result.status is Status.WARN
    assert "is a file, not a directory" in result.summary


async def test_a_click_command_named_by_keyword_is_where_cleanup_lives(tmp_path: Path) -> None:
    d = backend_with_config(
        tmp_path,
        'class ProductionConfig:\n    UPLOAD_FOLDER = "/nonexistent-up"\n',
        tasks__py="""\
        from pathlib import Path

        import click


        @click.command(name="purge-uploads")
        def purge_uploads_command():
            for f in Path("/srv/uploads").iterdir():
                f.unlink()
        """,
    )
    result = await run_check("tmp.cleanup", d)
    assert result.status is Status.PASS
    assert "(tasks.py:7 flask purge-uploads)" in result.summary
    assert "cd /app && flask purge-uploads" in result.remediation


async def test_the_profiles_tmp_dir_is_measured_too(tmp_path: Path) -> None:
    d = upload_dir(tmp_path, 1, 30)
    result = await runner.run_check("tmp.cleanup", {}, Settings(backend_dir=GOOD, tmp_dir=d))
    assert result.status is Status.WARN
    assert f"{d} holds 1 file older than 24 h" in result.summary
    assert result.evidence["tmp_dir (launchtui profile)"] == str(d)
