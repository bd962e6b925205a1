"""CLOUDINARY_URL: parsed by the SDK's rules into a config, or a CloudinaryUrlError."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from launchtui.checks.env_cloudinary import assess_cloudinary_url
from launchtui.core.secrets import MASK
from launchtui.probes.cloudinary_config import CloudinaryUrlError, parse_cloudinary_url
from tests.fuzz.strategies import ANY_TEXT, FUZZ, NASTY, mixed

QUERY_KEYS = st.sampled_from(
    ["secure", "private_cdn", "cdn_subdomain", "cname", "upload_prefix", "timeout", "api_proxy"]
)
QUERY = st.lists(st.tuples(QUERY_KEYS, mixed("truefals01:/h", 10)), max_size=4).map(
    lambda kv: "&".join(f"{k}={v}" for k, v in kv)
)
URLS = st.builds(
    lambda scheme, key, secret, cloud, path, q: f"{scheme}://{key}:{secret}@{cloud}{path}?{q}",
    st.sampled_from(["cloudinary", "CLOUDINARY", "https", ""]),
    mixed("0123456789", 15),
    mixed("abcXYZ_-019/:?#@%", 12),
    mixed("my-cloud.[]:@", 12),
    st.sampled_from(["", "/", "/cdn.example.com", "/a/b"]),
    QUERY,
)
KEYS = st.text(alphabet="0123456789", min_size=1, max_size=15)
SECRETS = st.text(alphabet="abcXYZ_-019", min_size=1, max_size=27)
CLOUDS = st.from_regex(r"[a-z0-9][a-z0-9_.-]{0,20}", fullmatch=True)


@FUZZ
@given(ANY_TEXT | NASTY | URLS, st.none() | ANY_TEXT)
def test_any_cloudinary_url_parses_or_raises_cloudinary_url_error(
    raw: str, cloud_var: str | None
) -> None:
    try:
        cfg = parse_cloudinary_url(raw)
    except CloudinaryUrlError as exc:
        assert str(exc)
    else:
        assert cfg.cloud_name and cfg.api_key.reveal() and cfg.api_secret.reveal()
        assert cfg.masked.startswith(f"cloudinary://{MASK}:{MASK}@")
        assert isinstance(cfg.api_host, str)
        cfg.sdk_options(5)
        cfg.scrub(raw)
    assess_cloudinary_url(raw, cloud_var)


@FUZZ
@given(KEYS, SECRETS, CLOUDS, st.sampled_from(["", "/", "/cdn.example.com"]))
def test_a_well_formed_url_round_trips(key: str, secret: str, cloud: str, path: str) -> None:
    cfg = parse_cloudinary_url(f"cloudinary://{key}:{secret}@{cloud}{path}")
    assert (cfg.api_key.reveal(), cfg.api_secret.reveal(), cfg.cloud_name) == (key, secret, cloud)
    assert cfg.private_cdn == bool(path)
    # The masked form is itself a well-formed URL naming the same cloud, and hides the secret.
    again = parse_cloudinary_url(cfg.masked)
    assert (again.cloud_name, again.path) == (cfg.cloud_name, cfg.path)
    assert secret not in cfg.masked.replace(cloud, "") or len(secret) < 4
