"""Reading config.py with `ast`: env reads, inheritance, values, and bad files, never executed."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from launchtui.core.model import Status
from launchtui.probes.backend_source import allows_only_below, read_backend_source

from .helpers import GOOD, PROD_ENV, backend_with_config, everything, run_check

CONFIG_CHECKS = ["env.undeclared", "pool.recycle", "tmp.cleanup", "config.track_modifications"]
ALL_CHECKS = [*CONFIG_CHECKS, "deploy.procfile"]


def test_env_reads_in_every_spelling_are_found_with_lines_and_defaults(tmp_path: Path) -> None:
    d = backend_with_config(
        tmp_path,
        """\
        import os
        import os as _os
        from os import environ as E, getenv

        A = os.environ["A"]
        B = os.environ.get("B", "b-default")
        C = os.getenv("C")
        D = getenv("D", default="d")
        F = E.get("F")
        G = E["G"]
        H = _os.getenv("H")
        I = os.getenv("I") or "fallback"
        os.environ["WRITTEN"] = "x"


        def url():
            return os.environ["LATE"]
        """,
    )
    src = read_backend_source(d)
    reads = {r.name: r for r in src.env_reads}
    assert set(reads) == {"A", "B", "C", "D", "F", "G", "H", "I", "LATE"}
    assert reads["A"].required and reads["A"].line == 5 and reads["A"].function is None
    assert reads["G"].required and reads["G"].form == "os.environ[...]"
    assert not reads["B"].required and reads["B"].default == '"b-default"'
    assert reads["D"].default == '"d"' and reads["C"].default is None
    assert reads["I"].default == '"fallback"'
    assert reads["LATE"].function == "url"


def test_production_class_inherits_and_overrides_base_settings(tmp_path: Path) -> None:
    d = backend_with_config(
        tmp_path,
        """\
        import os

        RECYCLE = 60 * 4 + 40


        class Config:
            SQLALCHEMY_TRACK_MODIFICATIONS = True
            SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True, "pool_recycle": 3600}
            UPLOAD_FOLDER = os.getenv("UPLOAD_FOLDER", "/srv/tmp")


        class ProductionConfig(Config):
            SQLALCHEMY_TRACK_MODIFICATIONS = False
            SQLALCHEMY_ENGINE_OPTIONS = {**Config.SQLALCHEMY_ENGINE_OPTIONS, "pool_recycle": RECYCLE}
        """,
    )
    src = read_backend_source(d)
    assert src.production is not None and src.production.name == "ProductionConfig"
    assert src.production_how == "by name"
    track = src.find("SQLALCHEMY_TRACK_MODIFICATIONS")
    assert track is not None and track.owner == "ProductionConfig"
    assert src.evaluate(track, {}).value is False
    opts = src.find("SQLALCHEMY_ENGINE_OPTIONS")
    assert opts is not None
    recycle = src.evaluate_key(opts, "pool_recycle", {})
    assert recycle is not None and recycle.value == 280
    ping = src.evaluate_key(opts, "pool_pre_ping", {})
    assert ping is not None and ping.value is True
    assert src.evaluate_key(opts, "pool_size", {}) is None
    upload = src.find("UPLOAD_FOLDER")
    assert upload is not None and upload.owner == "Config"
    assert src.evaluate(upload, {}).value == "/srv/tmp"
    over = src.evaluate(upload, {"UPLOAD_FOLDER": "/data/up"})
    assert over.value == "/data/up" and over.env == (("UPLOAD_FOLDER", True),)


def test_dynamic_values_record_their_env_variable_and_default(tmp_path: Path) -> None:
    d = backend_with_config(
        tmp_path,
        """\
        import os


        class ProdConfig:
            SQLALCHEMY_ENGINE_OPTIONS = dict(pool_recycle=int(os.getenv("POOL_RECYCLE", "280")))
            OTHER = build_options()
        """,
    )
    src = read_backend_source(d)
    assert src.production is not None and "Prod" in src.production_how
    opts = src.find("SQLALCHEMY_ENGINE_OPTIONS")
    assert opts is not None
    default = src.evaluate_key(opts, "pool_recycle", {})
    assert default is not None and default.value == 280
    assert default.env == (("POOL_RECYCLE", False),)
    assert 'os.getenv("POOL_RECYCLE", "280")' in default.source
    other = src.find("OTHER")
    assert other is not None
    unknown = src.evaluate(other, {})
    assert not unknown.known and "build_options()" in unknown.source


@pytest.mark.parametrize(
    ("spec", "below_3"),
    [
        ("==2.5.1", True),
        ("<3", True),
        ("<3.0", True),
        (">=2.4,<3", True),
        ("~=2.5", True),
        ("<=2.5.1", True),
        ("==3.1.1", False),
        (">=3.0", False),
        ("", False),
        ("<3.2", False),
    ],
)
def test_version_pins_below_flask_sqlalchemy_3_are_recognized(spec: str, below_3: bool) -> None:
    assert allows_only_below(spec, 3) is below_3


async def test_config_py_and_app_modules_are_never_executed(tmp_path: Path) -> None:
    marker = tmp_path / "executed.marker"
    trap = f'open({str(marker)!r}, "w").write("ran")\nraise SystemExit("imported!")\n'
    d = backend_with_config(
        tmp_path,
        trap
        + "class ProductionConfig:\n"
        + '    SQLALCHEMY_ENGINE_OPTIONS = {"pool_recycle": 280, "pool_pre_ping": True}\n'
        + "    SQLALCHEMY_TRACK_MODIFICATIONS = False\n",
        Procfile="release: flask db upgrade\nweb: gunicorn app:app\n",
    )
    (d / "app.py").write_text(trap, encoding="utf-8")
    (d / "routes.py").write_text("import app\n" + trap, encoding="utf-8")
    results = [await run_check(cid, d, PROD_ENV) for cid in ALL_CHECKS]
    assert not marker.exists()
    by_id = {r.id: r for r in results}
    assert by_id["pool.recycle"].status is Status.PASS
    assert "280 s" in by_id["pool.recycle"].summary
    assert by_id["config.track_modifications"].status is Status.PASS
    assert all(r.status is not Status.ERROR for r in results)


@pytest.mark.parametrize("check_id", CONFIG_CHECKS)
async def test_config_with_a_syntax_error_fails_naming_file_and_line(
    tmp_path: Path, check_id: str
) -> None:
    d = backend_with_config(tmp_path, "import os\n\n\nclass ProductionConfig(\n    DEBUG = False\n")
    result = await run_check(check_id, d, PROD_ENV)
    assert result.status is Status.FAIL
    assert "config.py:4" in result.summary and "syntax error" in result.summary
    assert "crashes at import" in result.summary
    assert result.command is not None and "py_compile" in result.command


async def test_config_with_bytes_that_are_not_utf8_fails_naming_the_line(tmp_path: Path) -> None:
    body = b"import os\n\nNAME = 'caf\xe9'\n\xff\xfe\n"
    d = backend_with_config(tmp_path, body)
    result = await run_check("pool.recycle", d, PROD_ENV)
    assert result.status is Status.FAIL
    assert "config.py:3" in result.summary and "not valid UTF-8" in result.summary
    assert "0xe9" in result.summary


async def test_latin1_config_with_a_coding_cookie_is_read(tmp_path: Path) -> None:
    body = (
        b"# -*- coding: latin-1 -*-\n# caf\xe9\n"
        b"class ProductionConfig:\n    SQLALCHEMY_TRACK_MODIFICATIONS = False\n"
    )
    d = backend_with_config(tmp_path, body)
    result = await run_check("config.track_modifications", d)
    assert result.status is Status.PASS and "False" in result.summary


async def test_config_with_a_bom_and_crlf_endings_is_read(tmp_path: Path) -> None:
    body = b"\xef\xbb\xbfclass ProductionConfig:\r\n    SQLALCHEMY_TRACK_MODIFICATIONS = True\r\n"
    d = backend_with_config(tmp_path, body)
    result = await run_check("config.track_modifications", d)
    assert result.status is Status.FAIL and "True" in result.summary


async def test_config_with_a_null_byte_fails_instead_of_crashing(tmp_path: Path) -> None:
    d = backend_with_config(tmp_path, b"import os\nX = 1\x00\n")
    result = await run_check("env.undeclared", d)
    assert result.status is Status.FAIL
    assert "config.py:2" in result.summary and "crashes at import" in result.summary


async def test_empty_config_gives_verdicts_not_tracebacks(tmp_path: Path) -> None:
    d = backend_with_config(tmp_path, "")
    undeclared = await run_check("env.undeclared", d)
    assert undeclared.status is Status.PASS
    assert "reads no environment variables" in undeclared.summary
    pool = await run_check("pool.recycle", d)
    assert pool.status is Status.WARN and "no ProductionConfig" in pool.summary
    track = await run_check("config.track_modifications", d)
    assert track.status is Status.WARN and "no ProductionConfig" in track.summary
    tmp = await run_check("tmp.cleanup", d)
    assert tmp.status is Status.SKIP and "no temp/upload folder" in tmp.summary


async def test_a_large_config_is_read_within_the_budget(tmp_path: Path) -> None:
    filler = "".join(f"    SETTING_{i} = os.getenv('VAR_{i}', '{i}')\n" for i in range(8000))
    text = (
        "import os\n\n\nclass Config:\n"
        + filler
        + "\n\nclass ProductionConfig(Config):\n"
        + '    SQLALCHEMY_ENGINE_OPTIONS = {"pool_recycle": 280, "pool_pre_ping": True}\n'
    )
    d = backend_with_config(tmp_path, text)
    assert (d / "config.py").stat().st_size > 300_000
    started = time.perf_counter()
    pool = await run_check("pool.recycle", d)
    undeclared = await run_check("env.undeclared", d)
    assert time.perf_counter() - started < 8
    assert pool.status is Status.PASS
    assert undeclared.status is Status.WARN
    assert "VAR_0, VAR_1, VAR_2, VAR_3 and 7996 more" in undeclared.summary


async def test_a_config_over_the_size_limit_is_an_error_not_a_hang(tmp_path: Path) -> None:
    d = backend_with_config(tmp_path, "# " + "x" * 2_100_000 + "\n")
    result = await run_check("pool.recycle", d)
    assert result.status is Status.ERROR
    assert "could not read config.py" in result.summary and "bytes" in result.summary


async def test_a_backend_dir_without_config_py_fails_naming_the_dir(tmp_path: Path) -> None:
    empty = tmp_path / "not-the-backend"
    empty.mkdir()
    for check_id in CONFIG_CHECKS:
        result = await run_check(check_id, empty)
        assert result.status is Status.FAIL
        assert str(empty) in result.summary and "no config.py" in result.summary
        assert "--backend-dir" in result.remediation


@pytest.mark.parametrize("check_id", ALL_CHECKS)
async def test_without_a_backend_dir_each_check_skips_saying_how_to_set_it(check_id: str) -> None:
    result = await run_check(check_id, None)
    assert result.status is Status.SKIP
    assert "--backend-dir PATH" in result.summary and "launchtui.toml" in result.summary


async def test_fixture_secrets_never_appear_in_any_result() -> None:
    for check_id in ALL_CHECKS:
        text = everything(await run_check(check_id, GOOD, PROD_ENV))
        for secret in PROD_ENV.values():
            assert secret not in text
        assert "canary" not in text


async def test_a_very_deep_expression_gives_verdicts_not_recursion_errors(tmp_path: Path) -> None:
    chain = " + ".join(['os.getenv("PART", "1")'] * 1200)
    d = backend_with_config(
        tmp_path,
        f"import os\n\nX = {chain}\n\n\nclass ProductionConfig:\n"
        "    SQLALCHEMY_TRACK_MODIFICATIONS = X\n",
    )
    undeclared = await run_check("env.undeclared", d)
    assert undeclared.status is Status.WARN and "PART is unset" in undeclared.summary
    track = await run_check("config.track_modifications", d)
    assert track.status is Status.WARN and "computed at run time" in track.summary
    (tmp_path / "deeper").mkdir()
    too_deep = backend_with_config(tmp_path / "deeper", "X = " + " + ".join(["1"] * 30000) + "\n")
    result = await run_check("pool.recycle", too_deep)
    assert result.status is Status.FAIL and "config.py" in result.summary
