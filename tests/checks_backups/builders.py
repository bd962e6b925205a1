"""Real backup files for the tests: dump text in mysqldump's own layout, gzip, manifests."""

from __future__ import annotations

import datetime as dt
import gzip
import hashlib
import json
import os
from pathlib import Path
from typing import Any

from launchtui.core.config import Settings
from launchtui.core.model import Result
from launchtui.probes.backup_files import (
    backup_name,
    manifest_path,
    media_name,
    utc_iso,
    write_manifest,
)
from tests import runner

# The head of a real `mariadb-dump 10.11.19` dump (its first line ends in a space).
DUMP_HEAD = (
    "/*M!999999\\- enable the sandbox mode */ \n"
    + """\
-- MariaDB dump 10.19  Distrib 10.11.19-MariaDB, for debian-linux-gnu (x86_64)
--
-- Host: 127.0.0.1    Database: {db}
-- ------------------------------------------------------
-- Server version\t10.11.19-MariaDB-0+deb12u1

/*!40101 SET @OLD_CHARACTER_SET_CLIENT=@@CHARACTER_SET_CLIENT */;
/*!40101 SET NAMES utf8mb4 */;
/*!40014 SET @OLD_FOREIGN_KEY_CHECKS=@@FOREIGN_KEY_CHECKS, FOREIGN_KEY_CHECKS=0 */;
"""
)
TABLE = """
--
-- Table structure for table `{t}`
--

DROP TABLE IF EXISTS `{t}`;
CREATE TABLE `{t}` (
  `id` int(11) NOT NULL,
  `v` varchar(40) DEFAULT NULL,
  PRIMARY KEY (`id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci;

--
-- Dumping data for table `{t}`
--

LOCK TABLES `{t}` WRITE;
/*!40000 ALTER TABLE `{t}` DISABLE KEYS */;
INSERT INTO `{t}` VALUES
{rows};
/*!40000 ALTER TABLE `{t}` ENABLE KEYS */;
UNLOCK TABLES;
"""
DUMP_END = """\
/*!40014 SET FOREIGN_KEY_CHECKS=@OLD_FOREIGN_KEY_CHECKS */;
/*!40101 SET CHARACTER_SET_CLIENT=@OLD_CHARACTER_SET_CLIENT */;

"""
FOOTER = "-- Dump completed on {when:%Y-%m-%d %H:%M:%S}\n"

NOW = dt.datetime.now(dt.UTC).replace(microsecond=0)


def now() -> dt.datetime:
    """The time of the call: ages are measured from it, not from when this module loaded."""
    return dt.datetime.now(dt.UTC).replace(microsecond=0)


def dump_text(db: str, tables: dict[str, int], *, when: dt.datetime, footer: bool = True) -> bytes:
    """A dump in mysqldump's layout; without the footer it is what a killed dump leaves."""
    parts = [DUMP_HEAD.format(db=db)]
    for t, n in tables.items():
        rows = ",\n".join(f"({i},'row {i} of {t}')" for i in range(1, n + 1))
        parts.append(TABLE.format(t=t, rows=rows))
    parts.append(DUMP_END)
    if footer:
        parts.append(FOOTER.format(when=when))
    return "".join(parts).encode()


def _age(path: Path, when: dt.datetime) -> None:
    ts = when.timestamp()
    os.utime(path, (ts, ts))


def make_db_backup(
    directory: Path,
    *,
    db: str = "appdb",
    age: dt.timedelta = dt.timedelta(hours=2),
    compressed: bool = False,
    footer: bool = True,
    tables: dict[str, int] | None = None,
    content: bytes | None = None,
) -> Path:
    """A dump plus its manifest, finished `age` ago; `content` replaces the stored bytes."""
    directory.mkdir(parents=True, exist_ok=True)
    tables = tables if tables is not None else {"users": 30, "posts": 120}
    started = now() - age
    finished = started + dt.timedelta(seconds=3)
    path = directory / backup_name(db, started, compressed=compressed)
    if content is None:
        text = dump_text(db, tables, when=finished, footer=footer)
        content = gzip.compress(text, mtime=0) if compressed else text
    path.write_bytes(content)
    write_manifest(
        manifest_path(path),
        {
            "kind": "database",
            "format": 1,
            "file": path.name,
            "bytes": len(content),
            "sha256": hashlib.sha256(content).hexdigest(),
            "database": db,
            "host": "gateway01.us-west-2.prod.aws.tidbcloud.com",
            "tables": len(tables),
            "rows": dict(tables),
            "tool": "mariadb-dump",
            "flavor": "mariadb",
            "tool_version": "10.11.19",
            "started_at": utc_iso(started),
            "finished_at": utc_iso(finished),
            "complete": True,
        },
    )
    _age(path, finished)
    return path


def resource(i: int, resource_type: str = "image", type_: str = "upload") -> dict[str, Any]:
    """One resource as Cloudinary's Admin API lists it."""
    fmt = {"image": "jpg", "video": "mp4", "raw": None}[resource_type]
    return {
        "public_id": f"posts/{resource_type}-{i}",
        "resource_type": resource_type,
        "type": type_,
        "format": fmt,
        "bytes": 1000 + i,
        "secure_url": f"https://res.cloudinary.com/demo/{resource_type}/{type_}/v1/posts/{i}",
        "created_at": "2026-01-02T03:04:05Z",
        "version": 1700000000 + i,
    }


def make_media_inventory(
    directory: Path,
    *,
    cloud: str = "demo",
    age: dt.timedelta = dt.timedelta(hours=5),
    resources: list[dict[str, Any]] | None = None,
    complete: bool = True,
    next_cursor: str | None = None,
    content: bytes | None = None,
) -> Path:
    """An inventory (JSONL) plus its manifest, finished `age` ago."""
    directory.mkdir(parents=True, exist_ok=True)
    if resources is None:
        resources = [resource(i) for i in range(40)] + [resource(i, "video") for i in range(3)]
        resources += [resource(1, "raw", "private")]
    started = now() - age
    finished = started + dt.timedelta(seconds=9)
    path = directory / media_name(cloud, started)
    by_type: dict[str, int] = {}
    for r in resources:
        key = f"{r['resource_type']}/{r['type']}"
        by_type[key] = by_type.get(key, 0) + 1
    if content is None:
        content = "".join(json.dumps(r) + "\n" for r in resources).encode()
    path.write_bytes(content)
    write_manifest(
        manifest_path(path),
        {
            "kind": "media",
            "format": 1,
            "file": path.name,
            "bytes": len(content),
            "sha256": hashlib.sha256(content).hexdigest(),
            "cloud_name": cloud,
            "resources": len(resources),
            "by_type": by_type,
            "complete": complete,
            "next_cursor": next_cursor,
            "started_at": utc_iso(started),
            "finished_at": utc_iso(finished),
        },
    )
    _age(path, finished)
    return path


def make_partial(directory: Path, name: str, *, age: dt.timedelta) -> Path:
    """A `.partial` file as an interrupted writer leaves it."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f".{name}.partial"
    path.write_bytes(DUMP_HEAD.format(db="appdb").encode())
    _age(path, now() - age)
    return path


async def run_check(
    check_id: str, *, backup_dir: Path | None = None, environ: dict[str, str] | None = None
) -> Result:
    """Run one check through the real runner and return its result."""
    env = environ if environ is not None else {"PATH": os.environ["PATH"]}
    return await runner.run_check(check_id, env, Settings(backup_dir=backup_dir))
