"""The thumbnails of the pictures on Create, as HTML. Only the studio's own /assets/
copies are shown: the browser never fetches a pasted link."""

from __future__ import annotations

import html
from collections.abc import Sequence


def picture_tile_html(url: str, position: int) -> str:
    """One kept picture's thumbnail, numbered. Only the studio's own /assets/ copies are
    shown: the browser never fetches a pasted link."""
    return (
        '<figure style="margin:0;text-align:center">'
        f'<img src="/assets/{html.escape(url.rsplit("/", 1)[-1])}" alt="reference {position}" '
        'style="height:96px;border-radius:8px;object-fit:cover">'
        '<figcaption style="font-size:0.8em">'
        f"{'First: sets the shape' if position == 1 else position}</figcaption></figure>"
    )


def picture_tiles_html(urls: Sequence[str], first: int = 1) -> str:
    """Thumbnails of kept pictures, numbered from `first` ("" when there are none)."""
    tiles = "".join(picture_tile_html(url, i) for i, url in enumerate(urls, start=first))
    return f'<div style="display:flex;gap:8px;flex-wrap:wrap">{tiles}</div>' if tiles else ""
