"""The states of a video task, as the store keeps them, and what they mean."""

from __future__ import annotations

from lib.domain.catalog import TERMINAL_STATUSES


def in_flight(status: str, archive_state: str) -> bool:
    """Still changing on its own: being sent or made, or made and being saved."""
    if status not in TERMINAL_STATUSES:
        return True
    return status == "completed" and archive_state in ("none", "pending")
