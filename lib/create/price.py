"""The price on Create: on the Generate button and beside the form, for the chosen model,
resolution, length and pictures, only for a length the model makes (another number
shows no price: the message at the field says why). The amount is the service's own:
the quota it will pre-consume (lib/domain/money.py), per-picture fees included."""

from __future__ import annotations

from typing import Any

from lib.create.draft import Draft, whole_number
from lib.domain.catalog import ModelSpec
from lib.domain.money import format_usd, price_quota, quota_to_usd, rate_label, usd_exact


def priced_seconds(duration: Any, spec: ModelSpec) -> int | None:
    """The length as a whole number of seconds the model makes, or None."""
    seconds = whole_number(duration)
    if (
        isinstance(seconds, int)
        and not isinstance(seconds, bool)
        and spec.min_duration <= seconds <= spec.max_duration
    ):
        return seconds
    return None


def pictures_of(draft: Draft) -> int:
    return len(draft.all_images()) if draft.mode == "image" else 0


def quota(draft: Draft) -> int | None:
    """What this video will cost in quota, or None when its length is not one it makes."""
    seconds = priced_seconds(draft.duration, draft.spec)
    resolution = draft.resolution if draft.resolution in draft.spec.resolutions else None
    if seconds is None or resolution is None:
        return None
    return price_quota(seconds, draft.spec, resolution, pictures_of(draft))


def price(draft: Draft) -> str | None:
    """`$0.0446` for a video the model makes, else None."""
    amount = quota(draft)
    return None if amount is None else format_usd(quota_to_usd(amount))


def exact(draft: Draft) -> str | None:
    """`$0.044626 (22,313 quota)`: every digit the service charges."""
    amount = quota(draft)
    return None if amount is None else f"{usd_exact(quota_to_usd(amount))} ({amount:,} quota)"


def button_label(draft: Draft) -> str:
    """`Generate 6 s · $0.0446`, or just `Generate` when the length is not one the model
    makes."""
    seconds = priced_seconds(draft.duration, draft.spec)
    shown = price(draft)
    return "Generate" if seconds is None or shown is None else f"Generate {seconds} s · {shown}"


def rate(spec: ModelSpec) -> str:
    """The model's price in words: per second (by resolution where it differs), and per
    picture where pictures cost."""
    if spec.flat_rate:
        words = f"{rate_label(spec)} of video, the same at every resolution."
    else:
        each = ", ".join(
            f"{rate_label(spec, r).removesuffix(' per second')} at {r}" for r in spec.resolutions
        )
        words = f"Per second of video: {each}."
    if spec.usd_per_picture:
        words += f" Each picture adds ${spec.usd_per_picture}."
    return words
