"""Offsite copies of backups in an S3-compatible bucket (AWS S3, R2, B2, MinIO).

Layout: the bucket mirrors the backup directory, flat under the prefix:
`s3://<bucket>/<prefix>/<backup file>` and `.../<its manifest>`. Each backup object
carries the file's own sha256 as metadata (`x-amz-meta-sha256`), because neither the
ETag nor the `ChecksumSHA256` of a multipart object is a checksum of the whole file.
A remote backup counts as complete only when its manifest object is there too: the
manifest is uploaded last, after the backup object is verified.

boto3 is imported only when an offsite location is actually used: it is slow to import
and most runs never need it. Credentials come from the standard AWS variables and are
handed to boto3 explicitly; they are registered with the run's redactor and never
printed, logged or put in an exception message.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import hashlib
import ipaddress
import json
import os
import re
import threading
import time
import urllib.parse
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from launchtui.core.actions import ActionError, Output, Progress
from launchtui.core.secrets import mask_url

if TYPE_CHECKING:
    from launchtui.core.context import Context

# Above this size the copy is a multipart upload, in parts of MULTIPART_CHUNK (s3transfer
# grows the parts on its own for files that would need more than 10,000 of them).
MULTIPART_THRESHOLD = 8 * 1024 * 1024
MULTIPART_CHUNK = 8 * 1024 * 1024
# Parts in flight at once: bounded, so a 50 GB dump does not hold 50 GB in memory.
MAX_CONCURRENCY = 4
# At most this many Progress events a second: a fast link calls back per 8 KB read.
PROGRESS_INTERVAL = 0.25

# Timeouts for the upload (a part may take a while on a slow link) and for the live
# check, which must fail within its budget when the endpoint is dead.
UPLOAD_TIMEOUTS = {"connect": 10.0, "read": 60.0, "attempts": 3}
CHECK_TIMEOUTS = {"connect": 4.0, "read": 8.0, "attempts": 2}

CREDENTIAL_VARS = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN")
SHA256_META = "sha256"  # stored as the object metadata x-amz-meta-sha256
HOW_VERIFIED = (
    "head_object after upload: ContentLength equals the local file's size and the "
    "x-amz-meta-sha256 metadata equals the manifest's sha256 (a multipart ETag is not "
    "a checksum of the file)"
)

_BUCKET = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")


@dataclass(frozen=True)
class OffsiteLocation:
    """Where offsite copies go: a bucket, a key prefix ("" or ending in "/"), an endpoint."""

    bucket: str
    prefix: str
    endpoint: str | None = None
    source: str = "--offsite"  # the flag or profile key it came from, for messages

    def key(self, name: str) -> str:
        return f"{self.prefix}{name}"

    def url(self, key: str | None = None) -> str:
        return f"s3://{self.bucket}/{self.prefix if key is None else key}"

    @property
    def where(self) -> str:
        """The endpoint as a person names it: a masked URL, or AWS S3 itself."""
        return mask_url(self.endpoint) if self.endpoint else "AWS S3"


# -- parsing ---------------------------------------------------------------


def bucket_problem(bucket: str) -> str | None:
    """What is wrong with a bucket name under S3's naming rules, or None."""
    if not 3 <= len(bucket) <= 63:
        return f"a bucket name is 3 to 63 characters long, and {bucket!r} has {len(bucket)}"
    if not _BUCKET.match(bucket):
        return (
            f"the bucket name {bucket!r} may hold only lowercase letters, digits, dots and "
            "hyphens, and must begin and end with a letter or digit"
        )
    if ".." in bucket or ".-" in bucket or "-." in bucket:
        return f"the bucket name {bucket!r} has two separators in a row"
    with contextlib.suppress(ValueError):
        ipaddress.IPv4Address(bucket)
        return f"the bucket name {bucket!r} is an IP address, which S3 does not allow"
    return None


def parse_offsite_url(text: str, *, source: str = "--offsite") -> OffsiteLocation:
    """`s3://bucket/prefix` as a location; ActionError naming `source` when it is not one."""
    raw = text.strip()

    def bad(why: str) -> ActionError:
        # Never echo a URL that holds userinfo: it may be a key and secret pasted in.
        shown = "the value given" if "@" in raw else repr(raw)
        return ActionError(
            f"{source} {shown} is not an offsite location: {why}. "
            "Give it as s3://bucket/prefix (for example s3://acme-backups/launchtui)."
        )

    if not raw.lower().startswith("s3://"):
        raise bad("it must start with s3://")
    rest = raw[5:]
    bucket, _, prefix = rest.partition("/")
    if "@" in bucket or ":" in bucket:
        raise bad("credentials and ports do not go in it (use the AWS variables and the endpoint)")
    if "?" in rest or "#" in rest:
        raise bad("it may not have a query or fragment")
    if not bucket:
        raise bad("it names no bucket")
    if why := bucket_problem(bucket):
        raise bad(why)
    prefix = prefix.strip("/")
    if prefix:
        parts = prefix.split("/")
        if any(p in ("", ".", "..") for p in parts):
            raise bad("its prefix has an empty, '.' or '..' part")
        if any(not ch.isprintable() or ch.isspace() for ch in prefix):
            raise bad("its prefix has spaces or control characters")
        prefix += "/"
    return OffsiteLocation(bucket=bucket, prefix=prefix, source=source)


def parse_endpoint(text: str, *, source: str = "--offsite-endpoint") -> str:
    """An S3-compatible endpoint URL (http or https, a host, no credentials)."""
    raw = text.strip()
    # Before parsing: a secret holding "/" would cut urlsplit's netloc short of the "@".
    if "@" in raw:
        raise ActionError(
            f"{source} holds credentials; put them in AWS_ACCESS_KEY_ID and "
            "AWS_SECRET_ACCESS_KEY instead, never in the URL."
        )
    try:
        parts = urllib.parse.urlsplit(raw)
        port = parts.port  # raises ValueError for a bad port
    except ValueError:
        parts, port = None, None
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
        raise ActionError(
            f"{source} is not an endpoint URL: give it as https://host[:port] "
            "(for example https://<account>.r2.cloudflarestorage.com)."
        )
    del port
    return raw.rstrip("/")


def resolve_location(ctx: Context, options: Mapping[str, Any]) -> OffsiteLocation | None:
    """The offsite location asked for (flag over profile), or None; ActionError if malformed."""
    if options.get("offsite"):
        url, source = str(options["offsite"]), "--offsite"
    elif ctx.settings.offsite:
        url, source = ctx.settings.offsite, "The profile's `offsite` key"
    else:
        return None
    loc = parse_offsite_url(url, source=source)
    endpoint = None
    if options.get("offsite_endpoint"):
        endpoint = parse_endpoint(str(options["offsite_endpoint"]), source="--offsite-endpoint")
    elif ctx.settings.offsite_endpoint:
        endpoint = parse_endpoint(
            ctx.settings.offsite_endpoint, source="The profile's `offsite_endpoint` key"
        )
    return OffsiteLocation(loc.bucket, loc.prefix, endpoint, source)


# -- the client ------------------------------------------------------------


def _aws_var(ctx: Context, name: str) -> str | None:
    # The backend's env file first (where the rest of production's secrets live), then
    # the process environment: a Context built from an explicit environ lacks the latter.
    value = ctx.get(name)
    if value is None:
        value = (os.environ.get(name) or "").strip() or None
    return value


def credentials(ctx: Context) -> dict[str, str]:
    """The AWS credentials to hand boto3, registered with the redactor; {} for its own chain."""
    found = {name: v for name in CREDENTIAL_VARS if (v := _aws_var(ctx, name))}
    ctx.redactor.add(*found.values())
    if "AWS_ACCESS_KEY_ID" in found and "AWS_SECRET_ACCESS_KEY" not in found:
        raise ActionError(
            "AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not; set both (in the env "
            "file or the environment) for the offsite copy."
        )
    if "AWS_SECRET_ACCESS_KEY" in found and "AWS_ACCESS_KEY_ID" not in found:
        raise ActionError(
            "AWS_SECRET_ACCESS_KEY is set but AWS_ACCESS_KEY_ID is not; set both (in the env "
            "file or the environment) for the offsite copy."
        )
    if not found:
        return {}
    out = {
        "aws_access_key_id": found["AWS_ACCESS_KEY_ID"],
        "aws_secret_access_key": found["AWS_SECRET_ACCESS_KEY"],
    }
    if "AWS_SESSION_TOKEN" in found:
        out["aws_session_token"] = found["AWS_SESSION_TOKEN"]
    return out


def make_client(ctx: Context, loc: OffsiteLocation, timeouts: Mapping[str, float]) -> Any:
    """A boto3 S3 client for `loc` with bounded timeouts and retries (blocking: use a thread)."""
    import boto3
    from botocore.config import Config

    creds = credentials(ctx)
    region = _aws_var(ctx, "AWS_REGION") or _aws_var(ctx, "AWS_DEFAULT_REGION") or "us-east-1"
    config = Config(
        connect_timeout=timeouts["connect"],
        read_timeout=timeouts["read"],
        retries={"max_attempts": int(timeouts["attempts"]), "mode": "standard"},
        # MinIO and most S3-compatible servers want path-style URLs; a loopback or IP
        # endpoint cannot take the bucket as a host name at all.
        s3={"addressing_style": "path" if loc.endpoint else "auto"},
    )
    # An explicit session keeps a stray ~/.aws profile from mixing with the env's keys.
    session = boto3.session.Session(region_name=region, **creds)
    return session.client("s3", endpoint_url=loc.endpoint, config=config)


def describe_error(exc: BaseException, loc: OffsiteLocation, doing: str) -> str:
    """A sentence saying what went wrong talking to the offsite store, with no secret in it."""
    from botocore import exceptions as bx

    where = loc.where
    if isinstance(exc, bx.NoCredentialsError):
        return (
            f"No AWS credentials were found for {doing}: set AWS_ACCESS_KEY_ID and "
            "AWS_SECRET_ACCESS_KEY in the env file or the environment."
        )
    if isinstance(exc, bx.ConnectTimeoutError | bx.ReadTimeoutError):
        return f"{where} did not answer in time while {doing} ({type(exc).__name__})."
    if isinstance(exc, bx.EndpointConnectionError):
        return f"Could not connect to {where} while {doing}: the endpoint refused or is down."
    if isinstance(exc, bx.ClientError):
        err = exc.response.get("Error", {})
        code = str(err.get("Code", "?"))
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        if code == "NoSuchBucket":
            return (
                f"The bucket {loc.bucket} does not exist at {where} ({doing}); create it, or "
                f"fix {loc.source}."
            )
        if status == 403 or code in (
            "AccessDenied",
            "InvalidAccessKeyId",
            "SignatureDoesNotMatch",
            "Forbidden",
            "403",
        ):
            return (
                f"{where} refused {doing} ({code}): check AWS_ACCESS_KEY_ID and "
                f"AWS_SECRET_ACCESS_KEY and that they may write to s3://{loc.bucket}."
            )
        return f"{where} answered {code} (HTTP {status}) while {doing}."
    # Not str.capitalize(): it would lowercase the file names in the rest of the sentence.
    doing = doing[:1].upper() + doing[1:]
    if isinstance(exc, bx.BotoCoreError | OSError):
        return f"{doing} failed: {exc}."
    return f"{doing} failed unexpectedly ({type(exc).__name__}: {exc})."


# -- what is there ---------------------------------------------------------


@dataclass(frozen=True)
class RemoteObject:
    key: str
    size: int
    sha256: str | None  # the x-amz-meta-sha256 metadata, if any


def head(client: Any, loc: OffsiteLocation, key: str) -> RemoteObject | None:
    """The object's size and sha256 metadata, or None when there is no such object."""
    from botocore.exceptions import ClientError

    try:
        r = client.head_object(Bucket=loc.bucket, Key=key)
    except ClientError as exc:
        code = str(exc.response.get("Error", {}).get("Code", ""))
        if code in ("404", "NoSuchKey", "NotFound"):
            return None
        raise
    meta = {str(k).lower(): str(v) for k, v in (r.get("Metadata") or {}).items()}
    return RemoteObject(key=key, size=int(r["ContentLength"]), sha256=meta.get(SHA256_META))


def mismatch(remote: RemoteObject | None, size: int, sha256: str) -> str | None:
    """Why a remote object is not the local file (by size and sha256 metadata), or None."""
    if remote is None:
        return "it is missing"
    if remote.size != size:
        return f"it is {remote.size} bytes where the local file is {size}"
    if remote.sha256 is None:
        return "it carries no sha256 metadata, so it was not copied by launchtui"
    if remote.sha256 != sha256:
        return (
            f"its sha256 metadata is {remote.sha256[:12]}… where the manifest says {sha256[:12]}…"
        )
    return None


# -- the upload ------------------------------------------------------------


@dataclass(frozen=True)
class UploadDone:
    """The end of an upload: the record stored in the manifest, or why there is none."""

    ok: bool
    message: str
    record: dict[str, Any] | None = None


class _Tracker:
    """Bytes sent so far, from s3transfer's threads, waking the event loop now and then."""

    def __init__(self, loop: asyncio.AbstractEventLoop, total: int) -> None:
        self.loop, self.total = loop, total
        self.done = 0
        self.wake = asyncio.Event()
        self._lock = threading.Lock()
        self._last = 0.0

    def add(self, n: int) -> None:
        with self._lock:
            # A retried part reports negative progress: keep the count honest.
            self.done = max(0, min(self.total, self.done + n))
            now = time.monotonic()
            due = now - self._last >= PROGRESS_INTERVAL or self.done >= self.total
            if due:
                self._last = now
        if due:
            self.loop.call_soon_threadsafe(self.wake.set)


def _subscriber(tracker: _Tracker) -> Any:
    from s3transfer.subscribers import BaseSubscriber

    class _Progress(BaseSubscriber):  # type: ignore[misc]
        def on_progress(self, future: Any, bytes_transferred: int, **kwargs: Any) -> None:
            tracker.add(bytes_transferred)

    return _Progress()


async def _transfer(
    ctx: Context,
    client: Any,
    loc: OffsiteLocation,
    path: Path,
    key: str,
    extra_args: dict[str, Any],
    label: str,
) -> AsyncIterator[Progress]:
    """Upload one file (multipart above the threshold), yielding throttled Progress.

    boto3's `upload_file` is this same s3transfer TransferManager behind a blocking call;
    using the manager directly gives a future that can be cancelled, and a cancelled
    multipart upload is aborted by s3transfer's failure cleanup (no orphaned parts).
    """
    from boto3.s3.transfer import TransferConfig
    from s3transfer.manager import TransferManager

    size = path.stat().st_size
    tracker = _Tracker(asyncio.get_running_loop(), size)
    config = TransferConfig(
        multipart_threshold=MULTIPART_THRESHOLD,
        multipart_chunksize=MULTIPART_CHUNK,
        max_concurrency=MAX_CONCURRENCY,
        use_threads=True,
    )
    manager = TransferManager(client, config)
    future = manager.upload(
        str(path), loc.bucket, key, extra_args=extra_args, subscribers=[_subscriber(tracker)]
    )
    done = asyncio.ensure_future(ctx.to_thread(_wait, future))
    finished = False
    try:
        while not done.done():
            waiter = asyncio.ensure_future(tracker.wake.wait())
            try:
                await asyncio.wait({done, waiter}, return_when=asyncio.FIRST_COMPLETED)
            finally:
                waiter.cancel()
            if tracker.wake.is_set():
                tracker.wake.clear()
                yield Progress(tracker.done, size, "bytes", label)
        done.result()  # raises the upload's own error
        finished = True
        yield Progress(size, size, "bytes", label)
    finally:
        if not finished:
            # Cancelled, failed, or the consumer stopped listening: cancel the transfer;
            # its failure cleanup aborts the multipart upload once in-flight parts end.
            future.cancel()
            await _settle(ctx, manager, done)
        else:
            await ctx.to_thread(manager.shutdown)


class TransferStopped(Exception):
    """s3transfer stopped the transfer itself (its FatalError, a concurrent CancelledError)."""


def _wait(future: Any) -> Any:
    # asyncio turns a concurrent.futures.CancelledError coming out of a thread into its own
    # CancelledError, which would pass for the user cancelling: name it for what it is.
    try:
        return future.result()
    except concurrent.futures.CancelledError as exc:
        raise TransferStopped(str(exc) or "the transfer was stopped") from None


async def _settle(ctx: Context, manager: Any, done: asyncio.Future[Any]) -> None:
    """Wait (bounded, shielded from a second cancel) for a cancelled transfer to clean up."""
    shutdown = asyncio.ensure_future(ctx.to_thread(manager.shutdown, True))
    with contextlib.suppress(BaseException):
        both = asyncio.gather(done, shutdown, return_exceptions=True)
        await asyncio.wait_for(asyncio.shield(both), 30.0)


def _manifest_bytes(manifest: dict[str, Any]) -> bytes:
    return (json.dumps(manifest, indent=2) + "\n").encode()


async def upload_backup(
    ctx: Context, loc: OffsiteLocation, path: Path, manifest: dict[str, Any], manifest_name: str
) -> AsyncIterator[Output | Progress | UploadDone]:
    """Copy a finished backup and its manifest offsite, verify, and say what is recorded.

    The backup object first (with its sha256 as metadata), verified by head_object; then
    the manifest (with the `offsite` record already in it), so a remote manifest means a
    verified remote backup. Ends with one UploadDone; re-raises CancelledError.
    """
    # Imported here: launchtui.checks imports this module for backup.offsite.
    from launchtui.checks.backups import format_size
    from launchtui.probes.backup_files import utc_iso

    key, mkey = loc.key(path.name), loc.key(manifest_name)
    size, sha = int(manifest["bytes"]), str(manifest["sha256"])
    doing = f"copying {path.name} to {loc.url(key)}"
    try:
        client = await ctx.to_thread(make_client, ctx, loc, UPLOAD_TIMEOUTS)
    except ActionError as exc:
        yield UploadDone(False, str(exc))
        return
    yield Output(f"Copying {path.name} ({format_size(size)}) to {loc.url(key)} on {loc.where}.")
    try:
        extra = {"Metadata": {SHA256_META: sha}, "ContentType": "application/octet-stream"}
        async for p in _transfer(ctx, client, loc, path, key, extra, f"Copying {path.name}"):
            yield p
        remote = await ctx.to_thread(head, client, loc, key)
        if why := mismatch(remote, size, sha):
            yield UploadDone(
                False,
                f"The offsite copy {loc.url(key)} does not match the local file after upload: "
                f"{why}.",
            )
            return
        record = {
            "url": loc.url(key),
            "bucket": loc.bucket,
            "key": key,
            "manifest_key": mkey,
            "endpoint": loc.endpoint and mask_url(loc.endpoint),
            "bytes": size,
            "sha256": sha,
            "verified_at": utc_iso(),
            "verified_by": HOW_VERIFIED,
        }
        body = _manifest_bytes({**manifest, "offsite": record})
        doing = f"copying the manifest {manifest_name} to {loc.url(mkey)}"
        await ctx.to_thread(
            client.put_object,
            Bucket=loc.bucket,
            Key=mkey,
            Body=body,
            ContentType="application/json",
            Metadata={SHA256_META: hashlib.sha256(body).hexdigest()},
        )
        mremote = await ctx.to_thread(head, client, loc, mkey)
        if why := mismatch(mremote, len(body), hashlib.sha256(body).hexdigest()):
            yield UploadDone(False, f"The offsite manifest {loc.url(mkey)} is wrong: {why}.")
            return
    except asyncio.CancelledError:
        raise
    except Exception as exc:  # boto errors, OSError: the local backup is kept either way
        yield UploadDone(False, ctx.redactor.scrub(describe_error(exc, loc, doing)))
        return
    yield UploadDone(True, "", record)
