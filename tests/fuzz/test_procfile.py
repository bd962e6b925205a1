"""Procfiles, shell commands and Railway/Render deploy settings beside the backend."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from launchtui.probes.procfile import Procfile, platform_commands, read_procfile, shell_steps
from launchtui.probes.python_source import SourceProblem
from tests.fuzz.strategies import ANY_TEXT, FUZZ, FUZZ_IO, NASTY, mixed, mixed_bytes

WORDS = st.sampled_from(
    [
        "web:",
        "release:",
        "gunicorn",
        "flask",
        "db",
        "upgrade",
        "migrate",
        "--app",
        "app:app",
        "sh",
        "-c",
        "bash",
        "./start.sh",
        "start.sh",
        "python",
        "-m",
        "manage.py",
        "exec",
        "A=1",
        "&&",
        "||",
        ";",
        "|",
        "&",
        ">",
        "2>&1",
        "(",
        ")",
        "'",
        '"',
        "\\",
        "#",
        "\n",
        "poetry",
        "run",
        "alembic",
        "./a\x00.sh",
        "../../etc/passwd.sh",
        "~/x.sh",
    ]
)
COMMANDS = st.lists(WORDS | ANY_TEXT | NASTY, max_size=10).map(" ".join)
SCRIPT = "#!/bin/sh -e\nset -e\nflask db upgrade\nexec sh ./start.sh\n"


@FUZZ_IO
@given(COMMANDS)
def test_any_shell_command_splits_into_steps(command: str) -> None:
    with tempfile.TemporaryDirectory() as d:
        # A start script that runs itself: the depth limit must hold.
        (Path(d) / "start.sh").write_text(SCRIPT)
        for base in (None, Path(d)):
            for step in shell_steps(command, base):
                assert step.kind in ("upgrade", "migrate", "server", "other")


@FUZZ_IO
@given(mixed_bytes(b"web: release:gunicorn flask db upgrade&&|;#\r\n\t", 120))
def test_any_procfile_bytes_read_into_processes(data: bytes) -> None:
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "Procfile"
        path.write_bytes(data)
        proc = read_procfile(path)
        assert isinstance(proc, Procfile)
        for p in proc.processes:
            assert p.name and p.line >= 1
            shell_steps(p.command, Path(d))


@FUZZ
@given(
    st.lists(
        st.tuples(st.from_regex(r"[a-z_-]{1,8}", fullmatch=True), mixed("abc -&|", 20)), max_size=5
    )
)
def test_procfile_lines_round_trip(processes: list[tuple[str, str]]) -> None:
    text = "".join(f"{name}: {cmd}\r\n" for name, cmd in processes)
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "Procfile"
        path.write_text(text, "utf-8", errors="surrogatepass")
        proc = read_procfile(path)
    assert not isinstance(proc, SourceProblem)
    for name, _cmd in processes:
        assert proc.get(name) is not None


RAILWAY_TOML = mixed("[deploy]startCommand=\"'[]{} \n", 60) | NASTY.map(
    lambda s: f"[deploy]\nstartCommand = {s}\n"
)
RAILWAY_JSON = mixed('{"deploy":[]startCommand,} ', 60) | NASTY
RENDER_YAML = mixed("services:\n  startCommand: preDeployCommand: '\"", 60)


@FUZZ_IO
@given(RAILWAY_TOML, RAILWAY_JSON, RENDER_YAML, mixed_bytes(b'{}[]"', 40))
def test_any_platform_settings_files_give_commands(
    toml: str, js: str, yaml: str, junk: bytes
) -> None:
    with tempfile.TemporaryDirectory() as d:
        backend = Path(d) / "backend"
        backend.mkdir()
        for where, name, text in (
            (backend, "railway.toml", toml),
            (backend, "railway.json", js),
            (backend, "render.yaml", yaml),
        ):
            (where / name).write_text(text, "utf-8", errors="surrogatepass")
        for name in ("railway.toml", "railway.json", "render.yaml"):
            (Path(d) / name).write_bytes(junk)
        for file, setting, command in platform_commands(backend):
            assert file and setting and command
