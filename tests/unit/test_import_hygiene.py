"""The core and the CLI's start stay free of Textual, Rich and the heavy client libraries."""

from __future__ import annotations

import json
import subprocess
import sys


def _modules_after(statement: str) -> set[str]:
    code = f"{statement}\nimport json, sys\nprint(json.dumps(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return set(json.loads(out.stdout))


def test_core_imports_without_textual_or_rich() -> None:
    loaded = _modules_after(
        "import launchtui.core.model, launchtui.core.registry, launchtui.core.runner, "
        "launchtui.core.config, launchtui.core.context, launchtui.core.secrets, "
        "launchtui.core.report"
    )
    assert "textual" not in loaded
    assert "rich" not in loaded


def test_registering_every_check_loads_no_heavy_client_library() -> None:
    loaded = _modules_after(
        "from launchtui.core.registry import default_registry; default_registry()"
    )
    heavy = {"textual", "rich", "sqlalchemy", "pymysql", "cloudinary", "httpx", "alembic"}
    assert not heavy & loaded, f"imported at registration time: {sorted(heavy & loaded)}"


def test_cli_help_loads_no_heavy_library() -> None:
    loaded = _modules_after(
        "import contextlib, io\n"
        "from launchtui.cli import build_parser\n"
        "with contextlib.suppress(SystemExit), contextlib.redirect_stdout(io.StringIO()):\n"
        "    build_parser().parse_args(['--help'])"
    )
    assert not {"textual", "sqlalchemy", "cloudinary", "httpx"} & loaded
