"""Restyling a finished video (issue 18): the rules a source video and an instruction must
meet, the request that is sent, and its price.

The model that edits video is `grok-imagine-video` (`action: edit`, shared/wave-api.md):
one public MP4 of at most 8.7 s, a required prompt, no pictures, no length of its own.
The output keeps the source's length, shape and resolution (at most 720p), and costs
`round_half_up(seconds x (0.063 + 0.02) x 500000)` (DECIDED). The seconds are those of
the studio's own copy, measured when it was saved (to the millisecond, as the service
measures the file it fetches), so the price shown before the press is the one charged.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from lib.domain.catalog import EDIT, GROK_IMAGINE_OFFICIAL, ModelSpec
from lib.domain.money import edit_price_quota
from lib.domain.text_fields import PROMPT, TextField, clean, length_problem

# The one model that restyles video.
RESTYLE_MODEL: ModelSpec = GROK_IMAGINE_OFFICIAL
# The form's field: a prompt by another name, with the model's limit.
INSTRUCTION = TextField(
    "Restyle instruction", PROMPT.max_length, multiline=True, param="instruction"
)
KIND = "restyle"  # its family link (task_parents.kind) and its mode on the card
MODE = "restyle"


def source_seconds(measured: float | None) -> Decimal | None:
    """The saved copy's length to the millisecond, as the service measures it."""
    if measured is None or measured <= 0:
        return None
    return Decimal(str(round(measured, 3)))


def too_long(seconds: Decimal) -> bool:
    return seconds > RESTYLE_MODEL.max_source_seconds


def too_long_words(seconds: Decimal) -> str:
    return (
        f"This video is {seconds:g} s long; only videos of at most "
        f"{RESTYLE_MODEL.max_source_seconds:g} s can be restyled."
    )


def price_quota(seconds: Decimal) -> int:
    """The exact price of restyling a source of this length, in quota."""
    return edit_price_quota(seconds, RESTYLE_MODEL)


def output_resolution(source_resolution: str) -> str:
    """The restyle keeps the source's resolution, at most the model's edit limit."""
    limit = RESTYLE_MODEL.max_edit_resolution
    if source_resolution in RESTYLE_MODEL.resolutions:
        return source_resolution
    return limit


def instruction_problem(text: str | None) -> str | None:
    """Why this instruction can't be sent, naming the field; None when it can."""
    cleaned = clean(INSTRUCTION, text)
    if not cleaned:
        return f"{INSTRUCTION.label}: say how the video should change, for example “as watercolor”."
    return length_problem(INSTRUCTION, cleaned)


def restyle_request(instruction: str, source_url: str) -> dict[str, Any]:
    """The request body (without callback details): the model, `edit`, the instruction
    as the prompt, and the one source video."""
    return {
        "model": RESTYLE_MODEL.model_id,
        "action": EDIT,
        "prompt": clean(INSTRUCTION, instruction),
        "video_urls": [source_url],
    }
