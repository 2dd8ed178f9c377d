"""The local backend: files in the data folder (`library/`, `assets/`), as the studio has
always kept them. Right for one server, or for a volume every server mounts."""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from lib.storage.base import CHUNK_BYTES


class LocalStorage:
    def __init__(self, root: Path):
        self.root = Path(root)
        # Downloads land beside the videos: moving one into place is a rename.
        self.scratch_dir = self.root / "library"

    def _path(self, key: str) -> Path:
        return self.root / key

    def put_file(self, key: str, source: Path, content_type: str) -> None:
        target = self._path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(source, target)  # a rename on one disk: atomic

    def put_bytes(self, key: str, data: bytes, content_type: str) -> None:
        target = self._path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        # Written beside the target and renamed: readers see no file or the whole file.
        handle, temp = tempfile.mkstemp(dir=target.parent, prefix=".upload-", suffix=".tmp")
        try:
            with os.fdopen(handle, "wb") as out:
                out.write(data)
                out.flush()
                os.fsync(out.fileno())
            os.chmod(temp, 0o644)  # mkstemp makes 0600; the files are served to others
            os.replace(temp, target)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temp)
            raise

    def size(self, key: str) -> int | None:
        try:
            return self._path(key).stat().st_size
        except FileNotFoundError:
            return None

    def read_bytes(self, key: str) -> bytes | None:
        try:
            return self._path(key).read_bytes()
        except FileNotFoundError:
            return None

    def read_chunks(self, key: str, chunk_bytes: int = CHUNK_BYTES) -> Iterator[bytes] | None:
        try:
            handle = self._path(key).open("rb")
        except FileNotFoundError:
            return None
        return _pieces(handle, chunk_bytes)

    def delete(self, key: str) -> None:
        with contextlib.suppress(FileNotFoundError):
            self._path(key).unlink()

    def local_path(self, key: str) -> Path | None:
        path = self._path(key)
        return path if path.is_file() else None

    def signed_url(self, key: str, seconds: int, download_as: str | None = None) -> str | None:
        return None  # served from disk by the studio itself

    def problem(self) -> str | None:
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            with tempfile.NamedTemporaryFile(dir=self.root, prefix=".ready-"):
                pass
        except OSError as exc:
            return f"the data folder {self.root} cannot be written ({exc.strerror or exc})"
        return None


def _pieces(handle: BinaryIO, chunk_bytes: int) -> Iterator[bytes]:
    with handle:
        while piece := handle.read(chunk_bytes):
            yield piece
