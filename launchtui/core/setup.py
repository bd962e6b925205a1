"""First-run setup, without a screen: what the box offers, each field judged, the profile written.

The TUI's setup screen is one face of this module; everything it decides lives here so
tests can hold it to the same rules without a terminal.
"""

from __future__ import annotations

import json
import os
import re
import stat
import time
import tomllib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from launchtui.core.config import (
    CONFIG_FILE,
    PATH_KEYS,
    STARTER_TOML,
    Settings,
    default_backup_dir,
)

Level = Literal["ok", "warn", "bad", "empty"]

# The backend variables the checklist reads first; a file without them is likely the wrong one.
BACKEND_KEYS = ("DATABASE_URL", "SECRET_KEY", "JWT_SECRET_KEY", "CLOUDINARY_URL", "CORS_ORIGINS")
FRONTEND_KEYS = ("VITE_API_URL", "VITE_CLOUDINARY_CLOUD_NAME")
# Folders never worth walking for a project's files.
_SKIP_DIRS = frozenset(
    {".git", ".hg", "node_modules", ".venv", "venv", "env", "__pycache__", "dist", "build"}
    | {".cache", ".tox", ".nox", ".mypy_cache", ".pytest_cache", ".ruff_cache", "site-packages"}
)
_TEMPLATE_WORDS = ("example", "sample", "template", "dist")
_WALK_DEPTH = 3
_WALK_LIMIT = 4000  # directory entries, so a home dir full of files answers at once
URL_TIMEOUT = 5.0


@dataclass(frozen=True)
class Field:
    """One input of the setup: the profile key it fills and the words around it."""

    key: str
    label: str
    placeholder: str
    kind: Literal["env", "frontend_env", "dir", "url", "backup", "offsite", "endpoint", "ca"]


FIELDS: tuple[Field, ...] = (
    Field("env_file", "Backend env file", ".env.production (DATABASE_URL, SECRET_KEY, ...)", "env"),
    Field("frontend_env_file", "Frontend env file", "frontend/.env.production", "frontend_env"),
    Field("backend_dir", "Backend dir", "backend (holds config.py)", "dir"),
    Field("frontend_url", "Frontend URL", "https://your-app.vercel.app", "url"),
    Field("backend_url", "Backend URL", "https://your-api.up.railway.app", "url"),
    Field("backup_dir", "Backup dir", "empty: the user data dir's backups/", "backup"),
    Field("offsite", "Offsite copies", "s3://bucket/prefix (empty: none)", "offsite"),
    Field(
        "offsite_endpoint",
        "S3 endpoint",
        "empty: AWS itself (R2, B2, MinIO: their URL)",
        "endpoint",
    ),
    Field("ca_file", "CA bundle", "empty: the system's (private CAs only)", "ca"),
)
FIELD_KEYS = tuple(f.key for f in FIELDS)
# The fields judged over the network, once their form is right.
NETWORK_KEYS = frozenset(f.key for f in FIELDS if f.kind in ("url", "endpoint"))


@dataclass(frozen=True)
class Judgement:
    """A field's value judged: how good, one sentence why, and what it offers other fields."""

    level: Level
    reason: str
    # Values this field found for others, e.g. the frontend env file's VITE_API_URL.
    offers: Mapping[str, str] = field(default_factory=dict)

    @property
    def glyph(self) -> str:
        return {"ok": "✔", "warn": "▲", "bad": "✘", "empty": "·"}[self.level]


# -- what the box offers -------------------------------------------------------


@dataclass(frozen=True)
class Found:
    """Values found under the current dir, each with where it came from."""

    values: Mapping[str, str]
    why: Mapping[str, str]
    others: Mapping[str, tuple[str, ...]] = field(default_factory=dict)


def discover(cwd: Path) -> Found:
    """`.env*` files, a backend with config.py, and the URLs those files name, under `cwd`."""
    env_files: list[tuple[Path, dict[str, str]]] = []
    backends: list[Path] = []
    for path, is_dir in _walk(cwd):
        if is_dir:
            if _looks_like_backend(path):
                backends.append(path)
        elif path.name.startswith(".env") and not _is_template(path.name):
            variables = _quiet_dotenv(path)
            if variables is not None:
                env_files.append((path, variables))
    if _looks_like_backend(cwd):
        backends.insert(0, cwd)
    values: dict[str, str] = {}
    why: dict[str, str] = {}
    others: dict[str, tuple[str, ...]] = {}

    def rel(p: Path) -> str:
        return shown_path(p, cwd)

    backend_envs = sorted(
        (p for p, v in env_files if any(k in v for k in BACKEND_KEYS)), key=_env_rank
    )
    frontend_envs = sorted(
        (p for p, v in env_files if any(k.startswith("VITE_") for k in v)), key=_env_rank
    )
    by_path = dict(env_files)
    if backend_envs:
        values["env_file"] = rel(backend_envs[0])
        why["env_file"] = "found"
        others["env_file"] = tuple(rel(p) for p in backend_envs[1:4])
        origin = _first_https_origin(by_path[backend_envs[0]].get("CORS_ORIGINS", ""))
        if origin:
            values["frontend_url"] = origin
            why["frontend_url"] = f"from CORS_ORIGINS in {rel(backend_envs[0])}"
    if frontend_envs:
        values["frontend_env_file"] = rel(frontend_envs[0])
        why["frontend_env_file"] = "found"
        others["frontend_env_file"] = tuple(rel(p) for p in frontend_envs[1:4])
        api = _site(by_path[frontend_envs[0]].get("VITE_API_URL", ""))
        if api:
            values["backend_url"] = api
            why["backend_url"] = f"from VITE_API_URL in {rel(frontend_envs[0])}"
    ranked = sorted(dict.fromkeys(backends), key=lambda p: _backend_rank(p, cwd))
    if ranked:
        values["backend_dir"] = rel(ranked[0])
        why["backend_dir"] = "found"
        others["backend_dir"] = tuple(rel(p) for p in ranked[1:4])
    return Found(values, why, others)


def shown_path(path: Path, cwd: Path) -> str:
    """A path as a field shows it: relative when it lies under the current dir."""
    if path.is_relative_to(cwd):
        return str(path.relative_to(cwd)) if path != cwd else "."
    return str(path)


def _walk(root: Path) -> Iterator[tuple[Path, bool]]:
    """(path, is_dir) under `root`, breadth first, shallow, bounded, never following links."""
    seen = 0
    level = [root]
    for _depth in range(_WALK_DEPTH):
        below: list[Path] = []
        for folder in level:
            try:
                with os.scandir(folder) as it:
                    entries = sorted(it, key=lambda e: e.name)
            except OSError:
                continue
            for entry in entries:
                seen += 1
                if seen > _WALK_LIMIT:
                    return
                try:
                    is_dir = entry.is_dir(follow_symlinks=False)
                    is_file = entry.is_file(follow_symlinks=False)
                except OSError:
                    continue
                path = Path(entry.path)
                if is_dir and entry.name not in _SKIP_DIRS:
                    below.append(path)
                    yield path, True
                elif is_file:
                    yield path, False
        level = below


_BACKEND_NAMES = ("backend", "api", "server")
_BACKEND_MARKS = ("migrations", "Procfile", "app.py", "wsgi.py")


def _looks_like_backend(path: Path) -> bool:
    """A Flask backend's folder: config.py, and its name or a Flask app's files beside it
    (a package that merely has a config module is not one)."""
    try:
        if not (path / "config.py").is_file():
            return False
        return path.name in _BACKEND_NAMES or any((path / m).exists() for m in _BACKEND_MARKS)
    except OSError:
        return False


def _is_template(name: str) -> bool:
    return any(word in name.lower() for word in _TEMPLATE_WORDS)


def _env_rank(path: Path) -> tuple[int, int, str]:
    name = path.name.lower()
    prod = 0 if "prod" in name else 1 if name == ".env" else 2
    return (prod, len(path.parts), str(path))


def _backend_rank(path: Path, cwd: Path) -> tuple[int, int, str]:
    named = 0 if path == cwd or path.name in _BACKEND_NAMES else 1
    return (named, len(path.parts), str(path))


def _first_https_origin(origins: str) -> str | None:
    for part in origins.split(","):
        site = _site(part.strip())
        if site and site.startswith("https://"):
            return site
    return None


def _site(text: str) -> str | None:
    """The URL without user:password, if it is an http(s) URL at all."""
    from launchtui.probes.http import parse_site_url

    if not text:
        return None
    try:
        site = parse_site_url(text)
    except ValueError:
        return None
    path = "" if site.path == "/" else site.path.rstrip("/")
    return site.origin + path


def _quiet_dotenv(path: Path) -> dict[str, str] | None:
    """The variables of a small dotenv file, or None when it cannot be one."""
    parsed = parse_env_file(path)
    return None if isinstance(parsed, str) else parsed.variables


# -- judging each field ----------------------------------------------------------


@dataclass(frozen=True)
class EnvFile:
    variables: dict[str, str]
    bad_lines: tuple[int, ...]
    mode: int


_MAX_ENV_BYTES = 1 << 20


def parse_env_file(path: Path) -> EnvFile | str:
    """A dotenv file read with python-dotenv's own parser, or why it cannot be read."""
    from dotenv.parser import parse_stream

    try:
        st = path.stat()
        if stat.S_ISDIR(st.st_mode):
            return "is a directory, not a file"
        if not stat.S_ISREG(st.st_mode):
            return "is not a regular file"
        if st.st_size > _MAX_ENV_BYTES:
            return f"is {st.st_size // 1024} KiB, too big to be a dotenv file"
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return "does not exist"
    except PermissionError:
        return "cannot be read (permission denied)"
    except UnicodeDecodeError:
        return "is not UTF-8 text"
    except OSError as exc:
        return f"cannot be read ({exc.strerror or exc})"
    import io

    variables: dict[str, str] = {}
    bad: list[int] = []
    for binding in parse_stream(io.StringIO(text)):
        if binding.error:
            bad.append(binding.original.line)
        elif binding.key is not None and binding.value is not None:
            variables[binding.key] = binding.value
    return EnvFile(variables, tuple(bad), stat.S_IMODE(st.st_mode))


def resolve(text: str, cwd: Path) -> Path:
    """A typed path: `~` expanded, relative to the current dir."""
    path = Path(text.strip()).expanduser()
    # `..` folded away, as a person reads it (symlinks are left as they are).
    return Path(os.path.normpath(path if path.is_absolute() else cwd / path))


def judge_env_file(text: str, cwd: Path, *, frontend: bool = False) -> Judgement:
    """The file exists, parses as dotenv, and holds the variables its side needs."""
    if not text.strip():
        if frontend:
            return Judgement(
                "empty", "optional: without it the VITE_* variables come from this shell"
            )
        return Judgement("empty", "optional: without it the checks read this shell's variables")
    parsed = parse_env_file(resolve(text, cwd))
    if isinstance(parsed, str):
        return Judgement("bad", f"it {parsed}")
    if parsed.bad_lines:
        lines = ", ".join(str(n) for n in parsed.bad_lines[:3])
        return Judgement("bad", f"not dotenv: line {lines} does not parse as NAME=value")
    names = parsed.variables
    if not names:
        return Judgement("bad", "it sets no variables")
    offers: dict[str, str] = {}
    if frontend:
        api = _site(names.get("VITE_API_URL", ""))
        if api:
            offers["backend_url"] = api
        missing = [k for k in FRONTEND_KEYS if k not in names]
        if not any(k.startswith("VITE_") for k in names):
            return Judgement("warn", "it sets no VITE_* variable: is it the backend's file?")
        if missing:
            return Judgement("warn", f"{len(names)} variables, but no {missing[0]}", offers)
        return Judgement("ok", f"{len(names)} variables, VITE_API_URL among them", offers)
    origin = _first_https_origin(names.get("CORS_ORIGINS", ""))
    if origin:
        offers["frontend_url"] = origin
    missing = [k for k in BACKEND_KEYS if k not in names]
    if "DATABASE_URL" in missing:  # the likeliest sign of the wrong file
        return Judgement("warn", f"{len(names)} variables, but no DATABASE_URL", offers)
    if parsed.mode & 0o077:
        return Judgement(
            "warn", f"readable by other users (mode {parsed.mode:o}): chmod 600 it", offers
        )
    if missing:
        more = f" and {len(missing) - 1} more" if len(missing) > 1 else ""
        return Judgement("warn", f"{len(names)} variables; {missing[0]}{more} not set", offers)
    return Judgement("ok", f"{len(names)} variables, all five the checklist names", offers)


def judge_backend_dir(text: str, cwd: Path) -> Judgement:
    if not text.strip():
        return Judgement("empty", "optional: without it config.py and migrations go unchecked")
    path = resolve(text, cwd)
    try:
        if not path.is_dir():
            return Judgement("bad", "no such directory" if not path.exists() else "not a directory")
        if not (path / "config.py").is_file():
            return Judgement("bad", "it holds no config.py: point at the Flask backend")
        has = [n for n in ("Procfile", "migrations") if (path / n).exists()]
    except OSError as exc:
        return Judgement("bad", f"cannot be read ({exc.strerror or exc})")
    if not has:
        return Judgement("warn", "config.py, but no Procfile or migrations/")
    return Judgement("ok", "config.py, " + " and ".join(has) + (" found" if has else ""))


def judge_url_form(text: str) -> Judgement | None:
    """The URL's form alone: a verdict, or None when it is fit to ask over the network."""
    from launchtui.probes.http import parse_site_url

    if not text.strip():
        return Judgement("empty", "optional: without it this site's live checks are skipped")
    try:
        site = parse_site_url(text)
    except ValueError as exc:
        return Judgement("bad", f"not a URL: {exc}")
    if site.scheme != "https":
        return Judgement("bad", "it must be https:// (the site must be served over TLS)")
    return None


def judge_offsite(text: str) -> Judgement:
    from launchtui.actions.offsite import parse_offsite_url
    from launchtui.core.actions import ActionError

    if not text.strip():
        return Judgement("empty", "no offsite copies: losing this box loses the backups")
    try:
        loc = parse_offsite_url(text, source="it")
    except ActionError as exc:
        why = str(exc).split(": ", 1)[-1].split(". Give it as", 1)[0]
        return Judgement("bad", why)
    prefix = f", under {loc.prefix}" if loc.prefix else ""
    return Judgement("ok", f"bucket {loc.bucket}{prefix}; keys from the AWS_* variables")


def judge_endpoint_form(text: str) -> Judgement | None:
    from launchtui.actions.offsite import parse_endpoint
    from launchtui.core.actions import ActionError

    if not text.strip():
        return Judgement("empty", "AWS S3 itself")
    try:
        parse_endpoint(text)
    except ActionError as exc:
        return Judgement("bad", str(exc).split(" is ", 1)[-1].split(" holds ", 1)[-1])
    return None


async def judge_url(text: str, ca_file: Path | None = None, *, endpoint: bool = False) -> Judgement:
    """The URL has the right form and answers; every step has a timeout.

    A site must be https; an S3 endpoint may be http (MinIO on a private network).
    """
    import asyncio

    form = judge_endpoint_form(text) if endpoint else judge_url_form(text)
    if form is not None:
        return form
    from launchtui.probes import http as probe

    site = probe.parse_site_url(text)
    try:
        async with asyncio.timeout(URL_TIMEOUT + probe.CONNECT_TIMEOUT):
            verify = await asyncio.to_thread(probe.load_tls, ca_file)
            started = time.perf_counter()
            async with probe.client(ca_file, verify=verify) as http:
                resp, _body, _cut = await probe.read_capped(http, "GET", site.url, cap=1024)
    except TimeoutError:
        return Judgement("warn", f"no answer within {URL_TIMEOUT + probe.CONNECT_TIMEOUT:g} s")
    except Exception as exc:  # every network failure becomes its sentence
        # Kept, not refused: a site that is down now is often why launchtui is open.
        return Judgement("warn", probe.describe_error(exc, "the site").args[0])
    ms = (time.perf_counter() - started) * 1000
    if resp.status_code >= 500:
        return Judgement("warn", f"answers, but with HTTP {resp.status_code}")
    return Judgement("ok", f"answers HTTP {resp.status_code} in {ms:.0f} ms")


def judge_backup_dir(text: str, cwd: Path) -> Judgement:
    if not text.strip():
        return Judgement("empty", f"default: {default_backup_dir()}")
    path = resolve(text, cwd)
    try:
        if path.exists():
            if not path.is_dir():
                return Judgement("bad", "it exists but is not a directory")
            if not os.access(path, os.W_OK | os.X_OK):
                return Judgement("bad", "you cannot write there")
            return Judgement("ok", "exists and is writable")
        parent = path.parent
        while not parent.exists() and parent != parent.parent:
            parent = parent.parent
        if not parent.is_dir() or not os.access(parent, os.W_OK | os.X_OK):
            return Judgement("bad", f"cannot be created: {parent} is not writable")
    except OSError as exc:
        return Judgement("bad", f"cannot be used ({exc.strerror or exc})")
    return Judgement("ok", "will be created by the first backup")


def judge_ca_file(text: str, cwd: Path) -> Judgement:
    import ssl

    if not text.strip():
        return Judgement("empty", "the system's CA bundle verifies the sites")
    path = resolve(text, cwd)
    if not path.is_file():
        return Judgement("bad", "no such file" if not path.exists() else "not a file")
    try:
        context = ssl.create_default_context(cafile=str(path))
    except (ssl.SSLError, ValueError):
        return Judgement("bad", "not a PEM CA bundle (-----BEGIN CERTIFICATE----- blocks)")
    except OSError as exc:
        return Judgement("bad", f"cannot be read ({exc.strerror or exc})")
    count = len(context.get_ca_certs())
    if not count:
        return Judgement("bad", "it holds no CA certificate")
    return Judgement("ok", f"{count} CA certificate{'s' if count != 1 else ''}")


def judge_local(key: str, text: str, cwd: Path) -> Judgement | None:
    """Every judgement that needs no network; None for a URL fit to be asked."""
    if "\x00" in text:
        return Judgement("bad", "it holds a NUL character")
    try:
        return _judge_local(key, text, cwd)
    except (OSError, ValueError) as exc:  # a name too long, a loop of links, ...
        why = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        return Judgement("bad", f"it cannot be used ({why})")


def _judge_local(key: str, text: str, cwd: Path) -> Judgement | None:
    kind = next(f.kind for f in FIELDS if f.key == key)
    if kind == "env":
        return judge_env_file(text, cwd)
    if kind == "frontend_env":
        return judge_env_file(text, cwd, frontend=True)
    if kind == "dir":
        return judge_backend_dir(text, cwd)
    if kind == "backup":
        return judge_backup_dir(text, cwd)
    if kind == "ca":
        return judge_ca_file(text, cwd)
    if kind == "offsite":
        return judge_offsite(text)
    if kind == "endpoint":
        return judge_endpoint_form(text)
    return judge_url_form(text)


# -- writing the profile --------------------------------------------------------------


class ProfileWriteError(Exception):
    """The profile could not be written; the message says why, the old file is untouched."""


def profile_path(cwd: Path) -> Path:
    return cwd / CONFIG_FILE


def profile_text(
    existing: str | None, profile: str, values: Mapping[str, str | None], base: Path
) -> str:
    """`existing` (or `launchtui init`'s starter) with the profile's keys set, comments kept.

    A key with a value replaces its line (or its commented-out example); a key set to None
    or "" is commented out. Paths are written relative to `base` (the file's folder) when
    they lie under it. The result is read back and must say exactly what was asked.
    """
    if existing is None:  # the starter's own paths are examples, not this box's
        values = {"env_file": None, "backend_dir": None, **values}
    text = existing if existing is not None else _starter(profile)
    lines = text.splitlines()
    start, end = _table(lines, profile)
    if start is None:
        if lines and lines[-1].strip():
            lines.append("")
        lines.append(f"[profiles.{_toml_key(profile)}]")
        start, end = len(lines) - 1, len(lines)
    for key, value in values.items():
        new = None if value in (None, "") else f"{key} = {_toml_str(_relative(key, value, base))}"
        active = _find(lines, start, end, rf"\s*{key}\s*=")
        example = _find(lines, start, end, rf"\s*#\s*{key}\s*=")
        if new is None:
            if active is not None:
                lines[active] = "# " + lines[active].lstrip()
            continue
        if active is not None:
            lines[active] = new
        elif example is not None:
            lines[example] = new
        else:
            last = max((i for i in range(start + 1, end) if lines[i].strip()), default=start)
            lines.insert(last + 1, new)
            end += 1
    out = "\n".join(lines) + "\n"
    _verify(out, profile, values, base)
    return out


def _starter(profile: str) -> str:
    """`launchtui init`'s file, its tables named for `profile`."""
    name = _toml_key(profile)
    return STARTER_TOML.replace("[profiles.production]", f"[profiles.{name}]").replace(
        "[profiles.production.links]", f"[profiles.{name}.links]"
    )


def _table(lines: list[str], profile: str) -> tuple[int | None, int]:
    """The [profiles.NAME] table's header line and the line its body ends before."""
    header = re.compile(
        rf"^\s*\[\s*profiles\s*\.\s*(?:{re.escape(profile)}|\"{re.escape(profile)}\")\s*\]\s*(#.*)?$"
    )
    start = next((i for i, line in enumerate(lines) if header.match(line)), None)
    if start is None:
        return None, len(lines)
    end = next(
        (i for i in range(start + 1, len(lines)) if lines[i].lstrip().startswith("[")),
        len(lines),
    )
    return start, end


def _find(lines: list[str], start: int, end: int, pattern: str) -> int | None:
    rx = re.compile(pattern)
    return next((i for i in range(start + 1, end) if rx.match(lines[i])), None)


def _toml_key(name: str) -> str:
    return name if re.fullmatch(r"[A-Za-z0-9_-]+", name) else _toml_str(name)


def _toml_str(value: str) -> str:
    # JSON's escapes (\" \\ \n \uXXXX) are all valid in a TOML basic string.
    return json.dumps(value, ensure_ascii=False)


def _relative(key: str, value: str, base: Path) -> str:
    if key not in PATH_KEYS:
        return value.strip()
    path = Path(value.strip()).expanduser()
    if not path.is_absolute():
        return str(path)
    try:
        return str(path.relative_to(base)) or "."
    except ValueError:
        return str(path)


def _verify(text: str, profile: str, values: Mapping[str, str | None], base: Path) -> None:
    from launchtui.core.config import ConfigError, _validate_profile

    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise ProfileWriteError("a value holds a character that is not text (UTF-8)") from None
    try:
        body = tomllib.loads(text).get("profiles", {}).get(profile)
        if not isinstance(body, dict):
            raise ProfileWriteError(f"the file would hold no [profiles.{profile}] table")
        _validate_profile(base / CONFIG_FILE, profile, body)
    except tomllib.TOMLDecodeError as exc:
        raise ProfileWriteError(f"the edited file would not be valid TOML ({exc})") from None
    except ConfigError as exc:
        raise ProfileWriteError(str(exc)) from None
    for key, value in values.items():
        got = body.get(key)
        if value in (None, ""):
            if got is not None:
                raise ProfileWriteError(f"could not clear `{key}`: edit the file by hand")
            continue
        want = _relative(key, value, base)
        if got != want:
            raise ProfileWriteError(f"could not set `{key}`: edit the file by hand")


def write_profile(
    path: Path, profile: str, values: Mapping[str, str | None]
) -> tuple[str, Settings]:
    """Write the profile into `path` (created from the starter, or edited in place); 0600.

    The new file is loaded as `launchtui --config` would before it takes the final name,
    so a value the checks would refuse never replaces a working file. Returns what was
    done, in words, and the settings it gives. Raises ProfileWriteError with the reason.
    """
    from launchtui.core.config import ConfigError, load_settings
    from launchtui.core.files import write_atomic

    try:
        existing = path.read_text(encoding="utf-8") if path.exists() else None
    except (OSError, UnicodeDecodeError) as exc:
        raise ProfileWriteError(f"cannot read {path}: {exc}") from None
    text = profile_text(existing, profile, values, path.parent.resolve())
    trial = path.with_name(f".{path.name}.new")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(trial, text)
        try:
            load_settings({"config": str(trial), "profile": profile}, cwd=path.parent)
        except ConfigError as exc:
            raise ProfileWriteError(str(exc).replace(str(trial), str(path))) from None
        os.replace(trial, path)
    except OSError as exc:
        raise ProfileWriteError(f"cannot write {path}: {exc.strerror or exc}") from None
    finally:
        trial.unlink(missing_ok=True)
    try:
        settings = load_settings({"config": str(path), "profile": profile}, cwd=path.parent)
    except ConfigError as exc:  # changed under us since the trial: say so, as a run would
        raise ProfileWriteError(str(exc)) from None
    verb = "Updated" if existing is not None else "Wrote"
    return f"{verb} [profiles.{profile}] in {path}", settings
