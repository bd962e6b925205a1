"""Checklist 1.1: FLASK_DEBUG (and the old FLASK_ENV) leave Flask's debug mode off."""

from __future__ import annotations

from launchtui.checks.env import WHERE, Findings, one_line
from launchtui.core.context import Context
from launchtui.core.model import Verdict
from launchtui.core.registry import check

# Flask's own rule (flask.helpers.get_debug_flag): only these, lowercased, mean off.
FLASK_OFF = frozenset({"0", "false", "no"})
_TRUE_WORDS = frozenset({"1", "true", "yes", "on", "y", "t"})


@one_line
def assess_flask_debug(debug: str | None, flask_env: str | None = None) -> Verdict:
    """The verdict on FLASK_DEBUG (and the old FLASK_ENV switch), by Flask's own rule."""
    fix = f"Set FLASK_DEBUG=0 (or delete it) {WHERE}."
    shown = (debug or "")[:20].encode("unicode_escape").decode("ascii")
    evidence = {
        "FLASK_DEBUG": shown if debug else "(not set)",
        "Flask's rule": (
            "only unset, empty, 0, false and no (any case) mean off; anything else means on"
        ),
    }
    if flask_env is not None:
        evidence["FLASK_ENV"] = flask_env[:20].encode("unicode_escape").decode("ascii")
    f = Findings()
    if debug and debug.lower() not in FLASK_OFF:
        if debug.strip().lower() in FLASK_OFF:
            why = "the spaces around the value make Flask read it as on"
        elif debug.strip().lower() in _TRUE_WORDS:
            why = "Flask runs in debug mode"
        else:
            why = "Flask treats every value except 0, false and no as on"
        f.fail(
            f"FLASK_DEBUG={shown} turns debug mode on ({why}): production then shows "
            "tracebacks and, with the Werkzeug debugger, lets anyone run code.",
            fix,
        )
    if flask_env is not None and flask_env.strip().lower() == "development":
        f.fail(
            "FLASK_ENV=development turns debug mode on in Flask before 2.3 (newer Flask "
            "ignores it).",
            f"Delete FLASK_ENV {WHERE}.",
        )
    return f.verdict("FLASK_DEBUG is off, so Flask runs without debug mode.", evidence)


@check("env.flask_debug", section="1.1", title="FLASK_DEBUG is off")
async def flask_debug(ctx: Context) -> Verdict:
    """FLASK_DEBUG is unset or one of Flask's off values; FLASK_ENV is not development."""
    return assess_flask_debug(ctx.env.get("FLASK_DEBUG"), ctx.env.get("FLASK_ENV"))
