"""The pictures on Create: uploads checked and kept once each, their thumbnails, and what
became of each pasted link (fetched in the background, lib/engine/pictures.py).

Only the studio's own /assets/ copies are ever shown: the browser never fetches a pasted
link.
"""

from __future__ import annotations

import html
from collections.abc import MutableMapping, Sequence
from dataclasses import dataclass
from typing import Any

from lib.create import keys
from lib.create.draft import Draft, draft_from, messages, parse_links
from lib.domain import urls
from lib.domain.access import Actor
from lib.engine.pictures import PastedLinks, store_reference_image
from lib.outside.pictures import ImageRejected


# ----- uploads -------------------------------------------------------------------------------
@dataclass(frozen=True)
class Uploaded:
    images: list[tuple[str, str | None]]  # kept and uploaded pictures, (URL, sha256), in order
    problems: list[str]  # a message per file that can't be used, naming it


def check_uploads(
    studio: Any, state: MutableMapping[str, Any], person: Actor | str | None
) -> Uploaded:
    """The pictures brought back from an earlier video, then the uploaded files, each file
    checked and stored once (its outcome is kept in the session)."""
    checked: dict[str, tuple[str, str] | str] = state.setdefault(keys.CHECKED_UPLOADS, {})
    images: list[tuple[str, str | None]] = list(state[keys.KEPT_IMAGES])
    problems: list[str] = []
    for upload in state.get(keys.UPLOADS) or []:
        if upload.file_id not in checked:
            try:
                asset, url = store_reference_image(
                    studio, upload.getvalue(), upload.name, person or ""
                )
                checked[upload.file_id] = (url, asset.sha256)
            except ImageRejected as exc:
                checked[upload.file_id] = str(exc)
        result = checked[upload.file_id]
        if isinstance(result, str):
            problems.append(result)
        else:
            images.append(result)
    return Uploaded(images, problems)


# ----- thumbnails ----------------------------------------------------------------------------
@dataclass(frozen=True)
class Thumbnail:
    html: str
    position: int  # 1 is the first picture: it sets the video's shape
    removable: bool  # brought back from an earlier video (uploads have the uploader's own)


def thumbnails(
    images: Sequence[tuple[str, str | None]], state: MutableMapping[str, Any]
) -> list[Thumbnail]:
    """The pictures kept or uploaded, in order; those brought back from an earlier video
    come first, each with a Remove button."""
    uploaded = [(url, sha) for url, sha in images if sha]
    kept = len([item for item in state[keys.KEPT_IMAGES] if item[1]])
    return [
        Thumbnail(picture_tile_html(url, i), i, i <= kept)
        for i, (url, _) in enumerate(uploaded, start=1)
    ]


def picture_tile_html(url: str, position: int) -> str:
    """One kept picture's thumbnail, numbered. Only the studio's own /assets/ copies are
    shown: the browser never fetches a pasted link."""
    source = urls.asset_path(html.escape(url.rsplit("/", 1)[-1]))
    return (
        '<figure style="margin:0;text-align:center">'
        f'<img src="{source}" alt="reference {position}" '
        'style="height:96px;border-radius:8px;object-fit:cover">'
        '<figcaption style="font-size:0.8em">'
        f"{'First: sets the shape' if position == 1 else position}</figcaption></figure>"
    )


def picture_tiles_html(kept: Sequence[str], first: int = 1) -> str:
    """Thumbnails of kept pictures, numbered from `first` ("" when there are none)."""
    tiles = "".join(picture_tile_html(url, i) for i, url in enumerate(kept, start=first))
    return f'<div style="display:flex;gap:8px;flex-wrap:wrap">{tiles}</div>' if tiles else ""


# ----- pasted links --------------------------------------------------------------------------
def pasted_links(state: MutableMapping[str, Any]) -> PastedLinks:
    """This session's pasted links and what became of each (kept in the session)."""
    pasted = state.get(keys.PASTED)
    if not isinstance(pasted, PastedLinks):
        pasted = state[keys.PASTED] = PastedLinks()
    return pasted


def fetch_links(studio: Any, state: MutableMapping[str, Any], person: Actor | str | None) -> None:
    """Fetch the links now in the box that were not fetched yet (in the background)."""
    links = parse_links(state.get(keys.LINKS) or "") if state.get(keys.MODE) == "image" else []
    pasted_links(state).follow(studio, links, person or "")


def settle_links(studio: Any, state: MutableMapping[str, Any], person: Actor | str | None) -> None:
    """At the click: fetch links typed just before it, and wait for those under way."""
    fetch_links(studio, state, person)
    pasted_links(state).settle()


@dataclass(frozen=True)
class LinkReport:
    kept: list[str]  # the studio's copies of the links fetched and kept, in order
    problems: list[str]  # a message per link that can't be used, naming it
    fetching: int  # links still being fetched


def link_report(draft: Draft, first: int) -> LinkReport:
    """What became of the pasted links so far; the first link is picture number `first`."""
    kept, problems, fetching = [], [], 0
    for position, link in enumerate(draft.links, start=first):
        outcome = draft.linked.get(link)
        if outcome is None:
            fetching += 1
        elif outcome.kept:
            kept.append(outcome.url or "")
        else:
            problems.append(outcome.message(position))
    return LinkReport(kept, problems, fetching)


@dataclass(frozen=True)
class LinkView:
    tiles: str  # the thumbnails of the links kept so far ("" when none)
    problems: list[str]  # messages for links that can't be used (the field's own is below)
    fetching: str | None  # "Fetching 2 picture link(s)…" while some are

    @property
    def empty(self) -> bool:
        return not (self.tiles or self.problems or self.fetching)


def link_view(state: MutableMapping[str, Any], first: int, person: str | None) -> LinkView:
    """What to show of the pasted links now; the first link is picture number `first`."""
    held = draft_from(state)
    report = link_report(held, first)
    below = messages(state, held, person).get("image_urls")
    # The field's message shows below the pictures, once: not here again.
    problems = [message for message in report.problems if message != below]
    fetching = f"Fetching {report.fetching} picture link(s)…" if report.fetching else None
    return LinkView(picture_tiles_html(report.kept, first), problems, fetching)
