"""Runbook db-down (4.3) against the private TLS MariaDB: each fault names its layer in time.

Every fault is made on real parts (an unresolvable name, a port nothing listens on, a port
that accepts and never speaks, a CA that did not sign the server, a wrong password, every
connection slot held) and run through `run_runbook` in-process; the main ones also through
the real CLI, `launchtui runbook db-down --format json`.
"""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pymysql
import pytest

from launchtui.core.config import Settings
from launchtui.core.context import Context
from launchtui.core.model import CheckFinished, Status
from launchtui.core.runbooks import RunbookFinished, run_runbook
from launchtui.runbooks import default_runbooks
from tests.cli import run_launchtui
from tests.servers.mariadb import MariaDB, SilentServer
from tests.servers.slow_link import SlowLink

RUNBOOK = default_runbooks()["db-down"]
STEP_IDS = ["db.config", "db.dns", "db.tcp", "db.tls", "db.auth", "db.query", "db.saturation"]
# The product's budgets: every runbook ends within 45 s, 30 s against a black hole.
BUDGET_S = 45.0
BLACK_HOLE_S = 30.0
CONSOLE = "https://tidbcloud.com/console/clusters/launch"


async def run_db_down(
    url: str | None, *, ca_file: Path | None = None, links: dict[str, str] | None = None
) -> tuple[RunbookFinished, float, list[str]]:
    """One pass in-process: the finished event, the seconds it took, the steps streamed."""
    env = {"DATABASE_URL": url} if url is not None else {}
    ctx = Context.build(Settings(ca_file=ca_file, links=links or {}), environ=env)
    streamed: list[str] = []
    started = time.perf_counter()
    try:
        async for event in run_runbook(RUNBOOK, ctx):
            if isinstance(event, CheckFinished):
                streamed.append(event.result.id)
            if isinstance(event, RunbookFinished):
                return event, time.perf_counter() - started, streamed
    finally:
        ctx.close()
    raise AssertionError("run_runbook ended without RunbookFinished")


def cli_db_down(url: str, tmp_path: Path, *extra: str) -> tuple[int, dict[str, Any], float]:
    """`launchtui runbook db-down --format json --env-file ...`: exit code, JSON, seconds."""
    env_file = tmp_path / ".env.production"
    env_file.write_text(f"DATABASE_URL={url}\n")
    env_file.chmod(0o600)
    started = time.perf_counter()
    proc = run_launchtui(
        "runbook", "db-down", "--format", "json", "--env-file", str(env_file), *extra, timeout=60
    )
    elapsed = time.perf_counter() - started
    try:
        doc = json.loads(proc.stdout)
    except json.JSONDecodeError as exc:
        raise AssertionError(f"no JSON (exit {proc.returncode}): {proc.stderr[-2000:]}") from exc
    return proc.returncode, doc, elapsed


def statuses(finished: RunbookFinished) -> dict[str, str]:
    return {r.id: str(r.status) for r in finished.steps}


def text_of(finished: RunbookFinished) -> str:
    return json.dumps(finished.to_dict())


def assert_no_secret(text: str, *secrets: str) -> None:
    for secret in secrets:
        assert secret not in text


@contextlib.contextmanager
def held_connections(mariadb: MariaDB, count: int) -> Iterator[list[Any]]:
    """`count` verified connections of the app user, held open like a leaking pool."""
    import ssl

    tls = ssl.create_default_context(cafile=str(mariadb.ca_pem))
    held: list[Any] = []
    try:
        for _ in range(count):
            held.append(
                pymysql.connect(
                    host=mariadb.host,
                    port=mariadb.port,
                    user=mariadb.user,
                    password=mariadb.password,
                    database=mariadb.database,
                    ssl=tls,
                    connect_timeout=5,
                    read_timeout=5,
                )
            )
        yield held
    finally:
        for conn in held:
            with contextlib.suppress(Exception):
                conn.close()


def lowest_max_connections(mariadb: MariaDB) -> int:
    """max_connections as low as MariaDB allows (it raises anything below 10 to 10)."""
    mariadb.set_global("max_connections", 1)
    return int(mariadb.root_sql("SELECT @@GLOBAL.max_connections")[0][0])


# -- healthy ---------------------------------------------------------------------------


async def test_healthy_database_is_none_with_every_layer_passing(mariadb: MariaDB) -> None:
    finished, elapsed, streamed = await run_db_down(mariadb.url, links={"tidb_console": CONSOLE})
    v = finished.verdict
    assert v.layer == "none", (v, statuses(finished))
    assert [r.id for r in finished.steps] == STEP_IDS
    assert sorted(streamed) == sorted(STEP_IDS)
    assert set(statuses(finished).values()) == {"pass"}, statuses(finished)
    by_id = {r.id: r for r in finished.steps}
    assert "verifies the server's certificate" in by_id["db.config"].summary
    assert str(mariadb.ca_pem) in by_id["db.tls"].evidence["CA in use"]
    assert "the CA the backend will use" in by_id["db.tls"].evidence["CA in use"]
    query = by_id["db.query"]
    assert query.evidence["wait_timeout"] == "28800 s (live @@wait_timeout)"
    assert query.evidence["latency"].endswith("ms (SELECT 1 round trip)")
    assert "MariaDB" in query.evidence["server"]
    room = by_id["db.saturation"]
    assert room.summary.startswith("The database has room:")
    assert "of 151 connections" in room.summary  # MariaDB's default max_connections
    assert "Every layer answers" in v.summary
    assert any(CONSOLE in n for n in v.next)
    assert "TiDB Cloud console" in " ".join(v.next)
    # A healthy pass takes about its slowest probe: loopback is milliseconds.
    assert elapsed < 5, f"took {elapsed:.2f} s"
    assert_no_secret(text_of(finished), mariadb.password)
    print(f"db-down healthy: none in {elapsed:.2f} s")


async def test_the_layered_probe_runs_once_per_pass(mariadb: MariaDB) -> None:
    before = int(mariadb.root_sql("SHOW GLOBAL STATUS LIKE 'Connections'")[0][1])
    finished, _elapsed, _ = await run_db_down(mariadb.url)
    after = int(mariadb.root_sql("SHOW GLOBAL STATUS LIKE 'Connections'")[0][1])
    assert finished.verdict.layer == "none"
    # One login for the five layer steps and db.saturation (which reads on the probe's
    # connection), one for our own count.
    assert after - before == 2


async def test_without_a_console_link_the_next_step_says_how_to_add_it(mariadb: MariaDB) -> None:
    finished, _elapsed, _ = await run_db_down(mariadb.url_for(port=1))
    assert finished.verdict.layer == "tcp"
    assert "set links.tidb_console in the launchtui.toml profile" in finished.verdict.next[-1]


# -- config ----------------------------------------------------------------------------


async def test_unset_or_unparsable_url_is_config_and_nothing_is_probed() -> None:
    for url in (None, "not a url at all"):
        finished, elapsed, _ = await run_db_down(url)
        v = finished.verdict
        assert v.layer == "config", v
        assert statuses(finished)["db.config"] == "fail"
        for later in STEP_IDS[1:]:
            assert statuses(finished)[later] == "skip", statuses(finished)
        assert "DATABASE_URL" in v.summary
        assert elapsed < 5


# -- faults by layer -------------------------------------------------------------------


async def test_unknown_host_is_dns(mariadb: MariaDB) -> None:
    finished, elapsed, _ = await run_db_down(mariadb.url_for(host="db.invalid"))
    v = finished.verdict
    assert v.layer == "dns", v
    assert v.summary.startswith("DNS lookup failed: db.invalid does not resolve")
    assert "Run: getent hosts db.invalid" in v.next
    s = statuses(finished)
    assert (s["db.dns"], s["db.tcp"], s["db.saturation"]) == ("fail", "skip", "skip")
    assert elapsed < BUDGET_S
    print(f"db-down unknown host: dns in {elapsed:.2f} s")


async def test_refused_port_is_tcp(mariadb: MariaDB, refused_port: int) -> None:
    finished, elapsed, _ = await run_db_down(mariadb.url_for(port=refused_port))
    v = finished.verdict
    assert v.layer == "tcp", v
    assert f"127.0.0.1:{refused_port} refused the connection" in v.summary
    assert f"Run: nc -vz -w 5 127.0.0.1 {refused_port}" in v.next
    assert statuses(finished)["db.dns"] == "pass"
    assert elapsed < BUDGET_S
    print(f"db-down refused port: tcp in {elapsed:.2f} s")


async def test_black_hole_is_named_within_30_seconds(
    mariadb: MariaDB, silent_tcp_server: SilentServer
) -> None:
    finished, elapsed, _ = await run_db_down(mariadb.url_for(port=silent_tcp_server.port))
    v = finished.verdict
    assert silent_tcp_server.accepted >= 1
    assert elapsed < BLACK_HOLE_S, f"took {elapsed:.1f} s"
    # TCP connects, then nothing: no MySQL greeting, so the handshake never starts.
    assert v.layer == "tls", v
    assert "sent no MySQL greeting" in v.summary
    assert statuses(finished)["db.tcp"] == "pass"
    print(f"db-down black hole: tls in {elapsed:.2f} s")


async def test_wrong_ca_is_tls_with_the_urls_own_ca(mariadb: MariaDB) -> None:
    # The backend verifies with the URL's ssl_ca, whatever --ca-file says.
    url = mariadb.url_for(query=f"ssl_ca={mariadb.wrong_ca_pem}")
    finished, elapsed, _ = await run_db_down(url, ca_file=mariadb.ca_pem)
    v = finished.verdict
    assert v.layer == "tls", v
    assert "not trusted by the URL's own ssl_ca" in v.summary
    assert "the backend fails to connect the same way" in v.summary
    assert (
        str(mariadb.wrong_ca_pem)
        in {r.id: r for r in finished.steps}["db.tls"].evidence["CA in use"]
    )
    assert statuses(finished)["db.auth"] == "skip"
    assert elapsed < BUDGET_S
    print(f"db-down wrong CA: tls in {elapsed:.2f} s")


async def test_wrong_password_is_auth_and_never_shown(mariadb: MariaDB) -> None:
    canary = "Canary" + "Wr0ngPassw0rd"
    finished, elapsed, _ = await run_db_down(mariadb.url_for(password=canary))
    v = finished.verdict
    assert v.layer == "auth", v
    assert "1045 Access denied" in v.summary
    assert statuses(finished)["db.tls"] == "pass"
    assert_no_secret(text_of(finished), canary, mariadb.password)
    assert elapsed < BUDGET_S
    print(f"db-down wrong password: auth in {elapsed:.2f} s")


async def test_every_connection_held_is_query_saturated(mariadb: MariaDB) -> None:
    slots = lowest_max_connections(mariadb)
    with held_connections(mariadb, slots):
        finished, elapsed, _ = await run_db_down(mariadb.url)
    v = finished.verdict
    assert v.layer == "query", (v, statuses(finished))
    assert "1040 Too many connections" in v.summary
    s = statuses(finished)
    assert s["db.saturation"] == "fail"
    # The credentials were never checked: not an auth failure.
    assert s["db.auth"] == "skip"
    assert elapsed < BUDGET_S
    print(f"db-down all connections held: query in {elapsed:.2f} s")


async def test_ninety_percent_in_use_is_query_saturated(mariadb: MariaDB) -> None:
    assert lowest_max_connections(mariadb) == 10
    with held_connections(mariadb, 9):
        finished, elapsed, _ = await run_db_down(mariadb.url)
    v = finished.verdict
    assert v.layer == "query", (v, statuses(finished))
    assert "The database is saturated: 9 of 10 connections (90%) are in use" in v.summary
    s = statuses(finished)
    assert s["db.query"] == "pass" and s["db.saturation"] == "fail"
    print(f"db-down 90% in use: query in {elapsed:.2f} s")


async def test_long_running_statement_is_listed(mariadb: MariaDB) -> None:
    import threading

    with held_connections(mariadb, 1) as (conn,):
        sleeper = threading.Thread(
            target=lambda: conn.cursor().execute("SELECT SLEEP(3) AS launchtui_sleeper"),
            daemon=True,
        )
        sleeper.start()
        deadline = time.monotonic() + 5
        while not mariadb.root_sql(
            "SELECT 1 FROM INFORMATION_SCHEMA.PROCESSLIST WHERE INFO LIKE '%launchtui_sleeper%' "
            "AND INFO NOT LIKE '%PROCESSLIST%'"
        ):
            assert time.monotonic() < deadline, "the sleeper never started"
            time.sleep(0.02)  # poll interval of the readiness loop, not a wait for a result
        finished, _elapsed, _ = await run_db_down(mariadb.url)
        sleeper.join(10)
    room = {r.id: r for r in finished.steps}["db.saturation"]
    assert room.status is Status.PASS
    assert "SELECT SLEEP(3) AS launchtui_sleeper" in room.evidence["longest 1"]
    assert "user app, database appdb" in room.evidence["longest 1"]


# -- the real CLI ------------------------------------------------------------------------


def test_cli_healthy_is_none_and_exit_0(mariadb: MariaDB, tmp_path: Path) -> None:
    code, doc, elapsed = cli_db_down(mariadb.url, tmp_path)
    assert doc["verdict"]["layer"] == "none", doc["verdict"]
    assert code == 0
    assert doc["runbook"] == "db-down"
    assert [s["id"] for s in doc["steps"]] == STEP_IDS
    assert {s["status"] for s in doc["steps"]} == {"pass"}
    assert mariadb.password not in json.dumps(doc)
    print(f"CLI db-down healthy: none, exit 0, in {elapsed:.2f} s")


@pytest.mark.parametrize("fault", ["dns", "tcp", "tls", "auth"])
def test_cli_names_each_broken_layer_and_exits_1(
    mariadb: MariaDB, tmp_path: Path, refused_port: int, fault: str
) -> None:
    url = {
        "dns": mariadb.url_for(host="db.invalid"),
        "tcp": mariadb.url_for(port=refused_port),
        "tls": mariadb.url_for(query=f"ssl_ca={mariadb.wrong_ca_pem}"),
        "auth": mariadb.url_for(password="Canary" + "Wr0ngPassw0rd"),
    }[fault]
    code, doc, elapsed = cli_db_down(url, tmp_path)
    assert doc["verdict"]["layer"] == fault, doc["verdict"]
    assert code == 1
    assert elapsed < BUDGET_S
    text = json.dumps(doc)
    assert_no_secret(text, mariadb.password, "Canary" + "Wr0ngPassw0rd")
    print(f"CLI db-down {fault}: exit 1 in {elapsed:.2f} s")


def test_cli_black_hole_within_30_seconds(
    mariadb: MariaDB, tmp_path: Path, silent_tcp_server: SilentServer
) -> None:
    code, doc, elapsed = cli_db_down(mariadb.url_for(port=silent_tcp_server.port), tmp_path)
    assert doc["verdict"]["layer"] == "tls", doc["verdict"]
    assert code == 1
    assert elapsed < BLACK_HOLE_S
    print(f"CLI db-down black hole: tls, exit 1, in {elapsed:.2f} s")


def test_cli_saturated_is_query(mariadb: MariaDB, tmp_path: Path) -> None:
    slots = lowest_max_connections(mariadb)
    with held_connections(mariadb, slots):
        code, doc, elapsed = cli_db_down(mariadb.url, tmp_path)
    assert doc["verdict"]["layer"] == "query", doc["verdict"]
    assert code == 1
    print(f"CLI db-down saturated: query, exit 1, in {elapsed:.2f} s")


async def test_each_layer_step_ends_when_its_own_layer_is_done(mariadb: MariaDB) -> None:
    # 50 ms of round trip: TLS and the login take several, DNS none.
    link = SlowLink(mariadb.port, 0.05)
    try:
        finished, _elapsed, streamed = await run_db_down(mariadb.url_for(port=link.port))
    finally:
        link.close()
    assert finished.verdict.layer == "none", statuses(finished)
    took = {r.id: r.duration_ms for r in finished.steps}
    # The steps stream in layer order, each as soon as its layer is past, not all at once
    # when the whole probe is done.
    layers = ["db.dns", "db.tcp", "db.tls", "db.auth", "db.query"]
    assert [s for s in streamed if s in layers] == layers
    assert took["db.dns"] < took["db.tls"] < took["db.query"], took
    assert took["db.query"] - took["db.dns"] >= 100, took  # at least two round trips apart
