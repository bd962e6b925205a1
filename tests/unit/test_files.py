"""Atomic writes: a final name only ever holds a whole file, readable by its owner only."""

from __future__ import annotations

import stat
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from launchtui.core.files import partial_path, write_atomic


def test_write_atomic_writes_the_whole_text_with_mode_0600(tmp_path: Path) -> None:
    target = tmp_path / "report.md"
    write_atomic(target, "# sign-off\n")
    assert target.read_text() == "# sign-off\n"
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert not partial_path(target).exists()


def test_write_atomic_without_overwrite_leaves_an_existing_file_alone(tmp_path: Path) -> None:
    target = tmp_path / "report.md"
    target.write_text("first")
    with pytest.raises(FileExistsError):
        write_atomic(target, "second", overwrite=False)
    assert target.read_text() == "first"
    assert not partial_path(target).exists()


def test_a_write_that_runs_out_of_space_leaves_no_file_under_any_name(tmp_path: Path) -> None:
    # A file-size limit makes the write fail part-way, as a full disk does.
    script = textwrap.dedent(
        f"""
        import resource, signal
        from pathlib import Path
        from launchtui.core.files import write_atomic
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (4096, 4096))
        try:
            write_atomic(Path({str(tmp_path / "big.md")!r}), "x" * 100_000)
        except OSError as exc:
            print("failed:", exc.errno)
        """
    )
    p = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=30)
    assert p.stdout.startswith("failed:"), p.stdout + p.stderr
    assert list(tmp_path.iterdir()) == []
