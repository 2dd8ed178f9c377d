"""An S3 API server on loopback for the tests: moto's standalone server, in a process of
its own, with one bucket made.

No real S3-compatible server can be installed here (MinIO and its peers are neither
Debian nor PyPI packages), so the tests use moto's server: the test double that boto3's
own users test against. It speaks S3's HTTP API (signed requests, presigned links, Range,
multipart uploads); it does not check signatures or credentials, so a test of a wrong
key or an expired link belongs to a real store, not here.

    with running_s3() as s3:
        client = s3.client()
        client.put_object(Bucket=s3.bucket, Key="a.mp4", Body=data)

The server process starts in about a second (moto's imports) and keeps its objects in
memory; stopping it forgets everything.

    python -m tests.services.s3     # serves on a free port, prints "moto listening on PORT"
"""

from __future__ import annotations

import queue
import secrets
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.services.processes import stop

ROOT = Path(__file__).resolve().parents[2]
START_LIMIT = 60.0  # moto's imports take ~1 s on an idle machine, more on a busy one
READY = "moto listening on "


@dataclass(frozen=True)
class S3Service:
    """Everything a client needs: the same settings the studio will read from
    STUDIO_S3_ENDPOINT_URL, STUDIO_S3_REGION, STUDIO_S3_BUCKET, AWS_ACCESS_KEY_ID and
    AWS_SECRET_ACCESS_KEY."""

    endpoint_url: str
    region: str
    access_key_id: str
    secret_access_key: str
    bucket: str

    def client(self, **config):
        """A boto3 S3 client for this server. Path-style addressing, as every
        S3-compatible store on a plain host name needs (bucket.minio:9000 resolves
        nowhere), and Signature Version 4 for presigned links too (boto3 still signs
        them with version 2 for a custom endpoint; R2 and new AWS regions refuse that)."""
        import boto3
        from botocore.config import Config

        return boto3.client(
            "s3",
            endpoint_url=self.endpoint_url,
            region_name=self.region,
            aws_access_key_id=self.access_key_id,
            aws_secret_access_key=self.secret_access_key,
            config=Config(signature_version="s3v4", s3={"addressing_style": "path"}, **config),
        )

    def env(self) -> dict[str, str]:
        """The studio's settings for this store (lib/config.py, README's settings)."""
        return {
            "STUDIO_STORAGE": "s3",
            "STUDIO_S3_ENDPOINT_URL": self.endpoint_url,
            "STUDIO_S3_REGION": self.region,
            "STUDIO_S3_BUCKET": self.bucket,
            "AWS_ACCESS_KEY_ID": self.access_key_id,
            "AWS_SECRET_ACCESS_KEY": self.secret_access_key,
        }


def _read_port(process: subprocess.Popen) -> int:
    """The port the server prints once it listens. A thread reads the process's output
    to the end, so it never blocks on a full pipe."""
    lines: queue.Queue[str | None] = queue.Queue()

    def read() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            lines.put(line)
        lines.put(None)

    threading.Thread(target=read, daemon=True, name="moto-output").start()
    deadline = time.monotonic() + START_LIMIT
    seen: list[str] = []
    while (left := deadline - time.monotonic()) > 0:
        try:
            line = lines.get(timeout=left)
        except queue.Empty:
            break
        if line is None:
            raise RuntimeError("moto's server stopped while starting:\n" + "".join(seen))
        if line.startswith(READY):
            return int(line[len(READY) :])
        seen.append(line)
    raise RuntimeError(f"moto's server did not start in {START_LIMIT} s:\n" + "".join(seen))


@contextmanager
def running_s3(bucket: str = "studio-media", region: str = "eu-west-1") -> Iterator[S3Service]:
    """moto's server on a free port of 127.0.0.1 with `bucket` made in `region`."""
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.services.s3"],
        cwd=ROOT,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        port = _read_port(process)
        service = S3Service(
            endpoint_url=f"http://127.0.0.1:{port}",
            region=region,
            access_key_id="test-" + secrets.token_hex(4),
            secret_access_key=secrets.token_urlsafe(24),
            bucket=bucket,
        )
        service.client().create_bucket(
            Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": region}
        )
        yield service
    finally:
        stop(process)


@pytest.fixture(scope="session")
def s3_service() -> Iterator[S3Service]:
    with running_s3() as service:
        yield service


def serve() -> None:
    """The server process: moto on 127.0.0.1, a port the system picks (no race with
    another test picking the same), until SIGTERM."""
    from moto.server import ThreadedMotoServer

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    _host, port = server.get_host_and_port()
    print(f"{READY}{port}", flush=True)
    stop.wait()
    server.stop()


if __name__ == "__main__":
    serve()
