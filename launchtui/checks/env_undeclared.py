"""Checklist 1.1: every environment variable config.py reads is set for production."""

from __future__ import annotations

import ast
import json
import re

from launchtui.checks.config_source import config_line, read_config
from launchtui.core.context import Context
from launchtui.core.model import Verdict, failed, passed, warned
from launchtui.core.registry import check
from launchtui.core.secrets import is_secret_name, mask_url
from launchtui.probes.backend_source import EnvRead


def _listed(names: list[str], limit: int = 4) -> str:
    shown = ", ".join(names[:limit])
    return shown + (f" and {len(names) - limit} more" if len(names) > limit else "")


@check("env.undeclared", section="1.1", title="Variables config.py reads are set")
async def env_undeclared(ctx: Context) -> Verdict:
    """Every variable config.py reads is set in the backend's environment."""
    src = await read_config(ctx)
    if isinstance(src, Verdict):
        return src
    prod = set(src.production.lineage) if src.production else set()
    required: dict[str, list[EnvRead]] = {}
    optional: dict[str, list[EnvRead]] = {}
    elsewhere: dict[str, list[EnvRead]] = {}
    empty: list[str] = []
    set_names: dict[str, None] = {}  # ordered set
    computed = [r for r in src.env_reads if r.name is None]
    for r in src.env_reads:
        if r.name is None:
            continue
        if r.name in ctx.env:
            set_names[r.name] = None
            if ctx.get(r.name) is None and r.name not in empty:
                empty.append(r.name)
            continue
        bucket = required if r.required else optional
        # Defaults only a development/testing class reads do not matter in production.
        if not r.required and r.owner and r.owner not in prod:
            bucket = elsewhere
        bucket.setdefault(r.name, []).append(r)
    for name in required:
        optional.pop(name, None)
        elsewhere.pop(name, None)
    for name in optional:
        elsewhere.pop(name, None)

    evidence: dict[str, str] = {}
    for name, reads in required.items():
        r = reads[0]
        when = "at import" if r.function is None else f"when {r.function}() runs"
        evidence[name] = (
            f"unset; {config_line(r.line)} reads {r.form} with no default (KeyError {when})"
        )
    for name, reads in optional.items():
        evidence[name] = (
            f"unset; {config_line(reads[0].line)} falls back to {_default(name, reads[0])}"
        )
    for name, reads in elsewhere.items():
        classes = ", ".join(sorted({r.owner for r in reads}))
        evidence[name] = (
            f"unset; only {classes} reads it ({config_line(reads[0].line)}), not production"
        )
    for name in empty:
        evidence[name] = "set but empty"
    if set_names:
        evidence["set"] = ", ".join(set_names)
    if computed:
        evidence["computed names"] = ", ".join(config_line(r.line) for r in computed)
    if src.production:
        evidence["production config"] = f"{src.production.name} ({src.production_how})"

    total = len({r.name for r in src.env_reads if r.name})
    where = ctx.settings.env_file or "the backend's environment (Railway/Render variables)"
    if required:
        names = list(required)
        return failed(
            f"config.py reads {_listed(names)} with os.environ[...] but "
            f"{'it is' if len(names) == 1 else 'they are'} unset, so the backend crashes "
            "with KeyError at start-up.",
            evidence,
            remediation=f"Set {', '.join(names)} in {where}, or give config.py a default.",
        )
    if optional or empty:
        names = list(optional) + empty
        return warned(
            f"{_listed(names)} {'is' if len(names) == 1 else 'are'} unset or empty, so config.py "
            "falls back to built-in defaults in production.",
            evidence,
            remediation=f"Set {', '.join(names)} in {where} (or confirm each default is right "
            "for production).",
        )
    if not total:
        return passed("config.py reads no environment variables.", evidence)
    if elsewhere:
        return passed(
            f"All {len(set_names)} variables config.py reads for production are set "
            f"({_listed(list(elsewhere))}, read only by development classes, "
            f"{'is' if len(elsewhere) == 1 else 'are'} not).",
            evidence,
        )
    return passed(f"All {total} variables config.py reads are set.", evidence)


def _default(name: str, read: EnvRead) -> str:
    if read.default is None:
        return "None"
    if is_secret_name(name) or re.search(r"(?i)secret|password|token", read.default):
        return "a hard-coded default (not shown: it looks secret)"
    if "://" in read.default:
        try:
            return json.dumps(mask_url(ast.literal_eval(read.default)))
        except (ValueError, SyntaxError, TypeError, AttributeError):
            return "a URL default (not shown: it may hold a password)"
    return read.default
