"""Where the backend's cleanup logic runs: inside request handlers, or in a CLI command."""

from __future__ import annotations

import ast
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from launchtui.probes.python_source import SourceProblem, dotted_name, parse_python

MAX_SCAN_FILES = 2_000
_SKIP_DIRS = {"node_modules", "__pycache__", "site-packages", "venv", "env", "migrations", "tests"}
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
    return name in _DELETES or dotted_name(node.func) == "os.remove"


def _deletes(node: ast.AST) -> bool:
    return any(_is_delete(n) for n in ast.walk(node))


def _loop_deletes(node: ast.AST) -> bool:
    return any(isinstance(n, ast.For | ast.While) and _deletes(n) for n in ast.walk(node))


def _is_handler(fn: ast.FunctionDef | ast.AsyncFunctionDef, cls: ast.ClassDef | None) -> str | None:
    for d in fn.decorator_list:
        target = d.func if isinstance(d, ast.Call) else d
        if isinstance(target, ast.Attribute):
            if target.attr in _ROUTE_ATTRS and isinstance(d, ast.Call):
                return f"@{dotted_name(target) or target.attr}"
            if target.attr in _HOOK_ATTRS:
                return f"@{dotted_name(target) or target.attr}"
    views = cls is not None and any(
        dotted_name(b).endswith(("View", "Resource")) for b in cls.bases
    )
    if views and fn.name in _VERBS:
        return f"{cls.name}.{fn.name}"
    return None


def _called_names(fn: ast.AST) -> set[str]:
    """Names a function calls, or passes on (e.g. `Thread(target=cleanup)`)."""
    return {
        dotted_name(n).rsplit(".", 1)[-1]
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
