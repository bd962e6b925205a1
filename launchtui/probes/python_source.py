"""Python files read without running them: parsed with `ast`, or a problem naming the line."""

from __future__ import annotations

import ast
import tokenize
from dataclasses import dataclass
from pathlib import Path

MAX_SOURCE_BYTES = 2_000_000


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


def dotted_name(node: ast.AST) -> str:
    """`os.path.join` for the expression `os.path.join`, "" when not a plain dotted name."""
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
        return ".".join(reversed(parts))
    return ""
