"""Checklist 2.2: mysqldump (or mariadb-dump) is installed and takes verified-TLS dump flags.

The dump tool is looked up on the run's PATH: `ctx.env["PATH"]` (the process environment
as the run was given it, which tests set explicitly), else the process's own, else the
system default.
"""

from __future__ import annotations

import asyncio
import os
import shutil
from pathlib import Path
from typing import Any

from launchtui.core.context import Context
from launchtui.core.model import Verdict, failed, passed, warned
from launchtui.core.registry import check
from launchtui.probes import dump_tools

TOOLS_TIMEOUT = 2 * dump_tools.VERSION_TIMEOUT + 5.0
DB_COMMAND = "launchtui backup db"


def _dump_ca(ctx: Context) -> str | None:
    """The CA the dump verifies with: the one db.connect uses (the URL's own ssl_ca first)."""
    from launchtui.checks.database import backend_database

    parsed = backend_database(ctx)
    ca = parsed[1].ca_file if not isinstance(parsed, Verdict) else None
    ca = ca or (str(ctx.settings.ca_file) if ctx.settings.ca_file else None)
    return ca or dump_tools.system_ca_file()


def _path_env(ctx: Context) -> str:
    return ctx.env.get("PATH") or os.environ.get("PATH") or os.defpath


@check("backup.tools", section="2.2", title="mysqldump is installed", timeout=TOOLS_TIMEOUT)
async def backup_tools(ctx: Context) -> Verdict:
    """mysqldump or mariadb-dump is on PATH; its flavor, version, and the flags it needs."""
    path_env = _path_env(ctx)
    found, gzip = await ctx.to_thread(
        lambda: (dump_tools.find_dump_tools(path_env), shutil.which("gzip", path=path_env))
    )
    evidence: dict[str, Any] = {}
    if not found:
        return failed(
            "Neither mysqldump nor mariadb-dump is on PATH, so this box cannot take a "
            "database backup.",
            {"PATH": path_env, "gzip": gzip or "not on PATH"},
            remediation="Install a MySQL-compatible client: `apt-get install mariadb-client` "
            "on Debian/Ubuntu (or `default-mysql-client`), then re-run this check.",
            command="sudo apt-get install -y mariadb-client",
        )
    # mysqldump is often a symlink to mariadb-dump: run each real program once.
    programs: dict[str, tuple[str, Path]] = {}
    for name, path in found:
        programs.setdefault(os.path.realpath(path), (name, path))
    probes = await asyncio.gather(
        *(
            ctx.to_thread(dump_tools.probe_dump_tool, name, path, path_env=path_env)
            for name, path in programs.values()
        )
    )
    by_real = dict(zip(programs, probes, strict=True))
    tools = [by_real[os.path.realpath(path)] for _, path in found]
    for (name, path), tool in zip(found, tools, strict=True):
        same = f" (same program as {tool.name})" if tool.name != name else ""
        status = tool.broken or (tool.version.line if tool.version else "unrecognized version")
        evidence[name] = f"{path}{same}: {status}"
    evidence["gzip"] = gzip or "not on PATH"
    chosen = next((t for t in tools if t.version is not None), None)
    broken = [(n, t) for (n, _), t in zip(found, tools, strict=True) if t.broken]
    if chosen is None:
        return _no_usable_tool(found, tools, evidence)
    # The checklist's command names `mysqldump`: try its flags on exactly that program.
    seed = next(((p, t) for (n, p), t in zip(found, tools, strict=True) if n == "mysqldump"), None)
    return await _tool_verdict(ctx, chosen, broken, evidence, path_env, seed)


def _no_usable_tool(
    found: list[tuple[str, Path]], tools: list[dump_tools.DumpTool], evidence: dict[str, Any]
) -> Verdict:
    name, path = found[0]
    tool = tools[0]
    if all(t.broken for t in tools):
        return failed(
            f"{name} at {path} {tool.broken}, so no database backup can be taken.",
            evidence,
            remediation="Reinstall the client (`apt-get install --reinstall mariadb-client`) "
            "or put a working mysqldump first on PATH.",
            command="sudo apt-get install --reinstall -y mariadb-client",
        )
    odd = next(t for t in tools if not t.broken)
    return warned(
        f"{odd.name} at {odd.path} runs but its version line is not one launchtui knows, "
        "so it cannot tell which TLS flags it takes.",
        {**evidence, "version output": odd.run.first_error_line or "(empty)"},
        remediation="Install Debian's `mariadb-client` or `default-mysql-client`, whose "
        "version lines launchtui reads.",
    )


async def _tool_verdict(
    ctx: Context,
    tool: dump_tools.DumpTool,
    broken: list[tuple[str, dump_tools.DumpTool]],
    evidence: dict[str, Any],
    path_env: str,
    seed: tuple[Path, dump_tools.DumpTool] | None,
) -> Verdict:
    """A working tool: the flags it takes, and whether the checklist's command works with it."""
    v = tool.version
    assert v is not None
    ca = await ctx.to_thread(_dump_ca, ctx)
    ca_shown = ca or "PATH/TO/ca.pem"
    flags = dump_tools.dump_flags(v, ca_shown)
    jobs = [ctx.to_thread(dump_tools.try_flags, tool.path, flags, path_env=path_env)]
    if seed is not None and seed[1].broken is None:
        checklist_flags = dump_tools.CHECKLIST_FLAGS
        jobs.append(
            ctx.to_thread(dump_tools.try_flags, seed[0], checklist_flags, path_env=path_env)
        )
    ours, *rest = await asyncio.gather(*jobs)
    seed_fails, seed_note = _checklist_note(seed[1] if seed else None, rest[0] if rest else None)
    label = f"{tool.name} {v.text} ({'MariaDB' if v.flavor == 'mariadb' else 'MySQL'})"
    verify_note = (
        "MariaDB verifies by default since 11.4; launchtui still asks explicitly"
        if dump_tools.verifies_by_default(v)
        else "without --ssl-verify-server-cert MariaDB before 11.4 checks no certificate"
        if v.flavor == "mariadb"
        else ""
    )
    evidence.update(
        {
            "using": str(tool.path),
            "flavor": v.flavor,
            "version": v.text + (f" (client {v.client})" if v.client else ""),
            "TLS flags": " ".join(dump_tools.tls_flags(v, ca_shown))
            + (f" ({verify_note})" if verify_note else ""),
            "safe flags": " ".join(dump_tools.safe_flags(v)),
            "password": "in a 0600 option file passed as --defaults-extra-file=PATH, the first "
            "argument; never -p<password>, which anyone can read in `ps`",
            "CA bundle": ca or "none found: pass --ca-file",
            "flags checked": _trial_note(ours),
            "checklist command": seed_note,
        }
    )
    if seed_fails:
        evidence["works instead"] = dump_tools.example_command(tool.name, v, ca_shown)
    if dump_tools.writes_sandbox_line(v):
        evidence["restore note"] = (
            "dumps start with MariaDB's sandbox-mode line, which a MySQL client refuses; "
            "restore them with a MariaDB client"
        )
    facts = {"path": str(tool.path), "flavor": v.flavor, "version": v.version}
    if ours.accepted is False:
        return failed(
            f"{label} rejects the flags launchtui dumps with "
            f"({', '.join(ours.rejected) or f'exit code {ours.returncode}'}), so "
            f"`{DB_COMMAND}` would fail.",
            evidence,
            remediation="Install Debian's `mariadb-client` or `default-mysql-client` "
            "(a current client) and re-run this check.",
            facts=facts,
        )
    if ours.accepted is None:
        return warned(
            f"{label} gave no clear answer when offered launchtui's dump flags (exit "
            f"{ours.returncode}), so `{DB_COMMAND}` may fail with it.",
            evidence,
            remediation="Run the `works instead` command by hand against the database to see "
            "its error.",
            facts=facts,
        )
    if broken:
        names = ", ".join(f"{n} {t.broken}" for n, t in broken)
        return warned(
            f"{label} is ready, but {names}, so scripts that call it will fail.",
            evidence,
            remediation=f"Reinstall or remove the broken one; `{DB_COMMAND}` uses {tool.path}.",
            facts=facts,
        )
    if seed_fails:
        summary = (
            f"{label} is ready, but the checklist's own mysqldump command fails here: "
            f"{seed_fails}; use the command shown."
        )
    else:
        summary = f"{label} is ready and takes verified-TLS dump flags."
    return passed(
        summary,
        evidence,
        remediation=f"`{DB_COMMAND}` runs it with these flags and the password in an option file.",
        command=DB_COMMAND,
        facts=facts,
    )


def _checklist_note(
    tool: dump_tools.DumpTool | None, trial: dump_tools.FlagTrial | None
) -> tuple[str | None, str]:
    """Why the checklist's mysqldump command fails on this box (None if it does not), in full."""
    leak = "; its -p<password> would also show the password in `ps`"
    if tool is None:
        why = "there is no `mysqldump` on PATH"
        return why, f"fails on this box: {why}{leak}"
    if tool.broken or trial is None:
        why = f"mysqldump {tool.broken}"
        return why, f"fails on this box: {why}{leak}"
    if trial.accepted is False:
        why = f"mysqldump rejects {', '.join(f'--{r}' for r in trial.rejected) or 'its flags'}"
        return why, f"fails on this box: {why} (unknown variable, exit {trial.returncode}){leak}"
    if trial.accepted:
        return None, "mysqldump here accepts its flags" + leak
    return None, f"mysqldump here gave no clear answer to its flags (exit {trial.returncode}){leak}"


def _trial_note(trial: dump_tools.FlagTrial) -> str:
    if trial.accepted:
        return "this binary accepts all of them (offered without connecting)"
    if trial.accepted is False:
        return f"this binary rejects {', '.join(trial.rejected) or 'some'}"
    return f"no clear answer from this binary (exit {trial.returncode})"
