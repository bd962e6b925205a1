"""`launchtui check` end to end against the loopback Cloudinary, with canary credentials."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from tests.cli import run_launchtui
from tests.probe_cloudinary.support import CANARY_KEY, CANARY_SECRET, env_for
from tests.runner import only_result, run_checks
from tests.servers.cloudinary_api import CloudinaryApi


def _launchtui(
    tmp_path: Path, url: str, *args: str, process_url: str | None = None
) -> subprocess.CompletedProcess[str]:
    env_file = tmp_path / "backend.env"
    env_file.write_text(f"CLOUDINARY_URL={url}\n", encoding="utf-8")
    env = {"CLOUDINARY_URL": process_url} if process_url is not None else {}
    return run_launchtui("check", *args, "--env-file", str(env_file), env=env, cwd=tmp_path)


def _log_text() -> str:
    log = Path(os.environ["XDG_STATE_HOME"]) / "launchtui" / "log" / "launchtui.log"
    return log.read_text(encoding="utf-8") if log.exists() else ""


def test_only_quota_runs_what_it_needs_and_reports_only_quota(
    cloudinary_api: CloudinaryApi, tmp_path: Path
) -> None:
    cloudinary_api.add_account("canary-cloud", CANARY_KEY, CANARY_SECRET)
    cloudinary_api.set_usage("Plus", cloud="canary-cloud", credits=42.0)
    url = cloudinary_api.url_for("canary-cloud")
    proc = _launchtui(tmp_path, url, "--format", "json", "--only", "cloudinary.quota")
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    assert [r["id"] for r in doc["results"]] == ["cloudinary.quota"]
    quota = doc["results"][0]
    assert quota["status"] == "pass"
    assert "credit use at 42%" in quota["summary"]
    assert doc["summary"]["pass"] == 1
    # cloudinary.api (and through it env.cloudinary_url) really ran before the quota check.
    assert [r.endpoint for r in cloudinary_api.requests if r.cloud == "canary-cloud"] == [
        "ping",
        "usage",
    ]
    for text in (proc.stdout, proc.stderr, _log_text()):
        assert CANARY_KEY not in text and CANARY_SECRET not in text


@pytest.mark.parametrize("fmt", ["text", "json", "markdown", "junit"])
def test_canary_key_and_secret_appear_in_no_output_format(
    cloudinary_api: CloudinaryApi, tmp_path: Path, fmt: str
) -> None:
    # The server knows other credentials, so it answers 401 and echoes the canary key back.
    url = cloudinary_api.cloudinary_url.replace(cloudinary_api.key, CANARY_KEY).replace(
        cloudinary_api.secret, CANARY_SECRET
    )
    proc = _launchtui(
        tmp_path, url, "--format", fmt, "--only", "cloudinary.api", "cloudinary.quota"
    )
    assert proc.returncode == 1, proc.stderr
    assert "rejected the API key/secret" in proc.stdout
    assert "Unknown API key ****" in proc.stdout
    for text in (proc.stdout, proc.stderr, _log_text()):
        assert CANARY_KEY not in text and CANARY_SECRET not in text


async def test_canary_never_reaches_results_or_facts_in_any_outcome(
    cloudinary_api: CloudinaryApi,
) -> None:
    from launchtui.core import report

    cloudinary_api.add_account("canary-cloud", CANARY_KEY, CANARY_SECRET)
    url = cloudinary_api.url_for("canary-cloud")
    outcomes = []
    for fault in (None, 401, 420, 500):
        cloudinary_api.clear_faults()
        if fault:
            cloudinary_api.fail(fault, endpoint="usage")
        final = await run_checks(["cloudinary.api", "cloudinary.quota"], env_for(url))
        outcomes.append(only_result(final, "cloudinary.quota").status.value)
        rendered = [
            report.to_text(final, None),
            report.to_json(final, None),
            report.to_markdown(final, None),
            report.to_junit(final, None),
            *(repr(r) + repr(dict(r.facts)) for r in final.results),
        ]
        for text in rendered:
            assert CANARY_KEY not in text and CANARY_SECRET not in text
    assert outcomes == ["pass", "fail", "fail", "fail"]


def test_a_bad_cloudinary_url_in_launchtuis_own_environment_is_an_error_verdict(
    cloudinary_api: CloudinaryApi, tmp_path: Path
) -> None:
    # The SDK parses the process's CLOUDINARY_URL at import and raises on a bad one.
    proc = _launchtui(
        tmp_path,
        cloudinary_api.cloudinary_url,
        "--format",
        "json",
        "--only",
        "cloudinary.api",
        process_url="not-a-url",
    )
    assert proc.returncode == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    (result,) = json.loads(proc.stdout)["results"]
    assert result["status"] == "error"
    assert "could not load the Cloudinary SDK" in result["summary"]
    assert "launchtui's own environment" in result["summary"]
