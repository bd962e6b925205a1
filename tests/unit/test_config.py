"""Profiles, flags and dotenv files merge as PRODUCT.md says; bad configuration is a clear error."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from launchtui.core.config import (
    STARTER_TOML,
    ConfigError,
    backend_env,
    frontend_env,
    load_settings,
    read_profiles,
    user_config_dir,
)


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_profile_paths_are_relative_to_the_config_file(tmp_path: Path) -> None:
    _write(tmp_path / "conf" / ".env.production", "SECRET_KEY=x\n")
    (tmp_path / "conf" / "backend").mkdir()
    cfg = _write(
        tmp_path / "conf" / "launchtui.toml",
        '[profiles.production]\nenv_file = ".env.production"\nbackend_dir = "backend"\n'
        'frontend_url = "https://app.example.com"\nhealth_path = "healthz"\n'
        'silence = ["security.headers"]\n[profiles.production.links]\nvercel = "https://v"\n',
    )
    s = load_settings({"config": str(cfg)}, cwd=tmp_path)
    assert s.profile == "production"
    assert s.env_file == (tmp_path / "conf" / ".env.production").resolve()
    assert s.backend_dir == (tmp_path / "conf" / "backend").resolve()
    assert s.health_path == "/healthz"
    assert s.links == {"vercel": "https://v"}
    assert s.silence == frozenset({"security.headers"})


def test_flags_override_the_profile(tmp_path: Path) -> None:
    cfg = _write(
        tmp_path / "launchtui.toml",
        '[profiles.staging]\nfrontend_url = "https://staging.example.com"\n'
        '[profiles.production]\nfrontend_url = "https://app.example.com"\n',
    )
    s = load_settings({"frontend_url": "https://flag.example.com"}, cwd=tmp_path)
    assert s.config_path == cfg
    assert s.profile == "production"  # the default when several exist
    assert s.frontend_url == "https://flag.example.com"
    s2 = load_settings({"profile": "staging"}, cwd=tmp_path)
    assert s2.frontend_url == "https://staging.example.com"


def test_config_is_found_in_the_user_config_dir(tmp_path: Path) -> None:
    _write(user_config_dir() / "launchtui.toml", '[profiles.prod]\nbackend_url = "https://api.x"\n')
    s = load_settings({}, cwd=tmp_path)
    assert (s.profile, s.backend_url) == ("prod", "https://api.x")


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("[profiles.production\n", "not valid TOML"),
        ("profiles = 3\n", "must be a table"),
        ("[profiles.production]\nenv_fil = 'x'\n", "unknown key(s) env_fil"),
        ("[profiles.production]\nfrontend_url = 3\n", "must be a string"),
        ("[profiles.production]\nsilence = 'security.headers'\n", "must be a list"),
        ("[profiles.production.links]\nvercel = 1\n", "links must be a table of strings"),
        ("[profiles.production.links]\ntidb_consle = 'x'\n", "unknown key(s) tidb_consle"),
    ],
)
def test_bad_config_files_are_clear_errors(tmp_path: Path, text: str, words: str) -> None:
    cfg = _write(tmp_path / "launchtui.toml", text)
    with pytest.raises(ConfigError, match=re.escape(words)):
        read_profiles(cfg)


def test_missing_named_files_are_config_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        load_settings({"env_file": str(tmp_path / "nope.env")}, cwd=tmp_path)
    with pytest.raises(ConfigError, match="does not exist"):
        load_settings({"config": str(tmp_path / "nope.toml")}, cwd=tmp_path)
    with pytest.raises(ConfigError, match="not a directory"):
        load_settings({"backend_dir": str(tmp_path / "nope")}, cwd=tmp_path)


def test_unknown_profile_names_the_ones_that_exist(tmp_path: Path) -> None:
    _write(tmp_path / "launchtui.toml", "[profiles.production]\n[profiles.staging]\n")
    with pytest.raises(ConfigError, match="production, staging"):
        load_settings({"profile": "prod"}, cwd=tmp_path)


def test_profile_without_config_file_says_how_to_make_one(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="launchtui init"):
        load_settings({"profile": "production"}, cwd=tmp_path)


def test_silence_of_an_unknown_id_is_an_error(tmp_path: Path) -> None:
    _write(tmp_path / "launchtui.toml", '[profiles.p]\nsilence = ["security.headrs"]\n')
    with pytest.raises(ConfigError, match=r"security\.headrs"):
        load_settings({}, cwd=tmp_path, known_ids=frozenset({"security.headers"}))


def test_backend_dir_defaults_to_a_dir_holding_config_py(tmp_path: Path) -> None:
    assert load_settings({}, cwd=tmp_path).backend_dir is None
    _write(tmp_path / "backend" / "config.py", "")
    assert load_settings({}, cwd=tmp_path).backend_dir == tmp_path / "backend"
    _write(tmp_path / "config.py", "")
    assert load_settings({}, cwd=tmp_path).backend_dir == tmp_path


def test_backup_dir_defaults_to_the_user_data_dir(tmp_path: Path) -> None:
    s = load_settings({}, cwd=tmp_path)
    assert s.backup_dir is not None and s.backup_dir.name == "backups"
    assert "launchtui" in str(s.backup_dir)


def test_env_file_overrides_the_process_environment_with_dotenv_syntax(tmp_path: Path) -> None:
    env_file = _write(
        tmp_path / ".env",
        "# comment\nexport SECRET_KEY='quoted value'\nDATABASE_URL=\"mysql+pymysql://a:b@h/d\"\n"
        'MULTI="line1\nline2"\nEMPTY=\n',
    )
    s = load_settings({"env_file": str(env_file)}, cwd=tmp_path)
    env = backend_env(s, environ={"SECRET_KEY": "from-process", "PATH": "/bin"})
    assert env["SECRET_KEY"] == "quoted value"
    assert env["DATABASE_URL"] == "mysql+pymysql://a:b@h/d"
    assert env["MULTI"] == "line1\nline2"
    assert env["PATH"] == "/bin"


def test_frontend_env_takes_only_vite_variables_from_the_process(tmp_path: Path) -> None:
    f = _write(tmp_path / "fe.env", "VITE_API_URL=https://api.example.com\n")
    s = load_settings({"frontend_env_file": str(f)}, cwd=tmp_path)
    env = frontend_env(s, environ={"VITE_CLOUDINARY_CLOUD_NAME": "demo", "SECRET_KEY": "x"})
    assert env == {"VITE_CLOUDINARY_CLOUD_NAME": "demo", "VITE_API_URL": "https://api.example.com"}


def test_env_file_with_odd_bytes_is_a_clear_error(tmp_path: Path) -> None:
    f = tmp_path / "bad.env"
    f.write_bytes(b"SECRET_KEY=\xff\xfe\x00\n")
    s = load_settings({"env_file": str(f)}, cwd=tmp_path)
    with pytest.raises(ConfigError, match="Cannot read env file"):
        backend_env(s, environ={})


def test_starter_config_is_a_valid_profile(tmp_path: Path) -> None:
    cfg = _write(tmp_path / "launchtui.toml", STARTER_TOML)
    assert set(read_profiles(cfg)) == {"production"}


@pytest.mark.parametrize("key", ["env_file", "backend_dir", "backup_dir", "ca_file", "tmp_dir"])
def test_a_profile_path_with_a_nul_is_a_clear_error(tmp_path: Path, key: str) -> None:
    cfg = _write(tmp_path / "launchtui.toml", f'[profiles.production]\n{key} = "a\\u0000b"\n')
    with pytest.raises(ConfigError, match=f"`{key}` holds a NUL character"):
        load_settings({}, cwd=tmp_path)
    assert cfg.is_file()


def test_a_path_too_long_for_the_system_is_a_clear_error(tmp_path: Path) -> None:
    name = "a" * 300  # one component past NAME_MAX
    with pytest.raises(ConfigError, match="cannot be used: File name too long"):
        load_settings({"env_file": str(tmp_path / name)}, cwd=tmp_path)
    with pytest.raises(ConfigError, match="too long a path"):
        load_settings({"backend_dir": "/" + "b" * 5000}, cwd=tmp_path)
    _write(tmp_path / "launchtui.toml", f'[profiles.production]\nca_file = "{name}"\n')
    with pytest.raises(ConfigError, match="cannot be used"):
        load_settings({}, cwd=tmp_path)
