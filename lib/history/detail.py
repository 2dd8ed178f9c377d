"""One video's own page (views/video.py, issue 17): its player (which a time-stamped
comment points to), the full prompt and settings, model, cost, review and thread, and
its family (what it was tried again from, and as)."""

from __future__ import annotations

import html

from lib.domain import urls
from lib.domain.catalog import display_name
from lib.domain.markdown import escape_markdown
from lib.domain.review import stamp_words
from lib.history import player
from lib.history.actions import RETRY_KIND
from lib.history.words import when_words
from lib.store.schema import Comment, Task, TaskParent

KIND_WORDS = {
    RETRY_KIND: ("Tried again from", "Tried again as"),
    "restyle": ("Restyled from", "Restyled as"),  # issue 18
}
MODE_WORDS = {"image": "Image to video", "restyle": "Restyle of a video"}


def player_html(task: Task, start: float | None = None) -> str:
    """The player; with `start` (a comment's moment) it opens at that second (a media
    fragment: the browser fetches from there). Only the video's metadata loads first."""
    if not player.playable(task):
        return player.placeholder_html(task)
    source = urls.library_path(task.video_file or "")
    if start is not None:
        source += f"#t={start:g}"
    poster = (
        f' poster="{html.escape(urls.library_path(task.poster_file))}"' if task.poster_file else ""
    )
    return (
        f'<video id="video-player" controls preload="metadata" playsinline{poster}'
        f' src="{html.escape(source)}" style="width:100%;border-radius:8px;'
        'background:#1F1B2E;display:block"></video>'
    )


def facts(task: Task) -> list[tuple[str, str]]:
    """The settings as label/value rows (values are shown as text, never markup)."""
    request = task.request or {}
    rows = [
        ("Model", display_name(task.model)),
        ("Kind", MODE_WORDS.get(task.mode, "Text to video")),
        ("Shape", task.aspect_ratio or "as the first picture"),
        ("Resolution", task.resolution),
        ("Length", f"{task.duration} s"),
        ("Campaign", task.campaign or "none"),
        ("Brand kit", task.kit_name or "none"),  # issue 18: as it was named then
        ("Made by", task.person),
    ]
    for name in ("action", "seed", "style"):
        if name in request:
            rows.append((name.capitalize(), str(request[name])))
    return rows


def comment_byline(comment: Comment, timezone: str | None = None) -> str:
    """'Ana (guest) · Today 10:04 · changed' (Markdown-escaped)."""
    who = escape_markdown(comment.author_name) + (" (guest)" if comment.by_guest else "")
    parts = [who, when_words(comment.created_at, timezone)]
    if comment.edited_at is not None:
        parts.append("changed")
    return " · ".join(parts)


def stamp_label(comment: Comment) -> str | None:
    return None if comment.at_seconds is None else f"Play from {stamp_words(comment.at_seconds)}"


def family_rows(parent: TaskParent | None, children: list[TaskParent]) -> list[tuple[str, str]]:
    """(words, video id) for the family links."""
    rows = []
    if parent is not None:
        rows.append((KIND_WORDS.get(parent.kind, ("Made from", ""))[0], parent.parent_id))
    for child in children:
        rows.append((KIND_WORDS.get(child.kind, ("", "Made into"))[1], child.task_id))
    return rows
