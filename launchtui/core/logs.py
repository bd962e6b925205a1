"""The log file: 0600 under the user log dir, every record scrubbed of secrets."""

from __future__ import annotations

import logging
import os
from typing import Any


def setup_logging(redactor: Any | None = None) -> None:
    """Log to a 0600 file under the user log dir, every record scrubbed of secrets."""
    from launchtui.core.config import user_log_dir
    from launchtui.core.secrets import RedactingFilter, Redactor

    root = logging.getLogger("launchtui")
    if any(getattr(h, "_launchtui", False) for h in root.handlers):
        return
    try:
        log_dir = user_log_dir()
        log_dir.mkdir(parents=True, exist_ok=True)
        path = log_dir / "launchtui.log"
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        os.fchmod(fd, 0o600)  # an older log file may have been created with another mode
        os.close(fd)
        handler: logging.Handler = logging.FileHandler(path, encoding="utf-8")
    except OSError:
        handler = logging.NullHandler()
    handler._launchtui = True  # type: ignore[attr-defined]
    handler.addFilter(RedactingFilter(redactor or Redactor()))
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root.addHandler(handler)
    root.setLevel(logging.INFO)
