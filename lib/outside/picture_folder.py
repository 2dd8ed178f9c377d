"""Cleaned pictures on disk, one file per SHA-256, written atomically: what /assets/
serves to the video service."""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import tempfile
from pathlib import Path

from lib.outside.pictures import PreparedImage

_STORED_NAME = re.compile(r"[0-9a-f]{64}\.(?:jpg|png|webp)", re.ASCII)


class ImageFolder:
    """Cleaned images on disk, one file per SHA-256: <folder>/<sha256>.<ext>."""

    def __init__(self, folder: Path):
        self.folder = Path(folder)

    def save(self, image: PreparedImage) -> Path:
        """Store the image; the same picture saved twice is written once."""
        name = image.stored_name
        digest = hashlib.sha256(image.data).hexdigest()
        if not _STORED_NAME.fullmatch(name) or digest != image.sha256:
            raise ValueError(f"{name} does not match its content")
        path = self.folder / name
        with contextlib.suppress(FileNotFoundError):
            if path.stat().st_size == len(image.data):
                return path
        self.folder.mkdir(parents=True, exist_ok=True)
        # Write beside the target and rename: readers see no file or the whole file.
        handle, temp = tempfile.mkstemp(dir=self.folder, prefix=".upload-", suffix=".tmp")
        try:
            with os.fdopen(handle, "wb") as out:
                out.write(image.data)
                out.flush()
                os.fsync(out.fileno())
            os.chmod(temp, 0o644)  # mkstemp makes 0600; the pictures are served to others
            os.replace(temp, path)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temp)
            raise
        return path

    def path_for(self, name: str) -> Path | None:
        """The stored file called `name` ("<64 hex>.<ext>"), or None if invalid or absent."""
        if not isinstance(name, str) or not _STORED_NAME.fullmatch(name):
            return None
        path = self.folder / name
        return path if path.is_file() else None
