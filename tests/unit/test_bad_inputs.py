"""Bad inputs through the real CLI: a one-line error with exit 2, or a verdict; never a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest

from launchtui.core.config import Settings
from launchtui.core.model import Status
from tests.cli import check_json, run_launchtui
from tests.runner import run_check


@pytest.mark.parametrize(
    "content",
    [
        b"not a certificate\n",
        b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
        b"\x00\xff\xfe binary junk",
    ],
    ids=["text", "broken-pem", "binary"],
)
def test_a_ca_file_that_is_not_a_pem_bundle_is_exit_2_in_one_line(
    tmp_path: Path, content: bytes
) -> None:
    ca = tmp_path / "ca.pem"
    ca.write_bytes(content)
    p = run_launchtui(
        "check",
        "--only",
        "https.backend",
        "--backend-url",
        "https://127.0.0.1:9",
        "--ca-file",
        str(ca),
    )
    assert p.returncode == 2, p.stdout
    assert p.stdout == ""
    lines = p.stderr.strip().splitlines()
    assert len(lines) == 1, p.stderr
    assert lines[0].startswith(f"launchtui: error: --ca-file {ca} is not a PEM CA bundle")
    assert "Traceback" not in p.stderr


def test_a_ca_file_from_the_profile_that_is_not_pem_names_the_config(tmp_path: Path) -> None:
    (tmp_path / "junk.pem").write_text("hello\n", encoding="utf-8")
    (tmp_path / "launchtui.toml").write_text(
        '[profiles.production]\nca_file = "junk.pem"\n', encoding="utf-8"
    )
    p = run_launchtui("check", "--only", "env.flask_debug", cwd=tmp_path)
    assert p.returncode == 2
    assert "is not a PEM CA bundle" in p.stderr
    assert "Traceback" not in p.stderr


def test_a_real_ca_bundle_is_accepted(tmp_path: Path) -> None:
    p, doc = check_json(
        "--only", "env.flask_debug", "--ca-file", "/etc/ssl/certs/ca-certificates.crt"
    )
    assert p.returncode == 0, p.stderr
    assert doc["results"][0]["status"] == "pass"


async def test_a_backend_url_on_port_0_is_named_not_probed_on_443() -> None:
    r = await run_check("https.backend", settings=Settings(backend_url="https://api.example.com:0"))
    assert r.status is Status.FAIL
    assert "port is 0" in r.summary
