"""deploy.procfile: `flask db upgrade` runs before the app serves traffic."""

from __future__ import annotations

from pathlib import Path

import pytest

from launchtui.core.model import Status

from .helpers import BAD, GOOD, run_check


def backend(tmp_path: Path, procfile: str | bytes | None, **files: str) -> Path:
    d = tmp_path / "backend"
    d.mkdir()
    if isinstance(procfile, bytes):
        (d / "Procfile").write_bytes(procfile)
    elif procfile is not None:
        (d / "Procfile").write_text(procfile, encoding="utf-8")
    for name, text in files.items():
        (d / name.replace("_dot_", ".")).write_text(text, encoding="utf-8")
    return d


async def test_release_line_passes_and_explains_which_platforms_run_it() -> None:
    result = await run_check("deploy.procfile", GOOD)
    assert result.status is Status.PASS
    assert "`release:` line runs `flask db upgrade`" in result.summary
    assert "Railway does not run `release:`" in result.evidence["platforms"]
    assert result.evidence["release: (line 2)"] == "flask db upgrade"


@pytest.mark.parametrize(
    "web",
    [
        "flask db upgrade && gunicorn app:app",
        "python -m flask db upgrade && gunicorn --bind 0.0.0.0:$PORT app:app",
        "FLASK_APP=app.py flask db upgrade && gunicorn app:app",
        "flask --app app db upgrade && exec gunicorn 'app:create_app()'",
        'sh -c "flask db upgrade && gunicorn app:app"',
        "cd backend && python3 -m flask db upgrade && python -m gunicorn app:app 2>&1",
    ],
)
async def test_migration_before_the_server_in_web_passes(tmp_path: Path, web: str) -> None:
    result = await run_check("deploy.procfile", backend(tmp_path, f"web: {web}\n"))
    assert result.status is Status.PASS
    assert "`web:` line runs `flask db upgrade &&` before the server" in result.summary


async def test_migration_after_the_server_fails_with_the_fixed_line() -> None:
    result = await run_check("deploy.procfile", BAD)
    assert result.status is Status.FAIL
    assert "after the web server starts" in result.summary
    assert "`web: flask db upgrade && gunicorn app:app`" in result.remediation


async def test_or_between_migration_and_server_fails(tmp_path: Path) -> None:
    d = backend(tmp_path, "web: flask db upgrade || gunicorn app:app\n")
    result = await run_check("deploy.procfile", d)
    assert result.status is Status.FAIL
    assert "starts only if the migration fails" in result.summary


async def test_semicolon_between_migration_and_server_warns(tmp_path: Path) -> None:
    d = backend(tmp_path, "web: flask db upgrade; gunicorn app:app\n")
    result = await run_check("deploy.procfile", d)
    assert result.status is Status.WARN
    assert "serves even if the migration fails" in result.summary
    assert "flask db upgrade && gunicorn app:app" in result.remediation


async def test_background_migration_fails(tmp_path: Path) -> None:
    d = backend(tmp_path, "web: flask db upgrade & gunicorn app:app\n")
    result = await run_check("deploy.procfile", d)
    assert result.status is Status.FAIL
    assert "at the same time" in result.summary


async def test_flask_db_migrate_in_production_fails(tmp_path: Path) -> None:
    d = backend(tmp_path, "release: flask db migrate\nweb: gunicorn app:app\n")
    result = await run_check("deploy.procfile", d)
    assert result.status is Status.FAIL
    assert "`flask db migrate`" in result.summary and "generates new migration" in result.summary


async def test_procfile_without_any_migration_fails_with_the_line_to_add(tmp_path: Path) -> None:
    d = backend(tmp_path, "web: gunicorn app:app\n")
    result = await run_check("deploy.procfile", d)
    assert result.status is Status.FAIL
    assert "never runs `flask db upgrade`" in result.summary
    assert "release: flask db upgrade" in result.remediation
    assert result.command is not None and "release: flask db upgrade" in result.command


async def test_no_procfile_fails_with_the_exact_line(tmp_path: Path) -> None:
    d = backend(tmp_path, None)
    result = await run_check("deploy.procfile", d)
    assert result.status is Status.FAIL
    assert "There is no Procfile" in result.summary and str(d) in result.summary
    assert "`release: flask db upgrade`" in result.remediation


async def test_empty_procfile_fails(tmp_path: Path) -> None:
    result = await run_check("deploy.procfile", backend(tmp_path, ""))
    assert result.status is Status.FAIL
    assert "never runs `flask db upgrade`" in result.summary


async def test_crlf_comments_and_a_bom_are_read(tmp_path: Path) -> None:
    body = (
        b"\xef\xbb\xbf# Deploy processes\r\n\r\n  # migrations first\r\n"
        b"release: flask db upgrade\r\nweb: gunicorn app:app\r\n"
    )
    result = await run_check("deploy.procfile", backend(tmp_path, body))
    assert result.status is Status.PASS
    assert result.evidence["release: (line 4)"] == "flask db upgrade"


async def test_odd_bytes_and_junk_lines_give_a_verdict_with_notes(tmp_path: Path) -> None:
    body = b"\xff\xfe garbage line\nweb: flask db upgrade && gunicorn app:app\n"
    result = await run_check("deploy.procfile", backend(tmp_path, body))
    assert result.status is Status.PASS
    assert "not UTF-8" in result.evidence["notes"]


async def test_unbalanced_quotes_still_give_a_verdict(tmp_path: Path) -> None:
    d = backend(tmp_path, "web: gunicorn 'app:create_app( && flask db upgrade\n")
    result = await run_check("deploy.procfile", d)
    assert result.status is Status.FAIL
    assert "after the web server starts" in result.summary


async def test_a_start_script_with_set_e_is_followed(tmp_path: Path) -> None:
    script = "#!/bin/sh\nset -e\n# migrate, then serve\nflask db upgrade\nexec gunicorn app:app\n"
    d = backend(tmp_path, "web: ./start.sh\n", start_dot_sh=script)
    result = await run_check("deploy.procfile", d)
    assert result.status is Status.PASS and "before the server" in result.summary


async def test_a_start_script_without_set_e_warns(tmp_path: Path) -> None:
    script = "#!/bin/sh\nflask db upgrade\ngunicorn app:app\n"
    d = backend(tmp_path, "web: bash start.sh\n", start_dot_sh=script)
    result = await run_check("deploy.procfile", d)
    assert result.status is Status.WARN and "even if the migration fails" in result.summary


async def test_a_release_line_that_masks_failures_warns(tmp_path: Path) -> None:
    d = backend(tmp_path, "release: flask db upgrade || true\nweb: gunicorn app:app\n")
    result = await run_check("deploy.procfile", d)
    assert result.status is Status.WARN
    assert "masks a failed `flask db upgrade`" in result.summary


async def test_railway_pre_deploy_command_counts_without_a_procfile(tmp_path: Path) -> None:
    toml = '[deploy]\npreDeployCommand = ["flask db upgrade"]\nstartCommand = "gunicorn app:app"\n'
    d = backend(tmp_path, None, railway_dot_toml=toml)
    result = await run_check("deploy.procfile", d)
    assert result.status is Status.PASS
    assert "railway.toml's preDeployCommand runs `flask db upgrade`" in result.summary


async def test_release_only_on_a_railway_service_warns(tmp_path: Path) -> None:
    d = backend(
        tmp_path,
        "release: flask db upgrade\nweb: gunicorn app:app\n",
        railway_dot_json='{"deploy": {"startCommand": "gunicorn app:app"}}',
    )
    result = await run_check("deploy.procfile", d)
    assert result.status is Status.WARN
    assert "Railway does not run `release:`" in result.summary
    assert "preDeployCommand" in result.remediation


async def test_web_migration_after_server_is_only_noise_when_release_migrates(
    tmp_path: Path,
) -> None:
    d = backend(tmp_path, "release: flask db upgrade\nweb: gunicorn app:app && flask db upgrade\n")
    result = await run_check("deploy.procfile", d)
    assert result.status is Status.WARN and "only noise" in result.summary


async def test_procfile_at_the_repository_root_is_found(tmp_path: Path) -> None:
    (tmp_path / "Procfile").write_text("release: flask db upgrade\nweb: gunicorn app:app\n")
    d = tmp_path / "backend"
    d.mkdir()
    result = await run_check("deploy.procfile", d)
    assert result.status is Status.PASS
    assert result.evidence["Procfile"] == str(tmp_path / "Procfile")


async def test_a_procfile_that_is_a_directory_counts_as_no_procfile(tmp_path: Path) -> None:
    d = backend(tmp_path, None)
    (d / "Procfile").mkdir()
    result = await run_check("deploy.procfile", d)
    assert result.status is Status.FAIL
    assert "no Procfile" in result.summary
