"""The S3-compatible backend (AWS S3, MinIO, Cloudflare R2, Google Cloud Storage's S3
API) through boto3: every server reads and writes one bucket.

Videos never pass through the studio: /library/ answers with a redirect to a link signed
for a few minutes, and the browser fetches the bytes, with Range for seeking, from the
store itself. Links are signed for STUDIO_S3_PUBLIC_ENDPOINT_URL (the address browsers
reach), which may differ from the address the servers use (STUDIO_S3_ENDPOINT_URL).
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

from lib.config import StudioConfig
from lib.storage.base import CHUNK_BYTES, StorageUnavailable

log = logging.getLogger(__name__)
# Files never change once written (a new video gets a new name): browsers may keep them.
IMMUTABLE = "private, max-age=31536000, immutable"
CONNECT_SECONDS = 5
READ_SECONDS = 60


def _client(config: StudioConfig, endpoint: str | None):
    import boto3
    from botocore.config import Config

    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name=config.s3_region,
        aws_access_key_id=config.s3_access_key_id,
        aws_secret_access_key=config.s3_secret_access_key,
        config=Config(
            # Version 4 for signed links too (boto3 signs them with version 2 for a custom
            # endpoint; R2 and newer AWS regions refuse that), and path-style addresses
            # (bucket.minio:9000 resolves nowhere). Checksums only when required: some
            # S3-compatible stores refuse boto3's default CRC32 headers.
            signature_version="s3v4",
            s3={"addressing_style": "path"},
            request_checksum_calculation="when_required",
            response_checksum_validation="when_required",
            connect_timeout=CONNECT_SECONDS,
            read_timeout=READ_SECONDS,
            retries={"max_attempts": 3, "mode": "standard"},
        ),
    )


class S3Storage:
    def __init__(self, config: StudioConfig):
        self.bucket = config.s3_bucket
        self.prefix = config.s3_prefix
        self.client = _client(config, config.s3_endpoint_url)
        public = config.s3_public_endpoint_url or config.s3_endpoint_url
        self.signer = self.client if public == config.s3_endpoint_url else _client(config, public)
        self.scratch_dir = config.data_dir / "incoming"

    def _key(self, key: str) -> str:
        return f"{self.prefix}{key}"

    def put_file(self, key: str, source: Path, content_type: str) -> None:
        try:
            # Streamed from the file in parts (a multipart upload for big ones): never
            # the whole video in memory.
            self.client.upload_file(
                str(source),
                self.bucket,
                self._key(key),
                ExtraArgs={"ContentType": content_type, "CacheControl": IMMUTABLE},
            )
        except Exception as exc:
            raise StorageUnavailable(words(exc)) from None
        with contextlib.suppress(FileNotFoundError):
            source.unlink()

    def put_bytes(self, key: str, data: bytes, content_type: str) -> None:
        try:
            self.client.put_object(
                Bucket=self.bucket,
                Key=self._key(key),
                Body=data,
                ContentType=content_type,
                CacheControl=IMMUTABLE,
            )
        except Exception as exc:
            raise StorageUnavailable(words(exc)) from None

    def size(self, key: str) -> int | None:
        try:
            head = self.client.head_object(Bucket=self.bucket, Key=self._key(key))
        except Exception as exc:
            if _status(exc) == 404:
                return None
            raise StorageUnavailable(words(exc)) from None
        return int(head["ContentLength"])

    def read_bytes(self, key: str) -> bytes | None:
        try:
            reply = self.client.get_object(Bucket=self.bucket, Key=self._key(key))
        except Exception as exc:
            if _status(exc) == 404:
                return None
            raise StorageUnavailable(words(exc)) from None
        with contextlib.closing(reply["Body"]) as body:
            return body.read()

    def read_chunks(self, key: str, chunk_bytes: int = CHUNK_BYTES) -> Iterator[bytes] | None:
        try:
            reply = self.client.get_object(Bucket=self.bucket, Key=self._key(key))
        except Exception as exc:
            if _status(exc) == 404:
                return None
            raise StorageUnavailable(words(exc)) from None
        return _streamed(reply["Body"], chunk_bytes)

    def delete(self, key: str) -> None:
        try:  # S3 answers a missing key with success too
            self.client.delete_object(Bucket=self.bucket, Key=self._key(key))
        except Exception as exc:
            raise StorageUnavailable(words(exc)) from None

    def local_path(self, key: str) -> Path | None:
        return None

    def signed_url(self, key: str, seconds: int, download_as: str | None = None) -> str | None:
        params = {"Bucket": self.bucket, "Key": self._key(key)}
        if download_as:
            params["ResponseContentDisposition"] = (
                f"attachment; filename*=UTF-8''{quote(download_as, safe='')}"
            )
        # Signed locally: no request to the store.
        return self.signer.generate_presigned_url("get_object", Params=params, ExpiresIn=seconds)

    def problem(self) -> str | None:
        try:
            self.client.head_bucket(Bucket=self.bucket)
        except Exception as exc:
            return f"the bucket {self.bucket!r} cannot be reached ({words(exc)})"
        return None


def _status(exc: Exception) -> int | None:
    response = getattr(exc, "response", None) or {}
    return response.get("ResponseMetadata", {}).get("HTTPStatusCode")


def words(exc: Exception) -> str:
    """A short reason that never carries a credential (boto3's messages do not)."""
    status = _status(exc)
    if status:
        code = (getattr(exc, "response", None) or {}).get("Error", {}).get("Code", "")
        return f"the store answered {status} {code if code != str(status) else ''}".strip()
    return type(exc).__name__.replace("Error", " error").strip()


def _streamed(body: Any, chunk_bytes: int) -> Iterator[bytes]:
    """The object's body as it arrives: boto3 streams it, a piece at a time."""
    with contextlib.closing(body):
        yield from body.iter_chunks(chunk_bytes)
