"""The storage interface, its keys, and choosing a backend from the settings."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Protocol

LIBRARY = "library"  # <task id>.mp4 and .jpg: the studio's copies of finished videos
ASSETS = "assets"  # <sha256>.<ext>: kept reference pictures
# Every key the studio writes: one of the two folders, then a plain file name.
_KEY = re.compile(r"^(library|assets)/[0-9a-f]{32,64}\.(mp4|jpg|png|webp)$", re.ASCII)


CHUNK_BYTES = 1024 * 1024  # what a reader of a video holds at once


class StorageUnavailable(Exception):
    """The storage did not answer or refused (network, credentials, missing bucket)."""


def key(folder: str, name: str) -> str:
    """`library/<name>` or `assets/<name>`; ValueError for anything else (a name from a
    URL never reaches outside the two folders)."""
    value = f"{folder}/{name}"
    if not _KEY.fullmatch(value):
        raise ValueError(f"not a stored file name: {name!r}")
    return value


def is_key(value: str) -> bool:
    return bool(_KEY.fullmatch(value))


class Storage(Protocol):
    # A folder on this machine for files on their way in (a download, a poster): on the
    # same disk as a local storage, so that putting one there is a rename.
    scratch_dir: Path

    def put_file(self, key: str, source: Path, content_type: str) -> None:
        """Move the finished file `source` (in scratch_dir) to `key`: readers see
        nothing or the whole file."""

    def put_bytes(self, key: str, data: bytes, content_type: str) -> None: ...

    def size(self, key: str) -> int | None:
        """Its size in bytes, or None if there is no such file."""

    def read_bytes(self, key: str) -> bytes | None:
        """A small file's bytes (a picture); None if there is none. Never for videos."""

    def local_path(self, key: str) -> Path | None:
        """The file on this machine's disk (a local storage), else None."""

    def read_chunks(self, key: str, chunk_bytes: int = CHUNK_BYTES) -> Iterator[bytes] | None:
        """A file (a video) in pieces of at most `chunk_bytes`, never whole in memory;
        None if there is no such file."""

    def signed_url(self, key: str, seconds: int, download_as: str | None = None) -> str | None:
        """A short-lived link that serves the file itself, Range included (a bucket),
        else None. `download_as`: the browser saves it under that name."""

    def delete(self, key: str) -> None:
        """Remove a file for good; nothing when there is none (an admin's delete)."""

    def problem(self) -> str | None:
        """Why the storage cannot be used right now (for /api/ready), or None."""
