"""Reading the Flask backend's config.py (and requirements.txt) with `ast`, never importing it."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from launchtui.probes.config_values import ConfigValues
from launchtui.probes.python_source import (
    MAX_SOURCE_BYTES,
    SourceProblem,
    dotted_name,
    parse_python,
)


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


@dataclass
class BackendSource(ConfigValues):
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
        if isinstance(node.targets[0], ast.Name) and dotted_name(node.value) in environ:
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
        and dotted_name(node.value) in environ
    ):
        return "os.environ[...]", node.slice, None, True
    if isinstance(node, ast.Call) and node.args:
        func = dotted_name(node.func)
        default = node.args[1] if len(node.args) > 1 else None
        for kw in node.keywords:
            if kw.arg == "default":
                default = kw.value
        method = node.func.attr if isinstance(node.func, ast.Attribute) else ""
        if method in ("get", "setdefault") and dotted_name(node.func.value) in environ:  # type: ignore[attr-defined]
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
    bases = {c.name: tuple(dotted_name(b) for b in c.bases) for c in defs}
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
        try:
            op, first, second = m.group(1), int(m.group(2)), int(m.group(3) or 0)
        except ValueError:  # over 4300 digits: no version below any real major
            continue
        if op in ("==", "===", "<=", "~=") and first < major:
            return True
        if op == "<" and (first < major or (first == major and second == 0)):
            return True
    return False
