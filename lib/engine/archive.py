"""Copying a finished video from the provider's link to our own storage, before the link
expires (24 h): streamed to disk (never held in memory), proven playable by decoding it,
then put into the storage (lib/storage: the data folder, or a bucket every server
shares) with a poster picture beside it; readers see nothing or the whole file.

The link comes in a service reply, so it is fetched like any link from outside
(lib/outside/fetch.py: public addresses, the connection to the checked address, one deadline
for the whole download, a byte cap), and only from the service's own hosts, at every hop."""

from __future__ import annotations

import contextlib
import fnmatch
import logging
import os
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from lib.domain.links import LinkPolicy, LinkRefused, LocalPrefix
from lib.outside.fetch import FetchFailed, open_link
from lib.outside.videos import inspect_video, save_poster
from lib.storage import LIBRARY, Storage, StorageUnavailable
from lib.storage.base import key

log = logging.getLogger(__name__)

CHUNK = 256 * 1024


class ArchiveError(Exception):
    """The copy did not work this time; worth trying again while the link lives."""


class LinkGone(ArchiveError):
    """The provider says the file is not there (404/410): expired, or not yet published."""


class UrlRefused(Exception):
    """A link the studio will not fetch (wrong scheme or host): never retried."""


@dataclass(frozen=True)
class MediaUrlPolicy:
    """Which provider links the studio may download from. A tampered reply must not make
    the server fetch an internal address, so only https on listed hosts is allowed
    (plus, in demo mode, the embedded API's own http origin)."""

    hosts: tuple[str, ...]  # exact names or "*.example.com"
    local_origins: tuple[str, ...] = ()  # "http://127.0.0.1:8501": embedded API only
    # Hosts named by the operator whose plain-http links are allowed (a staging service;
    # STUDIO_HTTP_MEDIA_HOSTS). Exact names only: no pattern opens http wholesale.
    http_hosts: tuple[str, ...] = ()

    def check(self, url: str) -> None:
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}"
        if origin in self.local_origins:
            return
        host = (parts.hostname or "").lower()
        if parts.scheme == "http" and host in self.http_hosts:
            if parts.username or parts.password:
                raise UrlRefused("the video link carries a user name or password")
            return
        if parts.scheme != "https":
            raise UrlRefused(f"the video link is not https ({parts.scheme or 'no scheme'})")
        if parts.username or parts.password:
            raise UrlRefused("the video link carries a user name or password")
        if not any(fnmatch.fnmatchcase(host, pattern.lower()) for pattern in self.hosts):
            raise UrlRefused(f"the video link's host {host!r} is not an allowed media host")


@dataclass(frozen=True)
class ArchivedVideo:
    video_file: str  # names inside the library folder
    poster_file: str
    video_bytes: int
    video_width: int
    video_height: int
    video_seconds: float

    def as_columns(self) -> dict[str, object]:
        return dict(self.__dict__)


def archive_video(
    url: str,
    storage: Storage,
    name: str,
    policy: MediaUrlPolicy,
    max_bytes: int = 1024 * 1024 * 1024,
    deadline_seconds: float = 600.0,
) -> ArchivedVideo:
    """Download `url` and keep it as `library/<name>.mp4` plus `<name>.jpg`; raise on any
    doubt."""
    scratch = storage.scratch_dir
    scratch.mkdir(parents=True, exist_ok=True)
    video, poster = f"{name}.mp4", f"{name}.jpg"
    part = scratch / f".{name}.mp4.part"
    try:
        size = _download(url, part, policy, max_bytes, deadline_seconds)
        try:
            probe, picture = inspect_video(part)
        except Exception as exc:
            log.info("archive: %s is not a video the studio can read: %r", name, exc)
            raise ArchiveError("the downloaded file is not a playable video") from None
        if probe.frames == 0 or picture is None:
            raise ArchiveError("the downloaded video has no pictures")
        poster_part = scratch / f".{name}.jpg.part"
        save_poster(picture, poster_part)
        try:  # the poster first: a video in place always has its poster
            storage.put_file(key(LIBRARY, poster), poster_part, "image/jpeg")
            storage.put_file(key(LIBRARY, video), part, "video/mp4")
        except StorageUnavailable as exc:
            raise ArchiveError(f"the studio's storage did not take it: {exc}") from None
    finally:
        for leftover in (part, scratch / f".{name}.jpg.part"):
            with contextlib.suppress(FileNotFoundError):
                leftover.unlink()
    return ArchivedVideo(
        video_file=video,
        poster_file=poster,
        video_bytes=size,
        video_width=probe.width,
        video_height=probe.height,
        video_seconds=round(probe.frames / float(probe.fps), 3) if probe.fps else probe.duration,
    )


MAX_REDIRECTS = 3


def _download(
    url: str, part: Path, policy: MediaUrlPolicy, max_bytes: int, deadline_seconds: float
) -> int:
    links = LinkPolicy(
        deadline_seconds=deadline_seconds,
        max_bytes=max_bytes,
        max_redirects=MAX_REDIRECTS,
        local_prefixes=tuple(LocalPrefix.parse(f"{o}/") for o in policy.local_origins),
        hop_rule=lambda link: policy.check(link.url),  # every hop: a redirect too
    )
    try:
        with open_link(url, links, headers={"Accept": "video/mp4"}) as reply:
            if reply.status in (404, 410):
                raise LinkGone(f"the provider answered {reply.status} for the video link")
            if reply.status != 200:
                raise ArchiveError(f"the provider answered {reply.status} for the video")
            size = 0
            with open(part, "wb") as out:
                for chunk in reply.chunks(CHUNK):
                    out.write(chunk)
                    size += len(chunk)
                out.flush()
                os.fsync(out.fileno())
            return size
    except LinkRefused as exc:
        raise UrlRefused(f"the video link {exc}".rstrip(".")) from None
    except FetchFailed as exc:
        if exc.reason == "too_big":
            raise ArchiveError("the video is larger than the studio accepts") from None
        if exc.reason == "timeout":
            raise ArchiveError(
                f"the download did not finish within {_time_words(deadline_seconds)}"
            ) from None
        raise ArchiveError(f"the video {exc}".rstrip(".")) from None


def _time_words(seconds: float) -> str:
    if seconds >= 120:
        return f"{seconds / 60:g} minutes"
    return "1 second" if seconds == 1 else f"{seconds:g} seconds"
