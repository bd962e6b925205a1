"""CLOUDINARY_URL parsed the way the Cloudinary SDK reads it, into one account's settings."""

from __future__ import annotations

import dataclasses
import re
import urllib.parse
from typing import TYPE_CHECKING, Any

from launchtui.core.secrets import MASK, Redactor, Secret

if TYPE_CHECKING:
    from launchtui.core.context import Context

DEFAULT_API = "https://api.cloudinary.com"
# Query arguments of CLOUDINARY_URL that the SDK would read as strings but means as flags.
_FLAG_ARGS = ("secure", "private_cdn", "cdn_subdomain", "secure_cdn_subdomain")
_CLOUD_NAME = re.compile(r"[a-z0-9][a-z0-9_.-]*")
_TRUE, _FALSE = ("true", "1", "yes", "on"), ("false", "0", "no", "off", "")
SHAPE = "cloudinary://API_KEY:API_SECRET@CLOUD_NAME"


class CloudinaryUrlError(ValueError):
    """CLOUDINARY_URL cannot be used; the message names the part and never the secret."""


@dataclasses.dataclass(frozen=True)
class CloudinaryConfig:
    """One account's settings, parsed from CLOUDINARY_URL the way the SDK reads it."""

    cloud_name: str
    api_key: Secret
    api_secret: Secret
    upload_prefix: str = DEFAULT_API
    cname: str | None = None
    secure: bool = True
    private_cdn: bool = False
    secure_distribution: str | None = None
    # CA bundle for https (`--ca-file`); None means certifi's, as the SDK uses.
    ca_file: str | None = None
    # Query arguments launchtui converted or ignored, in words the user can act on.
    notes: tuple[str, ...] = ()
    # Query arguments that break the backend's own SDK calls.
    backend_problems: tuple[str, ...] = ()
    # CLOUDINARY_URL as written: what follows the @, the path, and the query the SDK reads.
    written_host: str = ""
    path: str = ""
    query: tuple[tuple[str, str], ...] = dataclasses.field(default=(), repr=False)

    @property
    def written_cloud(self) -> str:
        """The cloud name as written, before the SDK lowercases it."""
        return self.written_host.partition(":")[0]

    @property
    def masked(self) -> str:
        """CLOUDINARY_URL with the key, the secret and secret-looking query values masked."""
        shown = "&".join(
            f"{k}={MASK}" if re.search(r"secret|password|key|token", k, re.I) else f"{k}={v}"
            for k, v in self.query
        )
        url = f"cloudinary://{MASK}:{MASK}@{self.written_host}{self.path}"
        return url + (f"?{shown}" if shown else "")

    @property
    def api_host(self) -> str:
        return urllib.parse.urlsplit(self.upload_prefix).netloc or self.upload_prefix

    def sdk_options(self, timeout: float) -> dict[str, Any]:
        """Per-call SDK options that override every global setting the call would read."""
        return {
            "cloud_name": self.cloud_name,
            "api_key": self.api_key.reveal(),
            "api_secret": self.api_secret.reveal(),
            "upload_prefix": self.upload_prefix,
            "timeout": float(timeout),
        }

    def scrub(self, text: str) -> str:
        """Text from the server or the SDK with this account's key and secret masked."""
        return Redactor([self.api_secret.reveal(), self.api_key.reveal()]).scrub(text)


def parse_cloudinary_url(url: str) -> CloudinaryConfig:
    """Parse `cloudinary://key:secret@cloud[/cdn][?query]` by the SDK's rules, refusing what no
    Cloudinary account can use."""
    # As the SDK reads it: urlparse, the lowercased hostname is the cloud, a path a private CDN.
    text = url.strip()
    if text.upper().startswith("CLOUDINARY_URL="):
        raise CloudinaryUrlError("CLOUDINARY_URL's value starts with the variable name itself")
    try:
        parts = urllib.parse.urlparse(text)
    except ValueError:
        raise CloudinaryUrlError(f"CLOUDINARY_URL is not a URL like {SHAPE}") from None
    if parts.scheme.lower() != "cloudinary" or "://" not in text:
        raise CloudinaryUrlError(f"CLOUDINARY_URL must start with cloudinary://, like {SHAPE}")
    if "@" not in parts.netloc and "@" in text:
        raise CloudinaryUrlError(
            "CLOUDINARY_URL has a '/', '?' or '#' before the @, which ends the URL's host part, "
            "so the SDK reads no API key or secret from it"
        )
    if "@" not in parts.netloc:
        raise CloudinaryUrlError(
            "CLOUDINARY_URL has no API key or secret (no key:secret@ part before the cloud "
            f"name); it should look like {SHAPE}"
        )
    key, secret = parts.username or "", parts.password or ""
    for missing, part in ((not key, "API key"), (not secret, "API secret")):
        if missing:
            raise CloudinaryUrlError(
                f"CLOUDINARY_URL has no {part}; it needs both the API key and the API secret, "
                f"like {SHAPE}"
            )
    if not all(v.isascii() and v.isprintable() and " " not in v for v in (key, secret)):
        raise CloudinaryUrlError("CLOUDINARY_URL's API key or secret has spaces or odd characters")
    cloud = parts.hostname or ""
    if not cloud:
        raise CloudinaryUrlError(f"CLOUDINARY_URL has no cloud name after the @, like {SHAPE}")
    if not _CLOUD_NAME.fullmatch(cloud):
        raise CloudinaryUrlError(f"CLOUDINARY_URL's cloud name {cloud!r} has odd characters")
    # The SDK's parse_qs: blank values are dropped and the first of a repeated argument wins.
    query = tuple((k, v[0]) for k, v in urllib.parse.parse_qs(parts.query).items())
    values: dict[str, Any] = {}
    notes: list[str] = []
    problems: list[str] = []
    if parts.path:
        values["private_cdn"] = True
        values["secure_distribution"] = parts.path[1:] or None
    for name, value in query:
        if name == "upload_prefix":
            if not value.startswith(("http://", "https://")):
                raise CloudinaryUrlError("CLOUDINARY_URL's upload_prefix must be an http(s) URL")
            values["upload_prefix"] = value.rstrip("/")
        elif name in ("cname", "secure_distribution"):
            values[name] = value
        elif name in _FLAG_ARGS:
            flag = value.strip().lower()
            if flag not in _TRUE + _FALSE:
                raise CloudinaryUrlError(f"CLOUDINARY_URL's {name}={value} is not true/false")
            if name in ("secure", "private_cdn"):
                values[name] = flag in _TRUE
            if flag in _FALSE and flag:
                notes.append(
                    f"{name}={value}: the SDK reads this as the string {value!r}, which is "
                    "truthy, so the backend treats it as on"
                )
        elif name == "timeout":
            problems.append(
                f"timeout={value}: the SDK passes the string {value!r} to urllib3, which "
                "raises ValueError on every Admin and Upload API call"
            )
        else:
            notes.append(f"{name}: not used by launchtui's probes")
    if "secure" not in values:
        # The SDK serves a bare cname over http; everything else is probed over https.
        values["secure"] = not values.get("cname")
    return CloudinaryConfig(
        cloud_name=cloud,
        api_key=Secret(key),
        api_secret=Secret(secret),
        notes=tuple(notes),
        backend_problems=tuple(problems),
        written_host=parts.netloc.rpartition("@")[2],
        path=parts.path,
        query=query,
        **values,
    )


def config_from_context(ctx: Context) -> CloudinaryConfig | None:
    """The run's CLOUDINARY_URL parsed (None when unset); key and secret join the redactor."""
    url = ctx.secret("CLOUDINARY_URL")
    if url is None:
        return None
    cfg = parse_cloudinary_url(url.reveal())
    ctx.redactor.add(cfg.api_key, cfg.api_secret)
    ca_file = ctx.settings.ca_file
    return dataclasses.replace(cfg, ca_file=str(ca_file)) if ca_file else cfg
