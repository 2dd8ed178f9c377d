"""The History page's session keys and the keys of its elements."""

from __future__ import annotations

NOTICE = "history.notice"  # (message, ok) to show once, after an action's rerun
STATUS = "history.status"
CAMPAIGN = "history.campaign"
PERSON = "history.person"
MINE = "history.mine"
SEARCH = "history.search"
# The page number is kept in the address, not the session: lib.domain.urls.PAGE_PARAM.


def card(task_id: str) -> str:
    return f"card-{task_id}"


def share(task_id: str) -> str:
    return f"share-{task_id}"


def reuse(task_id: str) -> str:
    """The card's "Use these settings" button (tests find the cards on screen by it)."""
    return f"reuse-{task_id}"


def cancel(task_id: str) -> str:
    return f"cancel-{task_id}"


def retry(task_id: str) -> str:
    return f"retry-{task_id}"
