"""env.undeclared: every variable config.py reads is set in the backend's environment."""

from __future__ import annotations

from pathlib import Path

from launchtui.core.model import Status

from .helpers import BAD, GOOD, PROD_ENV, backend_with_config, everything, run_check

FULL = {**PROD_ENV, "DATABASE_URL": "mysql+pymysql://app:pw-canary-0a1b2c@127.0.0.1:9/appdb"}


async def test_all_production_variables_set_passes_and_counts_them() -> None:
    result = await run_check("env.undeclared", GOOD, {**FULL, "UPLOAD_FOLDER": "/srv/up"})
    assert result.status is Status.PASS
    assert "All 6 variables config.py reads for production are set" in result.summary
    assert "DEV_SQLITE_PATH, read only by development classes, is not" in result.summary
    assert "DevelopmentConfig" in result.evidence["DEV_SQLITE_PATH"]


async def test_every_variable_set_passes_with_the_plain_count() -> None:
    env = {**FULL, "UPLOAD_FOLDER": "/srv/up", "DEV_SQLITE_PATH": "/tmp/dev.db"}
    result = await run_check("env.undeclared", GOOD, env)
    assert result.status is Status.PASS
    assert result.summary == "All 7 variables config.py reads are set."


async def test_unset_subscript_variable_fails_because_import_raises_keyerror() -> None:
    env = {k: v for k, v in FULL.items() if k != "DATABASE_URL"}
    result = await run_check("env.undeclared", GOOD, {**env, "UPLOAD_FOLDER": "/srv/up"})
    assert result.status is Status.FAIL
    assert "DATABASE_URL" in result.summary and "KeyError" in result.summary
    assert "config.py:11" in result.evidence["DATABASE_URL"]
    assert "at import" in result.evidence["DATABASE_URL"]


async def test_unset_variables_with_defaults_warn_and_name_the_default() -> None:
    env = {k: v for k, v in FULL.items() if k != "CORS_ORIGINS"}
    result = await run_check("env.undeclared", GOOD, env)
    assert result.status is Status.WARN
    assert "CORS_ORIGINS, UPLOAD_FOLDER are unset or empty" in result.summary
    assert "falls back to built-in defaults" in result.summary
    assert result.evidence["UPLOAD_FOLDER"] == 'unset; config.py:15 falls back to "/tmp/uploads"'
    assert result.evidence["CORS_ORIGINS"] == 'unset; config.py:14 falls back to ""'


async def test_a_secret_looking_default_is_never_shown() -> None:
    env_without_secret = {k: v for k, v in FULL.items() if k != "SECRET_KEY"}
    result = await run_check(
        "env.undeclared", BAD, {**env_without_secret, "UPLOAD_FOLDER": "/srv/up"}
    )
    assert result.status is Status.WARN
    assert "SECRET_KEY" in result.summary
    assert "not shown" in result.evidence["SECRET_KEY"]
    assert "dev-secret-key-change-me" not in everything(result)


async def test_bad_backend_fails_on_its_required_jwt_key() -> None:
    env = {k: v for k, v in FULL.items() if k not in ("JWT_SECRET_KEY", "CORS_ORIGINS")}
    result = await run_check("env.undeclared", BAD, env)
    assert result.status is Status.FAIL
    assert "JWT_SECRET_KEY" in result.summary and "crashes" in result.summary
    assert "localhost:5173" in result.evidence["CORS_ORIGINS"]


async def test_a_variable_set_but_empty_warns() -> None:
    env = {**FULL, "UPLOAD_FOLDER": "/srv/up", "CORS_ORIGINS": "  "}
    result = await run_check("env.undeclared", GOOD, env)
    assert result.status is Status.WARN
    assert "CORS_ORIGINS is unset or empty" in result.summary
    assert result.evidence["CORS_ORIGINS"] == "set but empty"


async def test_a_read_inside_a_function_names_that_function(tmp_path: Path) -> None:
    d = backend_with_config(
        tmp_path,
        """\
        import os


        def database_uri():
            return os.environ["DATABASE_URL"]


        class ProductionConfig:
            SQLALCHEMY_DATABASE_URI = database_uri()
        """,
    )
    result = await run_check("env.undeclared", d, {})
    assert result.status is Status.FAIL
    assert "when database_uri() runs" in result.evidence["DATABASE_URL"]


async def test_a_default_url_is_shown_with_its_password_masked(tmp_path: Path) -> None:
    d = backend_with_config(
        tmp_path,
        """\
        import os

        DB = os.getenv("DB_URI", "mysql+pymysql://root:hunter2hunter2@localhost/app")
        """,
    )
    result = await run_check("env.undeclared", d, {})
    assert result.status is Status.WARN
    assert "hunter2hunter2" not in everything(result)
    assert "root:****@localhost" in result.evidence["DB_URI"]


async def test_values_of_set_variables_never_appear() -> None:
    result = await run_check("env.undeclared", GOOD, {**FULL, "UPLOAD_FOLDER": "/srv/up"})
    text = everything(result)
    for value in FULL.values():
        assert value not in text
    assert "pw-canary-0a1b2c" not in text
