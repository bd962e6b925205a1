"""First-run setup without a screen: what a project folder offers, each field's judgement,
and the profile written in `launchtui init`'s format with its comments kept."""

from __future__ import annotations

import asyncio
import tomllib
from pathlib import Path

import pytest

from launchtui.core.config import STARTER_TOML, default_backup_dir, load_settings
from launchtui.core.setup import (
    ProfileWriteError,
    discover,
    judge_backend_dir,
    judge_backup_dir,
    judge_ca_file,
    judge_endpoint_form,
    judge_env_file,
    judge_offsite,
    judge_url,
    profile_text,
    write_profile,
)
from tests.servers.https import Certs, ServeFn

BACKEND_ENV = (
    "DATABASE_URL=mysql+pymysql://u:hunter2@db.example.com:4000/app\n"
    "SECRET_KEY=s\nJWT_SECRET_KEY=j\nCLOUDINARY_URL=cloudinary://1:2@c\n"
    "CORS_ORIGINS=http://localhost:5173,https://shop.example.com\n"
)


def project(tmp_path: Path) -> Path:
    root = tmp_path / "shop"
    (root / "backend" / "migrations").mkdir(parents=True)
    (root / "backend" / "config.py").write_text("class Config: pass\n")
    (root / "backend" / "Procfile").write_text("web: gunicorn app:app\n")
    (root / "frontend").mkdir()
    (root / ".env.production").write_text(BACKEND_ENV)
    (root / ".env.production").chmod(0o600)
    (root / ".env").write_text("SECRET_KEY=dev\n")
    (root / ".env.example").write_text("DATABASE_URL=changeme\n")
    (root / "frontend" / ".env.production").write_text(
        "VITE_API_URL=https://api.shop.example.com/\nVITE_CLOUDINARY_CLOUD_NAME=c\n"
    )
    # Never walked: dependencies and VCS folders.
    (root / "node_modules" / "pkg").mkdir(parents=True)
    (root / "node_modules" / "pkg" / ".env").write_text("VITE_API_URL=https://evil.example\n")
    return root


def test_discovery_offers_the_env_files_the_backend_and_the_urls_they_name(
    tmp_path: Path,
) -> None:
    root = project(tmp_path)
    found = discover(root)
    assert found.values == {
        "env_file": ".env.production",  # production first, the template never
        "frontend_env_file": "frontend/.env.production",
        "backend_dir": "backend",
        "frontend_url": "https://shop.example.com",  # the https entry of CORS_ORIGINS
        "backend_url": "https://api.shop.example.com",  # VITE_API_URL, trailing / dropped
    }
    assert found.others["env_file"] == (".env",)
    assert "CORS_ORIGINS" in found.why["frontend_url"]
    assert "VITE_API_URL" in found.why["backend_url"]


def test_discovery_of_an_empty_folder_offers_nothing(tmp_path: Path) -> None:
    assert discover(tmp_path).values == {}


def test_a_package_with_a_config_module_is_not_offered_as_the_backend(tmp_path: Path) -> None:
    (tmp_path / "tool" / "core").mkdir(parents=True)
    (tmp_path / "tool" / "core" / "config.py").write_text("X = 1\n")
    (tmp_path / "tool" / "core" / "__init__.py").write_text("")
    assert "backend_dir" not in discover(tmp_path).values
    (tmp_path / "shop").mkdir()
    (tmp_path / "shop" / "config.py").write_text("class Config: pass\n")
    (tmp_path / "shop" / "app.py").write_text("app = None\n")
    assert discover(tmp_path).values["backend_dir"] == "shop"


def test_discovery_never_follows_a_symlink_out_of_the_folder(tmp_path: Path) -> None:
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / ".env.production").write_text(BACKEND_ENV)
    root = tmp_path / "here"
    root.mkdir()
    (root / "linked").symlink_to(outside)
    (root / ".env.linked").symlink_to(outside / ".env.production")
    assert discover(root).values == {}


def test_an_env_file_is_judged_by_what_it_holds(tmp_path: Path) -> None:
    root = project(tmp_path)
    good = judge_env_file(".env.production", root)
    assert (good.level, good.reason) == ("ok", "5 variables, all five the checklist names")
    assert good.offers == {"frontend_url": "https://shop.example.com"}
    assert "hunter2" not in good.reason
    assert judge_env_file("missing.env", root).reason == "it does not exist"
    assert judge_env_file("backend", root).reason == "it is a directory, not a file"
    partial = judge_env_file(".env", root)
    assert partial.level == "warn" and "no DATABASE_URL" in partial.reason
    (root / "broken.env").write_text("SECRET_KEY=x\nthis is not dotenv\n")
    broken = judge_env_file("broken.env", root)
    assert broken.level == "bad" and "line 2" in broken.reason
    (root / "open.env").write_text(BACKEND_ENV)
    (root / "open.env").chmod(0o644)
    assert "chmod 600" in judge_env_file("open.env", root).reason
    (root / "binary.env").write_bytes(b"\xff\xfe\x00")
    assert judge_env_file("binary.env", root).reason == "it is not UTF-8 text"
    assert judge_env_file("", root).level == "empty"


def test_the_frontend_env_file_offers_its_api_url_as_the_backend(tmp_path: Path) -> None:
    root = project(tmp_path)
    j = judge_env_file("frontend/.env.production", root, frontend=True)
    assert j.level == "ok"
    assert j.offers == {"backend_url": "https://api.shop.example.com"}
    backend_file = judge_env_file(".env.production", root, frontend=True)
    assert backend_file.level == "warn" and "backend's file" in backend_file.reason


def test_the_backend_dir_must_hold_config_py(tmp_path: Path) -> None:
    root = project(tmp_path)
    assert judge_backend_dir("backend", root).level == "ok"
    assert "config.py" in judge_backend_dir("frontend", root).reason
    assert judge_backend_dir("frontend", root).level == "bad"
    assert judge_backend_dir("nowhere", root).reason == "no such directory"
    assert judge_backend_dir(".env", root).reason == "not a directory"
    (root / "bare").mkdir()
    (root / "bare" / "config.py").write_text("")
    assert judge_backend_dir("bare", root).level == "warn"


def test_the_backup_dir_exists_or_can_be_made(tmp_path: Path) -> None:
    assert judge_backup_dir("", tmp_path).reason == f"default: {default_backup_dir()}"
    assert judge_backup_dir(str(tmp_path), tmp_path).level == "ok"
    later = judge_backup_dir(str(tmp_path / "a" / "b"), tmp_path)
    assert (later.level, later.reason) == ("ok", "will be created by the first backup")
    (tmp_path / "file").write_text("")
    assert judge_backup_dir("file", tmp_path).level == "bad"
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o500)
    if _root_ignores_modes(locked):
        return  # root writes anywhere: the mode cannot refuse it
    assert judge_backup_dir(str(locked / "x"), tmp_path).level == "bad"


def _root_ignores_modes(path: Path) -> bool:
    import os

    return os.access(path, os.W_OK)


def test_the_ca_bundle_must_be_pem(tmp_path: Path, https_certs: Certs) -> None:
    ok = judge_ca_file(str(https_certs.ca_file), tmp_path)
    assert (ok.level, ok.reason) == ("ok", "1 CA certificate")
    (tmp_path / "junk.pem").write_text("not a certificate\n")
    assert judge_ca_file("junk.pem", tmp_path).level == "bad"
    assert judge_ca_file("", tmp_path).level == "empty"


def test_offsite_locations_and_endpoints_are_judged_by_form() -> None:
    ok = judge_offsite("s3://acme-backups/launchtui")
    assert ok.level == "ok" and "acme-backups" in ok.reason and "launchtui/" in ok.reason
    assert judge_offsite("https://acme-backups").level == "bad"
    assert "s3://" in judge_offsite("https://acme-backups").reason
    pasted = judge_offsite("s3://AKIA:secret@bucket/x")
    assert pasted.level == "bad" and "secret" not in pasted.reason
    assert judge_endpoint_form("") is not None and judge_endpoint_form("").level == "empty"
    assert judge_endpoint_form("https://acct.r2.cloudflarestorage.com") is None
    leaked = judge_endpoint_form("https://key:secret@host")
    assert leaked is not None and leaked.level == "bad" and "secret" not in leaked.reason


def test_a_url_must_be_https_and_is_asked_whether_it_answers(
    serve: ServeFn, https_certs: Certs
) -> None:
    def app(environ: object, start: object) -> list[bytes]:
        start("200 OK", [("Content-Type", "text/plain")])  # type: ignore[operator]
        return [b"ok"]

    site = serve(app)
    ok = asyncio.run(judge_url(site.url, https_certs.ca_file))
    assert ok.level == "ok" and ok.reason.startswith("answers HTTP 200 in ")
    untrusted = asyncio.run(judge_url(site.url))  # the system bundle does not know our CA
    assert untrusted.level == "warn" and "certificate" in untrusted.reason
    plain = asyncio.run(judge_url(site.plain_url))
    assert plain.level == "bad" and "https" in plain.reason
    assert asyncio.run(judge_url("not a url")).level == "bad"
    # A dead site is kept, not refused: it is often why launchtui is open.
    refused = asyncio.run(judge_url("https://127.0.0.1:9"))
    assert refused.level == "warn" and "refused" in refused.reason


# -- the profile --------------------------------------------------------------------


def test_a_new_profile_is_inits_file_with_the_values_set_and_comments_kept(
    tmp_path: Path,
) -> None:
    text = profile_text(
        None,
        "production",
        {
            "env_file": str(tmp_path / ".env.production"),
            "backend_dir": None,  # left empty: commented out
            "frontend_url": "https://shop.example.com",
            "backup_dir": "/var/backups/launchtui",
        },
        tmp_path,
    )
    starter_comments = [line for line in STARTER_TOML.splitlines() if line.startswith("# ")]
    kept = [line for line in text.splitlines() if line.startswith("# ")]
    assert [c for c in starter_comments if not c.startswith(("# frontend_url", "# backup_dir"))]
    for comment in starter_comments:
        if comment.startswith(("# frontend_url =", "# backup_dir =")):
            assert comment not in kept  # the example line became the value
        else:
            assert comment in kept
    body = tomllib.loads(text)["profiles"]["production"]
    assert body["env_file"] == ".env.production"  # under the file's folder: relative
    assert "backend_dir" not in body
    assert '# backend_dir = "backend"' in text
    assert body["frontend_url"] == "https://shop.example.com"
    assert body["backup_dir"] == "/var/backups/launchtui"  # elsewhere: absolute


def test_an_existing_file_is_edited_in_place(tmp_path: Path) -> None:
    existing = (
        "# my notes\n"
        "[profiles.staging]\n"
        'env_file = "staging.env"\n'
        "\n"
        "[profiles.production]  # the real one\n"
        '# frontend_url = "https://old.example"\n'
        'backend_url = "https://old-api.example"\n'
        'silence = ["security.headers"]\n'
        "\n"
        "[profiles.production.links]\n"
        'vercel = "https://vercel.com/x"\n'
    )
    text = profile_text(
        existing,
        "production",
        {"frontend_url": "https://new.example", "backend_url": None, "offsite": "s3://b/p"},
        tmp_path,
    )
    data = tomllib.loads(text)
    assert data["profiles"]["staging"] == {"env_file": "staging.env"}
    prod = data["profiles"]["production"]
    assert prod["frontend_url"] == "https://new.example"
    assert "backend_url" not in prod
    assert prod["offsite"] == "s3://b/p"
    assert prod["silence"] == ["security.headers"]
    assert data["profiles"]["production"]["links"] == {"vercel": "https://vercel.com/x"}
    assert text.startswith("# my notes\n")
    assert "# the real one" in text


def test_values_with_quotes_and_backslashes_are_written_as_toml_strings(
    tmp_path: Path,
) -> None:
    odd = '/srv/we"ird\\path ✓'
    text = profile_text(None, "prod", {"backup_dir": odd, "frontend_url": "https://x.io"}, tmp_path)
    body = tomllib.loads(text)["profiles"]["prod"]
    assert body["backup_dir"] == odd
    assert "[profiles.prod.links]" in text


def test_write_profile_loads_the_new_file_before_it_replaces_the_old(tmp_path: Path) -> None:
    path = tmp_path / "launchtui.toml"
    (tmp_path / ".env.production").write_text(BACKEND_ENV)
    words, settings = write_profile(
        path, "production", {"env_file": str(tmp_path / ".env.production")}
    )
    assert words == f"Wrote [profiles.production] in {path}"
    assert path.stat().st_mode & 0o777 == 0o600
    assert settings.env_file == tmp_path / ".env.production"
    assert settings.config_path == path
    before = path.read_bytes()
    (tmp_path / "junk.pem").write_text("not a certificate\n")
    with pytest.raises(ProfileWriteError, match="not a PEM CA bundle"):
        write_profile(path, "production", {"ca_file": str(tmp_path / "junk.pem")})
    assert path.read_bytes() == before  # the working file is untouched
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        ".env.production",
        "junk.pem",
        "launchtui.toml",
    ]
    words, _ = write_profile(path, "production", {"frontend_url": "https://shop.example.com"})
    assert words.startswith("Updated")
    again = load_settings({"config": str(path)})
    assert again.env_file == tmp_path / ".env.production"
    assert again.frontend_url == "https://shop.example.com"


def test_write_profile_refuses_a_file_that_is_not_toml(tmp_path: Path) -> None:
    path = tmp_path / "launchtui.toml"
    path.write_text("[profiles.production\nbroken")
    with pytest.raises(ProfileWriteError, match="not be valid TOML"):
        write_profile(path, "production", {"frontend_url": "https://x.io"})
    assert path.read_text() == "[profiles.production\nbroken"
