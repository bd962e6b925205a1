"""Executable `mysqldump` stand-ins that print the exact lines real clients print."""

from __future__ import annotations

from pathlib import Path

MYSQL8_LINE = "mysqldump  Ver 8.0.36 for Linux on x86_64 (MySQL Community Server - GPL)"
MARIADB10_LINE = "mysqldump  Ver 10.19 Distrib 10.11.19-MariaDB, for debian-linux-gnu (x86_64)"
MARIADB11_LINE = "mariadb-dump from 11.8.3-MariaDB, client 10.19 for debian-linux-gnu (x86_64)"
USAGE = "Usage: mysqldump [OPTIONS] database [tables]"

# MySQL's client takes every flag; with no database named it prints its usage, exit 1.
MYSQL8 = f"""\
for a in "$@"; do [ "$a" = --version ] && {{ echo "{MYSQL8_LINE}"; exit 0; }}; done
echo "{USAGE}"; exit 1
"""
# MariaDB's rejects MySQL-only flags with "unknown variable", exit 7.
MARIADB11 = f"""\
for a in "$@"; do
  case "$a" in
    --ssl-mode=*|--column-statistics=*|--set-gtid-purged=*)
      echo "mysqldump: unknown variable '${{a#--}}'" >&2; exit 7;;
  esac
done
for a in "$@"; do [ "$a" = --version ] && {{ echo "{MARIADB11_LINE}"; exit 0; }}; done
echo "{USAGE}"; exit 1
"""
# A wrapper whose child holds stdout open: the timeout must kill the whole group.
HANGS = "/bin/sleep 30\necho never\n"
BROKEN = (
    "echo 'mysqldump: error while loading shared libraries: libmariadb.so.3: "
    "cannot open shared object file: No such file or directory' >&2\nexit 127\n"
)
ODD_VERSION = "echo 'dumpster 2 (a fork)'\nexit 0\n"


def install(
    directory: Path, body: str, name: str = "mysqldump", record: Path | None = None
) -> Path:
    """Write an executable stand-in; with `record`, it appends its argv and env there first."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / name
    log = ""
    if record is not None:
        log = f'echo "ARGV: $*" >> {record}\n/usr/bin/env >> {record}\n'
    path.write_text("#!/bin/sh\n" + log + body)
    path.chmod(0o755)
    return path
