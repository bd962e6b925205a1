"""The on-disk backup format: file names, the backup directory's listing, and manifests.

Format 1. Everything lives flat in the backup directory (`--backup-dir`, default the
platformdirs user data dir's `backups/`). `<stamp>` is the UTC start time as
`YYYYmmddTHHMMSSZ`; `<db>` and `<cloud>` are the names with every character outside
`[A-Za-z0-9._-]` replaced by `-`. Timestamps inside manifests are UTC `YYYY-mm-ddTHH:MM:SSZ`.

Database dumps (checklist 2.2)
    backup_<db>_<stamp>.sql[.zst|.gz][.age]                  mysqldump's output (zstd: one or
                                                             more frames; gzip: one or more
                                                             members), then age-encrypted
                                                             when it ends in .age
    backup_<db>_<stamp>.manifest.json                        a JSON object:
      kind "database", format 1, file (the dump's file name), bytes (its size on disk),
      sha256 (hex, of the file as stored, compressed or not), database, host (the host name
      only: no user, password or port), tables (count), rows ({table: rows}, optional; when
      present one entry per table), tool ("mysqldump" | "mariadb-dump"),
      flavor ("mariadb" | "mysql"), tool_version, started_at, finished_at, complete (true).
      Optional members (written by `launchtui backup db`): compression ("zstd" | "gzip" |
      "none"), encrypted_to ([age recipients], public keys only; [] when not encrypted),
      footer (the footer line, checked while the dump streamed: the only footer proof an
      encrypted dump has without its identity), server_version, flags (the dump's flags,
      no secrets, no option file), row_estimates and data_bytes ({table: N} from
      information_schema), sql_bytes (the uncompressed dump's size), duration_ms, tls
      ({ca, ca_source}), verify_restore (the restore proof: ok, at, target, compared,
      tables, differs, ...; null until one ran), offsite (written by the offsite copy).
    A dump is complete only if its last line is mysqldump's footer
    `-- Dump completed on YYYY-MM-DD hh:mm:ss` (`-- Dump completed` with --skip-dump-date;
    MariaDB pads a one-digit hour with a space: `2026-12-02  2:45:16`).

Media inventories (checklist 2.3)
    media_<cloud>_<stamp>.jsonl          one JSON object per line and resource: public_id,
                                         resource_type, type (these three required), format,
                                         bytes, secure_url, created_at, version
    media_<cloud>_<stamp>.manifest.json  kind "media", format 1, file, bytes, sha256,
      cloud_name, resources (the number of lines), by_type ({"image/upload": N, ...} summing
      to resources), complete, next_cursor, started_at, finished_at.
    `complete: false` with a string `next_cursor` is a listing that stopped early (a rate
    limit) and can be resumed from that cursor; `complete: true` has `next_cursor: null`.
    Optional members: bytes_by_type ({"image/upload": bytes, ...}, the same keys as by_type),
    pages (Admin API pages read), and download ({dir, files, bytes, complete, failed,
    finished_at}) when the originals were fetched.
    media_<cloud>_<stamp>/               with --download, the originals as
                                         <resource_type>/<type>/<public_id>[.<format>]
    .media_<cloud>_<stamp>.state.json    `launchtui backup media` while it lists (and after it
      stopped at a rate limit): kind "media-state", format 1, file (the final name), cloud_name,
      started_at, committed (bytes of the `.partial` inventory its listings account for),
      resources, listings ({"image/upload": {next_cursor, done, pages}, ...}), complete false.
      Written atomically after every page; `backup media --resume` continues from it.

Writing
    A file being written is named `.<final name>.partial` (leading dot: never mistaken for
    a backup). The writer fsyncs it, verifies it, renames it to its final name, and only
    then writes the manifest (`write_manifest`, itself via a `.partial`). So a dump without
    a manifest is one whose writer died, and a `.partial` older than an hour is an
    interrupted backup. Files are mode 0600: a dump holds the whole database.

Verification, which reads a backup end to end, is in backup_verify.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from launchtui.core.files import PARTIAL_SUFFIX, write_atomic

FORMAT = 1
MANIFEST_SUFFIX = ".manifest.json"
STALE_PARTIAL_SECONDS = 3600.0
_MAX_MANIFEST = 16 << 20

_STAMP = r"(?P<stamp>\d{8}T\d{6}Z)"
DB_NAME = re.compile(rf"^backup_(?P<label>.+)_{_STAMP}(?P<ext>\.sql(?:\.gz|\.zst)?(?:\.age)?)$")
COMPRESSIONS = ("zstd", "gzip", "none")
COMPRESSION_SUFFIX = {"zstd": ".zst", "gzip": ".gz", "none": ""}
AGE_SUFFIX = ".age"
MEDIA_NAME = re.compile(rf"^media_(?P<label>.+)_{_STAMP}(?P<ext>\.jsonl)$")
MEDIA_STATE_SUFFIX = ".state.json"
MEDIA_STATE = re.compile(rf"^\.media_(?P<label>.+)_{_STAMP}{re.escape(MEDIA_STATE_SUFFIX)}$")
_PARTIAL = re.compile(rf"^\.(?P<name>(?P<kind>backup|media)_.+){re.escape(PARTIAL_SUFFIX)}$")
_HEX64 = re.compile(r"^[0-9a-f]{64}$")
FLAVORS = ("mariadb", "mysql")
KINDS = ("database", "media")


# -- names -----------------------------------------------------------------


def utc_stamp(when: dt.datetime | None = None) -> str:
    """The file-name stamp of a moment, `YYYYmmddTHHMMSSZ` in UTC."""
    return _utc(when).strftime("%Y%m%dT%H%M%SZ")


def utc_iso(when: dt.datetime | None = None) -> str:
    """A manifest timestamp, `YYYY-mm-ddTHH:MM:SSZ` in UTC."""
    return _utc(when).strftime("%Y-%m-%dT%H:%M:%SZ")


def _utc(when: dt.datetime | None) -> dt.datetime:
    when = when or dt.datetime.now(dt.UTC)
    if when.tzinfo is None:
        raise ValueError("a backup time must be timezone-aware")
    return when.astimezone(dt.UTC)


def stamp_time(stamp: str) -> dt.datetime:
    """The moment a file-name stamp names, in UTC."""
    return dt.datetime.strptime(stamp, "%Y%m%dT%H%M%SZ").replace(tzinfo=dt.UTC)


def parse_utc(text: object) -> dt.datetime | None:
    """A manifest timestamp as an aware datetime, or None if it is not one."""
    if not isinstance(text, str):
        return None
    try:
        value = dt.datetime.fromisoformat(text)
        return value.astimezone(dt.UTC) if value.tzinfo is not None else None
    except (ValueError, OverflowError):  # OverflowError: year 1 or 9999 shifted out of range
        return None


def safe_label(name: str) -> str:
    """A database or cloud name as it appears inside a file name."""
    return re.sub(r"[^A-Za-z0-9._-]", "-", name) or "unnamed"


def backup_name(
    db: str,
    when: dt.datetime | None = None,
    *,
    compressed: bool = False,
    compression: str | None = None,
    encrypted: bool = False,
) -> str:
    """The final file name of a database dump started at `when` (`compressed`: gzip)."""
    suffix = COMPRESSION_SUFFIX[compression or ("gzip" if compressed else "none")]
    age = AGE_SUFFIX if encrypted else ""
    return f"backup_{safe_label(db)}_{utc_stamp(when)}.sql{suffix}{age}"


def db_compression(name: str) -> str:
    """How a dump file is compressed, from its name: "zstd", "gzip" or "none"."""
    inner = name.removesuffix(AGE_SUFFIX)
    return "zstd" if inner.endswith(".zst") else "gzip" if inner.endswith(".gz") else "none"


def media_name(cloud: str, when: dt.datetime | None = None) -> str:
    """The final file name of a Cloudinary inventory started at `when`."""
    return f"media_{safe_label(cloud)}_{utc_stamp(when)}.jsonl"


def _stem(name: str) -> str:
    for ext in (".sql.gz.age", ".sql.zst.age", ".sql.age", ".sql.gz", ".sql.zst", ".sql", ".jsonl"):
        if name.endswith(ext):
            return name[: -len(ext)]
    return name


def manifest_path(path: Path) -> Path:
    """The manifest beside a backup file: same stem, `.manifest.json`."""
    return path.with_name(_stem(path.name) + MANIFEST_SUFFIX)


def media_state_path(path: Path) -> Path:
    """The resumable state of an inventory being listed, beside its final name (hidden)."""
    return path.with_name(f".{_stem(path.name)}{MEDIA_STATE_SUFFIX}")


def media_download_dir(path: Path) -> Path:
    """The folder beside an inventory that `--download` fills with the originals."""
    return path.with_name(_stem(path.name))


def media_states(directory: Path, cloud: str | None = None) -> list[Path]:
    """Interrupted inventories' state files (of one cloud), newest first; [] if none."""
    found: list[tuple[str, Path]] = []
    try:
        with os.scandir(directory) as entries:
            for entry in entries:
                m = MEDIA_STATE.match(entry.name)
                if m and (cloud is None or m["label"] == safe_label(cloud)):
                    found.append((m["stamp"], Path(entry.path)))
    except (FileNotFoundError, NotADirectoryError):
        return []
    return [p for _, p in sorted(found, reverse=True)]


# -- listing ---------------------------------------------------------------


@dataclass(frozen=True)
class BackupFile:
    """A file whose name says it is a backup (not yet verified)."""

    path: Path
    kind: str
    label: str
    started: dt.datetime
    mtime: float
    size: int


@dataclass(frozen=True)
class PartialFile:
    """A `.partial` file: a backup being written, or one that was interrupted."""

    path: Path
    kind: str
    mtime: float
    size: int

    def age(self, now: float | None = None) -> float:
        return (time.time() if now is None else now) - self.mtime


@dataclass(frozen=True)
class BackupListing:
    """The backups in a directory, newest first."""

    directory: Path
    databases: tuple[BackupFile, ...]
    media: tuple[BackupFile, ...]
    partials: tuple[PartialFile, ...]

    def stale_partials(
        self, kind: str, now: float | None = None, older_than: float = STALE_PARTIAL_SECONDS
    ) -> list[PartialFile]:
        """Partial files of one kind untouched for longer than `older_than` seconds."""
        return [p for p in self.partials if p.kind == kind and p.age(now) > older_than]


def list_backups(directory: Path) -> BackupListing:
    """Every backup and partial file in `directory` (raises OSError if it cannot be read)."""
    dbs: list[BackupFile] = []
    media: list[BackupFile] = []
    partials: list[PartialFile] = []
    with os.scandir(directory) as entries:
        for entry in entries:
            try:
                if not entry.is_file():
                    continue
                st = entry.stat()
            except OSError:
                continue  # vanished or unreadable between listing and stat
            if m := _PARTIAL.match(entry.name):
                kind = "database" if m["kind"] == "backup" else "media"
                partials.append(PartialFile(Path(entry.path), kind, st.st_mtime, st.st_size))
                continue
            for kind, pattern, out in (("database", DB_NAME, dbs), ("media", MEDIA_NAME, media)):
                if m := pattern.match(entry.name):
                    try:
                        when = stamp_time(m["stamp"])
                    except ValueError:  # like 99999999T999999Z: not a time, not a backup
                        continue
                    path = Path(entry.path)
                    out.append(BackupFile(path, kind, m["label"], when, st.st_mtime, st.st_size))
    return BackupListing(
        Path(directory),
        tuple(sorted(dbs, key=_newest, reverse=True)),
        tuple(sorted(media, key=_newest, reverse=True)),
        tuple(sorted(partials, key=lambda p: p.mtime, reverse=True)),
    )


def _newest(b: BackupFile) -> tuple[dt.datetime, float]:
    return (b.started, b.mtime)


def newest_db_backup(directory: Path) -> Path | None:
    """The newest database dump in `directory`, or None (also when it does not exist)."""
    try:
        found = list_backups(directory).databases
    except FileNotFoundError:
        return None
    return found[0].path if found else None


def newest_media_inventory(directory: Path) -> Path | None:
    """The newest Cloudinary inventory in `directory`, or None."""
    try:
        found = list_backups(directory).media
    except FileNotFoundError:
        return None
    return found[0].path if found else None


# -- manifests -------------------------------------------------------------

_S, _I = (str,), (int,)
# fmt: off
_COMMON = {"kind": _S, "format": _I, "file": _S, "bytes": _I, "sha256": _S,
           "complete": (bool,), "started_at": _S, "finished_at": _S}
_FIELDS: dict[str, dict[str, tuple[type, ...]]] = {
    "database": {**_COMMON, "database": _S, "host": _S, "tables": _I, "tool": _S,
                 "flavor": _S, "tool_version": _S},
    "media": {**_COMMON, "cloud_name": _S, "resources": _I, "by_type": (dict,),
              "next_cursor": (str, type(None))},
}
# fmt: on


def _typed(value: object, types: tuple[type, ...]) -> bool:
    # bool is an int subclass: `"bytes": true` must not pass as a size.
    if isinstance(value, bool) and bool not in types:
        return False
    return isinstance(value, types)


def _counts_ok(value: object) -> bool:
    return isinstance(value, dict) and all(
        isinstance(k, str) and _typed(v, (int,)) and v >= 0 for k, v in value.items()
    )


def validate_manifest(data: object, kind: str) -> list[str]:
    """What is wrong with a manifest's shape (empty when it follows format 1)."""
    if not isinstance(data, dict):
        return ["its manifest is not a JSON object"]
    if data.get("kind") != kind:
        return [f"its manifest is of kind {data.get('kind')!r}, not {kind!r}"]
    if _typed(data.get("format"), (int,)) and data["format"] > FORMAT:
        return [f"its manifest is format {data['format']}, newer than this launchtui reads"]
    problems = []
    for name, types in _FIELDS[kind].items():
        if name not in data:
            problems.append(f"its manifest lacks `{name}`")
        elif not _typed(data[name], types):
            problems.append(f"its manifest's `{name}` has the wrong type")
    if problems:
        return problems
    if data["format"] != FORMAT:
        problems.append(f"its manifest's `format` is {data['format']}, not {FORMAT}")
    if not _HEX64.match(data["sha256"]):
        problems.append("its manifest's `sha256` is not 64 lowercase hex digits")
    if data["bytes"] < 0:
        problems.append("its manifest's `bytes` is negative")
    started, finished = parse_utc(data["started_at"]), parse_utc(data["finished_at"])
    if started is None or finished is None:
        problems.append("its manifest's `started_at`/`finished_at` are not UTC timestamps")
    elif finished < started:
        problems.append("its manifest says it finished before it started")
    if kind == "database":
        problems += _validate_db_fields(data)
    else:
        problems += _validate_media_fields(data)
    return problems


def _validate_db_fields(data: dict[str, Any]) -> list[str]:
    problems = []
    if data["flavor"] not in FLAVORS:
        problems.append(f"its manifest's `flavor` is {data['flavor']!r}, not mariadb or mysql")
    if re.search(r"[@/\s]", data["host"]):
        problems.append("its manifest's `host` is not a bare host name")
    if data["tables"] < 0:
        problems.append("its manifest's `tables` is negative")
    if "rows" in data:
        if not _counts_ok(data["rows"]):
            problems.append("its manifest's `rows` is not a map of table names to counts")
        elif len(data["rows"]) != data["tables"]:
            problems.append(
                f"its manifest counts rows for {len(data['rows'])} tables "
                f"but says there are {data['tables']}"
            )
    if data.get("compression", "none") not in COMPRESSIONS:
        problems.append(f"its manifest's `compression` is {data['compression']!r}")
    elif data.get("compression", db_compression(data["file"])) != db_compression(data["file"]):
        problems.append("its manifest's `compression` does not match the file's name")
    recipients = data.get("encrypted_to", [])
    if not isinstance(recipients, list) or not all(isinstance(r, str) for r in recipients):
        problems.append("its manifest's `encrypted_to` is not a list of recipients")
    elif data["file"].endswith(AGE_SUFFIX) and not recipients:
        problems.append("its file is encrypted (.age) but its manifest names no recipients")
    if not isinstance(data.get("verify_restore") or {}, dict):
        problems.append("its manifest's `verify_restore` is not an object")
    return problems


def _validate_media_fields(data: dict[str, Any]) -> list[str]:
    problems = []
    if data["resources"] < 0:
        problems.append("its manifest's `resources` is negative")
    if not _counts_ok(data["by_type"]):
        problems.append("its manifest's `by_type` is not a map like {'image/upload': N}")
    elif sum(data["by_type"].values()) != data["resources"]:
        problems.append("its manifest's `by_type` counts do not add up to `resources`")
    if data["complete"] and data["next_cursor"] is not None:
        problems.append("its manifest says complete but still has a `next_cursor`")
    if not data["complete"] and not data["next_cursor"]:
        problems.append("its manifest says incomplete with no `next_cursor` to resume from")
    if "bytes_by_type" in data and not (
        _counts_ok(data["bytes_by_type"]) and set(data["bytes_by_type"]) <= set(data["by_type"])
    ):
        problems.append("its manifest's `bytes_by_type` is not a map like `by_type`'s of sizes")
    return problems


def read_manifest(path: Path) -> tuple[dict[str, Any] | None, str | None]:
    """The manifest of a backup file, or None and what is wrong with it."""
    mpath = manifest_path(path)
    try:
        with open(mpath, "rb") as f:
            # Check the size first: read(n) would allocate n bytes up front.
            if os.fstat(f.fileno()).st_size > _MAX_MANIFEST:
                return None, f"its manifest {mpath.name} is implausibly large"
            raw = f.read()
    except FileNotFoundError:
        return None, f"its manifest {mpath.name} is missing"
    except OSError as exc:
        return None, f"its manifest {mpath.name} cannot be read ({exc.strerror or exc})"
    try:
        data = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        return None, f"its manifest {mpath.name} is not UTF-8 text"
    except json.JSONDecodeError as exc:
        return None, f"its manifest {mpath.name} is not valid JSON ({exc.msg}, line {exc.lineno})"
    except (ValueError, RecursionError):  # a number over 4300 digits; nesting too deep
        return None, f"its manifest {mpath.name} is not valid JSON (a number or nesting too large)"
    return data, None


def write_manifest(path: Path, data: dict[str, Any]) -> None:
    """Write a manifest atomically (temp file, fsync, rename), mode 0600; refuse a bad one."""
    kind = data.get("kind")
    problems = validate_manifest(data, kind) if kind in KINDS else ["`kind` is not known"]
    if not problems and manifest_path(path.with_name(data["file"])) != path:
        problems = [f"{path.name} is not the manifest name for {data['file']}"]
    if problems:
        raise ValueError("refusing to write a bad manifest: " + "; ".join(problems))
    write_atomic(path, json.dumps(data, indent=2) + "\n")
