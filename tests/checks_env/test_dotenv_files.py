"""The checks read through real dotenv files (Settings(env_file=...)), as `--env-file` does."""

from __future__ import annotations

from launchtui.core.model import Status

from .conftest import ENV_IDS, FIXTURES, RunChecks


def statuses(results: dict) -> dict[str, str]:  # type: ignore[type-arg]
    return {cid: r.status.value for cid, r in results.items()}


async def test_the_production_files_pass_every_check(run_checks: RunChecks) -> None:
    results = await run_checks(
        {},
        ENV_IDS,
        env_file=FIXTURES / "production.env",
        frontend_env_file=FIXTURES / "frontend.production.env",
        backend_url="https://api.shop.example.com",
        frontend_url="https://shop.example.com",
    )
    assert statuses(results) == {cid: "pass" for cid in ENV_IDS}


async def test_the_checklists_own_examples_are_caught(run_checks: RunChecks) -> None:
    results = await run_checks(
        {},
        ENV_IDS,
        env_file=FIXTURES / "checklist_example.env",
        frontend_env_file=FIXTURES / "frontend.checklist_example.env",
    )
    assert statuses(results) == {
        "env.database_url": "fail",
        "env.secret_key": "fail",
        "env.jwt_secret_key": "fail",
        "env.cloudinary_url": "pass",
        "env.cors_origins": "pass",
        "env.flask_debug": "pass",
        "frontend.api_url": "pass",
        "frontend.cloud_name": "fail",
    }
    assert "ssl_mode=VERIFIED (the checklist's form)" in results["env.database_url"].summary
    assert "not its output" in results["env.secret_key"].summary
    assert "same as SECRET_KEY" in results["env.jwt_secret_key"].summary
    # Its 1.2 example cloud (dsrb7j7rm) is not its 1.1 example cloud (my-app).
    assert "dsrb7j7rm but the backend uploads to my-app" in results["frontend.cloud_name"].summary
    assert "could not be compared" in results["frontend.api_url"].summary


async def test_a_broken_file_gets_a_verdict_for_every_mistake(run_checks: RunChecks) -> None:
    results = await run_checks({}, ENV_IDS, env_file=FIXTURES / "broken.env")
    got = statuses(results)
    must_fail = {
        "env.database_url": "MySQLdb",
        "env.secret_key": "placeholder",
        "env.jwt_secret_key": "not set",
        "env.cloudinary_url": "no API secret",
        "env.cors_origins": "2 CORS_ORIGINS entries are wrong",
        "env.flask_debug": "FLASK_DEBUG=on",
    }
    for cid, words in must_fail.items():
        assert got[cid] == "fail", (cid, results[cid].summary)
        assert words in results[cid].summary, cid
    assert "FLASK_ENV=development" in results["env.flask_debug"].evidence["problem 2"]
    assert got["frontend.api_url"] == "fail" and got["frontend.cloud_name"] == "fail"
    assert "hunter2" not in str([r.to_dict() for r in results.values()])


async def test_the_env_file_overrides_the_process_environment(run_checks: RunChecks) -> None:
    results = await run_checks(
        {"FLASK_DEBUG": "1", "SECRET_KEY": "dev"},
        ("env.flask_debug", "env.secret_key"),
        env_file=FIXTURES / "production.env",
    )
    assert results["env.flask_debug"].status is Status.PASS
    assert results["env.secret_key"].status is Status.PASS
