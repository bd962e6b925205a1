"""The board: what the panels show, computed without Textual."""

from __future__ import annotations

from launchtui.core.context import Context
from launchtui.core.model import Result, RunFinished, Status, Verdict, passed
from launchtui.core.registry import Registry
from launchtui.tui.board import Board, Phase


def _registry() -> Registry:
    registry = Registry()

    async def fn(ctx: Context) -> Verdict:
        return passed("ok")

    registry.check("env.a", section="1.1", title="A")(fn)
    registry.check("env.b", section="1.1", title="B")(fn)
    registry.check("https.backend", section="3.3", title="Backend", kind="live")(fn)
    return registry


def _result(cid: str, status: Status, **kw: object) -> Result:
    section = "3.3" if cid.startswith("https") else "1.1"
    return Result(id=cid, section=section, title=cid, status=status, summary="s", **kw)  # type: ignore[arg-type]


def test_a_check_moves_from_queued_to_running_to_done() -> None:
    board = Board(_registry())
    assert board.phase("env.a") is Phase.IDLE
    board.queue(["env.a", "env.b"])
    assert board.phase("env.a") is Phase.QUEUED and board.busy()
    board.start("env.a")
    assert board.phase("env.a") is Phase.RUNNING
    board.finish(_result("env.a", Status.PASS))
    assert board.phase("env.a") is Phase.DONE
    board.abandon(["env.b"])
    assert board.phase("env.b") is Phase.IDLE and not board.busy()


def test_a_check_in_two_runs_stays_running_until_both_report() -> None:
    board = Board(_registry())
    board.queue(["env.a"])
    board.queue(["env.a"])
    board.start("env.a")
    board.finish(_result("env.a", Status.PASS))
    assert board.phase("env.a") is Phase.RUNNING
    board.finish(_result("env.a", Status.PASS))
    assert board.phase("env.a") is Phase.DONE


def test_changed_compares_with_the_last_recorded_run_then_with_the_previous_result() -> None:
    board = Board(_registry())
    board.finish(_result("env.a", Status.PASS))  # arrives before the history is read
    board.load_baseline(
        RunFinished((_result("env.a", Status.FAIL), _result("env.b", Status.PASS)), "t", 1)
    )
    assert board.changed_from("env.a") is Status.FAIL
    assert board.is_stale("env.b") and board.shown("env.b") is not None
    board.finish(_result("env.b", Status.PASS))
    assert board.changed_from("env.b") is None and not board.is_stale("env.b")
    board.finish(_result("env.a", Status.WARN))
    assert board.changed_from("env.a") is Status.PASS


def test_sections_report_their_most_urgent_status_and_counts() -> None:
    board = Board(_registry())
    board.finish(_result("env.a", Status.PASS))
    board.finish(_result("env.b", Status.WARN))
    assert board.section_status("1.1") is Status.WARN
    assert board.section_counts("1.1")["pass"] == 1
    assert board.section_status("3.3") is None
    assert "4" not in board.sections() and board.sections()[:2] == ["1.1", "1.2"]


def test_latency_comes_from_the_fact_else_from_an_answered_probe() -> None:
    board = Board(_registry())
    board.finish(_result("https.backend", Status.PASS, kind="live", facts={"latency_ms": 42}))
    board.finish(_result("https.backend", Status.WARN, kind="live", duration_ms=90))
    board.finish(_result("https.backend", Status.SKIP, kind="live", duration_ms=0))
    board.finish(_result("env.a", Status.PASS, duration_ms=5))
    assert list(board.latency["https.backend"]) == [42.0, 90.0]
    assert "env.a" not in board.latency


def test_complete_only_when_every_check_has_a_fresh_result() -> None:
    board = Board(_registry())
    board.load_baseline(
        RunFinished(
            tuple(_result(c, Status.PASS) for c in ("env.a", "env.b", "https.backend")), "t", 1
        )
    )
    assert not board.complete()
    for cid in ("env.a", "env.b", "https.backend"):
        board.finish(_result(cid, Status.PASS))
    assert board.complete()
    assert [r.id for r in board.snapshot("t2", 5).results] == ["env.a", "env.b", "https.backend"]
