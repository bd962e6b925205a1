"""Checklist 2.1: the Procfile (or a platform pre-deploy command) migrates before serving."""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import Any

from launchtui.checks.config_source import NO_BACKEND_DIR
from launchtui.core.context import Context
from launchtui.core.model import (
    Status,
    Verdict,
    errored,
    failed,
    needs_input,
    passed,
    warned,
)
from launchtui.core.registry import check
from launchtui.probes.procfile import (
    Procfile,
    Step,
    find_procfile,
    platform_commands,
    read_procfile,
    shell_steps,
)
from launchtui.probes.python_source import SourceProblem


def _read_deploy(backend_dir: Path) -> dict[str, Any]:
    path = find_procfile(backend_dir)
    proc = read_procfile(path) if path else None
    steps: dict[str, list[Step]] = {}
    if isinstance(proc, Procfile):
        for p in proc.processes:
            steps[p.name] = shell_steps(p.command, proc.path.parent)
    platform = [
        (f, key, cmd, shell_steps(cmd, backend_dir))
        for f, key, cmd in platform_commands(backend_dir)
    ]
    return {"proc": proc, "steps": steps, "platform": platform}


def _upgrade_first(steps: list[Step]) -> tuple[Status, str] | None:
    """How a `web:`/start command orders the migration and the server; None: no migration."""
    kinds = [s.kind for s in steps]
    if "upgrade" not in kinds:
        return None
    m = kinds.index("upgrade")
    if "server" not in kinds:
        return Status.WARN, "runs `flask db upgrade` but starts no web server launchtui knows"
    s = kinds.index("server")
    if s < m:
        return Status.FAIL, (
            "runs `flask db upgrade` after the web server starts; the server never exits, "
            "so the migration never runs"
        )
    joiners = {st.joiner for st in steps[m + 1 : s + 1]}
    if "||" in joiners:
        return (
            Status.FAIL,
            "joins the migration and the server with `||`, so the server starts only if the migration fails",
        )
    if joiners & {"&", "|"}:
        return Status.FAIL, "runs the migration and the server at the same time"
    if ";" in joiners:
        return Status.WARN, "joins them with `;`, so the server serves even if the migration fails"
    return Status.PASS, "runs `flask db upgrade &&` before the server"


@check("deploy.procfile", section="2.1", title="Procfile runs migrations before serving")
async def deploy_procfile(ctx: Context) -> Verdict:
    """The Procfile (or a platform pre-deploy command) runs `flask db upgrade` before serving."""
    if ctx.settings.backend_dir is None:
        return needs_input(NO_BACKEND_DIR, "backend_dir")
    backend_dir = Path(ctx.settings.backend_dir)
    found = await ctx.to_thread(_read_deploy, backend_dir)
    proc, steps, platform = found["proc"], found["steps"], found["platform"]
    if isinstance(proc, SourceProblem):
        return errored(f"launchtui could not read the Procfile: {proc.message}.")
    evidence: dict[str, str] = {}
    for f, key, cmd, _ in platform:
        evidence[f"{f} {key}"] = cmd
    pre_ok = [
        (f, key)
        for f, key, _, st in platform
        if key == "preDeployCommand" and "upgrade" in {x.kind for x in st}
    ]
    railway = any(f.startswith("railway") for f, *_ in platform)
    add_release = (
        f"printf 'release: flask db upgrade\\n' >> {shlex.quote(str(backend_dir / 'Procfile'))}"
    )
    if proc is None:
        if pre_ok:
            f, key = pre_ok[0]
            return passed(
                f"There is no Procfile, but {f}'s {key} runs `flask db upgrade` before each deploy.",
                evidence,
            )
        return failed(
            f"There is no Procfile in {backend_dir}, so nothing runs `flask db upgrade` before the app serves traffic.",
            evidence,
            remediation="Add a Procfile with the line `release: flask db upgrade` (Heroku runs it before "
            "each release); on Railway or Render, set the service's pre-deploy command to `flask db upgrade`.",
            command=add_release,
        )
    evidence["Procfile"] = str(proc.path)
    for p in proc.processes:
        evidence[f"{p.name}: (line {p.line})"] = p.command
    for note in proc.notes:
        evidence.setdefault("notes", note)

    for p in proc.processes:
        if "migrate" in {s.kind for s in steps[p.name]}:
            return failed(
                f"The Procfile's `{p.name}:` line runs `flask db migrate`, which generates new migration "
                "files in production instead of applying the committed ones.",
                evidence,
                remediation="Replace `flask db migrate` with `flask db upgrade`; generate migrations on a "
                "developer machine and commit them.",
            )
    release, web = proc.get("release"), proc.get("web")
    release_steps = steps["release"] if release else []
    release_ok = "upgrade" in {s.kind for s in release_steps}
    web_order = _upgrade_first(steps["web"]) if web else None
    server = next((s.text for s in steps.get("web", []) if s.kind == "server"), "gunicorn app:app")
    evidence["platforms"] = (
        "Heroku runs `release:` before each release; Railway does not run `release:` (use a "
        "pre-deploy command, or `flask db upgrade &&` before the server in the start command); "
        "Render uses its own pre-deploy command."
    )
    fix_web = f"web: flask db upgrade && {server}"

    if web_order and web_order[0] is Status.FAIL:
        sentence = f"The Procfile's `web:` line {web_order[1]}."
        remedy = f"Change the web line to `{fix_web}`, or add `release: flask db upgrade`."
        if release_ok or pre_ok:
            return warned(
                sentence + " A release/pre-deploy step migrates first, so this is only noise.",
                evidence,
                remediation=f"Remove `flask db upgrade` from the web line: `web: {server}`.",
            )
        return failed(sentence, evidence, remediation=remedy)
    if release_ok:
        after = release_steps[[s.kind for s in release_steps].index("upgrade") + 1 :]
        if any(s.joiner in (";", "||") for s in after):
            return warned(
                "The Procfile's `release:` line masks a failed `flask db upgrade`, so a broken migration would not stop the deploy.",
                evidence,
                remediation="Make the release line exactly `release: flask db upgrade`.",
            )
        if railway and not pre_ok:
            return warned(
                "The Procfile migrates in `release:`, but this service has a Railway config and Railway does not run `release:` lines.",
                evidence,
                remediation="Set Railway's pre-deploy command to `flask db upgrade` "
                "(deploy.preDeployCommand in railway.toml), or start with `" + fix_web[5:] + "`.",
            )
        return passed(
            "The Procfile's `release:` line runs `flask db upgrade` before the new release serves traffic.",
            evidence,
        )
    if web_order and web_order[0] is Status.PASS:
        return passed(f"The Procfile's `web:` line {web_order[1]}.", evidence)
    if web_order:
        return warned(
            f"The Procfile's `web:` line {web_order[1]}.",
            evidence,
            remediation=f"Use `&&`: `{fix_web}`.",
        )
    if pre_ok:
        f, key = pre_ok[0]
        return passed(
            f"{f}'s {key} runs `flask db upgrade` before each deploy (the Procfile does not).",
            evidence,
        )
    return failed(
        "The Procfile never runs `flask db upgrade`, so new code can serve traffic against an old schema.",
        evidence,
        remediation="Add the line `release: flask db upgrade` to the Procfile (Heroku); on Railway or "
        f"Render set the pre-deploy command to `flask db upgrade`, or use `{fix_web}`.",
        command=add_release,
    )
