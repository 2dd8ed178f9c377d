"""Where the studio keeps its files (videos, posters, reference pictures): one interface,
two backends. A local folder (the default: the data folder's `library/` and `assets/`,
today's layout, so existing files keep working; also right for a volume every server
mounts) or an S3-compatible bucket (AWS S3, MinIO, Cloudflare R2, Google Cloud Storage's
S3 API) that every server shares.

Rule: imports lib.config and lib.domain only, never the store or the engine; nothing here
imports Streamlit. The engine writes through it, the HTTP routes read through it.
"""

from lib.config import StudioConfig
from lib.storage.base import ASSETS, LIBRARY, Storage, StorageUnavailable

__all__ = ["ASSETS", "LIBRARY", "Storage", "StorageUnavailable", "open_storage"]


def open_storage(config: StudioConfig) -> Storage:
    """The backend the settings name (STUDIO_STORAGE): local (default) or s3."""
    if config.storage == "s3":
        from lib.storage.s3 import S3Storage

        return S3Storage(config)
    from lib.storage.local import LocalStorage

    return LocalStorage(config.data_dir)
