"""Where the video service fetches a video the studio sends it to restyle (issue 18): the
studio's own saved copy, never the service's expiring link. With a bucket, a link the
store signs for a short while; with files on the studio's disk, the studio's own signed,
expiring /sources/ path (lib/domain/source_links.py, served by lib/server/routes.py)."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from lib.domain import source_links
from lib.storage import LIBRARY, StorageUnavailable
from lib.storage.base import key

if TYPE_CHECKING:
    from lib.engine.runtime import Studio
    from lib.store.schema import Task


class SourceGone(Exception):
    """The studio's copy of the video is not there any more (or can't be read now)."""


def source_url(studio: Studio, task: Task, now: float | None = None) -> str:
    """A link to this video's saved copy that the service can open for a short while.
    Raises SourceGone when there is no copy to send."""
    if not task.video_file:
        raise SourceGone("the studio has no saved copy of it")
    name = key(LIBRARY, task.video_file)
    try:
        size = studio.storage.size(name)
    except StorageUnavailable as exc:
        raise SourceGone(f"the studio's storage can't be reached right now ({exc})") from None
    if not size:
        raise SourceGone("the studio's saved copy of it is gone")
    seconds = source_links.SOURCE_LINK_SECONDS
    signed = studio.storage.signed_url(name, seconds)
    if signed is not None:
        return signed
    expires = int((now if now is not None else time.time()) + seconds)
    path = source_links.source_path(studio.config.callback_secret, task.video_file, expires)
    return f"{studio.config.public_url}{path}"
