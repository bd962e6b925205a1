"""The log file never holds a secret, not even inside the traceback of a crashed check."""

from __future__ import annotations

import logging
from pathlib import Path

from launchtui.core.config import Settings
from launchtui.core.context import Context
from launchtui.core.model import Status, Verdict
from launchtui.core.registry import Registry
from launchtui.core.runner import run
from launchtui.core.secrets import RedactingFilter, Redactor

CANARY = "canary-traceback-secret-4711"


async def test_a_crashed_checks_logged_traceback_is_scrubbed_of_secrets(tmp_path: Path) -> None:
    reg = Registry()

    @reg.check("t.crash", section="1.1", title="crash")
    async def crash(ctx: Context) -> Verdict:
        raise RuntimeError(f"login failed for {ctx.get('SECRET_KEY')}")

    ctx = Context.build(Settings(), environ={"SECRET_KEY": CANARY})
    log_file = tmp_path / "launchtui.log"
    # The handler the CLI and the TUI install: a file, the redacting filter, a plain format.
    handler = logging.FileHandler(log_file, encoding="utf-8")
    handler.addFilter(RedactingFilter(ctx.redactor))
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger("launchtui")
    root.addHandler(handler)
    try:
        final = await run(reg, ctx)
    finally:
        root.removeHandler(handler)
        handler.close()
        ctx.close()
    assert final.results[0].status is Status.ERROR
    text = log_file.read_text(encoding="utf-8")
    assert "check t.crash crashed" in text
    assert "Traceback (most recent call last)" in text  # the details are still there
    assert "RuntimeError: login failed for ****" in text
    assert CANARY not in text


async def test_the_runner_scrubs_a_crash_with_the_runs_own_secrets_before_logging(
    tmp_path: Path,
) -> None:
    # The TUI's log filter learns a run's variables a moment later, through a message;
    # a crash logged before that must already be clean.
    reg = Registry()

    @reg.check("t.crash", section="1.1", title="crash")
    async def crash(ctx: Context) -> Verdict:
        raise RuntimeError(f"login failed for {ctx.get('SECRET_KEY')}")

    ctx = Context.build(Settings(), environ={"SECRET_KEY": CANARY})
    log_file = tmp_path / "launchtui.log"
    handler = logging.FileHandler(log_file, encoding="utf-8")
    handler.addFilter(RedactingFilter(Redactor()))  # knows no secret yet
    root = logging.getLogger("launchtui")
    root.addHandler(handler)
    try:
        await run(reg, ctx)
    finally:
        root.removeHandler(handler)
        handler.close()
        ctx.close()
    text = log_file.read_text(encoding="utf-8")
    assert "RuntimeError: login failed for ****" in text
    assert CANARY not in text
