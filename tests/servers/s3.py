"""A real S3-speaking server on loopback: `moto_server`, one per test session.

It keeps objects in memory, so tests keep theirs small (a multipart test needs one file
over the 8 MiB threshold, no more). Each test gets a fresh, empty bucket of its own name
through the `s3` fixture; the server itself is started once and stopped at the end.
"""

from __future__ import annotations

import itertools
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.servers.mariadb import free_port

HOST = "127.0.0.1"
START_DEADLINE = 30.0
# Test credentials: moto accepts any; the secret is distinctive so a leak is easy to find.
ACCESS_KEY = "AKIALAUNCHTUITEST0001"
SECRET_KEY = "Lt/offsite+Secret-9f3e1c7a-do-not-print"
_buckets = itertools.count(1)


def _moto_command(port: int) -> list[str]:
    script = Path(sys.executable).with_name("moto_server")
    if script.exists():
        return [str(script), "-H", HOST, "-p", str(port)]
    return [sys.executable, "-m", "moto.server", "-H", HOST, "-p", str(port)]


@dataclass
class S3Server:
    """The running server: its endpoint, and a plain boto3 client for setting up and looking."""

    endpoint: str
    port: int
    log: Path

    def client(self) -> Any:
        import boto3
        from botocore.config import Config

        return boto3.session.Session(
            aws_access_key_id=ACCESS_KEY, aws_secret_access_key=SECRET_KEY, region_name="us-east-1"
        ).client(
            "s3",
            endpoint_url=self.endpoint,
            config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 1}),
        )


@dataclass
class Bucket:
    """A fresh bucket for one test, and the environment that reaches it."""

    server: S3Server
    name: str
    client: Any

    @property
    def endpoint(self) -> str:
        return self.server.endpoint

    def url(self, prefix: str = "nightly") -> str:
        return f"s3://{self.name}/{prefix}" if prefix else f"s3://{self.name}"

    def environ(self) -> dict[str, str]:
        return {
            "PATH": os.environ.get("PATH", ""),
            "AWS_ACCESS_KEY_ID": ACCESS_KEY,
            "AWS_SECRET_ACCESS_KEY": SECRET_KEY,
            "AWS_REGION": "us-east-1",
        }

    def object_keys(self, prefix: str = "") -> list[str]:
        pages = self.client.get_paginator("list_objects_v2").paginate(
            Bucket=self.name, Prefix=prefix
        )
        return sorted(o["Key"] for p in pages for o in p.get("Contents") or ())

    def head(self, key: str) -> dict[str, Any]:
        return dict(self.client.head_object(Bucket=self.name, Key=key))

    def body(self, key: str) -> bytes:
        return bytes(self.client.get_object(Bucket=self.name, Key=key)["Body"].read())

    def pending_uploads(self) -> list[dict[str, Any]]:
        """Multipart uploads started and neither completed nor aborted (orphaned parts)."""
        return list(self.client.list_multipart_uploads(Bucket=self.name).get("Uploads") or ())


def _answering(endpoint: str) -> bool:
    try:
        with urllib.request.urlopen(endpoint + "/moto-api/data.json", timeout=1.0) as r:
            return bool(r.status == 200)
    except (urllib.error.URLError, OSError):
        return False


@pytest.fixture(scope="session")
def s3_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[S3Server]:
    """moto_server on a free loopback port, polled until it answers."""
    port = free_port()
    log = tmp_path_factory.mktemp("moto") / "moto_server.log"
    # Its own environment: no real AWS settings of the developer's leak into the server.
    env = {"PATH": os.environ.get("PATH", ""), "HOME": str(log.parent)}
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            _moto_command(port), stdout=out, stderr=subprocess.STDOUT, env=env, cwd=log.parent
        )
    endpoint = f"http://{HOST}:{port}"
    deadline = time.monotonic() + START_DEADLINE
    try:
        while not _answering(endpoint):
            if proc.poll() is not None:
                pytest.fail(
                    f"moto_server exited ({proc.returncode}) before answering: "
                    f"{log.read_text(errors='replace')[-2000:]}",
                    pytrace=False,
                )
            if time.monotonic() > deadline:
                pytest.fail(f"moto_server did not answer on {endpoint} within {START_DEADLINE} s")
            time.sleep(0.05)  # polling the port, with the deadline above
        yield S3Server(endpoint=endpoint, port=port, log=log)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture
def s3(s3_server: S3Server) -> Iterator[Bucket]:
    """An empty bucket of its own for one test, emptied and removed after it."""
    client = s3_server.client()
    name = f"launchtui-test-{os.getpid()}-{next(_buckets)}"
    client.create_bucket(Bucket=name)
    bucket = Bucket(s3_server, name, client)
    try:
        yield bucket
    finally:
        # Free the server's memory: objects, then unfinished multipart uploads.
        for key in bucket.object_keys():
            client.delete_object(Bucket=name, Key=key)
        for up in bucket.pending_uploads():
            client.abort_multipart_upload(Bucket=name, Key=up["Key"], UploadId=up["UploadId"])
        client.delete_bucket(Bucket=name)
