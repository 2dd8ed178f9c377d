"""Review in the store (issue 17): a video's state, changed for one or many videos in one
transaction with its audit entries. Store methods (lib.store.tasks.Store), like Team."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from lib.domain.review import REVIEW_ACTIONS, ReviewState, move_problem, state_of
from lib.domain.statuses import TaskStatus
from lib.domain.text_fields import PERSON, fit
from lib.store.schema import Review, Task
from lib.store.team import DONE, REFUSED, add_audit


@dataclass(frozen=True)
class Reviewer:
    """Who changes a review: an account, or a guest of a review link (named as typed)."""

    account_id: str | None
    name: str
    guest: bool = False


@dataclass(frozen=True)
class ReviewChange:
    changed: list[str]  # task ids
    refused: dict[str, str]  # task id -> why, in words


NOT_FINISHED = "Only a finished video can be reviewed."
GONE = "This video no longer exists."


class Reviews:
    session: Callable[[], Session]
    writing: Callable[[], AbstractContextManager[Session]]

    def tasks_by_ids(self, task_ids: Sequence[str]) -> list[Task]:
        if not task_ids:
            return []
        with self.session() as session:
            return list(session.scalars(select(Task).where(Task.id.in_(list(task_ids)))))

    def reviews_of(self, task_ids: Sequence[str]) -> dict[str, Review]:
        """The review rows of these videos (a video without one is a draft)."""
        if not task_ids:
            return {}
        with self.session() as session:
            rows = session.scalars(select(Review).where(Review.task_id.in_(list(task_ids))))
            return {row.task_id: row for row in rows}

    def change_reviews(
        self,
        task_ids: Sequence[str],
        target: ReviewState,
        reason: str,
        by: Reviewer,
        now: datetime,
        action: str | None = None,
    ) -> ReviewChange:
        """Move these videos to `target` where the move is allowed (checked against the
        state read FOR UPDATE in this transaction), each change and refusal logged."""
        action = action or REVIEW_ACTIONS[target]
        changed: list[str] = []
        refused: dict[str, str] = {}
        who = fit(PERSON, by.name) + (" (guest)" if by.guest else "")
        with self.writing() as session:
            for task_id in dict.fromkeys(task_ids):
                task = session.get(Task, task_id)
                row = session.get(Review, task_id, with_for_update=True)
                why = None
                if task is None:
                    why = GONE
                elif task.status != TaskStatus.COMPLETED:
                    why = NOT_FINISHED
                else:
                    why = move_problem(state_of(row.state if row else None), target)
                if why:
                    refused[task_id] = why
                    add_audit(session, action, by.account_id, who, REFUSED, task_id, why, now)
                    continue
                if row is None:
                    row = Review(task_id=task_id)
                    session.add(row)
                row.state, row.reason, row.at = str(target), reason, now
                row.by_id, row.by_name, row.by_guest = by.account_id, fit(PERSON, by.name), by.guest
                add_audit(session, action, by.account_id, who, DONE, task_id, reason, now)
                changed.append(task_id)
        return ReviewChange(changed, refused)
