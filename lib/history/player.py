"""A card's video: the player (only the poster loads until someone presses play), the
box where a video will appear, and the download link, all from the studio's own copy."""

from __future__ import annotations

import html
import re
import unicodedata
from typing import TYPE_CHECKING

from lib.domain.frames import image_frame_size
from lib.domain.statuses import ArchiveState, TaskStatus
from lib.store.schema import Asset, Task

if TYPE_CHECKING:
    pass
from lib.domain import urls
from lib.history.progress import in_flight


def playable(task: Task) -> bool:
    return (
        task.status == TaskStatus.COMPLETED
        and task.archive_state == ArchiveState.ARCHIVED
        and bool(task.video_file)
    )


def _aspect(task: Task) -> str:
    """The shape of the video: as made, else as it will be (the first picture's shape for
    image-to-video, the chosen ratio otherwise)."""
    if task.video_width and task.video_height:
        return f"{task.video_width} / {task.video_height}"
    picture = _first_picture(task)
    if picture is not None:
        width, height = image_frame_size(picture.width, picture.height, task.resolution)
        return f"{width} / {height}"
    ratio = (task.aspect_ratio or "16:9").split(":")
    return f"{ratio[0]} / {ratio[1]}" if len(ratio) == 2 else "16 / 9"


def _first_picture(task: Task) -> Asset | None:
    """The first picture's record, when the card's query loaded it (_CARD_RELATIONS)."""
    if task.mode != "image" or "images" not in task.__dict__ or not task.images:
        return None
    first = task.images[0]
    return first.__dict__.get("asset")


def player_html(task: Task) -> str:
    """The video, from our own copy: only the poster loads until someone presses play."""
    if not playable(task):
        return ""
    poster = (
        f' poster="{html.escape(urls.library_path(task.poster_file))}"' if task.poster_file else ""
    )
    label = html.escape(task.prompt[:120] or "Video", quote=True)
    return (
        f'<video controls preload="none" playsinline{poster}'
        f' src="{html.escape(urls.library_path(task.video_file))}" aria-label="{label}"'
        f' style="width:100%;aspect-ratio:{_aspect(task)};border-radius:8px;'
        'background:#1F1B2E;display:block"></video>'
    )


def placeholder_html(task: Task) -> str:
    """A box the size of the video, where the video is (or would have been)."""
    words = "Your video will appear here" if in_flight(task) else "No video to play"
    return (
        f'<div style="width:100%;aspect-ratio:{_aspect(task)};border-radius:8px;'
        "background:#F4F2FB;color:#5b5670;display:flex;align-items:center;"
        'justify-content:center;text-align:center;padding:0 12px;box-sizing:border-box">'
        f"{words}</div>"
    )


def _slug(text: str, limit: int) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    words = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return words[:limit].rstrip("-")


def download_name(task: Task) -> str:
    """`spring-launch-a-red-kite-over-a-windy-2026-11-24.mp4`: readable, safe anywhere."""
    parts = [_slug(task.campaign, 30), _slug(task.prompt, 40) or "video"]
    parts.append(task.created_at.strftime("%Y-%m-%d"))
    return "-".join(p for p in parts if p) + ".mp4"


def download_html(task: Task) -> str:
    """A plain link to our copy (the browser downloads it; no bytes pass the page)."""
    if not playable(task):
        return ""
    return (
        f'<a href="{html.escape(urls.library_path(task.video_file, download_name(task)))}"'
        f' download="{html.escape(download_name(task))}">Download</a>'
    )
