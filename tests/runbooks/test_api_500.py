"""Runbook api-500 (4.2) against a real Flask backend over loopback TLS and the private MariaDB.

The faults are real: a name under .invalid, a refused port, a port that accepts and never
answers, no --ca-file for the test CA, expired and wrong-host certificates, the health
route answering 500 and 502, Flask-CORS allowing another origin, the real Werkzeug
debugger, and the database refusing the password or not listening. Each runs through
`run_runbook` in-process; the main ones also through `launchtui runbook api-500 --format json`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from launchtui.core.config import Settings
from launchtui.core.context import Context
from launchtui.core.model import Status
from launchtui.core.runbooks import RunbookFinished, link_lines
from launchtui.runbooks import default_runbooks
from launchtui.runbooks.web_layers import checklist_next
from tests.runbooks.web_support import (
    BLACK_HOLE_BUDGET_S,
    BUDGET_S,
    run_book,
    runbook_json,
    statuses,
    step,
    write_env,
)
from tests.servers.https import Certs, ServeFn, WSGIApp, flask_backend
from tests.servers.mariadb import MariaDB, SilentServer

FRONTEND = "https://launch.vercel.app"
RAILWAY = "https://railway.com/project/launch"
STEPS = [
    "api.config",
    "api.dns",
    "api.tcp",
    "api.tls",
    "api.health",
    "api.cors",
    "api.database",
    "api.debugger",
]


def backend(**kw: object) -> WSGIApp:
    """The Flask API, allowing the frontend's origin unless told otherwise."""
    return flask_backend(**{"origins": (FRONTEND,), **kw})  # type: ignore[arg-type]


async def api_500(
    api_url: str, database_url: str | None = None, **settings: object
) -> tuple[RunbookFinished, float]:
    env = {"VITE_API_URL": api_url}
    if database_url is not None:
        env["DATABASE_URL"] = database_url
    return await run_book("api-500", env, frontend_url=FRONTEND, **settings)


async def test_a_healthy_backend_and_database_are_none(
    serve: ServeFn, https_certs: Certs, mariadb: MariaDB
) -> None:
    site = serve(backend())
    done, wall = await api_500(
        site.url, mariadb.url, ca_file=https_certs.ca_file, links={"railway": RAILWAY}
    )
    assert statuses(done) == dict.fromkeys(STEPS, "pass"), done.steps
    assert done.verdict.layer == "none"
    health = step(done, "api.health")
    assert "answers 200 in" in health.summary and '"status":"ok"' in health.evidence["body"]
    assert f"Open railway: {RAILWAY}" in done.verdict.next
    assert "Read the logs: `railway logs`." in done.verdict.next
    assert wall < 10, f"a healthy loopback backend took {wall:.1f} s"


async def test_no_backend_url_is_config() -> None:
    done, _wall = await run_book("api-500", {})
    assert done.verdict.layer == "config"
    assert "VITE_API_URL" in " ".join(done.verdict.next)
    assert step(done, "api.health").status is Status.SKIP


async def test_vite_api_url_is_probed_before_backend_url(
    serve: ServeFn, https_certs: Certs, dead_port: str
) -> None:
    site = serve(backend())
    done, _wall = await api_500(site.url, backend_url=dead_port, ca_file=https_certs.ca_file)
    config = step(done, "api.config")
    assert config.status is Status.WARN and dead_port in config.summary
    assert done.verdict.layer == "none", done.verdict


async def test_an_unreadable_ca_file_is_config(serve: ServeFn, tmp_path: Path) -> None:
    garbage = tmp_path / "ca.pem"
    garbage.write_text("not a certificate\n")
    done, _wall = await api_500(serve(backend()).url, ca_file=garbage)
    assert done.verdict.layer == "config", done.verdict
    assert "cannot be loaded" in done.verdict.summary


async def test_an_unknown_host_is_dns() -> None:
    done, wall = await api_500("https://launch-api-gone.invalid")
    assert done.verdict.layer == "dns", done.verdict
    assert step(done, "api.health").status is Status.SKIP
    assert wall < BUDGET_S


async def test_a_refused_port_is_tcp(dead_port: str) -> None:
    done, wall = await api_500(dead_port)
    assert done.verdict.layer == "tcp", done.verdict
    assert "refused" in done.verdict.summary
    assert wall < BUDGET_S


async def test_a_black_hole_backend_and_database_end_within_30_s(
    silent_server: str, silent_tcp_server: SilentServer
) -> None:
    # Both the API and its database accept connections and never say a word.
    db = f"mysql+pymysql://app:pw@{silent_tcp_server.host}:{silent_tcp_server.port}/app"
    done, wall = await api_500(silent_server, db)
    assert done.verdict.layer == "tls", done.verdict
    assert "no TLS handshake" in done.verdict.summary
    assert step(done, "api.database").status is Status.FAIL
    assert wall < BLACK_HOLE_BUDGET_S, f"{wall:.1f} s against a black hole"


async def test_a_certificate_from_a_ca_not_trusted_is_tls(serve: ServeFn) -> None:
    site = serve(backend())  # no --ca-file for the test CA
    done, _wall = await api_500(site.url)
    assert done.verdict.layer == "tls", done.verdict
    assert "not in the trusted CA bundle" in done.verdict.summary


@pytest.mark.parametrize(
    ("cert", "words"),
    [("expired", "expired on"), ("wrong_host", "is for wrong-host.example, not 127.0.0.1")],
)
async def test_expired_and_wrong_host_certificates_are_tls(
    serve: ServeFn, https_certs: Certs, cert: str, words: str
) -> None:
    site = serve(backend(), cert=cert)
    done, _wall = await api_500(site.url, ca_file=https_certs.ca_file)
    assert done.verdict.layer == "tls", done.verdict
    assert words in done.verdict.summary


@pytest.mark.parametrize(("status", "words"), [(500, "the app itself fails"), (502, "$PORT")])
async def test_health_500_and_502_are_http(
    serve: ServeFn, https_certs: Certs, status: int, words: str
) -> None:
    site = serve(backend(health_status=status))
    done, _wall = await api_500(site.url, ca_file=https_certs.ca_file)
    assert done.verdict.layer == "http", done.verdict
    assert f"answers {status}" in done.verdict.summary and words in done.verdict.summary
    assert step(done, "api.database").status is Status.SKIP  # no DATABASE_URL: not the cause
    assert "Check the Railway/Render backend logs." in done.verdict.next


async def test_health_500_with_a_wrong_database_password_names_auth(
    serve: ServeFn, https_certs: Certs, mariadb: MariaDB
) -> None:
    site = serve(backend(health_status=500))
    wrong = mariadb.url_for(password="not-the-password")
    done, _wall = await api_500(site.url, wrong, ca_file=https_certs.ca_file)
    assert done.verdict.layer == "auth", done.verdict
    assert "answers 500, most likely because the database" in done.verdict.summary
    assert "not-the-password" not in str(done.to_dict())
    assert "Run `launchtui runbook db-down` for the database layer by layer." in done.verdict.next


async def test_a_database_not_listening_is_tcp_even_when_health_answers(
    serve: ServeFn, https_certs: Certs, mariadb: MariaDB, refused_port: int
) -> None:
    site = serve(backend())
    done, _wall = await api_500(
        site.url, mariadb.url_for(port=refused_port), ca_file=https_certs.ca_file
    )
    assert done.verdict.layer == "tcp", done.verdict
    assert "every route that queries the database" in done.verdict.summary


async def test_a_preflight_from_a_disallowed_origin_is_cors(
    serve: ServeFn, https_certs: Certs
) -> None:
    site = serve(backend(origins=("https://someone-else.example",)))
    done, _wall = await api_500(site.url, ca_file=https_certs.ca_file)
    assert done.verdict.layer == "cors", done.verdict
    assert f"does not allow {FRONTEND}" in done.verdict.summary
    assert "Flask-CORS" in done.verdict.next[0]


async def test_an_exposed_werkzeug_debugger_is_http(serve: ServeFn, https_certs: Certs) -> None:
    site = serve(backend(debug=True), server_header="Werkzeug/3.0 Python/3.12")
    done, _wall = await api_500(site.url, ca_file=https_certs.ca_file)
    assert done.verdict.layer == "http", done.verdict
    assert "Werkzeug debugger" in done.verdict.summary
    assert "FLASK_DEBUG=0" in done.verdict.next[0]


def test_the_log_command_follows_the_profile_links() -> None:
    book = default_runbooks()["api-500"]
    assert book.log_command is not None
    assert book.log_command(Settings()) == ("railway", "logs")
    assert book.log_command(Settings(links={"render": "https://dashboard.render.com/x"})) == (
        "render",
        "logs",
    )
    assert book.log_command(Settings(links={"railway": RAILWAY, "render": "r"})) == (
        "railway",
        "logs",
    )


def test_the_console_links_the_profile_lacks_take_one_line() -> None:
    render = "https://dashboard.render.com/x"
    keys = ("railway", "render")
    assert link_lines(Settings(), keys) == ["(set links.railway or links.render in the profile)"]
    assert link_lines(Settings(links={"render": render}), keys) == [
        f"Open render: {render}",
        "(set links.railway in the profile)",
    ]
    # The backend lives on one platform: a link to it is enough, without a hint for the other.
    ctx = Context.build(Settings(links={"render": render}), environ={})
    lines = checklist_next(ctx, "4.2", keys, "render logs")
    assert lines[1:] == [f"Open render: {render}", "Read the logs: `render logs`."]
    ctx = Context.build(Settings(), environ={})
    assert checklist_next(ctx, "4.2", keys, "railway logs")[1] == (
        "(set links.railway or links.render in the profile)"
    )


# -- through the real CLI --------------------------------------------------------------


def _cli(
    tmp_path: Path, api_url: str, database_url: str | None, *extra: str
) -> tuple[int, dict[str, Any], float]:
    fenv = write_env(tmp_path / ".env.frontend", {"VITE_API_URL": api_url})
    benv = write_env(
        tmp_path / ".env.production", {"DATABASE_URL": database_url} if database_url else {}
    )
    return runbook_json(
        "api-500",
        "--frontend-env-file",
        str(fenv),
        "--env-file",
        str(benv),
        "--frontend-url",
        FRONTEND,
        *extra,
    )


def test_cli_healthy_backend_exits_0_and_shows_no_secret(
    serve: ServeFn, https_certs: Certs, mariadb: MariaDB, tmp_path: Path
) -> None:
    site = serve(backend())
    code, doc, _wall = _cli(tmp_path, site.url, mariadb.url, "--ca-file", str(https_certs.ca_file))
    assert doc["verdict"]["layer"] == "none", doc
    assert code == 0
    assert [s["id"] for s in doc["steps"]] == STEPS
    assert mariadb.password not in str(doc)


@pytest.mark.parametrize(
    "fault", ["dns", "black hole", "wrong ca", "health 500", "health 502", "cors", "db auth"]
)
def test_cli_names_the_broken_layer_and_exits_1(
    fault: str,
    serve: ServeFn,
    https_certs: Certs,
    mariadb: MariaDB,
    silent_server: str,
    tmp_path: Path,
) -> None:
    ca = ("--ca-file", str(https_certs.ca_file))
    wrong_pw = mariadb.url_for(password="not-the-password")
    url, db, extra, expected, budget = {
        "dns": lambda: ("https://launch-api-gone.invalid", None, ca, "dns", BUDGET_S),
        "black hole": lambda: (silent_server, None, ca, "tls", BLACK_HOLE_BUDGET_S),
        "wrong ca": lambda: (serve(backend()).url, None, (), "tls", BUDGET_S),
        "health 500": lambda: (serve(backend(health_status=500)).url, None, ca, "http", BUDGET_S),
        "health 502": lambda: (serve(backend(health_status=502)).url, None, ca, "http", BUDGET_S),
        "cors": lambda: (
            serve(backend(origins="https://x.example")).url,
            None,
            ca,
            "cors",
            BUDGET_S,
        ),
        "db auth": lambda: (serve(backend(health_status=500)).url, wrong_pw, ca, "auth", BUDGET_S),
    }[fault]()
    code, doc, wall = _cli(tmp_path, url, db, *extra)
    assert doc["verdict"]["layer"] == expected, doc["verdict"]
    assert code == 1
    assert "Check the Railway/Render backend logs." in doc["verdict"]["next"]
    assert "not-the-password" not in str(doc)
    assert wall < budget, f"{fault}: {wall:.1f} s"
