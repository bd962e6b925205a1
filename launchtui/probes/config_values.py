"""The values of config.py's settings, as far as reading the source (never running it) can tell."""

from __future__ import annotations

import ast
import io
import operator
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from launchtui.probes.python_source import dotted_name

if TYPE_CHECKING:
    from launchtui.probes.backend_source import ConfigClass, Setting


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


class ConfigValues:
    """Evaluates config.py's expressions: literals, env reads, names, and a few pure built-ins."""

    # Filled in by the reading of config.py (see backend_source.BackendSource).
    config_path: Path
    text: str
    classes: dict[str, ConfigClass]
    module: dict[str, Setting]
    own: dict[str, dict[str, Setting]]
    _reads_by_node: dict[int, tuple[str, ast.expr | None, bool]]
    _lines: list[str]

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

    # -- the evaluator ----------------------------------------------------------------------

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
        if isinstance(node, ast.Call) and dotted_name(node.func) == "dict" and not node.args:
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
        if isinstance(node, ast.Call) and dotted_name(node.func) == "dict":
            return {kw.arg: ev(kw.value) for kw in node.keywords if kw.arg}
        raise _Unknown(f"{self.segment(node)} is computed at run time")

    def _call(self, node: ast.Call, ev: Callable[[ast.expr], Any]) -> Any:
        func = dotted_name(node.func)
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
