"""The deployed frontend's JS: index.html, its same-origin scripts, and the chunks they import."""

from __future__ import annotations

import asyncio
import re
import ssl
import urllib.parse
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import TYPE_CHECKING

from launchtui.probes.http import client, describe_error, parse_site_url, read_capped

if TYPE_CHECKING:
    import httpx

MAX_SCRIPT_BYTES = 10 * 1024 * 1024
MAX_SCRIPTS = 20
# Chunk names a Vite build refers to: "./x.js", "/assets/x.js", or base-relative "assets/x.js".
_CHUNK_REF = re.compile(r"""["'`]((?:\.{0,2}/)?[\w@./-]+\.m?js)["'`]""")


class _ScriptTags(HTMLParser):
    """Collects script sources and modulepreload links from index.html."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.sources: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k.lower(): (v or "") for k, v in attrs}
        if tag == "script" and a.get("src"):
            kind = a.get("type", "").lower()
            if kind in ("", "module", "text/javascript", "application/javascript"):
                self.sources.append(a["src"])
        elif (
            tag == "link" and "modulepreload" in a.get("rel", "").lower().split() and a.get("href")
        ):
            self.sources.append(a["href"])


@dataclass
class Bundle:
    """What the deployed frontend serves: index.html's status and the text of its JS files."""

    index_url: str
    index_status: int = 0
    scripts: dict[str, str] = field(default_factory=dict)  # URL -> text
    cross_origin: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)  # URL -> why
    truncated: list[str] = field(default_factory=list)


async def fetch_bundle(
    url: str, ca_file: Path | None, verify: ssl.SSLContext | None = None
) -> Bundle:
    """Fetch index.html, its same-origin module scripts, and the chunks they import (one level)."""
    bundle = Bundle(index_url=url)
    async with client(ca_file, follow_redirects=True, verify=verify) as http:
        resp, body, _cut = await read_capped(http, "GET", url, cap=MAX_SCRIPT_BYTES)
        bundle.index_status = resp.status_code
        if resp.status_code != 200:
            return bundle
        base = str(resp.url)
        origin = parse_site_url(base).origin
        parser = _ScriptTags()
        parser.feed(body.decode(resp.encoding or "utf-8", "replace"))
        entries = _same_origin(
            [urllib.parse.urljoin(base, s) for s in parser.sources], origin, bundle
        )
        await _fetch_scripts(http, entries, bundle)
        chunks: list[str] = []
        for src in entries:
            for ref in _CHUNK_REF.findall(bundle.scripts.get(src, "")):
                rel = src if ref.startswith((".", "/")) else origin + "/"
                chunks.append(urllib.parse.urljoin(rel, ref))
        await _fetch_scripts(http, _same_origin(chunks, origin, bundle), bundle)
    return bundle


def _same_origin(urls: list[str], origin: str, bundle: Bundle) -> list[str]:
    out: list[str] = []
    for u in dict.fromkeys(urls):
        try:
            same = parse_site_url(u).origin == origin
        except ValueError:
            continue
        if not same:
            bundle.cross_origin.append(u)
        elif u not in bundle.scripts and u not in bundle.failed:
            out.append(u)
    return out


async def _fetch_scripts(http: httpx.AsyncClient, urls: list[str], bundle: Bundle) -> None:
    room = MAX_SCRIPTS - len(bundle.scripts) - len(bundle.failed)
    gate = asyncio.Semaphore(4)

    async def one(u: str) -> None:
        async with gate:
            try:
                resp, body, cut = await read_capped(http, "GET", u, cap=MAX_SCRIPT_BYTES)
            except Exception as exc:
                bundle.failed[u] = str(describe_error(exc, u))
                return
        if resp.status_code != 200:
            bundle.failed[u] = f"HTTP {resp.status_code}"
            return
        bundle.scripts[u] = body.decode("utf-8", "replace")
        if cut:
            bundle.truncated.append(u)

    await asyncio.gather(*(one(u) for u in urls[: max(room, 0)]))
