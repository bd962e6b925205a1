"""Reading the Flask backend's source without running it: config.py, Procfile, handlers."""

from __future__ import annotations

import ast
import io
import json
import operator
import os
import re
import shlex
import time
import tokenize
import tomllib
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

MAX_SOURCE_BYTES = 2_000_000
MAX_SCAN_FILES = 2_000
MAX_WALK_ENTRIES = 20_000
_SKIP_DIRS = {"node_modules", "__pycache__", "site-packages", "venv", "env", "migrations", "tests"}


@dataclass(frozen=True)
class SourceProblem:
    """Why a file could not be read as Python; `line` points at the culprit."""

    kind: str  # missing | unreadable | too_large | encoding | syntax
    path: Path
    message: str
    line: int | None = None

    @property
    def where(self) -> str:
        return f"{self.path.name}:{self.line}" if self.line else self.path.name


@dataclass(frozen=True)
class EnvRead:
    """One place config.py reads an environment variable."""

    name: str | None  # None when the name is computed
    line: int
    form: str  # os.environ[...] | os.environ.get | os.getenv
    required: bool  # the subscript form raises KeyError when unset
    default: str | None  # the default as written, None when there is none
    owner: str  # the class whose body holds it, "" at module level
    function: str | None  # the function it runs in; None means at import


@dataclass(frozen=True)
class Setting:
    """An assignment in a config class (or at module level)."""

    name: str
    line: int
    owner: str
    node: ast.expr = field(repr=False)
    source: str = ""


@dataclass(frozen=True)
class ConfigClass:
    name: str
    line: int
    bases: tuple[str, ...]
    lineage: tuple[str, ...]  # the class, then its bases, in lookup order
    settings: dict[str, Setting]  # own and inherited (resolved within config.py)


@dataclass(frozen=True)
class Evaluated:
    """A setting's value as far as static reading can tell."""

    known: bool
    value: Any = None
    source: str = ""
    env: tuple[tuple[str, bool], ...] = ()  # (variable, value came from the environment)
    reason: str = ""


class _Unknown(Exception):
    pass


@dataclass
class BackendSource:
    """What config.py (and requirements.txt) say, read with `ast`, never imported."""

    backend_dir: Path
    config_path: Path
    problem: SourceProblem | None = None
    text: str = ""
    env_reads: list[EnvRead] = field(default_factory=list)
    classes: dict[str, ConfigClass] = field(default_factory=dict)
    module: dict[str, Setting] = field(default_factory=dict)
    own: dict[str, dict[str, Setting]] = field(default_factory=dict)
    production: ConfigClass | None = None
    production_how: str = ""
    requirements: dict[str, tuple[int, str]] = field(default_factory=dict)
    _reads_by_node: dict[int, tuple[str, ast.expr | None, bool]] = field(default_factory=dict)
    _lines: list[str] = field(default_factory=list, repr=False)

    def find(self, name: str) -> Setting | None:
        """A setting of the production config class."""
        return self.production.settings.get(name) if self.production else None

    def evaluate(self, setting: Setting, env: Mapping[str, str]) -> Evaluated:
        """The setting's value with `env` as the production environment."""
        return self._run(setting.node, setting.owner, env)

    def evaluate_key(self, setting: Setting, key: str, env: Mapping[str, str]) -> Evaluated | None:
        """One key of a dict setting; None when the dict surely lacks it."""
        try:
            entries = self._dict_entries(setting.node, setting.owner, 0)
        except _Unknown:
            entries = None
        if entries is None:
            whole = self.evaluate(setting, env)
            if not whole.known:
                return whole
            if not isinstance(whole.value, dict):
                return None
            if key not in whole.value:
                return None
            return Evaluated(True, whole.value[key], whole.source, whole.env)
        if key not in entries:
            return None
        node, owner = entries[key]
        return self._run(node, owner, env)

    def segment(self, node: ast.AST) -> str:
        """The expression as written (one line, shortened); `ast.get_source_segment` is O(file)."""
        if not self._lines and self.text:
            # Only \n, \r and \r\n end lines for `ast`; str.splitlines also splits on \f etc.
            self._lines = io.StringIO(self.text, newline="").readlines()
        try:
            first, last = node.lineno - 1, (node.end_lineno or node.lineno) - 1  # type: ignore[attr-defined]
            start, end = node.col_offset, node.end_col_offset  # type: ignore[attr-defined]
            if first == last:
                text = self._lines[first].encode()[start:end].decode()
            else:
                head = self._lines[first].encode()[start:].decode()
                tail = self._lines[last].encode()[:end].decode()
                text = head + "".join(self._lines[first + 1 : last]) + tail
        except (AttributeError, IndexError, TypeError, UnicodeDecodeError):
            text = ast.unparse(node)
        text = " ".join(text.split())
        return text if len(text) <= 80 else text[:77] + "..."

    # -- the evaluator: literals, env reads, names, and a few pure built-ins -------------

    def _run(self, node: ast.expr, owner: str, env: Mapping[str, str]) -> Evaluated:
        used: list[tuple[str, bool]] = []
        try:
            value = self._eval(node, owner, env, used, 0)
        except _Unknown as exc:
            return Evaluated(False, None, self.segment(node), tuple(used), str(exc))
        except (ArithmeticError, TypeError, ValueError) as exc:
            return Evaluated(False, None, self.segment(node), tuple(used), str(exc))
        return Evaluated(True, value, self.segment(node), tuple(used))

    def _name(self, name: str, owner: str) -> tuple[ast.expr, str]:
        if owner and name in self.own.get(owner, {}):
            return self.own[owner][name].node, owner
        if name in self.module:
            return self.module[name].node, ""
        raise _Unknown(f"{name} is not defined in config.py")

    def _attr_of_class(self, node: ast.expr) -> tuple[ast.expr, str] | None:
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
            cls = self.classes.get(node.value.id)
            if cls and node.attr in cls.settings:
                s = cls.settings[node.attr]
                return s.node, s.owner
        return None

    def _dict_entries(
        self, node: ast.expr, owner: str, depth: int
    ) -> dict[str, tuple[ast.expr, str]] | None:
        if depth > 20:
            raise _Unknown("too deep")
        if isinstance(node, ast.Name):
            target, where = self._name(node.id, owner)
            return self._dict_entries(target, where, depth + 1)
        if (ref := self._attr_of_class(node)) is not None:
            return self._dict_entries(ref[0], ref[1], depth + 1)
        out: dict[str, tuple[ast.expr, str]] = {}
        if isinstance(node, ast.Dict):
            for k, v in zip(node.keys, node.values, strict=True):
                if k is None:
                    spread = self._dict_entries(v, owner, depth + 1)
                    if spread is None:
                        raise _Unknown(f"cannot read {self.segment(v)}")
                    out.update(spread)
                elif isinstance(k, ast.Constant) and isinstance(k.value, str):
                    out[k.value] = (v, owner)
                else:
                    raise _Unknown(f"computed key {self.segment(k)}")
            return out
        if isinstance(node, ast.Call) and _dotted(node.func) == "dict" and not node.args:
            for kw in node.keywords:
                if kw.arg is None:
                    raise _Unknown("dict(**...)")
                out[kw.arg] = (kw.value, owner)
            return out
        return None

    def _eval(
        self,
        node: ast.expr,
        owner: str,
        env: Mapping[str, str],
        used: list[tuple[str, bool]],
        depth: int,
    ) -> Any:
        if depth > 40:
            raise _Unknown("too deeply nested")

        def ev(n: ast.expr) -> Any:
            return self._eval(n, owner, env, used, depth + 1)

        if id(node) in self._reads_by_node:
            name, default, required = self._reads_by_node[id(node)]
            if name in env:
                used.append((name, True))
                return env[name]
            used.append((name, False))
            if default is not None:
                return ev(default)
            if required:
                raise _Unknown(f"{name} is unset and has no default")
            return None
        if isinstance(node, ast.Constant):
            return node.value
        if isinstance(node, ast.Name):
            if node.id == "__file__":
                return str(self.config_path)
            target, where = self._name(node.id, owner)
            return self._eval(target, where, env, used, depth + 1)
        if (ref := self._attr_of_class(node)) is not None:
            return self._eval(ref[0], ref[1], env, used, depth + 1)
        if isinstance(node, ast.Dict):
            entries = self._dict_entries(node, owner, depth + 1) or {}
            return {k: self._eval(n, o, env, used, depth + 1) for k, (n, o) in entries.items()}
        if isinstance(node, ast.List | ast.Tuple | ast.Set):
            items = [ev(e) for e in node.elts]
            return tuple(items) if isinstance(node, ast.Tuple) else items
        if isinstance(node, ast.UnaryOp) and type(node.op) in _UNARY:
            return _UNARY[type(node.op)](ev(node.operand))
        if isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
            a, b = ev(node.left), ev(node.right)
            # Repetition of a string or list by a number could be huge: leave it unknown.
            if isinstance(node.op, ast.Mult) and not all(
                isinstance(x, int | float) for x in (a, b)
            ):
                raise _Unknown(f"{self.segment(node)} repeats a sequence")
            return _BINARY[type(node.op)](a, b)
        if isinstance(node, ast.BoolOp):
            value: Any = None
            for part in node.values:
                value = ev(part)
                if isinstance(node.op, ast.Or) == bool(value):
                    return value
            return value
        if isinstance(node, ast.IfExp):
            return ev(node.body) if ev(node.test) else ev(node.orelse)
        if isinstance(node, ast.Compare) and len(node.ops) == 1 and type(node.ops[0]) in _COMPARE:
            return _COMPARE[type(node.ops[0])](ev(node.left), ev(node.comparators[0]))
        if isinstance(node, ast.JoinedStr):
            parts = []
            for v in node.values:
                parts.append(str(ev(v.value)) if isinstance(v, ast.FormattedValue) else ev(v))
            return "".join(parts)
        if isinstance(node, ast.Attribute) and node.attr in ("parent",):
            base = ev(node.value)
            if isinstance(base, Path):
                return base.parent
        if isinstance(node, ast.Call) and not node.keywords:
            return self._call(node, ev)
        if isinstance(node, ast.Call) and _dotted(node.func) == "dict":
            return {kw.arg: ev(kw.value) for kw in node.keywords if kw.arg}
        raise _Unknown(f"{self.segment(node)} is computed at run time")

    def _call(self, node: ast.Call, ev: Callable[[ast.expr], Any]) -> Any:
        func = _dotted(node.func)
        args = [ev(a) for a in node.args]
        if func in _PURE:
            return _PURE[func](*args)
        if func == "tempfile.gettempdir" and not args:
            import tempfile

            return tempfile.gettempdir()
        if isinstance(node.func, ast.Attribute):
            base = ev(node.func.value)
            if node.func.attr in _METHODS and isinstance(base, str | Path):
                return getattr(base, node.func.attr)(*args)
        raise _Unknown(f"{self.segment(node)} is computed at run time")


_UNARY = {ast.USub: operator.neg, ast.UAdd: operator.pos, ast.Not: operator.not_}
_BINARY = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv,
}
_COMPARE = {
    ast.Eq: operator.eq,
    ast.NotEq: operator.ne,
    ast.In: lambda a, b: a in b,
    ast.NotIn: lambda a, b: a not in b,
}
# Pure functions config modules use to build values; nothing else is ever called.
_PURE: dict[str, Callable[..., Any]] = {
    "int": int,
    "float": float,
    "str": str,
    "bool": bool,
    "Path": Path,
    "pathlib.Path": Path,
    **{f"os.path.{f}": getattr(os.path, f) for f in ("join", "dirname", "abspath", "normpath")},
    **{f"os.path.{f}": getattr(os.path, f) for f in ("realpath", "expanduser")},
}
_METHODS = {"lower", "upper", "strip", "split", "resolve", "absolute", "expanduser"}


def _dotted(node: ast.AST) -> str:
    """`os.path.join` for the expression `os.path.join`, "" when not a plain dotted name."""
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
        return ".".join(reversed(parts))
    return ""


# -- reading config.py -----------------------------------------------------------------


def parse_python(
    path: Path, limit: int = MAX_SOURCE_BYTES
) -> tuple[ast.Module, str] | SourceProblem:
    """Parse a Python file without running it; a problem names the line at fault."""
    try:
        if not path.is_file():
            return SourceProblem("missing", path, f"{path} does not exist")
        size = path.stat().st_size
        if size > limit:
            return SourceProblem("too_large", path, f"{path.name} is {size:,} bytes")
        data = path.read_bytes()
    except OSError as exc:
        return SourceProblem("unreadable", path, f"cannot read {path}: {exc.strerror or exc}")
    try:
        encoding = tokenize.detect_encoding(iter(data.splitlines(keepends=True)).__next__)[0]
        text = data.decode(encoding)
    except SyntaxError as exc:
        return SourceProblem("encoding", path, str(exc.msg or exc), exc.lineno)
    except (UnicodeDecodeError, LookupError) as exc:
        start = getattr(exc, "start", 0)
        line = data.count(b"\n", 0, start) + 1
        byte = f"byte 0x{data[start]:02x}" if start < len(data) else "a byte"
        codec = getattr(exc, "encoding", "utf-8")
        codec = "UTF-8" if codec.lower().startswith("utf-8") else codec
        return SourceProblem("encoding", path, f"{byte} is not valid {codec}", line)
    # Python 3.11 reports a NUL byte with no line number: find it ourselves.
    nul = text.count("\n", 0, text.find("\x00")) + 1 if "\x00" in text else None
    text = text.lstrip("\ufeff")
    try:
        tree = ast.parse(text, filename=str(path))
    except SyntaxError as exc:
        return SourceProblem("syntax", path, exc.msg or "invalid syntax", exc.lineno or nul)
    except (ValueError, MemoryError, RecursionError) as exc:
        return SourceProblem("syntax", path, str(exc) or type(exc).__name__, nul)
    return tree, text


def read_backend_source(backend_dir: Path) -> BackendSource:
    """Read config.py and requirements.txt of a backend checkout."""
    src = BackendSource(backend_dir, backend_dir / "config.py")
    src.requirements = read_requirements(backend_dir / "requirements.txt")
    parsed = parse_python(src.config_path)
    if isinstance(parsed, SourceProblem):
        src.problem = parsed
        return src
    tree, src.text = parsed
    _collect_env_reads(src, tree)
    _collect_settings(src, tree)
    _pick_production(src)
    return src


def _aliases(tree: ast.Module) -> tuple[set[str], set[str], set[str]]:
    os_names, environ_names, getenv_names = set(), set(), set()
    assigns: list[ast.Assign] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            os_names |= {a.asname or a.name for a in node.names if a.name == "os"}
        elif isinstance(node, ast.ImportFrom) and node.module == "os":
            environ_names |= {a.asname or a.name for a in node.names if a.name == "environ"}
            getenv_names |= {a.asname or a.name for a in node.names if a.name == "getenv"}
        elif isinstance(node, ast.Assign) and len(node.targets) == 1:
            assigns.append(node)
    environ = {f"{o}.environ" for o in os_names}
    for node in assigns:  # `env = os.environ` makes `env` an alias too
        if isinstance(node.targets[0], ast.Name) and _dotted(node.value) in environ:
            environ_names.add(node.targets[0].id)
    return os_names, environ_names, getenv_names


def _collect_env_reads(src: BackendSource, tree: ast.Module) -> None:
    os_names, environ_names, getenv_names = _aliases(tree)
    environ = {f"{o}.environ" for o in os_names} | environ_names
    getenv = {f"{o}.getenv" for o in os_names} | getenv_names
    or_default: dict[int, ast.expr] = {}  # `os.getenv("X") or "fallback"`

    # An explicit stack, not recursion: a long `a + b + ...` chain is a very deep tree.
    stack: list[tuple[ast.AST, str, str | None]] = [(tree, "", None)]
    while stack:
        node, owner, function = stack.pop()
        if isinstance(node, ast.ClassDef):
            owner = owner or node.name
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
            function = function or getattr(node, "name", "<lambda>")
        elif isinstance(node, ast.BoolOp) and isinstance(node.op, ast.Or):
            or_default[id(node.values[0])] = node.values[1]
        read = _as_env_read(node, environ, getenv)
        if read is not None:
            form, key, default, required = read
            if default is None and not required:
                default = or_default.get(id(node))
            name = key.value if isinstance(key, ast.Constant) else None
            name = name if isinstance(name, str) else None
            src.env_reads.append(
                EnvRead(
                    name=name,
                    line=node.lineno,  # type: ignore[attr-defined]
                    form=form,
                    required=required,
                    default=src.segment(default) if default is not None else None,
                    owner=owner,
                    function=function,
                )
            )
            if name:
                src._reads_by_node[id(node)] = (name, default, required)
        stack.extend((c, owner, function) for c in reversed(list(ast.iter_child_nodes(node))))
    src.env_reads.sort(key=lambda r: r.line)


def _as_env_read(
    node: ast.AST, environ: set[str], getenv: set[str]
) -> tuple[str, ast.expr, ast.expr | None, bool] | None:
    if (
        isinstance(node, ast.Subscript)
        and isinstance(node.ctx, ast.Load)
        and _dotted(node.value) in environ
    ):
        return "os.environ[...]", node.slice, None, True
    if isinstance(node, ast.Call) and node.args:
        func = _dotted(node.func)
        default = node.args[1] if len(node.args) > 1 else None
        for kw in node.keywords:
            if kw.arg == "default":
                default = kw.value
        method = node.func.attr if isinstance(node.func, ast.Attribute) else ""
        if method in ("get", "setdefault") and _dotted(node.func.value) in environ:  # type: ignore[attr-defined]
            return f"os.environ.{method}", node.args[0], default, False
        if func in getenv:
            return "os.getenv", node.args[0], default, False
    return None


def _collect_settings(src: BackendSource, tree: ast.Module) -> None:
    def assignments(body: list[ast.stmt], owner: str) -> Iterator[Setting]:
        for stmt in body:
            if isinstance(stmt, ast.If | ast.Try):
                nested = [*stmt.body, *stmt.orelse]
                if isinstance(stmt, ast.Try):
                    nested += [*stmt.finalbody, *(s for h in stmt.handlers for s in h.body)]
                yield from assignments(nested, owner)
                continue
            targets: list[ast.expr] = []
            if isinstance(stmt, ast.Assign):
                targets, value = stmt.targets, stmt.value
            elif isinstance(stmt, ast.AnnAssign) and stmt.value is not None:
                targets, value = [stmt.target], stmt.value
            for t in targets:
                if isinstance(t, ast.Name):
                    yield Setting(t.id, stmt.lineno, owner, value, src.segment(value))

    src.module = {s.name: s for s in assignments(tree.body, "")}
    defs = [n for n in tree.body if isinstance(n, ast.ClassDef)]
    bases = {c.name: tuple(_dotted(b) for b in c.bases) for c in defs}
    src.own = {c.name: {s.name: s for s in assignments(c.body, c.name)} for c in defs}

    def lineage(name: str, seen: tuple[str, ...]) -> list[str]:
        out = [name]
        for b in bases.get(name, ()):
            if b in bases and b not in seen:
                out += [x for x in lineage(b, (*seen, name)) if x not in out]
        return out

    for c in defs:
        order = lineage(c.name, ())
        merged: dict[str, Setting] = {}
        for cls in reversed(order):
            merged.update(src.own[cls])
        src.classes[c.name] = ConfigClass(c.name, c.lineno, bases[c.name], tuple(order), merged)


def _pick_production(src: BackendSource) -> None:
    names = list(src.classes)
    prod = [n for n in names if "prod" in n.lower()]
    if "ProductionConfig" in src.classes:
        src.production, src.production_how = src.classes["ProductionConfig"], "by name"
    elif prod:
        src.production, src.production_how = src.classes[prod[0]], "its name contains 'Prod'"
    elif len(names) == 1:
        src.production = src.classes[names[0]]
        src.production_how = "the only class in config.py"
    elif "Config" in src.classes:
        src.production = src.classes["Config"]
        src.production_how = "no class is named like ProductionConfig; read the base Config"
    elif not names and any(n.isupper() for n in src.module):
        src.production = ConfigClass("config.py (module level)", 1, (), (), dict(src.module))
        src.production_how = "config.py has no classes; read its module-level settings"


def read_requirements(path: Path) -> dict[str, tuple[int, str]]:
    """Normalized package name -> (line, version specifier) from a requirements file."""
    out: dict[str, tuple[int, str]] = {}
    try:
        text = path.read_bytes()[:MAX_SOURCE_BYTES].decode("utf-8", errors="replace")
    except OSError:
        return out
    for n, raw in enumerate(text.splitlines(), 1):
        line = raw.split(" #", 1)[0].split(";", 1)[0].strip()
        m = re.match(r"^([A-Za-z0-9][A-Za-z0-9._-]*)\s*(\[[^\]]*\])?\s*(.*)$", line)
        if m and not line.startswith(("-", "#")):
            out[re.sub(r"[-_.]+", "-", m.group(1)).lower()] = (n, re.sub(r"\s+", "", m.group(3)))
    return out


def allows_only_below(spec: str, major: int) -> bool:
    """True when a version specifier keeps the package below `major` (e.g. `==2.5.1`, `<3`)."""
    for clause in spec.split(","):
        m = re.match(r"^\s*(===|==|~=|<=|<)\s*v?(\d+)(?:\.(\d+))?", clause)
        if not m:
            continue
        op, first, second = m.group(1), int(m.group(2)), int(m.group(3) or 0)
        if op in ("==", "===", "<=", "~=") and first < major:
            return True
        if op == "<" and (first < major or (first == major and second == 0)):
            return True
    return False


# -- the Procfile and platform deploy settings -------------------------------------------


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
        if (d / "Procfile").exists():
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
            except (OSError, ValueError, UnicodeDecodeError):
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
    except OSError:
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


# -- request handlers and cleanup logic across the backend's modules ---------------------

_ROUTE_ATTRS = {"route", "get", "post", "put", "patch", "delete"}
_HOOK_ATTRS = {
    "before_request",
    "after_request",
    "teardown_request",
    "before_app_request",
    "after_app_request",
    "teardown_app_request",
    "teardown_appcontext",
}
_DELETES = {"unlink", "rmtree", "rmdir", "removedirs"}
_VERBS = {"get", "post", "put", "patch", "delete"}


@dataclass(frozen=True)
class Place:
    file: str
    line: int
    text: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line} {self.text}"


@dataclass
class HandlerScan:
    """Where cleanup logic runs: inside request handlers, or somewhere better."""

    in_handlers: list[Place] = field(default_factory=list)
    cli_commands: list[Place] = field(default_factory=list)
    cleanup_functions: list[Place] = field(default_factory=list)
    files: int = 0
    unparsable: list[str] = field(default_factory=list)
    capped: bool = False


def _python_files(root: Path) -> Iterator[Path]:
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith(".") and d not in _SKIP_DIRS)
        for f in sorted(filenames):
            if f.endswith(".py"):
                yield Path(dirpath) / f


def _is_delete(node: ast.AST) -> bool:
    if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Attribute | ast.Name):
        return False
    name = node.func.attr if isinstance(node.func, ast.Attribute) else node.func.id
    # `remove` only as os.remove: list.remove and set.remove delete nothing on disk.
    return name in _DELETES or _dotted(node.func) == "os.remove"


def _deletes(node: ast.AST) -> bool:
    return any(_is_delete(n) for n in ast.walk(node))


def _loop_deletes(node: ast.AST) -> bool:
    return any(isinstance(n, ast.For | ast.While) and _deletes(n) for n in ast.walk(node))


def _is_handler(fn: ast.FunctionDef | ast.AsyncFunctionDef, cls: ast.ClassDef | None) -> str | None:
    for d in fn.decorator_list:
        target = d.func if isinstance(d, ast.Call) else d
        if isinstance(target, ast.Attribute):
            if target.attr in _ROUTE_ATTRS and isinstance(d, ast.Call):
                return f"@{_dotted(target) or target.attr}"
            if target.attr in _HOOK_ATTRS:
                return f"@{_dotted(target) or target.attr}"
    views = cls is not None and any(_dotted(b).endswith(("View", "Resource")) for b in cls.bases)
    if views and fn.name in _VERBS:
        return f"{cls.name}.{fn.name}"
    return None


def _called_names(fn: ast.AST) -> set[str]:
    """Names a function calls, or passes on (e.g. `Thread(target=cleanup)`)."""
    return {
        _dotted(n).rsplit(".", 1)[-1]
        for c in ast.walk(fn)
        if isinstance(c, ast.Call)
        for n in (c.func, *c.args, *(k.value for k in c.keywords))
        if isinstance(n, ast.Name | ast.Attribute)
    }


def scan_handlers(backend_dir: Path, limit: int = MAX_SCAN_FILES) -> HandlerScan:
    """Find cleanup logic called inside request handlers, and where else cleanup lives."""
    scan = HandlerScan()
    trees: list[tuple[str, ast.Module]] = []
    for i, path in enumerate(_python_files(backend_dir)):
        if i >= limit:
            scan.capped = True
            break
        parsed = parse_python(path, limit=1_000_000)
        rel = str(path.relative_to(backend_dir))
        if isinstance(parsed, SourceProblem):
            scan.unparsable.append(rel)
            continue
        scan.files += 1
        trees.append((rel, parsed[0]))
    cleanup_re = re.compile(r"clean|purge|prune|sweep|expire", re.I)
    cleaners: set[str] = set()
    funcs: list[tuple[str, ast.FunctionDef | ast.AsyncFunctionDef, ast.ClassDef | None]] = []
    for rel, tree in trees:
        methods: dict[int, ast.ClassDef] = {}
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef):
                methods.update({id(item): node for item in node.body})
            elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                funcs.append((rel, node, methods.get(id(node))))
    called = {id(fn): _called_names(fn) for _, fn, _ in funcs}
    growing = True
    while growing:  # a cleanup-named function that calls cleanup logic is cleanup logic too
        growing = False
        for rel, fn, cls in funcs:
            named = bool(cleanup_re.search(fn.name))
            direct = (named and _deletes(fn)) or _loop_deletes(fn)
            if fn.name not in cleaners and (direct or (named and called[id(fn)] & cleaners)):
                cleaners.add(fn.name)
                growing = True
                if not _is_handler(fn, cls):
                    scan.cleanup_functions.append(Place(rel, fn.lineno, f"{fn.name}()"))
    for rel, fn, cls in funcs:
        handler = _is_handler(fn, cls)
        calls = (called[id(fn)] & cleaners) - {fn.name}
        if handler and (calls or _loop_deletes(fn)):
            what = f"calls {', '.join(sorted(calls))}()" if calls else "deletes files in a loop"
            label = f"{handler} {fn.name}()" if handler.startswith("@") else f"{handler}()"
            scan.in_handlers.append(Place(rel, fn.lineno, f"{label} {what}"))
        elif not handler and (calls or fn.name in cleaners):
            for d in fn.decorator_list:
                target = d.func if isinstance(d, ast.Call) else d
                if isinstance(target, ast.Attribute) and target.attr == "command":
                    name = fn.name.replace("_", "-")
                    given = (
                        [*d.args, *(k.value for k in d.keywords if k.arg == "name")]
                        if isinstance(d, ast.Call)
                        else []
                    )
                    if given and isinstance(given[0], ast.Constant):
                        name = str(given[0].value)
                    scan.cli_commands.append(Place(rel, fn.lineno, f"flask {name}"))
    return scan


# -- the temp/upload directory on this machine --------------------------------------------


@dataclass(frozen=True)
class DirStats:
    path: Path
    exists: bool
    is_dir: bool = False
    files: int = 0
    bytes: int = 0
    oldest_age_s: float | None = None
    stale: int = 0  # files older than the age limit
    capped: bool = False
    error: str | None = None


def measure_dir(path: Path, stale_after_s: float, cap: int = MAX_WALK_ENTRIES) -> DirStats:
    """Size, file count and oldest file age of a directory, visiting at most `cap` entries."""
    try:
        if not path.exists():
            return DirStats(path, exists=False)
        if not path.is_dir():
            return DirStats(path, exists=True, is_dir=False)
    except OSError as exc:
        return DirStats(path, exists=True, error=f"{exc.filename}: {exc.strerror}")
    now = time.time()
    files = total = stale = visited = 0
    oldest: float | None = None
    error: str | None = None
    stack = [path]
    while stack:
        try:
            with os.scandir(stack.pop()) as it:
                for entry in it:
                    visited += 1
                    if visited > cap:
                        return DirStats(path, True, True, files, total, oldest, stale, True, error)
                    if entry.is_dir(follow_symlinks=False):
                        stack.append(Path(entry.path))
                    elif entry.is_file(follow_symlinks=False):
                        st = entry.stat(follow_symlinks=False)
                        age = max(0.0, now - st.st_mtime)
                        files, total = files + 1, total + st.st_size
                        oldest = age if oldest is None else max(oldest, age)
                        stale += age > stale_after_s
        except OSError as exc:
            error = f"{exc.filename}: {exc.strerror}"  # an unreadable subfolder is skipped
    return DirStats(path, True, True, files, total, oldest, stale, False, error)
