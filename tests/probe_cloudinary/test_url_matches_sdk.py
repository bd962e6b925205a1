"""One CLOUDINARY_URL parser: it reads what the real SDK reads, and both checks use it."""

from __future__ import annotations

import re

import pytest

from launchtui.checks.env_cloudinary import assess_cloudinary_url
from launchtui.core.model import Status
from launchtui.probes.cloudinary_config import CloudinaryUrlError, parse_cloudinary_url
from tests.cloudinary_sdk import SdkConfig
from tests.probe_cloudinary.support import CANARY_KEY, CANARY_SECRET

CREDS = f"{CANARY_KEY}:{CANARY_SECRET}"


@pytest.mark.parametrize(
    "url",
    [
        f"cloudinary://{CREDS}@my-cloud/",
        f"cloudinary://{CREDS}@my-cloud/cdn@example.com",
        f"cloudinary://{CREDS}@my-cloud#notes",
        f"cloudinary://{CREDS}@My-Cloud:notaport",
        f"cloudinary://{CREDS}@my-cloud?secure_distribution=a.example.com&secure_distribution=b",
        f"cloudinary://{CREDS}@my-cloud/cdn.example.com?cname=",
    ],
)
def test_cloud_key_secret_and_cdn_are_read_as_the_sdk_reads_them(
    sdk_config: SdkConfig, url: str
) -> None:
    sdk = sdk_config(url)
    ours = parse_cloudinary_url(url)
    assert ours.cloud_name == sdk.cloud_name
    assert (ours.api_key.reveal(), ours.api_secret.reveal()) == (sdk.api_key, sdk.api_secret)
    assert ours.private_cdn == bool(sdk.private_cdn)
    assert ours.secure_distribution == (sdk.secure_distribution or None)
    assert ours.cname == sdk.cname


def test_a_slash_in_the_secret_is_refused_because_the_sdk_reads_no_key(
    sdk_config: SdkConfig,
) -> None:
    url = f"cloudinary://{CANARY_KEY}:abc/def@my-cloud"
    assert sdk_config(url).api_key is None
    with pytest.raises(CloudinaryUrlError) as info:
        parse_cloudinary_url(url)
    assert "before the @" in str(info.value) and CANARY_KEY not in str(info.value)
    verdict = assess_cloudinary_url(url)
    assert verdict.status is Status.FAIL and "no API key or secret" in verdict.summary


@pytest.mark.parametrize(
    ("query", "words"),
    [("upload_prefix=ftp://x", "http(s) URL"), ("secure=maybe", "not true/false")],
)
def test_the_static_check_fails_what_the_live_probes_refuse(query: str, words: str) -> None:
    url = f"cloudinary://{CREDS}@my-cloud?{query}"
    with pytest.raises(CloudinaryUrlError, match=re.escape(words)):
        parse_cloudinary_url(url)
    verdict = assess_cloudinary_url(url)
    assert verdict.status is Status.FAIL and words in verdict.summary
    assert CANARY_SECRET not in verdict.summary + " ".join(map(str, verdict.evidence.values()))
