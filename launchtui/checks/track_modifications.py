"""Checklist 3.3: SQLALCHEMY_TRACK_MODIFICATIONS is off in production."""

from __future__ import annotations

from launchtui.checks.config_source import config_line, read_config, value_origin
from launchtui.core.context import Context
from launchtui.core.model import Verdict, failed, passed, warned
from launchtui.core.registry import check
from launchtui.probes.backend_source import allows_only_below


@check("config.track_modifications", section="3.3", title="SQLALCHEMY_TRACK_MODIFICATIONS is off")
async def track_modifications(ctx: Context) -> Verdict:
    """SQLALCHEMY_TRACK_MODIFICATIONS is False (or unset on Flask-SQLAlchemy >= 3.0) in production."""
    src = await read_config(ctx)
    if isinstance(src, Verdict):
        return src
    if src.production is None:
        return warned(
            f"config.py has no ProductionConfig (classes: {', '.join(src.classes) or 'none'}), so launchtui cannot tell what production sets.",
            remediation="Add `class ProductionConfig(Config):` with `SQLALCHEMY_TRACK_MODIFICATIONS = False`.",
        )
    prod = src.production
    evidence: dict[str, str] = {
        "production config": f"{prod.name} ({src.production_how})",
        "checklist says": "False",
    }
    remedy = f"Set `SQLALCHEMY_TRACK_MODIFICATIONS = False` in {prod.name} (config.py)."
    setting = src.find("SQLALCHEMY_TRACK_MODIFICATIONS")
    spec = src.requirements.get("flask-sqlalchemy")
    if spec:
        evidence["requirements.txt"] = f"line {spec[0]}: Flask-SQLAlchemy{spec[1]}"
    ev = src.evaluate(setting, ctx.env) if setting is not None else None
    if setting is not None:
        evidence["SQLALCHEMY_TRACK_MODIFICATIONS"] = (
            f"{setting.source} ({config_line(setting.line)}, in {setting.owner or 'module'})"
        )
    # None is Flask-SQLAlchemy's own "not set" value, so it means whatever unset means.
    if ev is None or (ev.known and ev.value is None):
        if spec and allows_only_below(spec[1], 3):
            return warned(
                f"{prod.name} leaves SQLALCHEMY_TRACK_MODIFICATIONS unset and requirements.txt pins Flask-SQLAlchemy{spec[1]}, where unset means tracking is on (memory overhead and a signal per change).",
                evidence,
                remediation=remedy,
            )
        return passed(
            f"{prod.name} leaves SQLALCHEMY_TRACK_MODIFICATIONS unset, which is off since Flask-SQLAlchemy 3.0.",
            evidence,
        )
    if not ev.known:
        return warned(
            f"SQLALCHEMY_TRACK_MODIFICATIONS is computed at run time ({ev.source}), so launchtui cannot read it.",
            evidence,
            remediation=remedy,
        )
    if ev.value:
        return failed(
            f"{prod.name} sets SQLALCHEMY_TRACK_MODIFICATIONS to {ev.value!r}{value_origin(ev)}, so every model change costs memory and emits a signal.",
            evidence,
            remediation=remedy,
        )
    return passed(
        f"{prod.name} sets SQLALCHEMY_TRACK_MODIFICATIONS to {ev.value!r}, as the checklist asks.",
        evidence,
    )
