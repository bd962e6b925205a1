"""Both ways checks collect findings report the worst of them, whatever the order found."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from launchtui.checks import env, web
from launchtui.core.model import Status

_LEVELS = st.lists(st.sampled_from([Status.WARN, Status.FAIL]), min_size=1, max_size=6)


@given(_LEVELS)
def test_env_findings_report_the_worst_status_and_lead_with_a_worst_sentence(
    levels: list[Status],
) -> None:
    f = env.Findings()
    for i, level in enumerate(levels):
        (f.fail if level is Status.FAIL else f.warn)(f"finding {i} is {level}.")
    v = f.verdict("ok", {})
    worst = max(levels, key=lambda s: s.rank)
    assert v.status is worst
    assert f"is {worst}" in v.summary.split(";")[0]


@given(_LEVELS)
def test_web_findings_report_the_worst_status_and_lead_with_a_worst_sentence(
    levels: list[Status],
) -> None:
    f = web.Findings()
    for i, level in enumerate(levels):
        f.add(level, f"finding {i} is {level}.")
    v = f.verdict("ok", {}, {})
    worst = max(levels, key=lambda s: s.rank)
    assert v.status is worst
    assert v.summary.endswith(f"is {worst}.")
