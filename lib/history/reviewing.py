"""Review on History (issue 17): a card's review line, the review filter's choices, the
selection's bulk actions. The changes themselves are checked in lib/review/states.py."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime

from lib.domain.access import Actor
from lib.domain.markdown import escape_markdown
from lib.domain.review import REVIEW_WORDS, ReviewState, state_of
from lib.domain.statuses import TaskStatus
from lib.history.words import when_words
from lib.store.schema import Review, ReviewLink, Task

# What a person picks in the Review filter, and the state each means.
REVIEW_CHOICES = {words: state for state, words in REVIEW_WORDS.items()}
# The selection's actions: words on the page -> the state they move to.
BULK_ACTIONS = {
    "Send to review": ReviewState.IN_REVIEW,
    "Approve": ReviewState.APPROVED,
    "Ask for changes": ReviewState.CHANGES,
}
SELECT_PREFIX = "select-"


def select_key(task_id: str) -> str:
    return f"{SELECT_PREFIX}{task_id}"


def selected(state: Mapping[str, object]) -> list[str]:
    """The ids of the cards ticked "Select", in the order they were seen. Only those
    boxes' values are read: a page's session state holds ~200 widgets, each value read
    through Streamlit's proxy (issue 15: History's first render)."""
    return [
        str(key).removeprefix(SELECT_PREFIX)
        for key in list(state.keys())
        if str(key).startswith(SELECT_PREFIX) and state.get(key) is True
    ]


def states_from_choices(words: list[str]) -> tuple[str, ...]:
    return tuple(str(REVIEW_CHOICES[w]) for w in words if w in REVIEW_CHOICES)


def reviewable(task: Task) -> bool:
    return task.status == TaskStatus.COMPLETED


def review_line(task: Task, review: Review | None, timezone: str | None = None) -> str | None:
    """ "Review: **Approved** by Ana, today 14:05" (Markdown-escaped); None when the video
    is not finished (nothing to review yet)."""
    if not reviewable(task):
        return None
    state = state_of(review.state if review else None)
    words = f"Review: **{REVIEW_WORDS[state]}**"
    if review is not None and state != ReviewState.DRAFT:
        who = escape_markdown(review.by_name) + (" (guest)" if review.by_guest else "")
        words += f" by {who}, {when_words(review.at, timezone)}"
    return words


def can_send(actor: Actor | None, task: Task, review: Review | None) -> bool:
    """Whether the card offers "Send to review" (a hint: the change checks again)."""
    if actor is None or not actor.can_spend or not reviewable(task):
        return False
    if not (actor.is_admin or actor.owns(task.account_id, task.person)):
        return False
    return state_of(review.state if review else None) in (ReviewState.DRAFT, ReviewState.CHANGES)


def open_words(comments: int) -> str:
    """The card's link to the video's own page, with its comment count."""
    if comments == 0:
        return "Open · no comments"
    return f"Open · {comments} comment" + ("" if comments == 1 else "s")


def link_state(link: ReviewLink, now: datetime) -> str:
    if link.revoked_at is not None:
        return "Withdrawn"
    if link.expires_at <= now:
        return "Expired"
    return "Open"


def link_rows(review_links: list[ReviewLink], timezone: str | None = None) -> list[dict]:
    """The sharer's table of their review links: what, state, openings, last opened."""
    now = datetime.now(UTC)
    return [
        {
            "Shares": link.title,
            "Made by": link.created_by_name,
            "State": link_state(link, now),
            "Until": when_words(link.expires_at, timezone),
            "Opened": link.opens,
            "Last opened": when_words(link.last_opened_at, timezone)
            if link.last_opened_at
            else "never",
            "Guests may": ", ".join(
                words
                for words, allowed in (
                    ("comment", link.allow_comments),
                    ("approve", link.allow_approval),
                    ("see prompts", link.show_prompts),
                )
                if allowed
            )
            or "watch",
        }
        for link in review_links
    ]
