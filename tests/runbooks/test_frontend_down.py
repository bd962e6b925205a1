"""Runbook frontend-down (4.1) against real loopback HTTPS sites: each fault names its layer.

The faults are real: a name under .invalid, a port nothing listens on, a port that accepts
and never answers, a CA nobody passed, expired and wrong-host certificates, a 500 on `/`,
and a build inlined with the old API URL. Each runs through `run_runbook` in-process; the
main ones also through `launchtui runbook frontend-down --format json`.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from launchtui.core.model import Status
from tests.runbooks.web_support import (
    BLACK_HOLE_BUDGET_S,
    BUDGET_S,
    run_book,
    runbook_json,
    statuses,
    step,
    write_env,
)
from tests.servers.https import Certs, ServeFn, frontend_site, static_site

API = "https://api.launch-test.example"
OLD_API = "https://old-api.up.railway.app"
VERCEL = "https://vercel.com/acme/launch"
LAYERS = ["frontend.dns", "frontend.tcp", "frontend.tls", "frontend.http", "frontend.bundle"]


async def test_a_healthy_frontend_is_none_and_every_step_passes(
    serve: ServeFn, https_certs: Certs
) -> None:
    site = serve(frontend_site(API))
    done, wall = await run_book(
        "frontend-down",
        {"VITE_API_URL": API},
        frontend_url=site.url,
        ca_file=https_certs.ca_file,
        links={"vercel": VERCEL},
    )
    assert statuses(done) == dict.fromkeys(["frontend.config", *LAYERS], "pass"), done.steps
    assert done.verdict.layer == "none"
    assert "days" in step(done, "frontend.tls").summary
    assert "answers 200 in" in step(done, "frontend.http").summary
    assert f"Open vercel: {VERCEL}" in done.verdict.next
    assert wall < 5, f"a healthy loopback frontend took {wall:.1f} s"


async def test_no_frontend_url_is_config_and_the_rest_skip_naming_it() -> None:
    done, _wall = await run_book("frontend-down", {"VITE_API_URL": API})
    assert done.verdict.layer == "config"
    assert "--frontend-url" in " ".join(done.verdict.next)
    assert "(set links.vercel in the profile)" in done.verdict.next
    dns = step(done, "frontend.dns")
    assert dns.status is Status.SKIP and "frontend.config" in dns.summary


async def test_a_plain_http_frontend_url_is_config() -> None:
    done, _wall = await run_book("frontend-down", {}, frontend_url="http://127.0.0.1:9/")
    assert done.verdict.layer == "config"
    assert "plain http" in done.verdict.summary


async def test_an_unknown_host_is_dns() -> None:
    done, wall = await run_book("frontend-down", {}, frontend_url="https://launch-gone.invalid")
    assert done.verdict.layer == "dns", done.verdict
    assert "launch-gone.invalid" in done.verdict.summary
    tcp = step(done, "frontend.tcp")
    assert tcp.status is Status.SKIP and "frontend.dns" in tcp.summary
    assert wall < BUDGET_S


async def test_a_refused_port_is_tcp(dead_port: str) -> None:
    done, wall = await run_book("frontend-down", {}, frontend_url=dead_port)
    assert done.verdict.layer == "tcp", done.verdict
    assert "refused" in done.verdict.summary
    assert step(done, "frontend.tls").status is Status.SKIP
    assert wall < BUDGET_S


async def test_a_black_hole_is_named_within_30_s(silent_server: str) -> None:
    # The port accepts (the kernel's backlog) and never says a word: TCP works, TLS never starts.
    done, wall = await run_book("frontend-down", {}, frontend_url=silent_server)
    assert done.verdict.layer == "tls", done.verdict
    assert "no TLS handshake" in done.verdict.summary
    assert step(done, "frontend.tcp").status is Status.PASS
    assert wall < BLACK_HOLE_BUDGET_S, f"{wall:.1f} s against a black hole"


async def test_a_certificate_from_a_ca_not_trusted_is_tls(serve: ServeFn) -> None:
    site = serve(frontend_site(API))  # signed by the test CA; no --ca-file given
    done, _wall = await run_book("frontend-down", {"VITE_API_URL": API}, frontend_url=site.url)
    assert done.verdict.layer == "tls", done.verdict
    assert "not in the trusted CA bundle" in done.verdict.summary
    assert step(done, "frontend.http").status is Status.SKIP


@pytest.mark.parametrize(
    ("cert", "words"),
    [("expired", "expired on"), ("wrong_host", "is for wrong-host.example, not 127.0.0.1")],
)
async def test_expired_and_wrong_host_certificates_are_tls(
    serve: ServeFn, https_certs: Certs, cert: str, words: str
) -> None:
    site = serve(frontend_site(API), cert=cert)
    done, _wall = await run_book(
        "frontend-down", {"VITE_API_URL": API}, frontend_url=site.url, ca_file=https_certs.ca_file
    )
    assert done.verdict.layer == "tls", done.verdict
    assert words in done.verdict.summary


async def test_a_certificate_about_to_expire_warns_but_is_not_the_outage(
    serve: ServeFn, https_certs: Certs
) -> None:
    site = serve(frontend_site(API), cert="expiring")
    done, _wall = await run_book(
        "frontend-down", {"VITE_API_URL": API}, frontend_url=site.url, ca_file=https_certs.ca_file
    )
    tls = step(done, "frontend.tls")
    assert tls.status is Status.WARN and "expires in 5 days" in tls.summary
    assert done.verdict.layer == "none"


@pytest.mark.parametrize("status", [500, 404])
async def test_an_error_status_on_slash_is_http(
    serve: ServeFn, https_certs: Certs, status: int
) -> None:
    site = serve(static_site({"/": (status, "text/html", b"<h1>oops</h1>")}))
    done, _wall = await run_book(
        "frontend-down", {"VITE_API_URL": API}, frontend_url=site.url, ca_file=https_certs.ca_file
    )
    assert done.verdict.layer == "http", done.verdict
    assert f"answers {status}" in done.verdict.summary
    assert step(done, "frontend.bundle").status is Status.SKIP
    assert done.verdict.next[0].startswith("Open the latest deployment in Vercel")


async def test_a_build_with_the_old_api_url_is_config_with_the_redeploy_step(
    serve: ServeFn, https_certs: Certs
) -> None:
    site = serve(frontend_site(OLD_API))
    done, _wall = await run_book(
        "frontend-down", {"VITE_API_URL": API}, frontend_url=site.url, ca_file=https_certs.ca_file
    )
    assert done.verdict.layer == "config", done.verdict
    assert OLD_API in done.verdict.summary and API in done.verdict.summary
    assert "redeploy" in done.verdict.next[0].lower()
    assert "Check the Vercel deployment logs." in done.verdict.next
    assert f"Read the logs: `vercel logs {site.url}/`." in done.verdict.next


def test_the_log_command_is_vercel_logs_of_the_frontend_without_its_password() -> None:
    from launchtui.core.config import Settings
    from launchtui.runbooks import default_runbooks

    book = default_runbooks()["frontend-down"]
    assert book.log_command is not None
    assert book.log_command(Settings()) is None
    url = "https://deploy:hunter2@launch.vercel.app"
    assert book.log_command(Settings(frontend_url=url)) == (
        "vercel",
        "logs",
        "https://launch.vercel.app/",
    )


# -- through the real CLI --------------------------------------------------------------


def test_cli_healthy_frontend_exits_0_with_layer_none(
    serve: ServeFn, https_certs: Certs, tmp_path: Path
) -> None:
    site = serve(frontend_site(API))
    fenv = write_env(tmp_path / ".env.frontend", {"VITE_API_URL": API})
    code, doc, _wall = runbook_json(
        "frontend-down",
        "--frontend-url",
        site.url,
        "--frontend-env-file",
        str(fenv),
        "--ca-file",
        str(https_certs.ca_file),
    )
    assert doc["verdict"]["layer"] == "none", doc
    assert code == 0
    assert doc["runbook"] == "frontend-down"
    assert [s["id"] for s in doc["steps"]] == ["frontend.config", *LAYERS]
    assert {s["status"] for s in doc["steps"]} == {"pass"}


@pytest.mark.parametrize("fault", ["dns", "tcp", "black hole", "wrong ca", "expired", "bundle"])
def test_cli_names_the_broken_layer_and_exits_1(
    fault: str,
    serve: ServeFn,
    https_certs: Certs,
    dead_port: str,
    silent_server: str,
    tmp_path: Path,
) -> None:
    fenv = write_env(tmp_path / ".env.frontend", {"VITE_API_URL": API})
    ca = ["--ca-file", str(https_certs.ca_file)]
    url, expected, budget = {
        "dns": lambda: ("https://launch-gone.invalid", "dns", BUDGET_S),
        "tcp": lambda: (dead_port, "tcp", BUDGET_S),
        "black hole": lambda: (silent_server, "tls", BLACK_HOLE_BUDGET_S),
        "wrong ca": lambda: (serve(frontend_site(API)).url, "tls", BUDGET_S),
        "expired": lambda: (serve(frontend_site(API), cert="expired").url, "tls", BUDGET_S),
        "bundle": lambda: (serve(frontend_site(OLD_API)).url, "config", BUDGET_S),
    }[fault]()
    extra = [] if fault == "wrong ca" else ca
    code, doc, wall = runbook_json(
        "frontend-down", "--frontend-url", url, "--frontend-env-file", str(fenv), *extra
    )
    assert doc["verdict"]["layer"] == expected, doc["verdict"]
    assert code == 1
    assert "Check the Vercel deployment logs." in doc["verdict"]["next"]
    assert wall < budget, f"{fault}: {wall:.1f} s"


async def test_an_unreadable_ca_file_is_config(serve: ServeFn, tmp_path: Path) -> None:
    site = serve(frontend_site(API))
    done, _wall = await run_book(
        "frontend-down", {}, frontend_url=site.url, ca_file=tmp_path / "missing-ca.pem"
    )
    assert done.verdict.layer == "config", done.verdict
    assert "missing-ca.pem cannot be loaded" in done.verdict.summary
