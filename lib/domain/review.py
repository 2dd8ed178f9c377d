"""Review of finished videos (issue 17): the states a video moves through, who may move
it, and the rules for what reviewers type (reasons, comments). Pure: no I/O.

A finished video is a *draft*; its maker (or an admin) sends it *to review*; an admin
*approves* it or *asks for changes* with a reason. Approving is the admin role's alone
(no separate per-person right: one place decides, the Admin page's roles), and a guest
may approve through a review link only when its sharer allowed it."""

from __future__ import annotations

import re
from enum import StrEnum

from lib.domain.text_fields import TextField, clean, length_problem


class ReviewState(StrEnum):
    DRAFT = "draft"
    IN_REVIEW = "in_review"
    APPROVED = "approved"
    CHANGES = "changes"  # changes asked, with a reason


REVIEW_WORDS = {
    ReviewState.DRAFT: "Draft",
    ReviewState.IN_REVIEW: "In review",
    ReviewState.APPROVED: "Approved",
    ReviewState.CHANGES: "Changes asked",
}
# The audit log's action for each move.
REVIEW_ACTIONS = {
    ReviewState.DRAFT: "review.draft",
    ReviewState.IN_REVIEW: "review.send",
    ReviewState.APPROVED: "review.approve",
    ReviewState.CHANGES: "review.changes",
}
# Where a video may come from to reach each state (the store checks it again, in the
# transaction that changes it: two reviewers at once cannot both "send" it).
MOVES_FROM = {
    ReviewState.IN_REVIEW: frozenset({ReviewState.DRAFT, ReviewState.CHANGES}),
    ReviewState.APPROVED: frozenset(
        {ReviewState.DRAFT, ReviewState.IN_REVIEW, ReviewState.CHANGES}
    ),
    ReviewState.CHANGES: frozenset(
        {ReviewState.DRAFT, ReviewState.IN_REVIEW, ReviewState.APPROVED}
    ),
    ReviewState.DRAFT: frozenset({ReviewState.IN_REVIEW, ReviewState.CHANGES}),
}

REASON = TextField("Reason", 2000, multiline=True, param="reason")
COMMENT = TextField("Comment", 4000, multiline=True, param="comment")
GUEST_NAME = TextField("Your name", 80, param="guest_name")
# Control characters a person cannot type by mistake (tab and line breaks are fine).
_CONTROLS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
MAX_RAW = 100_000  # characters looked at at all; longer is refused before cleaning


class BadText(ValueError):
    """What a person typed cannot be kept; the message names the field and the rule."""


def checked_text(field: TextField, value: str | None, required: bool = True) -> str:
    """The text as kept, or BadText: too long, control characters, or empty when needed."""
    raw = value or ""
    if len(raw) > MAX_RAW:
        raise BadText(
            f"{field.label} is too long: {len(raw):,} characters, and the limit is "
            f"{field.max_length:,}."
        )
    if _CONTROLS.search(raw):
        raise BadText(
            f"{field.label} contains invisible control characters; type or paste plain text."
        )
    text = clean(field, raw)
    problem = length_problem(field, text)
    if problem:
        raise BadText(problem)
    if required and not text:
        raise BadText(f"{field.label} is empty: write a few words.")
    return text


def state_of(value: str | None) -> ReviewState:
    try:
        return ReviewState(value or ReviewState.DRAFT)
    except ValueError:
        return ReviewState.DRAFT


def move_problem(current: ReviewState, target: ReviewState) -> str | None:
    """Why a video in `current` cannot move to `target`, in words; None if it can."""
    if target in MOVES_FROM and current in MOVES_FROM[target]:
        return None
    if current == target:
        return f"It is already {REVIEW_WORDS[target].lower()}."
    return (
        f"A video that is {REVIEW_WORDS[current].lower()} cannot be made "
        f"{REVIEW_WORDS[target].lower()}."
    )


_STAMP = re.compile(r"^\s*(?:at\s+)?(\d{1,3}):([0-5]\d)(?:\.(\d))?\b")


def time_stamp(text: str) -> float | None:
    """The moment a comment points at ("0:04 the logo is cut", "at 1:02.5 ..."), in
    seconds; None when it does not start with one."""
    found = _STAMP.match(text or "")
    if not found:
        return None
    minutes, seconds, tenth = found.groups()
    return int(minutes) * 60 + int(seconds) + (int(tenth) / 10 if tenth else 0.0)


def stamp_words(seconds: float) -> str:
    whole = int(seconds)
    return f"{whole // 60}:{whole % 60:02d}"
