"""A private registry with fixed verdicts: the same screen every time, for snapshots and screenshots."""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Mapping
from typing import Any

from launchtui.core.context import Context
from launchtui.core.model import Status, Verdict
from launchtui.core.registry import Registry

# (id, section, kind, title, status, summary, evidence, remediation, command, latency_ms)
DEMO: tuple[tuple[Any, ...], ...] = (
    (
        "env.database_url",
        "1.1",
        "static",
        "DATABASE_URL is set and verifies TLS",
        Status.FAIL,
        "DATABASE_URL asks for ?ssl_mode=VERIFIED, which PyMySQL rejects on the first connect.",
        {
            "url": "mysql+pymysql://app.root:****@gateway01.us-west-2.prod.aws.tidbcloud.com:4000/shop?ssl_mode=VERIFIED",
            "driver": "mysql+pymysql",
            "tls": "PyMySQL raises TypeError: unexpected keyword 'ssl_mode'",
        },
        "Replace ?ssl_mode=VERIFIED with ?ssl_ca=/etc/ssl/certs/ca-certificates.crt: PyMySQL then verifies the certificate and the host name.",
        None,
        None,
    ),
    (
        "env.secret_key",
        "1.1",
        "static",
        "SECRET_KEY is strong",
        Status.PASS,
        "SECRET_KEY is 64 random-looking characters.",
        {"length": "64"},
        "",
        None,
        None,
    ),
    (
        "env.jwt_secret_key",
        "1.1",
        "static",
        "JWT_SECRET_KEY is strong and distinct",
        Status.FAIL,
        "JWT_SECRET_KEY is the placeholder 'changeme', so anyone can forge login tokens.",
        {"length": "8", "known placeholder": "yes"},
        "Set JWT_SECRET_KEY to a fresh random value in Railway's variables, then redeploy.",
        "openssl rand -hex 32",
        None,
    ),
    (
        "env.cloudinary_url",
        "1.1",
        "static",
        "CLOUDINARY_URL has key, secret and cloud",
        Status.PASS,
        "CLOUDINARY_URL names cloud 'dsrb7j7rm' with an API key and secret.",
        {"cloud": "dsrb7j7rm"},
        "",
        None,
        None,
    ),
    (
        "env.cors_origins",
        "1.1",
        "static",
        "CORS_ORIGINS lists the frontend over https",
        Status.WARN,
        "CORS_ORIGINS still allows http://localhost:5173 in production.",
        {"origins": "https://shop.vercel.app, http://localhost:5173"},
        "Remove the localhost origin from CORS_ORIGINS.",
        None,
        None,
    ),
    (
        "env.flask_debug",
        "1.1",
        "static",
        "FLASK_DEBUG is off",
        Status.PASS,
        "FLASK_DEBUG is unset, so the debugger is off.",
        {},
        "",
        None,
        None,
    ),
    (
        "frontend.api_url",
        "1.2",
        "static",
        "VITE_API_URL points at the backend over https",
        Status.PASS,
        "VITE_API_URL is https://api.shop.example and matches the backend URL.",
        {},
        "",
        None,
        None,
    ),
    (
        "frontend.cloud_name",
        "1.2",
        "static",
        "VITE_CLOUDINARY_CLOUD_NAME matches CLOUDINARY_URL",
        Status.PASS,
        "Both name the cloud 'dsrb7j7rm'.",
        {},
        "",
        None,
        None,
    ),
    (
        "db.connect",
        "1.1",
        "live",
        "The database answers over verified TLS",
        Status.PASS,
        "Connected to TiDB v7.5.2-serverless over TLSv1.3 with a verified certificate in 38 ms.",
        {
            "host": "gateway01.us-west-2.prod.aws.tidbcloud.com:4000",
            "tls": "TLSv1.3, certificate and host verified",
            "server": "TiDB v7.5.2-serverless",
        },
        "",
        None,
        38,
    ),
    (
        "db.migrations",
        "2.1",
        "live",
        "The schema is at the migrations head",
        Status.PASS,
        "The database is at revision 3f2a9c1d7e4b, the single head of migrations/.",
        {"revision": "3f2a9c1d7e4b"},
        "",
        None,
        41,
    ),
    (
        "deploy.procfile",
        "2.1",
        "static",
        "The Procfile runs flask db upgrade first",
        Status.PASS,
        "The Procfile's release: line runs flask db upgrade before web: starts.",
        {},
        "",
        None,
        None,
    ),
    (
        "backup.database",
        "2.2",
        "static",
        "A recent, complete database backup exists",
        Status.WARN,
        "The newest database backup is 3 days old.",
        {"file": "backup_shop_20261122T030000Z.sql.gz", "age": "3 days"},
        "Take a fresh backup before launch.",
        "launchtui backup db",
        None,
    ),
    (
        "backup.media",
        "2.3",
        "static",
        "A recent Cloudinary inventory exists",
        Status.MANUAL,
        "Confirm that the media inventory is stored offsite.",
        {},
        "Copy the newest inventory offsite, then press space.",
        None,
        None,
    ),
    (
        "pool.recycle",
        "3.1",
        "static",
        "pool_recycle is below the idle timeouts",
        Status.PASS,
        "pool_recycle is 280 s with pool_pre_ping on, below both 300 s and @@wait_timeout.",
        {"pool_recycle": "280"},
        "",
        None,
        None,
    ),
    (
        "tmp.cleanup",
        "3.2",
        "static",
        "Temporary files are cleaned up",
        Status.SKIP,
        "Skipped: no upload dir is configured in backend/config.py.",
        {},
        "",
        None,
        None,
    ),
    (
        "https.frontend",
        "3.3",
        "live",
        "The frontend is served over https",
        Status.PASS,
        "https://shop.vercel.app has a valid certificate for 74 more days and HSTS.",
        {"expires in": "74 days"},
        "",
        None,
        112,
    ),
    (
        "https.backend",
        "3.3",
        "live",
        "The backend is served over https",
        Status.PASS,
        "https://api.shop.example has a valid certificate for 61 more days and HSTS.",
        {"expires in": "61 days"},
        "",
        None,
        95,
    ),
    (
        "config.track_modifications",
        "3.3",
        "static",
        "SQLALCHEMY_TRACK_MODIFICATIONS is False",
        Status.PASS,
        "ProductionConfig sets SQLALCHEMY_TRACK_MODIFICATIONS = False.",
        {},
        "",
        None,
        None,
    ),
)


# Latencies a live demo check reports on its second, third, ... run (then it starts over).
JITTER = (0, 6, -3, 14, 2, -5, 9, 31, 4, -2, 7, 1, -4, 12, 3)


def demo_registry(*, jitter: bool = False) -> Registry:
    """The demo checks, each returning its fixed verdict; `jitter` varies live latencies."""
    registry = Registry()
    for cid, section, kind, title, status, summary, evidence, fix, command, latency in DEMO:
        runs = itertools.count()

        async def fn(
            ctx: Context,
            status: Status = status,
            summary: str = summary,
            evidence: Mapping[str, str] = evidence,
            fix: str = fix,
            command: str | None = command,
            latency: int | None = latency,
            runs: Iterator[int] = runs,
        ) -> Verdict:
            facts: dict[str, Any] = {}
            if latency is not None:
                n = next(runs)
                facts["latency_ms"] = latency + (JITTER[n % len(JITTER)] if jitter else 0)
            return Verdict(status, summary, evidence, remediation=fix, command=command, facts=facts)

        registry.check(cid, section=section, title=title, kind=kind)(fn)
    return registry
