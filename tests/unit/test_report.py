"""The report renderings: the JSON contract stays valid and scrubbed."""

from __future__ import annotations

import json

from launchtui.core.model import Result, RunFinished, Status
from launchtui.core.report import to_json
from launchtui.core.secrets import Redactor


def _run(*results: Result) -> RunFinished:
    return RunFinished(results, "2026-11-25T17:00:00Z", 5)


def test_json_scrubs_values_a_later_check_learned_and_stays_valid() -> None:
    secret = 'late"secret\\value'  # quotes and backslashes must not break the JSON
    r = Result("env.x", "1.1", "x", Status.FAIL, f"saw {secret}", {"value": secret})
    doc = json.loads(to_json(_run(r), None, scrub=Redactor([secret]).scrub_any))
    assert secret not in json.dumps(doc)
    assert doc["results"][0]["summary"] == "saw ****"
    assert doc["results"][0]["evidence"] == {"value": "****"}


def test_json_summary_counts_every_status_in_contract_order() -> None:
    rs = [Result(f"t.{s}", "1.1", s.value, s, "s") for s in Status]
    doc = json.loads(to_json(_run(*rs), "production"))
    assert list(doc["summary"]) == ["pass", "warn", "fail", "error", "skip", "manual"]
    assert set(doc["summary"].values()) == {1}
    assert doc["profile"] == "production"
