"""A runbook whose steps answer at once with fixed verdicts, for deterministic snapshots.

Its steps are real checks in a real registry, run by the real runner and the real
screen; only their answers are fixed, as the checklist snapshots' demo does.
"""

from __future__ import annotations

from collections.abc import Mapping

from textual.pilot import Pilot

from launchtui.core.config import Settings
from launchtui.core.context import Context
from launchtui.core.model import Result, Verdict, failed, passed
from launchtui.core.registry import Registry
from launchtui.core.runbooks import Runbook, RunbookVerdict, first_failure
from launchtui.tui.app import LaunchApp
from launchtui.tui.screens.runbook import RunbookScreen
from tests.tui.helpers import until

steps = Registry()
ORDER = ("db.config", "db.dns", "db.tcp", "db.tls", "db.auth", "db.query")


@steps.check("db.config", section="4.3", title="DATABASE_URL parses, TLS verified")
async def _config(ctx: Context) -> Verdict:
    return passed("DATABASE_URL is mysql+pymysql://app:****@gateway01.example:4000/shop.")


@steps.check("db.dns", section="4.3", title="DNS lookup", needs=("db.config",))
async def _dns(ctx: Context) -> Verdict:
    return passed("gateway01.example resolves to 203.0.113.7.")


@steps.check("db.tcp", section="4.3", title="TCP connect", needs=("db.dns",))
async def _tcp(ctx: Context) -> Verdict:
    return passed("Connected to 203.0.113.7 port 4000.")


@steps.check("db.tls", section="4.3", title="TLS handshake", needs=("db.tcp",))
async def _tls(ctx: Context) -> Verdict:
    return failed(
        "The server's certificate is not trusted by the URL's own ssl_ca, /etc/ssl/old-ca.pem."
    )


@steps.check("db.auth", section="4.3", title="Authentication", needs=("db.tls",))
async def _auth(ctx: Context) -> Verdict:
    return passed("Logged in as app.")


@steps.check("db.query", section="4.3", title="SELECT 1", needs=("db.auth",))
async def _query(ctx: Context) -> Verdict:
    return passed("SELECT 1 answered.")


def _verdict(ctx: Context, results: Mapping[str, Result]) -> RunbookVerdict:
    broken = first_failure(results, ORDER)
    assert broken is not None
    return RunbookVerdict(
        "tls",
        "The backend cannot verify the database's certificate with the CA its URL names.",
        (
            "Point ssl_ca in DATABASE_URL at /etc/ssl/certs/ca-certificates.crt and redeploy.",
            "Open tidb_console: https://tidbcloud.com/console/clusters",
        ),
    )


DEMO = Runbook("db-down", "4.3", "Database connection failure", steps, _verdict)


class DemoApp(LaunchApp):
    def open_runbook_screen(self) -> None:
        self.push_screen(RunbookScreen(DEMO, clock=lambda: "03:02:11"))


def demo_app() -> DemoApp:
    return DemoApp(Settings(profile="production"), registry=Registry(), environ={})


async def settled(pilot: Pilot[object]) -> None:
    app = pilot.app
    assert isinstance(app, DemoApp)
    app.open_runbook_screen()
    screen = app.screen
    assert isinstance(screen, RunbookScreen)
    await until(pilot, lambda: screen.finished is not None, "the demo pass")
    await pilot.pause()
