"""The states of a video task, in one place: where it is (`TaskStatus`) and, once it is
made, whether the studio's own copy is saved (`ArchiveState`).

The values are the strings the store has always kept (and the contract's statuses), so
nothing is migrated: a member equals its string, `TaskStatus.QUEUED == "queued"`.
"""

from __future__ import annotations

import re
from enum import StrEnum


class TaskStatus(StrEnum):
    SUBMITTING = "submitting"  # recorded by the studio, no answer from the service yet
    QUEUED = "queued"  # accepted (its price held), waiting in the service's line
    PROCESSING = "processing"  # being made
    COMPLETED = "completed"  # made and charged; the studio then saves its copy
    FAILED = "failed"  # not made; normally at no cost
    CANCELLED = "cancelled"  # cancelled while waiting in line; the held price comes back

    @property
    def is_terminal(self) -> bool:
        """It will not change any more (a finished video's copy may still be saved)."""
        return self in TERMINAL_STATUSES

    @property
    def rank(self) -> int:
        """How far along it is: a reply may only move a task to a later rank (a late or
        duplicated reply never turns a finished task back into a running one)."""
        return _RANKS[self]


class ArchiveState(StrEnum):
    NONE = "none"  # not made yet: nothing to save
    PENDING = "pending"  # made: the studio is copying it from the service's link
    ARCHIVED = "archived"  # the studio's copy is saved and plays
    LINK_EXPIRED = "link_expired"  # the service's link expired before a copy was saved
    FAILED = "failed"  # the copy could not be saved (and is not tried again)
    DELETED = "deleted"  # an admin deleted the files (issue 17); the record and cost stay


TERMINAL_STATUSES = (TaskStatus.COMPLETED, TaskStatus.FAILED, TaskStatus.CANCELLED)
# The statuses the service reports (the contract's); SUBMITTING is the studio's own.
SERVICE_STATUSES = (TaskStatus.QUEUED, TaskStatus.PROCESSING, *TERMINAL_STATUSES)
_RANKS = {
    TaskStatus.SUBMITTING: 0,
    TaskStatus.QUEUED: 1,
    TaskStatus.PROCESSING: 2,
    **dict.fromkeys(TERMINAL_STATUSES, 3),
}


def terminal(status: str) -> bool:
    """Whether a task with this status will not change any more."""
    return status in TERMINAL_STATUSES


def in_flight(status: str, archive_state: str) -> bool:
    """Still changing on its own: being sent or made, or made and being saved."""
    if not terminal(status):
        return True
    return status == TaskStatus.COMPLETED and archive_state in (
        ArchiveState.NONE,
        ArchiveState.PENDING,
    )


def shown_state(status: str, archive_state: str) -> str:
    """What a History card shows of a task's state, as one word to compare: a card is drawn
    again when this changes (progress within a step moves in the page on its own)."""
    return f"{status}/{archive_state}"


def unfinished() -> tuple[TaskStatus, ...]:
    """The statuses of tasks that are not terminal yet."""
    return tuple(status for status in TaskStatus if not status.is_terminal)


# The real service words refusals under its content rules in several ways; the embedded
# one says `content_moderated` (DECIDED, wave-api.md Models). Matched in code or message.
_CONTENT_RULES = re.compile(r"moderat|content[ _-]?polic", re.IGNORECASE)


def blocked_by_content_rules(code: str | None, message: str | None) -> bool:
    """A failure that is the service refusing what was asked under its content rules."""
    return any(_CONTENT_RULES.search(text) for text in (code or "", message or ""))
