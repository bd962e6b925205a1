"""The progress line both faces show: sizes people read, a rate and an ETA."""

from __future__ import annotations

from launchtui.core.actions import Progress, human_bytes, progress_text


def test_bytes_read_as_sizes_with_rate_and_eta() -> None:
    p = Progress(50_000_000, 250_000_000, "bytes", "table 3/12 users")
    text = progress_text(p, 2.0)
    assert text == "50.0 MB of 250.0 MB (20%) · 25.0 MB/s · ETA 0:08 · table 3/12 users"


def test_counts_without_a_total_show_only_what_is_known() -> None:
    assert progress_text(Progress(3, None, "files"), 0.1) == "3 files"
    assert progress_text(Progress(0, 10, "files"), 5.0) == "0 files of 10 files (0%)"


def test_human_bytes_scales() -> None:
    assert [human_bytes(n) for n in (812, 41_200_000, 1_300_000_000)] == [
        "812 B",
        "41.2 MB",
        "1.3 GB",
    ]
