"""Configuration: CLI flags over a `launchtui.toml` profile, plus dotenv files."""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

APP_NAME = "launchtui"
CONFIG_FILE = "launchtui.toml"

# Keys a profile may hold, with the type each must have.
PATH_KEYS = ("env_file", "frontend_env_file", "backend_dir", "backup_dir", "ca_file", "tmp_dir")
STR_KEYS = (
    "frontend_url",
    "backend_url",
    "health_path",
    "migrate_command",
    "offsite",
    "offsite_endpoint",
)
LINK_KEYS = ("vercel", "railway", "render", "tidb_console", "cloudinary_console")
PROFILE_KEYS = frozenset((*PATH_KEYS, *STR_KEYS, "links", "silence", "encrypt_to", "keep"))


# Where each input comes from, in the words a skipped check uses to ask for it.
INPUT_SOURCES = {
    "env_file": "--env-file (profile key env_file)",
    "frontend_env_file": "--frontend-env-file (profile key frontend_env_file)",
    "backend_dir": "--backend-dir (profile key backend_dir)",
    "frontend_url": "--frontend-url (profile key frontend_url)",
    "backend_url": "--backend-url (profile key backend_url)",
    "backup_dir": "--backup-dir (profile key backup_dir)",
    "ca_file": "--ca-file (profile key ca_file)",
    "offsite": "the profile key offsite",
}


def input_sources(keys: tuple[str, ...]) -> str:
    """`--backend-dir (profile key backend_dir)`, joined with "or" for several."""
    return " or ".join(INPUT_SOURCES.get(k, f"the profile key {k}") for k in keys)


# Longer than any path Linux can open (PATH_MAX is 4096 bytes).
_PATH_MAX = 4096


class ConfigError(Exception):
    """Bad usage or configuration: the CLI prints the message and exits 2."""


@dataclass(frozen=True)
class Settings:
    """Everything a run needs to know, after profile and flags are merged."""

    profile: str | None = None
    config_path: Path | None = None
    env_file: Path | None = None
    frontend_env_file: Path | None = None
    backend_dir: Path | None = None
    frontend_url: str | None = None
    backend_url: str | None = None
    health_path: str = "/health"
    backup_dir: Path | None = None
    ca_file: Path | None = None
    tmp_dir: Path | None = None  # the temp/upload dir `cleanup` works in (else config.py's)
    migrate_command: str | None = None  # what `migrate` runs instead of `flask db upgrade`
    offsite: str | None = None  # s3://bucket/prefix for offsite backup copies
    offsite_endpoint: str | None = None  # an S3-compatible endpoint (R2, B2, MinIO)
    encrypt_to: tuple[str, ...] = ()  # age recipients (public keys only)
    keep: int | None = None  # how many complete backups of each kind to keep
    links: Mapping[str, str] = field(default_factory=dict)
    silence: frozenset[str] = frozenset()


def user_config_dir() -> Path:
    import platformdirs

    return Path(platformdirs.user_config_dir(APP_NAME, appauthor=False))


def user_data_dir() -> Path:
    import platformdirs

    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


def user_log_dir() -> Path:
    import platformdirs

    return Path(platformdirs.user_log_dir(APP_NAME, appauthor=False))


def default_backup_dir() -> Path:
    return user_data_dir() / "backups"


def find_config(cwd: Path | None = None) -> Path | None:
    """The `launchtui.toml` in the current directory, else in the user config dir."""
    for candidate in ((cwd or Path.cwd()) / CONFIG_FILE, user_config_dir() / CONFIG_FILE):
        if candidate.is_file():
            return candidate
    return None


def default_backend_dir(cwd: Path | None = None) -> Path | None:
    """The current directory if it holds `config.py`, else its `backend/` if that does."""
    here = cwd or Path.cwd()
    if (here / "config.py").is_file():
        return here
    if (here / "backend" / "config.py").is_file():
        return here / "backend"
    return None


def read_profiles(path: Path) -> dict[str, dict[str, Any]]:
    """The `[profiles.*]` tables of a config file, validated."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"Config file {path} does not exist.") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"Cannot read config file {path}: {exc}.") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path} is not valid TOML: {exc}.") from None
    except ValueError:
        # tomllib's int() refuses numbers of more than 4300 digits with a bare ValueError.
        raise ConfigError(
            f"{path} is not valid TOML: it holds a number too long to read."
        ) from None
    except RecursionError:
        raise ConfigError(
            f"{path} is not valid TOML: its arrays or tables nest too deeply."
        ) from None
    profiles = data.get("profiles", {})
    if not isinstance(profiles, dict):
        raise ConfigError(f"{path}: `profiles` must be a table like [profiles.production].")
    for name, body in profiles.items():
        if not isinstance(body, dict):
            raise ConfigError(f"{path}: [profiles.{name}] must be a table.")
        _validate_profile(path, name, body)
    return profiles


def _validate_profile(path: Path, name: str, body: dict[str, Any]) -> None:
    where = f"{path}: [profiles.{name}]"
    unknown = sorted(set(body) - PROFILE_KEYS)
    if unknown:
        known = ", ".join(sorted(PROFILE_KEYS))
        raise ConfigError(f"{where} has unknown key(s) {', '.join(unknown)}; known keys: {known}.")
    for key in (*PATH_KEYS, *STR_KEYS):
        if key in body and not isinstance(body[key], str):
            raise ConfigError(f"{where}: `{key}` must be a string.")
    links = body.get("links", {})
    if not isinstance(links, dict) or not all(isinstance(v, str) for v in links.values()):
        raise ConfigError(f"{where}.links must be a table of strings.")
    odd_links = sorted(set(links) - set(LINK_KEYS))
    if odd_links:
        raise ConfigError(
            f"{where}.links has unknown key(s) {', '.join(odd_links)}; "
            f"known keys: {', '.join(LINK_KEYS)}."
        )
    encrypt_to = body.get("encrypt_to", [])
    if isinstance(encrypt_to, str):
        encrypt_to = [encrypt_to]
    if not isinstance(encrypt_to, list) or not all(isinstance(r, str) for r in encrypt_to):
        raise ConfigError(
            f'{where}: `encrypt_to` must be a list of age recipients, like ["age1..."].'
        )
    keep = body.get("keep")
    if keep is not None and (isinstance(keep, bool) or not isinstance(keep, int) or keep < 1):
        raise ConfigError(f"{where}: `keep` must be a whole number of backups, 1 or more.")
    silence = body.get("silence", [])
    if not isinstance(silence, list) or not all(isinstance(s, str) for s in silence):
        raise ConfigError(
            f'{where}: `silence` must be a list of check ids, like ["security.headers"].'
        )


def load_settings(
    flags: Mapping[str, Any],
    *,
    cwd: Path | None = None,
    known_ids: frozenset[str] | None = None,
) -> Settings:
    """Merge a profile from `launchtui.toml` with CLI flags (flags win).

    `flags` holds the CLI's input options; None means "not given".
    """
    cwd = cwd or Path.cwd()
    config_path: Path | None = None
    if flags.get("config"):
        config_path = Path(flags["config"]).expanduser()
        if not config_path.is_file():
            raise ConfigError(f"Config file {config_path} does not exist.")
    else:
        config_path = find_config(cwd)

    profile_name: str | None = flags.get("profile")
    profile: dict[str, Any] = {}
    if config_path is not None:
        profiles = read_profiles(config_path)
        if profile_name is None and len(profiles) == 1:
            profile_name = next(iter(profiles))
        elif profile_name is None and "production" in profiles:
            profile_name = "production"
        if profile_name is not None:
            if profile_name not in profiles:
                names = ", ".join(sorted(profiles)) or "none"
                raise ConfigError(
                    f"No profile [{profile_name}] in {config_path} (profiles there: {names})."
                )
            profile = profiles[profile_name]
    elif profile_name is not None:
        raise ConfigError(
            f"--profile {profile_name} was given but no {CONFIG_FILE} was found in {cwd} "
            f"or {user_config_dir()}; run `launchtui init` to write one."
        )

    base = config_path.parent if config_path else cwd
    values: dict[str, Any] = {}
    for key in PATH_KEYS:
        given = flags.get(key) or profile.get(key)
        if given and "\x00" in str(given):
            raise ConfigError(f"`{key}` holds a NUL character, which no path can.")
        if given and len(str(given)) > _PATH_MAX:
            raise ConfigError(f"`{key}` is {len(str(given)):,} characters long, too long a path.")
        if flags.get(key):
            values[key] = Path(flags[key]).expanduser()
        elif profile.get(key):
            try:
                values[key] = (base / Path(profile[key]).expanduser()).resolve()
            except (OSError, RuntimeError) as exc:  # a name too long, a loop of symlinks
                raise ConfigError(f"`{key}` {profile[key][:80]!r} cannot be used: {exc}.") from None
    for key in STR_KEYS:
        if flags.get(key):
            values[key] = str(flags[key])
        elif profile.get(key):
            values[key] = str(profile[key])

    try:
        for key in ("env_file", "frontend_env_file", "ca_file"):
            p = values.get(key)
            if p is not None and not Path(p).is_file():
                flag = "--" + key.replace("_", "-")
                raise ConfigError(f"{flag} {p} does not exist (or is not a file).")
        if values.get("ca_file") is not None:
            _check_ca_file(Path(values["ca_file"]))
        if values.get("backend_dir") is not None and not Path(values["backend_dir"]).is_dir():
            raise ConfigError(f"--backend-dir {values['backend_dir']} is not a directory.")
    except OSError as exc:  # a component too long, a loop of links, no permission
        where = str(exc.filename or "")[:80]
        raise ConfigError(f"The path {where!r} cannot be used: {exc.strerror or exc}.") from None
    if "backend_dir" not in values:
        found = default_backend_dir(cwd)
        if found is not None:
            values["backend_dir"] = found
    values.setdefault("backup_dir", default_backup_dir())

    hp = values.get("health_path", "/health")
    values["health_path"] = hp if hp.startswith("/") else "/" + hp

    silence = frozenset(profile.get("silence", ()))
    if known_ids is not None:
        unknown = sorted(silence - known_ids)
        if unknown:
            raise ConfigError(
                f"{config_path}: `silence` names unknown check id(s): {', '.join(unknown)}."
            )

    recipients = profile.get("encrypt_to", [])
    return Settings(
        profile=profile_name,
        config_path=config_path,
        encrypt_to=tuple([recipients] if isinstance(recipients, str) else recipients),
        keep=profile.get("keep"),
        links=dict(profile.get("links", {})),
        silence=silence,
        **values,
    )


def _check_ca_file(path: Path) -> None:
    """Refuse a CA bundle OpenSSL cannot load, before every TLS probe fails on it."""
    import ssl

    try:
        ssl.create_default_context(cafile=str(path))
    except (ssl.SSLError, ValueError) as exc:
        why = getattr(exc, "reason", None) or str(exc)
        raise ConfigError(
            f"--ca-file {path} is not a PEM CA bundle ({why}); pass a file of "
            "-----BEGIN CERTIFICATE----- blocks, like /etc/ssl/certs/ca-certificates.crt."
        ) from None
    except OSError as exc:
        raise ConfigError(f"Cannot read --ca-file {path}: {exc.strerror or exc}.") from None


def read_dotenv(path: Path | None) -> dict[str, str]:
    """The variables of a dotenv file (python-dotenv's parser), unset ones dropped."""
    if path is None:
        return {}
    from dotenv import dotenv_values

    try:
        values = dotenv_values(path, encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"Cannot read env file {path}: {exc}.") from None
    return {k: v for k, v in values.items() if v is not None}


def backend_env(settings: Settings, environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """The backend's variables: the process environment, overridden by `--env-file`."""
    env = dict(os.environ if environ is None else environ)
    env.update(read_dotenv(settings.env_file))
    return env


def frontend_env(settings: Settings, environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """The frontend's `VITE_*` variables: process environment, then `--frontend-env-file`."""
    src = os.environ if environ is None else environ
    env = {k: v for k, v in src.items() if k.startswith("VITE_")}
    env.update(read_dotenv(settings.frontend_env_file))
    return env


STARTER_TOML = """\
# launchtui configuration. Flags on the command line override these values.
# Paths are relative to this file. Pick a profile with --profile NAME
# (the only profile, or the one named "production", is the default).

[profiles.production]
# The backend's production variables (DATABASE_URL, SECRET_KEY, ...), dotenv syntax.
# Keep this file mode 0600: it holds secrets.
env_file = ".env.production"
# The frontend's VITE_* variables, as set on Vercel.
# frontend_env_file = "frontend/.env.production"
# The Flask backend checkout: config.py, Procfile, migrations/.
backend_dir = "backend"
# Deployed URLs. backend_url defaults to VITE_API_URL.
# frontend_url = "https://your-frontend.vercel.app"
# backend_url = "https://your-backend.up.railway.app"
health_path = "/health"
# Where `launchtui backup` writes (default: the user data dir's backups/).
# backup_dir = "/var/backups/launchtui"
# A CA bundle for TLS verification (default: the system bundle).
# ca_file = "/etc/ssl/certs/ca-certificates.crt"
# The temp/upload dir `launchtui cleanup` empties (default: the one config.py names).
# tmp_dir = "/srv/app/uploads"
# What `launchtui migrate` runs in backend_dir (default: flask db upgrade).
# migrate_command = "flask db upgrade"
# Offsite copies of every backup (S3-compatible; credentials from the AWS_* variables).
# offsite = "s3://your-bucket/launchtui"
# offsite_endpoint = "https://<account>.r2.cloudflarestorage.com"
# Encrypt backups to these age recipients (public keys only; keep the identity elsewhere).
# encrypt_to = ["age1..."]
# Keep the newest N complete backups of each kind, locally and offsite.
# keep = 14
# Check ids to leave out of verdicts, like Django's SILENCED_SYSTEM_CHECKS.
silence = []

[profiles.production.links]
# Consoles and logs the runbooks point at.
# vercel = "https://vercel.com/your-team/your-frontend/deployments"
# railway = "https://railway.app/project/your-project"
# render = "https://dashboard.render.com/web/srv-xxxx/logs"
# tidb_console = "https://tidbcloud.com/console/clusters"
# cloudinary_console = "https://console.cloudinary.com/pm/usage"
"""
