"""The shipped checklist with fixed verdicts: the same screen every time, for the snapshots.

Ids, sections, titles, kinds and dependencies come from the real registry; only the
verdicts are fixed, worded as the real checks word them on a production stack whose
schema is one migration behind.
"""

from __future__ import annotations

import dataclasses
import itertools
from typing import Any, NamedTuple

from launchtui.core.context import Context
from launchtui.core.model import Status, Verdict
from launchtui.core.registry import Registry, default_registry

DB_URL = (
    "mysql+pymysql://4kQ2x9.root:****@gateway01.us-west-2.prod.aws.tidbcloud.com:4000/appdb"
    "?ssl_ca=/etc/ssl/certs/ca-certificates.crt"
)
DB_BACKUP = "backup_appdb_20261122T030000Z.sql.gz"
MISSING_HEADERS = (
    "X-Content-Type-Options: nosniff, X-Frame-Options (or CSP frame-ancestors), Referrer-Policy"
)


class Fixed(NamedTuple):
    """One check's fixed verdict."""

    status: Status
    summary: str
    evidence: dict[str, str] = {}  # noqa: RUF012 (never mutated)
    remediation: str = ""
    command: str | None = None
    # A live probe's round trips, one per run in turn (for the sparkline); `{ms}` in the
    # summary and evidence is the run's one.
    latency_ms: tuple[float, ...] = ()


PASS, WARN, FAIL, SKIP = Status.PASS, Status.WARN, Status.FAIL, Status.SKIP

VERDICTS: dict[str, Fixed] = {
    "env.database_url": Fixed(
        PASS,
        "DATABASE_URL is a mysql+pymysql URL for gateway01.us-west-2.prod.aws.tidbcloud.com"
        ":4000/appdb whose TLS verifies the certificate and the host name.",
        {
            "URL": DB_URL,
            "driver": "mysql+pymysql",
            "host": "gateway01.us-west-2.prod.aws.tidbcloud.com",
            "port": "4000",
            "database": "appdb",
            "user": "4kQ2x9.root",
            "TLS": "Verifies the server certificate against "
            "/etc/ssl/certs/ca-certificates.crt and checks the host name.",
        },
    ),
    "env.secret_key": Fixed(
        PASS,
        "SECRET_KEY looks random: 64 characters (hex), about 256 bits.",
        {"length": "64 characters", "alphabet": "hex", "estimated randomness": "256 bits"},
    ),
    "env.jwt_secret_key": Fixed(
        PASS,
        "JWT_SECRET_KEY looks random: 64 characters (base64), about 384 bits.",
        {"length": "64 characters", "alphabet": "base64", "estimated randomness": "384 bits"},
    ),
    "env.cloudinary_url": Fixed(
        PASS,
        "CLOUDINARY_URL names cloud my-cloud with an API key and secret.",
        {"URL": "cloudinary://****:****@my-cloud", "cloud name": "my-cloud"},
    ),
    "env.cors_origins": Fixed(
        PASS,
        "CORS_ORIGINS allows 2 https origins: https://shop.example.com, "
        "https://www.shop.example.com.",
        {"entries": "2"},
    ),
    "env.flask_debug": Fixed(
        PASS,
        "FLASK_DEBUG is off, so Flask runs without debug mode.",
        {"FLASK_DEBUG": "0"},
    ),
    "env.undeclared": Fixed(
        WARN,
        "UPLOAD_FOLDER is unset or empty, so config.py falls back to built-in defaults in "
        "production.",
        {
            "UPLOAD_FOLDER": 'unset; config.py:15 falls back to "/tmp/uploads"',
            "set": "SECRET_KEY, JWT_SECRET_KEY, DATABASE_URL, CLOUDINARY_URL, CORS_ORIGINS",
            "production config": "ProductionConfig (by name)",
        },
        "Set UPLOAD_FOLDER in the backend's variables on Railway/Render (or confirm each "
        "default is right for production).",
    ),
    "db.connect": Fixed(
        PASS,
        "The database answers over verified TLS (TiDB, TLSv1.3, SELECT 1 in {ms} ms).",
        {
            "target": "gateway01.us-west-2.prod.aws.tidbcloud.com:4000",
            "server": "TiDB 8.0.11-TiDB-v7.5.2-serverless",
            "tls": "TLSv1.3, TLS_AES_256_GCM_SHA384",
            "latency": "{ms} ms (SELECT 1 round trip)",
            "wait_timeout": "28800 s (live @@wait_timeout)",
        },
        latency_ms=(38.4, 44.9, 36.1, 39.7, 52.3, 37.5),
    ),
    "cors.preflight": Fixed(
        PASS,
        "The backend allows https://shop.example.com, https://www.shop.example.com and "
        "refuses a foreign origin.",
        {"preflight to": "https://api.shop.example.com/health"},
        latency_ms=(96,),
    ),
    "cloudinary.api": Fixed(
        PASS,
        "Cloudinary's Admin API accepts the key for cloud 'my-cloud' ({ms} ms).",
        {"cloud": "my-cloud", "latency": "{ms} ms"},
        latency_ms=(212, 187, 240),
    ),
    "frontend.api_url": Fixed(
        PASS,
        "VITE_API_URL is a public https URL and equals the backend URL, "
        "https://api.shop.example.com.",
        {"VITE_API_URL": "https://api.shop.example.com"},
    ),
    "frontend.cloud_name": Fixed(
        PASS,
        "The frontend and the backend both use Cloudinary cloud my-cloud.",
        {"VITE_CLOUDINARY_CLOUD_NAME": "my-cloud"},
    ),
    "frontend.bundle": Fixed(
        PASS,
        "The live build calls https://api.shop.example.com (found in assets/api-Q2w8r.js).",
        {"url": "https://shop.example.com/"},
        latency_ms=(131,),
    ),
    "deploy.procfile": Fixed(
        PASS,
        "The Procfile's `release:` line runs `flask db upgrade` before the new release "
        "serves traffic.",
        {"release: (line 2)": "flask db upgrade"},
    ),
    "db.migrations": Fixed(
        FAIL,
        "The database is at 3f1a9c2b7d10, 1 revision behind the migrations head "
        "8e4d2c6a5b31: the deployed code expects a schema it does not have yet.",
        {
            "migrations heads": "8e4d2c6a5b31 (add images table)",
            "database revision": "3f1a9c2b7d10",
            "pending": "8e4d2c6a5b31 (add images table)",
        },
        "Run `flask db upgrade` before the app serves traffic (Procfile `release:` line).",
        "flask db upgrade",
        latency_ms=(41,),
    ),
    "backup.tools": Fixed(
        PASS,
        "mariadb-dump 10.11.19 (MariaDB) is ready, but the checklist's own mysqldump command "
        "fails here: mysqldump rejects --ssl-mode=VERIFY_IDENTITY; use the command shown.",
        {"using": "/usr/bin/mariadb-dump", "flavor": "mariadb"},
        "`launchtui backup db` runs it with these flags and the password in an option file.",
        "launchtui backup db",
    ),
    "backup.database": Fixed(
        WARN,
        f"The newest database backup is 3 days old ({DB_BACKUP}), so a failure now would "
        "lose more than a day of data.",
        {"newest": DB_BACKUP, "size": "48.2 MB", "backups here": "6"},
        "Take one now with `launchtui backup db` and schedule it at least daily.",
        "launchtui backup db",
    ),
    "backup.offsite": Fixed(
        SKIP,
        "No offsite location is configured, so no backup is copied off this box; set "
        "`offsite` (and `offsite_endpoint`) in the profile.",
        {},
    ),
    "backup.media": Fixed(
        SKIP,
        "No media inventory yet: the backup directory has none.",
        {"backup dir": "~/.local/share/launchtui/backups"},
        "Take one with `launchtui backup media` and schedule it (cron or a CI job).",
        "launchtui backup media",
    ),
    "pool.recycle": Fixed(
        PASS,
        "ProductionConfig recycles pooled connections after 280 s, within TiDB's 300 s advice "
        "and the server's 28800 s wait_timeout, and pings them before use.",
        {"pool_recycle": "280 s", "pool_pre_ping": "True"},
    ),
    "tmp.cleanup": Fixed(
        PASS,
        "/tmp/uploads holds 3 files (1.2 MB), none older than 24 h, and cleanup is not called "
        "from request handlers (cli.py:24 flask cleanup-temp).",
        {"UPLOAD_FOLDER (config.py:15)": "/tmp/uploads"},
    ),
    "config.track_modifications": Fixed(
        PASS,
        "ProductionConfig sets SQLALCHEMY_TRACK_MODIFICATIONS to False, as the checklist asks.",
        {"SQLALCHEMY_TRACK_MODIFICATIONS": "False (config.py:13, in Config)"},
    ),
    "https.frontend": Fixed(
        PASS,
        "The frontend serves HTTPS with a valid certificate (74 days left), HSTS and an "
        "http→https redirect.",
        {"url": "https://shop.example.com/", "days left": "74"},
        latency_ms=(118,),
    ),
    "https.backend": Fixed(
        PASS,
        "The backend serves HTTPS with a valid certificate (61 days left), HSTS and an "
        "http→https redirect.",
        {"url": "https://api.shop.example.com/health", "days left": "61"},
        latency_ms=(97,),
    ),
    "security.headers": Fixed(
        WARN,
        f"Protective headers are missing: the backend lacks {MISSING_HEADERS}.",
        {"frontend": "all present", "backend": f"missing {MISSING_HEADERS}"},
        "Backend (Flask): add an @app.after_request hook that sets "
        "`X-Content-Type-Options: nosniff`, `X-Frame-Options: DENY` and "
        "`Referrer-Policy: strict-origin-when-cross-origin`.",
        latency_ms=(104,),
    ),
    "security.debugger": Fixed(
        PASS,
        "No Werkzeug debugger, console or traceback page answers on the backend.",
        {"/console": "404"},
        latency_ms=(189,),
    ),
    "cloudinary.quota": Fixed(
        WARN,
        "Cloudinary credit use is at 85% of the Plus plan's limit; at 95% launch is at risk "
        "of images not loading.",
        {"plan": "Plus", "credits": "191.25 of 225 (85%)"},
        "Plan an upgrade or clean-up before launch (https://console.cloudinary.com/pm/usage).",
        latency_ms=(240,),
    ),
}


def demo_registry() -> Registry:
    """The shipped checks, each returning its fixed verdict; a check without one is an error."""
    registry = Registry()
    for check in default_registry():
        if check.id not in VERDICTS:
            raise KeyError(f"tests/tui/demo.py has no verdict for the shipped check {check.id}")
        registry.add(dataclasses.replace(check, fn=_returns(VERDICTS[check.id])))
    return registry


def _returns(fixed: Fixed) -> Any:
    runs = itertools.count()

    async def fn(ctx: Context) -> Verdict:
        if not fixed.latency_ms:
            return Verdict(
                fixed.status,
                fixed.summary,
                fixed.evidence,
                remediation=fixed.remediation,
                command=fixed.command,
            )
        ms = fixed.latency_ms[next(runs) % len(fixed.latency_ms)]
        words = f"{ms:g}"
        return Verdict(
            fixed.status,
            fixed.summary.replace("{ms}", words),
            {k: v.replace("{ms}", words) for k, v in fixed.evidence.items()},
            remediation=fixed.remediation,
            command=fixed.command,
            facts={"latency_ms": ms},
        )

    return fn
