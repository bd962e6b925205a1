"""What the checks that read config.py share: its one reading per run, and how its problems read."""

from __future__ import annotations

import functools
import shlex
from pathlib import Path

from launchtui.core.context import Context
from launchtui.core.model import Verdict, errored, failed, needs_input
from launchtui.probes.backend_source import BackendSource, read_backend_source
from launchtui.probes.config_values import Evaluated
from launchtui.probes.python_source import SourceProblem

NO_BACKEND_DIR = (
    "No backend dir is configured, so config.py cannot be read: pass `--backend-dir PATH` "
    "or set `backend_dir` in launchtui.toml."
)


async def read_config(ctx: Context) -> BackendSource | Verdict:
    """The shared reading of config.py, or the verdict explaining why there is none."""
    if ctx.settings.backend_dir is None:
        return needs_input(NO_BACKEND_DIR, "backend_dir")
    backend_dir = Path(ctx.settings.backend_dir)
    src = await ctx.shared("backend_source", functools.partial(read_backend_source, backend_dir))
    return src if src.problem is None else _problem(src.problem, backend_dir)


def _problem(p: SourceProblem, backend_dir: Path) -> Verdict:
    compile_cmd = f"python -m py_compile {shlex.quote(str(p.path))}"
    if p.kind == "missing":
        return failed(
            f"{backend_dir} has no config.py, so launchtui cannot read the backend's settings.",
            {"backend dir": backend_dir},
            remediation="Point `--backend-dir` (or `backend_dir` in launchtui.toml) at the Flask "
            "backend folder, the one that holds config.py.",
        )
    if p.kind == "encoding":
        return failed(
            f"{p.where} is not valid UTF-8 ({p.message}), so Python refuses to import it and "
            "the backend cannot start.",
            {"file": p.path, "line": p.line or "?"},
            remediation="Re-save config.py as UTF-8, or delete the stray bytes on that line.",
            command=compile_cmd,
        )
    if p.kind == "syntax":
        return failed(
            f"{p.where} has a syntax error ({p.message}), so the backend crashes at import.",
            {"file": p.path, "line": p.line or "?"},
            remediation="Fix that line, then confirm with the command below.",
            command=compile_cmd,
        )
    return errored(
        f"launchtui could not read config.py: {p.message}.",
        {"file": p.path},
        remediation="Make config.py readable by this user (or check the path), then re-run.",
    )


def config_line(line: int) -> str:
    """Where a finding is, as `config.py:LINE`."""
    return f"config.py:{line}"


def value_origin(ev: Evaluated) -> str:
    """Which environment variables a value came from, or that their defaults were used."""
    parts = [
        f"{n} from the environment" if from_env else f"{n} unset, so its default"
        for n, from_env in ev.env
    ]
    return f" ({'; '.join(parts)})" if parts else ""
