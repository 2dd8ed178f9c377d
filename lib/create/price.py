"""The price on Create: on the Generate button and beside the form, only for a length the
model makes (another number shows no price: the message at the field says why)."""

from __future__ import annotations

from typing import Any

from lib.create.draft import whole_number
from lib.domain.catalog import GROK_IMAGINE_VIDEO as SPEC
from lib.domain.money import format_usd, price_usd, rate_label

RATE = f"{rate_label(SPEC)} of video, the same at 480p and 720p."


def priced_seconds(duration: Any) -> int | None:
    """The length as a whole number of seconds the model makes, or None."""
    seconds = whole_number(duration)
    if isinstance(seconds, int) and SPEC.min_duration <= seconds <= SPEC.max_duration:
        return seconds
    return None


def price(duration: Any) -> str | None:
    """`$0.0446` for a length the model makes, else None."""
    seconds = priced_seconds(duration)
    return None if seconds is None else format_usd(price_usd(seconds))


def button_label(duration: Any) -> str:
    """`Generate 6 s · $0.0446`, or just `Generate` when the length is not one the model
    makes."""
    seconds = priced_seconds(duration)
    return "Generate" if seconds is None else f"Generate {seconds} s · {price(seconds)}"
