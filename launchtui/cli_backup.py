"""`launchtui backup db|media` and `launchtui restore db`: their flags, and the options they pass.

The options dict is the whole contract between these flags and the actions
(`launchtui.actions.db_backup`, `db_restore`, `media_backup`); the TUI builds the same
dict from the profile alone.
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from launchtui.actions import DEFAULT_COMPRESS, DEFAULT_MAX_WAIT_S
from launchtui.core.config import ConfigError, Settings

AddFlags = Callable[..., None]


def _positive_int(text: str) -> int:
    try:
        n = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"--keep takes a whole number, not {text!r}") from None
    if n < 1:
        raise argparse.ArgumentTypeError("--keep takes 1 or more (the newest backups kept)")
    return n


def _seconds(text: str) -> float:
    from launchtui.actions.cleanup import parse_duration

    try:
        return parse_duration(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc).replace("--older-than", "--max-wait")) from None


def _offsite_flags(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--offsite",
        metavar="URL",
        help="also copy it to s3://bucket/prefix (profile key offsite)",
    )
    p.add_argument(
        "--offsite-endpoint",
        metavar="URL",
        help="the S3-compatible endpoint for R2, B2, MinIO (profile key offsite_endpoint)",
    )
    p.add_argument(
        "--keep",
        metavar="N",
        type=_positive_int,
        help="afterwards keep only the newest N complete backups, local and offsite",
    )


def add_parsers(sub: Any, add_action_flags: AddFlags) -> None:
    """The `backup` and `restore` subcommands."""
    backup = sub.add_parser("backup", help="take a verified backup: `backup db` or `backup media`")
    kinds = backup.add_subparsers(dest="kind", metavar="KIND", parser_class=type(backup))
    kinds.required = True

    db = kinds.add_parser("db", help="dump the database with mysqldump/mariadb-dump (2.2)")
    db.add_argument(
        "--compress",
        choices=("zstd", "gzip", "none"),
        default=DEFAULT_COMPRESS,
        help="compression while streaming (default: zstd; gzip is several times slower)",
    )
    db.add_argument(
        "--verify-restore",
        action="store_true",
        help="restore the dump into a scratch database and compare every table with the source",
    )
    db.add_argument(
        "--restore-into",
        metavar="URL",
        help="with --verify-restore: restore into this database instead (no password in it)",
    )
    db.add_argument(
        "--encrypt-to",
        metavar="RECIPIENT",
        action="append",
        help="encrypt to this age recipient (age1... or an SSH public key); repeatable",
    )
    db.add_argument(
        "--identity", metavar="FILE", help="age identity file to decrypt for --verify-restore"
    )
    _offsite_flags(db)
    add_action_flags(db)

    media = kinds.add_parser(
        "media", help="inventory every Cloudinary resource of every type, every page (2.3)"
    )
    media.add_argument(
        "--download", action="store_true", help="also fetch the originals, checked by size"
    )
    media.add_argument(
        "--resume", action="store_true", help="continue the newest interrupted inventory"
    )
    media.add_argument(
        "--max-wait",
        metavar="AGE",
        type=_seconds,
        default=DEFAULT_MAX_WAIT_S,
        help="how long to wait out a rate limit before stopping resumably (default: 15m)",
    )
    _offsite_flags(media)
    add_action_flags(media)

    restore = sub.add_parser("restore", help="load a backup into a database: `restore db`")
    rkinds = restore.add_subparsers(dest="kind", metavar="KIND", parser_class=type(restore))
    rkinds.required = True
    rdb = rkinds.add_parser("db", help="restore a database backup into --into URL (2.2)")
    rdb.add_argument("backup", metavar="BACKUP", help="the backup file (.sql, .sql.zst, ...)")
    rdb.add_argument(
        "--into",
        metavar="URL",
        required=True,
        help="the target database, mysql+pymysql://USER@HOST:PORT/DB (no password in it)",
    )
    rdb.add_argument("--identity", metavar="FILE", help="age identity file for an encrypted one")
    rdb.add_argument(
        "--force", action="store_true", help="restore even if the target already has tables"
    )
    add_action_flags(rdb)


def _path(value: str | None) -> Path | None:
    return Path(value).expanduser() if value else None


def _identity(value: str | None) -> Path | None:
    path = _path(value)
    if path is not None and not path.is_file():
        raise ConfigError(f"--identity {path} does not exist (or is not a file).")
    return path


def target_password(settings: Settings, url_text: str | None) -> Any:
    """The target's password: LAUNCHTUI_TARGET_PASSWORD, else a no-echo prompt on a TTY.

    None when neither is there: the action then tries DATABASE_URL's password for the
    same user and host, and says so if it has none.
    """
    from launchtui.core.secrets import Secret

    if not url_text:
        return None
    value = os.environ.get("LAUNCHTUI_TARGET_PASSWORD")
    if value:
        return Secret(value)
    if _same_login_as_database_url(settings, url_text):
        return None
    if sys.stdin.isatty():
        try:
            typed = getpass.getpass("Password for the target database (not echoed): ")
        except (EOFError, KeyboardInterrupt):
            raise ConfigError("No password was given for the target database.") from None
        return Secret(typed) if typed else None
    return None


def _same_login_as_database_url(settings: Settings, url_text: str) -> bool:
    from launchtui.core.config import backend_env
    from launchtui.probes.dburl import DbUrlError, parse_database_url

    raw = backend_env(settings).get("DATABASE_URL")
    if not raw:
        return False
    try:
        source, target = parse_database_url(raw), parse_database_url(url_text)
    except DbUrlError:
        return False
    return (source.username, source.host) == (target.username, target.host)


def backup_options(args: argparse.Namespace, settings: Settings) -> dict[str, Any]:
    """What `backup db|media` asks of its action."""
    common = {
        "offsite": args.offsite,
        "offsite_endpoint": args.offsite_endpoint,
        "keep": args.keep,
    }
    if args.kind == "media":
        return {
            **common,
            "download": args.download,
            "resume": args.resume,
            "max_wait": args.max_wait,
        }
    return {
        **common,
        "compress": args.compress,
        "verify_restore": args.verify_restore or bool(args.restore_into),
        "restore_into": args.restore_into,
        "encrypt_to": list(args.encrypt_to or ()),
        "identity": _identity(args.identity),
        "target_password": target_password(settings, args.restore_into),
    }


def restore_options(args: argparse.Namespace, settings: Settings) -> dict[str, Any]:
    """What `restore db` asks of its action."""
    backup = Path(args.backup).expanduser()
    if not backup.is_file():
        raise ConfigError(f"{backup} does not exist (or is not a file).")
    return {
        "backup": backup,
        "into": args.into,
        "identity": _identity(args.identity),
        "force": args.force,
        "target_password": target_password(settings, args.into),
    }
