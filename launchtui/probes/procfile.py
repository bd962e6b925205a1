"""The deploy commands beside the backend: its Procfile, Railway/Render settings and start scripts."""

from __future__ import annotations

import json
import re
import shlex
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from launchtui.probes.python_source import MAX_SOURCE_BYTES, SourceProblem


@dataclass(frozen=True)
class Process:
    name: str
    command: str
    line: int


@dataclass
class Procfile:
    path: Path
    processes: list[Process] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def get(self, name: str) -> Process | None:
        found = [p for p in self.processes if p.name == name]
        return found[-1] if found else None


def find_procfile(backend_dir: Path) -> Path | None:
    """The backend's Procfile, or the one at the repository root above it."""
    for d in (backend_dir, backend_dir.parent):
        if (d / "Procfile").is_file():
            return d / "Procfile"
    return None


def read_procfile(path: Path) -> Procfile | SourceProblem:
    """Parse `name: command` lines; comments, blank lines and CRLF endings are fine."""
    try:
        data = path.read_bytes()[: MAX_SOURCE_BYTES + 1]
    except OSError as exc:
        return SourceProblem("unreadable", path, f"cannot read {path}: {exc.strerror or exc}")
    proc = Procfile(path)
    text = data.decode("utf-8", errors="replace").lstrip("\ufeff")
    if "\ufffd" in text:
        proc.notes.append("the Procfile holds bytes that are not UTF-8")
    for n, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        m = re.match(r"^([A-Za-z0-9_-]+)\s*:\s*(.*)$", line)
        if not m:
            proc.notes.append(f"line {n} is not `name: command` and is ignored")
            continue
        if proc.get(m.group(1)):
            proc.notes.append(f"`{m.group(1)}:` appears twice; line {n} wins")
        proc.processes.append(Process(m.group(1), m.group(2).strip(), n))
    return proc


def platform_commands(backend_dir: Path) -> list[tuple[str, str, str]]:
    """(file, setting, command) for Railway/Render deploy settings kept beside the code."""
    out: list[tuple[str, str, str]] = []
    for d in dict.fromkeys((backend_dir, backend_dir.parent)):
        for name in ("railway.toml", "railway.json"):
            p = d / name
            try:
                raw = p.read_text("utf-8")
                data = tomllib.loads(raw) if name.endswith("toml") else json.loads(raw)
            except (OSError, ValueError, RecursionError):  # ValueError: bad TOML/JSON, UTF-8
                continue
            deploy = data.get("deploy", {}) if isinstance(data, dict) else {}
            for key in ("preDeployCommand", "startCommand"):
                cmd = deploy.get(key) if isinstance(deploy, dict) else None
                if isinstance(cmd, list):
                    cmd = " && ".join(str(c) for c in cmd)
                if isinstance(cmd, str) and cmd.strip():
                    out.append((name, key, cmd.strip()))
        try:
            render = (d / "render.yaml").read_text("utf-8")
        except (OSError, UnicodeDecodeError):
            continue
        for m in re.finditer(r"^\s*(preDeployCommand|startCommand)\s*:\s*(.+)$", render, re.M):
            out.append(("render.yaml", m.group(1), m.group(2).strip().strip("'\"")))
    return out


@dataclass(frozen=True)
class Step:
    """One command of a shell line, with the operator that joined it to the previous one."""

    kind: str  # upgrade | migrate | server | other
    text: str
    joiner: str | None  # &&, ||, ;, &, | or None for the first


_SERVERS = {"gunicorn", "uwsgi", "waitress-serve", "hypercorn", "uvicorn", "daphne", "granian"}
_WRAPPERS = {"exec", "env", "nohup", "time", "command"}


def shell_steps(command: str, base: Path | None = None, depth: int = 0) -> list[Step]:
    """Split a shell command into steps (following `sh -c` and local scripts)."""
    try:
        lex = shlex.shlex(command, posix=True, punctuation_chars=True)
        lex.whitespace_split = True
        tokens = list(lex)
    except ValueError:
        tokens = command.split()
    steps: list[Step] = []
    words: list[str] = []
    joiner: str | None = None
    skip_next = False

    def flush(next_joiner: str | None) -> None:
        nonlocal words, joiner
        if words:
            steps.extend(_classify(words, joiner, base, depth))
            joiner = next_joiner
        elif next_joiner and steps:
            joiner = next_joiner
        words = []

    for tok in tokens:
        if skip_next:
            skip_next = False
        elif tok in ("&&", "||", ";", "&", "|", "\n"):
            flush(tok)
        elif tok in ("(", ")", "{", "}"):
            continue
        elif set(tok) <= set("<>&") and tok:
            skip_next = True  # a redirection and its target
        else:
            words.append(tok)
    flush(None)
    return steps


def _classify(words: list[str], joiner: str | None, base: Path | None, depth: int) -> list[Step]:
    text = " ".join(words)
    w = list(words)
    while w and (w[0] in _WRAPPERS or re.match(r"^[A-Za-z_][A-Za-z0-9_]*=", w[0])):
        w.pop(0)
    if len(w) >= 2 and w[0] in ("poetry", "pipenv", "uv", "pdm") and w[1] == "run":
        w = w[2:]
    if w and Path(w[0]).name in ("sh", "bash", "dash") and len(w) >= 3 and w[1] == "-c":
        inner = shell_steps(w[2], base, depth + 1)
        if inner:
            return [Step(inner[0].kind, inner[0].text, joiner), *inner[1:]]
        return []
    if w and re.match(r"^python[0-9.]*$", Path(w[0]).name):
        if len(w) >= 3 and w[1] == "-m":
            w = w[2:]
        elif len(w) >= 2 and w[1].endswith(".py"):
            kind = "upgrade" if w[2:4] == ["db", "upgrade"] else "server"
            return [Step(kind, text, joiner)]
    if not w:
        return [Step("other", text, joiner)]
    prog = Path(w[0]).name
    if prog == "flask":
        opts_with_values = {"--app", "-A", "-e", "--env-file"}
        rest, i = [], 1
        while i < len(w):
            if w[i] in opts_with_values:
                i += 2
                continue
            if not w[i].startswith("-"):
                rest.append(w[i])
            i += 1
        if rest[:2] == ["db", "upgrade"]:
            return [Step("upgrade", text, joiner)]
        if rest[:2] == ["db", "migrate"]:
            return [Step("migrate", text, joiner)]
        if rest[:1] == ["run"]:
            return [Step("server", text, joiner)]
    if prog == "alembic" and "upgrade" in w:
        return [Step("upgrade", text, joiner)]
    if prog in _SERVERS:
        return [Step("server", text, joiner)]
    script = _local_script(w, base)
    if script is not None and depth < 2:
        inner = _script_steps(script, depth)
        if inner:
            return [Step(inner[0].kind, inner[0].text, joiner), *inner[1:]]
    return [Step("other", text, joiner)]


def _local_script(words: list[str], base: Path | None) -> Path | None:
    if base is None:
        return None
    name = words[1] if Path(words[0]).name in ("sh", "bash") and len(words) > 1 else words[0]
    if not name.endswith(".sh") and not name.startswith("./"):
        return None
    try:
        p = (base / name).resolve()
        return p if p.is_file() and p.stat().st_size < 65_536 else None
    except (OSError, ValueError, RuntimeError):  # NUL in the name; a symlink loop (3.11)
        return None


def _script_steps(path: Path, depth: int) -> list[Step]:
    try:
        text = path.read_text("utf-8", errors="replace")
    except OSError:
        return []
    errexit = bool(re.search(r"^\s*set\s+-[a-z]*e|^\s*set\s+-o\s+errexit|^#!.*\s-e", text, re.M))
    lines = [ln.strip() for ln in text.splitlines()]
    body = [ln for ln in lines if ln and not ln.startswith("#") and not ln.startswith("set ")]
    return shell_steps((" && " if errexit else " ; ").join(body), path.parent, depth + 1)
