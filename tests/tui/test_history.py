"""The SQLite history: runs, sign-offs, `launchtui report`, and no secret ever stored."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from launchtui import cli
from launchtui.core import history
from launchtui.core.config import Settings
from launchtui.core.context import Context
from launchtui.core.model import Result, RunFinished, Status, Verdict, failed
from launchtui.core.registry import Registry
from launchtui.core.runner import run

CANARY = "canary-Zq8vN3xL0pW5"


def _result(cid: str, status: Status, summary: str = "A sentence.") -> Result:
    return Result(
        id=cid,
        section="1.1",
        title=f"{cid} title",
        status=status,
        summary=summary,
        evidence={"key": "value | with a pipe"},
        remediation="Do the thing.",
        command="openssl rand -hex 32",
        duration_ms=12,
    )


def _run(*results: Result, started_at: str = "2026-11-25T17:00:00Z") -> RunFinished:
    return RunFinished(tuple(results), started_at, 812)


def test_report_is_none_before_any_run() -> None:
    assert history.markdown_report(Settings(profile="production")) is None
    assert history.last_run(Settings(profile="production")) is None


def test_last_run_comes_back_as_it_was_recorded() -> None:
    settings = Settings(profile="production")
    history.record_run(settings, _run(_result("env.a", Status.PASS)))
    history.record_run(
        settings,
        _run(
            _result("env.b", Status.FAIL),
            _result("env.a", Status.WARN),
            started_at="2026-11-25T18:00:00Z",
        ),
    )
    last = history.last_run(settings)
    assert last is not None
    assert last.started_at == "2026-11-25T18:00:00Z" and last.duration_ms == 812
    assert [(r.id, r.status) for r in last.results] == [
        ("env.b", Status.FAIL),
        ("env.a", Status.WARN),
    ]
    assert last.results[0] == _result("env.b", Status.FAIL)


def test_runs_and_sign_offs_are_kept_per_profile() -> None:
    prod, staging = Settings(profile="production"), Settings(profile="staging")
    history.record_run(prod, _run(_result("env.a", Status.PASS)))
    history.sign_off(prod, "backup.media", "alice", "2026-11-25T17:05:00Z")
    assert history.last_run(staging) is None
    assert history.signoffs(staging) == {}
    assert history.signoffs(prod) == {"backup.media": ("alice", "2026-11-25T17:05:00Z")}
    history.sign_off(prod, "backup.media", "bob", "2026-11-25T17:06:00Z")
    assert history.signoffs(prod) == {"backup.media": ("bob", "2026-11-25T17:06:00Z")}
    history.withdraw_signoff(prod, "backup.media")
    assert history.signoffs(prod) == {}


def test_markdown_report_shows_results_and_who_signed_off() -> None:
    settings = Settings(profile="production")
    history.record_run(
        settings, _run(_result("env.a", Status.FAIL, "SECRET_KEY is a placeholder."))
    )
    history.sign_off(settings, "env.a", "alice", "2026-11-25T17:05:00Z")
    text = history.markdown_report(settings)
    assert text is not None
    assert "- profile: production" in text
    assert "**0/1 ready, 1 fail**" in text
    assert (
        "| ✘ | `env.a` | fail | SECRET_KEY is a placeholder. | alice at 2026-11-25T17:05:00Z |"
        in text
    )
    assert "- key: value | with a pipe" in text


def test_old_runs_are_pruned() -> None:
    settings = Settings(profile="production")
    for n in range(history.KEEP_RUNS + 5):
        history.record_run(settings, _run(_result("env.a", Status.PASS), started_at=f"run {n}"))
    from sqlalchemy import func, select

    runs = history._metadata().tables["runs"]
    results = history._metadata().tables["results"]
    with history._engine().connect() as conn:
        assert conn.execute(select(func.count()).select_from(runs)).scalar() == history.KEEP_RUNS
        assert conn.execute(select(func.count()).select_from(results)).scalar() == history.KEEP_RUNS
    last = history.last_run(settings)
    assert last is not None and last.started_at == f"run {history.KEEP_RUNS + 4}"


def test_history_file_is_private() -> None:
    history.record_run(Settings(), _run(_result("env.a", Status.PASS)))
    path = history.history_path()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700


async def test_history_never_stores_a_secret(tmp_path: Path) -> None:
    registry = Registry()

    @registry.check("env.secret_key", section="1.1", title="SECRET_KEY is strong")
    async def careless(ctx: Context) -> Verdict:
        value = ctx.secret("SECRET_KEY")
        assert value is not None
        # A careless check: the runner scrubs what it returns before anyone stores it.
        return failed(
            f"SECRET_KEY {value.reveal()} is weak.",
            {"value": value.reveal()},
            command=f"echo {value.reveal()}",
        )

    settings = Settings(profile="production")
    ctx = Context.build(settings, environ={"SECRET_KEY": CANARY})
    final = await run(registry, ctx)
    ctx.close()
    history.record_run(settings, final)
    history.sign_off(settings, "env.secret_key", "alice", "2026-11-25T17:05:00Z")
    raw = b"".join(p.read_bytes() for p in history.history_path().parent.iterdir() if p.is_file())
    assert CANARY.encode() not in raw
    assert b"SECRET_KEY **** is weak." in raw
    report = history.markdown_report(settings)
    assert report is not None and CANARY not in report


def test_launchtui_report_prints_the_last_walkthrough(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["report"]) == cli.EXIT_FAIL
    assert "No walkthrough recorded yet" in capsys.readouterr().err
    history.record_run(Settings(), _run(_result("env.a", Status.PASS, "All good.")))
    assert cli.main(["report"]) == cli.EXIT_OK
    out = capsys.readouterr().out
    assert out == history.markdown_report(Settings())
    assert "| ✔ | `env.a` | pass | All good. |" in out


def test_launchtui_check_records_whole_runs_only(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    env = tmp_path / ".env"
    env.write_text("FLASK_DEBUG=0\n", encoding="utf-8")
    cli.main(["check", "--env-file", str(env), "--only", "env.flask_debug"])
    assert history.last_run(Settings()) is None  # a partial run is not a walkthrough
    cli.main(["check", "--env-file", str(env), "--format", "json"])
    capsys.readouterr()
    last = history.last_run(Settings())
    assert last is not None
    from launchtui.core.registry import default_registry

    assert {r.id for r in last.results} == default_registry().ids()
    assert next(r for r in last.results if r.id == "env.flask_debug").status is Status.PASS


def test_a_broken_history_never_breaks_check(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("", encoding="utf-8")
    monkeypatch.setenv("XDG_DATA_HOME", str(blocker))
    env = tmp_path / ".env"
    env.write_text("FLASK_DEBUG=0\n", encoding="utf-8")
    code = cli.main(["check", "--env-file", str(env), "--format", "json"])
    assert code in (cli.EXIT_OK, cli.EXIT_FAIL)
    assert '"results"' in capsys.readouterr().out
