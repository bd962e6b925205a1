"""Checklist 1.1: CORS_ORIGINS lists exact https origins, the frontend's among them."""

from __future__ import annotations

import urllib.parse

from launchtui.checks.env import WHERE, Findings, not_set, one_line
from launchtui.core.context import Context
from launchtui.core.model import Verdict
from launchtui.core.registry import check

_LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "0.0.0.0", "::1", "[::1]"})


def is_local_host(host: str) -> bool:
    """True for hosts a visitor's browser cannot reach: localhost, private IPs, .internal."""
    import ipaddress

    h = host.strip("[]").lower().rstrip(".")
    if h in _LOCAL_HOSTS or h.endswith((".localhost", ".local", ".internal")):
        return True
    try:
        ip = ipaddress.ip_address(h)
    except ValueError:
        return False
    return ip.is_private or ip.is_loopback or ip.is_unspecified or ip.is_link_local


def origin_of(url: str) -> str | None:
    """The browser's Origin for a URL (scheme://host[:port], lowercase), or None."""
    try:
        parts = urllib.parse.urlsplit(url.strip())
        host, port = parts.hostname, parts.port
    except ValueError:
        return None
    if not parts.scheme or not host:
        return None
    default = {"https": 443, "http": 80}.get(parts.scheme.lower())
    shown = host if ":" not in host else f"[{host}]"
    tail = f":{port}" if port is not None and port != default else ""
    return f"{parts.scheme.lower()}://{shown}{tail}"


def judge_origin(entry: str) -> tuple[str | None, str | None, bool]:
    """One CORS entry: (corrected origin or None to drop it, problem or None, is it a fail)."""
    text = entry.strip()
    if not text:
        return None, "is empty (a stray comma)", False
    if "*" in text:
        return None, "is a wildcard, which lets every website call the API", True
    fixed_text = text if "://" in text else f"https://{text}"
    try:
        parts = urllib.parse.urlsplit(fixed_text)
        host, port = parts.hostname, parts.port
        ascii_host = host.encode("idna").decode("ascii") if host else None
    except (ValueError, UnicodeError):
        return None, "is not a URL", True
    if not host or not ascii_host or parts.scheme.lower() not in ("http", "https"):
        return None, "is not an https://host origin", True
    if is_local_host(host):
        return None, "is a local development origin, which has no place in production", True
    fixed = f"https://{ascii_host.lower()}" + (f":{port}" if port not in (None, 443) else "")
    if "://" not in text:
        return fixed, "has no https:// scheme, so it never matches a browser's Origin", True
    if parts.scheme.lower() == "http":
        return fixed, "is plain http, but production must use https", True
    if parts.username is not None or parts.password is not None:
        return fixed, "carries a user name or password, which an Origin never has", True
    if parts.path == "/" and not parts.query and not parts.fragment:
        return fixed, "ends with a slash, so it never matches a browser's Origin", True
    if parts.path or parts.query or parts.fragment:
        return fixed, "has a path, so it never matches a browser's Origin", True
    if port == 443:
        return fixed, "names :443, which browsers leave out of the Origin", True
    if ascii_host != host:
        return fixed, "has a non-ASCII host; browsers send its punycode form", True
    return fixed, None, False


@one_line
def assess_cors_origins(raw: str, frontend_url: str | None = None) -> Verdict:
    """The verdict on CORS_ORIGINS: every entry an exact https origin, the frontend's included."""
    from launchtui.core.secrets import mask_url

    entries = raw.split(",")
    f = Findings()
    evidence: dict[str, str] = {"entries": str(len(entries))}
    good: list[str] = []
    bad = 0
    for i, entry in enumerate(entries, 1):
        fixed, problem, is_fail = judge_origin(entry)
        shown = mask_url(entry.strip())[:120] or "(empty)"
        if problem is None and entry != entry.strip():
            problem = "has spaces around it; unless the backend strips each entry, it never matches"
        if problem is None and fixed in good:
            problem = "is listed twice"
        if problem is not None:
            bad += is_fail
            label = f"entry {i} ({shown})" if entry.strip() else f"entry {i}"
            (f.fail if is_fail else f.warn)(f"CORS_ORIGINS {label} {problem}.")
        if fixed is not None and fixed not in good:
            good.append(fixed)
        evidence[f"origin {i}"] = f"{shown}: {problem or 'ok'}"
    allowed = tuple(good)  # before the frontend's origin is added as a suggestion
    front = origin_of(frontend_url) if frontend_url else None
    if front is not None and front.startswith("https://") and front not in good:
        f.fail(
            f"The frontend's origin {front} is not in CORS_ORIGINS, so browsers block its "
            "API calls."
        )
        good.append(front)
    if not allowed:
        # Nothing usable is left (",,," or only entries that are dropped): no origin is allowed.
        f.fails.insert(
            0,
            (
                f"CORS_ORIGINS allows no origin: its {len(entries)} entr"
                f"{'y is' if len(entries) == 1 else 'ies are all'} empty or unusable, so "
                "browsers on the frontend are blocked.",
                "",
            ),
        )
    if f.fails or f.warns:
        example = ",".join(good) if good else "https://your-frontend.vercel.app"
        fix = f"Set CORS_ORIGINS to {example} {WHERE}."
        f.fails = [(s, fix) for s, _ in f.fails]
        f.warns = [(s, fix) for s, _ in f.warns]
        if bad > 1 and allowed:
            first = f.fails[0][0]
            first = first.removeprefix("CORS_ORIGINS ")
            f.fails[0] = (f"{bad} CORS_ORIGINS entries are wrong: {first}", fix)
    ok = f"CORS_ORIGINS allows {len(good)} https origin{'s' if len(good) != 1 else ''}: " + (
        ", ".join(good) + "."
    )
    return f.verdict(ok, evidence, facts={"origins": tuple(good)})


@check("env.cors_origins", section="1.1", title="CORS_ORIGINS lists exact https origins")
async def cors_origins(ctx: Context) -> Verdict:
    """Each CORS_ORIGINS entry is exactly https://host[:port], and none is local."""
    raw = ctx.env.get("CORS_ORIGINS")
    if raw is None or not raw.strip():
        return not_set(
            "CORS_ORIGINS",
            "browsers on the frontend are blocked or, if config.py defaults to *, "
            "every site may call the API",
            ctx=ctx,
        )
    return assess_cors_origins(raw.strip(), ctx.frontend_url)
