"""Copy a local data folder's files (videos, posters, reference pictures) into the bucket
the settings name, for a move from one server to several:

    STUDIO_STORAGE=s3 STUDIO_S3_BUCKET=... .venv/bin/python -m lib.storage.copy_to_bucket

It reads the same settings as the studio (STUDIO_DATA_DIR, STUDIO_S3_*, AWS_*). A file
already in the bucket with the same size is skipped, so running it again (after an
interruption, or to pick up videos finished meanwhile) copies only what is missing. The
local files are left as they are. The database needs no change: it names files, not
where they are kept.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from lib.config import load_config
from lib.storage.base import ASSETS, LIBRARY, StorageUnavailable, is_key
from lib.storage.s3 import S3Storage, words

CONTENT_TYPES = {
    "mp4": "video/mp4",
    "jpg": "image/jpeg",
    "png": "image/png",
    "webp": "image/webp",
}


@dataclass
class CopyReport:
    copied: int = 0
    skipped: int = 0  # already in the bucket, same size
    failed: int = 0
    bytes_copied: int = 0


def local_files(data_dir: Path) -> Iterator[tuple[str, Path]]:
    """(key, path) of every file the studio keeps in `data_dir`; half-written files
    (".name.part") and anything else are left out."""
    for folder in (LIBRARY, ASSETS):
        for path in sorted((data_dir / folder).glob("*")):
            key = f"{folder}/{path.name}"
            if path.is_file() and is_key(key):
                yield key, path


def copy_folder(data_dir: Path, bucket: S3Storage, out=sys.stdout) -> CopyReport:
    report = CopyReport()
    for key, path in local_files(data_dir):
        size = path.stat().st_size
        try:
            if bucket.size(key) == size:
                report.skipped += 1
                continue
            # upload_file reads the file in parts: a video is never held in memory. The
            # local file stays (put_file would move it).
            bucket.client.upload_file(
                str(path),
                bucket.bucket,
                f"{bucket.prefix}{key}",
                ExtraArgs={"ContentType": CONTENT_TYPES[key.rsplit(".", 1)[1]]},
            )
        except StorageUnavailable as exc:
            report.failed += 1
            print(f"not copied: {key}: {exc}", file=out)
            continue
        except Exception as exc:  # boto3's upload errors: reported, the rest go on
            report.failed += 1
            print(f"not copied: {key}: {words(exc)}", file=out)
            continue
        report.copied += 1
        report.bytes_copied += size
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.parse_args(argv)
    config = load_config()
    if config.storage != "s3":
        print("Set STUDIO_STORAGE=s3 and the STUDIO_S3_* settings of the bucket first.")
        return 2
    report = copy_folder(config.data_dir, S3Storage(config))
    print(
        f"{report.copied} file(s) copied ({report.bytes_copied:,} bytes), "
        f"{report.skipped} already there, {report.failed} failed."
    )
    return 1 if report.failed else 0


if __name__ == "__main__":
    sys.exit(main())
