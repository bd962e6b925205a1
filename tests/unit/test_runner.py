"""The runner: concurrency, timeouts, needs, silencing, redaction and the event stream."""

from __future__ import annotations

import asyncio

import pytest

from launchtui.core.config import Settings
from launchtui.core.context import Context
from launchtui.core.model import (
    MISSING_INPUT,
    CheckFinished,
    CheckStarted,
    RunFinished,
    RunStarted,
    Status,
    failed,
    needs_input,
    passed,
    warned,
)
from launchtui.core.registry import Registry
from launchtui.core.runner import UnknownCheckError, run, stream


def _ctx(environ: dict[str, str] | None = None, **settings: object) -> Context:
    return Context.build(Settings(**settings), environ=environ or {})  # type: ignore[arg-type]


async def test_checks_run_concurrently() -> None:
    reg = Registry()
    gate = asyncio.Event()

    @reg.check("t.waiter", section="1.1", title="waits for the other", timeout=2)
    async def waiter(ctx: Context):
        await gate.wait()  # only finishes if t.opener runs at the same time
        return passed("opened")

    @reg.check("t.opener", section="1.1", title="opens the gate")
    async def opener(ctx: Context):
        await asyncio.sleep(0)
        gate.set()
        return passed("done")

    final = await run(reg, _ctx())
    assert [r.status for r in final.results] == [Status.PASS, Status.PASS]


async def test_blocking_work_in_threads_overlaps() -> None:
    import threading

    reg = Registry()
    barrier = threading.Barrier(8, timeout=5)
    for i in range(8):

        @reg.check(f"t.thread{i}", section="3.3", title="thread", kind="live")
        async def probe(ctx: Context):
            await ctx.to_thread(barrier.wait)  # breaks only if all 8 threads wait at once
            return passed("met")

    ctx = _ctx()
    final = await run(reg, ctx)
    ctx.close()
    assert {r.status for r in final.results} == {Status.PASS}


async def test_a_check_over_its_budget_is_an_error_naming_the_budget() -> None:
    reg = Registry()

    @reg.check("t.slow", section="1.1", title="slow", timeout=0.05)
    async def slow(ctx: Context):
        await asyncio.Event().wait()
        return passed("never")

    final = await run(reg, _ctx())
    r = final.results[0]
    assert r.status is Status.ERROR
    assert "0.05 s budget" in r.summary


async def test_a_crashing_check_is_an_error_without_leaking_secrets() -> None:
    reg = Registry()

    @reg.check("t.crash", section="1.1", title="crash")
    async def crash(ctx: Context):
        raise RuntimeError(f"boom with {ctx.get('SECRET_KEY')}")

    final = await run(reg, _ctx({"SECRET_KEY": "canary-crash-secret-123"}))
    r = final.results[0]
    assert r.status is Status.ERROR
    assert "RuntimeError" in r.summary
    assert "canary-crash-secret-123" not in r.summary


async def test_verdict_text_is_scrubbed_of_known_secrets() -> None:
    reg = Registry()

    @reg.check("t.leaky", section="1.1", title="leaky")
    async def leaky(ctx: Context):
        v = ctx.get("JWT_SECRET_KEY")
        return failed(f"value {v}", {"value": v}, remediation=f"not {v}", command=f"echo {v}")

    final = await run(reg, _ctx({"JWT_SECRET_KEY": "canary-jwt-0123456789"}))
    r = final.results[0]
    blob = " ".join([r.summary, *r.evidence.values(), r.remediation, r.command or ""])
    assert "canary-jwt" not in blob
    assert "****" in r.summary


async def test_a_check_whose_need_failed_is_skipped_naming_it() -> None:
    reg = Registry()

    @reg.check("t.base", section="1.1", title="base")
    async def base(ctx: Context):
        return failed("broken")

    @reg.check("t.dependent", section="3.1", title="dependent", needs=("t.base",))
    async def dependent(ctx: Context):
        return passed("should not run")

    final = await run(reg, _ctx())
    dep = next(r for r in final.results if r.id == "t.dependent")
    assert dep.status is Status.SKIP
    assert "t.base (fail)" in dep.summary


async def test_a_check_waiting_on_a_missing_input_names_the_flag_and_key() -> None:
    reg = Registry()

    @reg.check("t.base", section="1.1", title="base")
    async def base(ctx: Context):
        return needs_input("No backend dir: pass --backend-dir.", "backend_dir")

    @reg.check("t.dependent", section="3.1", title="dependent", needs=("t.base",))
    async def dependent(ctx: Context):
        return passed("should not run")

    final = await run(reg, _ctx())
    dep = next(r for r in final.results if r.id == "t.dependent")
    assert dep.summary == (
        "Skipped: needs t.base (skip) to pass first, which needs --backend-dir "
        "(profile key backend_dir)."
    )
    assert dep.facts[MISSING_INPUT] == ("backend_dir",)
    assert "missing_input" not in dep.to_dict()  # facts never reach the JSON


async def test_a_warned_need_lets_the_dependent_run() -> None:
    reg = Registry()

    @reg.check("t.base", section="1.1", title="base")
    async def base(ctx: Context):
        return warned("meh", facts={"n": 7})

    @reg.check("t.dependent", section="3.1", title="dependent", needs=("t.base",))
    async def dependent(ctx: Context):
        return passed(f"saw {ctx.fact('t.base', 'n')}")

    final = await run(reg, _ctx())
    dep = next(r for r in final.results if r.id == "t.dependent")
    assert (dep.status, dep.summary) == (Status.PASS, "saw 7")


async def test_after_waits_for_the_other_check_but_runs_regardless() -> None:
    reg = Registry()

    @reg.check("t.reader", section="1.1", title="reader", after=("t.slowfail",))
    async def reader(ctx: Context):
        other = ctx.result("t.slowfail")
        return passed(f"other was {other.status if other else 'missing'}")

    @reg.check("t.slowfail", section="3.1", title="slow failure")
    async def slowfail(ctx: Context):
        await asyncio.sleep(0.01)
        return failed("no")

    final = await run(reg, _ctx())
    reader_result = next(r for r in final.results if r.id == "t.reader")
    assert reader_result.summary == "other was fail"


async def test_only_runs_what_is_needed_but_reports_only_what_was_asked() -> None:
    reg = Registry()
    ran: list[str] = []

    @reg.check("t.base", section="1.1", title="base")
    async def base(ctx: Context):
        ran.append("t.base")
        return passed("ok")

    @reg.check("t.top", section="3.1", title="top", needs=("t.base",))
    async def top(ctx: Context):
        ran.append("t.top")
        return passed("ok")

    @reg.check("t.other", section="3.3", title="other")
    async def other(ctx: Context):
        ran.append("t.other")
        return passed("ok")

    final = await run(reg, _ctx(), only=["t.top"])
    assert [r.id for r in final.results] == ["t.top"]
    assert final.results[0].status is Status.PASS
    assert sorted(ran) == ["t.base", "t.top"]


async def test_unknown_id_suggests_the_closest_ones() -> None:
    reg = Registry()

    @reg.check("env.secret_key", section="1.1", title="x")
    async def x(ctx: Context):
        return passed("ok")

    with pytest.raises(UnknownCheckError) as info:
        await run(reg, _ctx(), only=["env.secret_kye"])
    assert "env.secret_key" in str(info.value)


async def test_silenced_checks_are_skipped_and_say_so() -> None:
    reg = Registry()

    @reg.check("t.noisy", section="3.3", title="noisy")
    async def noisy(ctx: Context):
        return failed("loud")

    final = await run(reg, _ctx(silence=frozenset({"t.noisy"})))
    assert final.results[0].status is Status.SKIP
    assert "Silenced" in final.results[0].summary


async def test_events_stream_in_order() -> None:
    reg = Registry()

    @reg.check("t.a", section="1.1", title="a")
    async def a(ctx: Context):
        return passed("a")

    events = [e async for e in stream(reg, _ctx())]
    assert isinstance(events[0], RunStarted) and events[0].check_ids == ("t.a",)
    assert isinstance(events[1], CheckStarted) and events[1].id == "t.a"
    assert isinstance(events[2], CheckFinished) and events[2].result.summary == "a"
    assert isinstance(events[-1], RunFinished) and len(events[-1].results) == 1


async def test_results_come_in_checklist_order_whatever_the_registration_order() -> None:
    reg = Registry()
    for cid, section in (("t.late", "3.3"), ("t.early", "1.1"), ("t.mid", "2.1")):

        @reg.check(cid, section=section, title=cid)
        async def fn(ctx: Context):
            return passed("ok")

    final = await run(reg, _ctx())
    assert [r.id for r in final.results] == ["t.early", "t.mid", "t.late"]


def test_registry_rejects_duplicates_unknown_sections_and_cycles() -> None:
    reg = Registry()

    async def fn(ctx: Context):
        return passed("ok")

    reg.check("t.a", section="1.1", title="a", needs=("t.b",))(fn)
    with pytest.raises(ValueError, match="duplicate"):
        reg.check("t.a", section="1.1", title="a")(fn)
    with pytest.raises(ValueError, match="section"):
        reg.check("t.z", section="9.9", title="z")(fn)
    reg.check("t.b", section="1.1", title="b", needs=("t.a",))(fn)
    with pytest.raises(ValueError, match="cycle"):
        reg.validate()


def test_shipped_registry_is_consistent() -> None:
    from launchtui.core.registry import default_registry

    default_registry().validate()
