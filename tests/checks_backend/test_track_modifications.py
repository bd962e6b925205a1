"""config.track_modifications: SQLALCHEMY_TRACK_MODIFICATIONS is off in production."""

from __future__ import annotations

from pathlib import Path

from launchtui.core.model import Status

from .helpers import BAD, GOOD, backend_with_config, run_check

FSA3 = "Flask==3.0.3\nFlask-SQLAlchemy==3.1.1  # pinned\n"
FSA2 = "Flask==2.2.5\n\nflask-sqlalchemy == 2.5.1 ; python_version >= '3.8'\n"


async def test_false_in_the_base_class_passes() -> None:
    result = await run_check("config.track_modifications", GOOD)
    assert result.status is Status.PASS
    assert "ProductionConfig sets SQLALCHEMY_TRACK_MODIFICATIONS to False" in result.summary
    assert "config.py:12, in Config" in result.evidence["SQLALCHEMY_TRACK_MODIFICATIONS"]


async def test_true_fails_with_the_cost_and_the_fix() -> None:
    result = await run_check("config.track_modifications", BAD)
    assert result.status is Status.FAIL
    assert "to True" in result.summary and "memory" in result.summary
    assert "`SQLALCHEMY_TRACK_MODIFICATIONS = False` in ProductionConfig" in result.remediation


async def test_production_override_wins_over_the_base_and_development(tmp_path: Path) -> None:
    d = backend_with_config(
        tmp_path,
        """\
        class Config:
            SQLALCHEMY_TRACK_MODIFICATIONS = True


        class DevelopmentConfig(Config):
            SQLALCHEMY_TRACK_MODIFICATIONS = True


        class ProductionConfig(Config):
            SQLALCHEMY_TRACK_MODIFICATIONS = False
        """,
    )
    result = await run_check("config.track_modifications", d)
    assert result.status is Status.PASS
    assert "in ProductionConfig" in result.evidence["SQLALCHEMY_TRACK_MODIFICATIONS"]


async def test_unset_on_flask_sqlalchemy_3_passes_noting_the_default(tmp_path: Path) -> None:
    d = backend_with_config(
        tmp_path, "class ProductionConfig:\n    DEBUG = False\n", requirements__txt=FSA3
    )
    result = await run_check("config.track_modifications", d)
    assert result.status is Status.PASS
    assert "unset, which is off since Flask-SQLAlchemy 3.0" in result.summary
    assert result.evidence["requirements.txt"] == "line 2: Flask-SQLAlchemy==3.1.1"


async def test_unset_without_requirements_passes(tmp_path: Path) -> None:
    d = backend_with_config(tmp_path, "class ProductionConfig:\n    DEBUG = False\n")
    result = await run_check("config.track_modifications", d)
    assert result.status is Status.PASS and "Flask-SQLAlchemy 3.0" in result.summary


async def test_unset_with_flask_sqlalchemy_2_pinned_warns(tmp_path: Path) -> None:
    d = backend_with_config(
        tmp_path, "class ProductionConfig:\n    DEBUG = False\n", requirements__txt=FSA2
    )
    result = await run_check("config.track_modifications", d)
    assert result.status is Status.WARN
    assert "pins Flask-SQLAlchemy==2.5.1" in result.summary and "tracking is on" in result.summary


async def test_a_value_read_from_the_environment_is_judged_by_that_value(tmp_path: Path) -> None:
    d = backend_with_config(
        tmp_path,
        """\
        import os


        class ProductionConfig:
            SQLALCHEMY_TRACK_MODIFICATIONS = os.getenv("TRACK_MODS", "False").lower() == "true"
        """,
    )
    off = await run_check("config.track_modifications", d)
    assert off.status is Status.PASS
    on = await run_check("config.track_modifications", d, {"TRACK_MODS": "TRUE"})
    assert on.status is Status.FAIL
    assert "TRACK_MODS from the environment" in on.summary


async def test_an_unreadable_expression_warns(tmp_path: Path) -> None:
    d = backend_with_config(
        tmp_path,
        "from settings import TRACK\n\n\nclass ProductionConfig:\n"
        "    SQLALCHEMY_TRACK_MODIFICATIONS = TRACK\n",
    )
    result = await run_check("config.track_modifications", d)
    assert result.status is Status.WARN
    assert "computed at run time (TRACK)" in result.summary


async def test_a_flat_config_module_is_read_at_module_level(tmp_path: Path) -> None:
    d = backend_with_config(tmp_path, "SQLALCHEMY_TRACK_MODIFICATIONS = True\n")
    result = await run_check("config.track_modifications", d)
    assert result.status is Status.FAIL
    assert "module level" in result.evidence["production config"]


async def test_none_means_the_library_default_like_unset(tmp_path: Path) -> None:
    d = backend_with_config(
        tmp_path,
        "class ProductionConfig:\n    SQLALCHEMY_TRACK_MODIFICATIONS = None\n",
        requirements__txt=FSA2,
    )
    result = await run_check("config.track_modifications", d)
    assert result.status is Status.WARN and "tracking is on" in result.summary
