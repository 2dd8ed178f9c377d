"""Review in the store (issue 17): a video's state, changed for one or many videos in one
transaction with its audit entries. Store methods (lib.store.tasks.Store), like Team."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, func, literal, select, update
from sqlalchemy.orm import Session

from lib.domain.review import REVIEW_ACTIONS, ReviewState, move_problem, state_of
from lib.domain.statuses import ArchiveState, TaskStatus
from lib.domain.text_fields import PERSON, fit
from lib.store.schema import (
    Comment,
    Favourite,
    HiddenVideo,
    Review,
    ReviewLink,
    Task,
    TaskParent,
)
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


@dataclass(frozen=True)
class CardMarks:
    """Per video of a page of cards: its review row (none: a draft), its number of
    comments (none: 0), and whether it is this person's favourite."""

    reviews: dict[str, Review]
    comments: dict[str, int]
    favourites: set[str]


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

    # ----- comments -------------------------------------------------------------------
    def add_comment(
        self,
        task_id: str,
        by: Reviewer,
        text: str,
        at_seconds: float | None,
        now: datetime,
    ) -> Comment | None:
        """A comment, logged in the same transaction; None when the video is gone."""
        with self.writing() as session:
            if session.get(Task, task_id) is None:
                return None
            comment = Comment(
                task_id=task_id,
                author_id=by.account_id,
                author_name=fit(PERSON, by.name),
                by_guest=by.guest,
                text=text,
                at_seconds=at_seconds,
                created_at=now,
            )
            session.add(comment)
            who = comment.author_name + (" (guest)" if by.guest else "")
            add_audit(session, "comment.add", by.account_id, who, DONE, task_id, text[:200], now)
            session.flush()
            return comment

    def get_comment(self, comment_id: int) -> Comment | None:
        with self.session() as session:
            return session.get(Comment, comment_id)

    def edit_comment(
        self, comment_id: int, text: str, at_seconds: float | None, by: Reviewer, now: datetime
    ) -> None:
        with self.writing() as session:
            comment = session.get(Comment, comment_id, with_for_update=True)
            if comment is None:
                return
            comment.text, comment.at_seconds, comment.edited_at = text, at_seconds, now
            add_audit(
                session,
                "comment.edit",
                by.account_id,
                by.name,
                DONE,
                comment.task_id,
                text[:200],
                now,
            )

    def comments_of(self, task_id: str) -> list[Comment]:
        """A video's thread, oldest first."""
        with self.session() as session:
            query = select(Comment).where(Comment.task_id == task_id)
            return list(session.scalars(query.order_by(Comment.created_at, Comment.id)))

    def comments_of_many(self, task_ids: Sequence[str]) -> dict[str, list[Comment]]:
        """The threads of several videos in one query, each oldest first."""
        threads: dict[str, list[Comment]] = {task_id: [] for task_id in task_ids}
        if not task_ids:
            return threads
        query = (
            select(Comment)
            .where(Comment.task_id.in_(list(task_ids)))
            .order_by(Comment.created_at, Comment.id)
        )
        with self.session() as session:
            for comment in session.scalars(query):
                threads[comment.task_id].append(comment)
        return threads

    def comment_counts(self, task_ids: Sequence[str]) -> dict[str, int]:
        if not task_ids:
            return {}
        query = (
            select(Comment.task_id, func.count(Comment.id))
            .where(Comment.task_id.in_(list(task_ids)))
            .group_by(Comment.task_id)
        )
        with self.session() as session:
            return {task_id: int(count) for task_id, count in session.execute(query)}

    def guest_comments_since(self, task_ids: Sequence[str], since: datetime) -> int:
        """Comments by guests on these videos since then (a review link's rate limit)."""
        query = select(func.count(Comment.id)).where(
            Comment.task_id.in_(list(task_ids)),
            Comment.by_guest.is_(True),
            Comment.created_at >= since,
        )
        with self.session() as session:
            return int(session.scalar(query) or 0)

    # ----- where a video came from ----------------------------------------------------
    def set_parent(self, task_id: str, parent_id: str, kind: str) -> None:
        with self.writing() as session:
            if session.get(TaskParent, task_id) is None:
                session.add(TaskParent(task_id=task_id, parent_id=parent_id, kind=kind))

    def family(self, task_id: str) -> tuple[TaskParent | None, list[TaskParent]]:
        """-> (what this video came from, the videos made from it)."""
        with self.session() as session:
            parent = session.get(TaskParent, task_id)
            children = session.scalars(select(TaskParent).where(TaskParent.parent_id == task_id))
            return parent, list(children)

    # ----- review links ---------------------------------------------------------------
    def add_review_link(self, link: ReviewLink, now: datetime) -> ReviewLink:
        with self.writing() as session:
            session.add(link)
            session.flush()
            add_audit(
                session,
                "review_link.make",
                link.created_by_id,
                link.created_by_name,
                DONE,
                link.title[:320],
                f"{link.scope}, until {link.expires_at:%Y-%m-%d %H:%M} UTC",
                now,
            )
            return link

    def review_link_by_hash(self, token_sha256: str) -> ReviewLink | None:
        with self.session() as session:
            return session.scalar(select(ReviewLink).where(ReviewLink.token_sha256 == token_sha256))

    def count_open(self, link_id: int, now: datetime) -> None:
        """One more opening (one UPDATE: fifty guests at once all count)."""
        self.count_opens({link_id: (1, now)})

    def count_opens(self, opened: Mapping[int, tuple[int, datetime]]) -> None:
        """Openings of several links in one transaction: {link id: (how many, the
        last)} (lib/review/openings.py gathers them)."""
        if not opened:
            return
        with self.writing() as session:
            for link_id, (count, last) in sorted(opened.items()):
                session.execute(
                    update(ReviewLink)
                    .where(ReviewLink.id == link_id)
                    .values(opens=ReviewLink.opens + count, last_opened_at=last)
                )

    def review_links(self, created_by_id: str | None = None) -> list[ReviewLink]:
        """Newest first; only this account's when given."""
        query = select(ReviewLink).order_by(ReviewLink.created_at.desc(), ReviewLink.id.desc())
        if created_by_id is not None:
            query = query.where(ReviewLink.created_by_id == created_by_id)
        with self.session() as session:
            return list(session.scalars(query))

    def get_review_link(self, link_id: int) -> ReviewLink | None:
        with self.session() as session:
            return session.get(ReviewLink, link_id)

    def revoke_review_link(
        self, link_id: int, by_id: str | None, by_name: str, now: datetime
    ) -> None:
        with self.writing() as session:
            link = session.get(ReviewLink, link_id, with_for_update=True)
            if link is None or link.revoked_at is not None:
                return
            link.revoked_at = now
            add_audit(
                session, "review_link.revoke", by_id, by_name, DONE, link.title[:320], "", now
            )

    def finished_in_campaign(self, campaign: str, limit: int = 500) -> list[Task]:
        """A campaign's finished videos, newest first."""
        query = (
            select(Task)
            .where(Task.campaign == campaign, Task.status == TaskStatus.COMPLETED)
            .order_by(Task.created_at.desc(), Task.id.desc())
            .limit(limit)
        )
        with self.session() as session:
            return list(session.scalars(query))

    # ----- favourites (each person's own) ---------------------------------------------
    def set_favourite(self, account_id: str, task_id: str, on: bool, now: datetime) -> None:
        with self.writing() as session:
            found = session.get(Favourite, (account_id, task_id), with_for_update=True)
            if on and found is None and session.get(Task, task_id) is not None:
                session.add(Favourite(account_id=account_id, task_id=task_id, at=now))
            elif not on and found is not None:
                session.execute(
                    delete(Favourite).where(
                        Favourite.account_id == account_id, Favourite.task_id == task_id
                    )
                )

    def card_marks(self, task_ids: Sequence[str], account_id: str | None) -> CardMarks:
        """What History's cards show besides the task — review, comment count and this
        person's favourite — for a page of cards in one query (three before)."""
        if not task_ids:
            return CardMarks({}, {}, set())
        comments = (
            select(func.count(Comment.id)).where(Comment.task_id == Task.id).scalar_subquery()
        )
        starred = (
            select(Favourite.task_id)
            .where(Favourite.task_id == Task.id, Favourite.account_id == account_id)
            .exists()
            if account_id
            else literal(False)
        )
        query = (
            select(Task.id, Review, comments, starred)
            .outerjoin(Review, Review.task_id == Task.id)
            .where(Task.id.in_(list(task_ids)))
        )
        marks = CardMarks({}, {}, set())
        with self.session() as session:
            for task_id, review, count, favourite in session.execute(query):
                if review is not None:
                    marks.reviews[task_id] = review
                if count:
                    marks.comments[task_id] = int(count)
                if favourite:
                    marks.favourites.add(task_id)
        return marks

    def favourites_among(self, account_id: str | None, task_ids: Sequence[str]) -> set[str]:
        if not account_id or not task_ids:
            return set()
        query = select(Favourite.task_id).where(
            Favourite.account_id == account_id, Favourite.task_id.in_(list(task_ids))
        )
        with self.session() as session:
            return set(session.scalars(query))

    # ----- hidden videos, deleted files -------------------------------------------------
    def set_hidden(self, task_id: str, hidden: bool, by: Reviewer, now: datetime) -> bool:
        """Hide or restore, logged in the same transaction. -> whether it changed."""
        with self.writing() as session:
            if session.get(Task, task_id) is None:
                return False
            found = session.get(HiddenVideo, task_id, with_for_update=True)
            if hidden == (found is not None):
                return False
            if hidden:
                session.add(
                    HiddenVideo(task_id=task_id, by_id=by.account_id, by_name=by.name, at=now)
                )
            else:
                session.delete(found)
            action = "video.hide" if hidden else "video.restore"
            add_audit(session, action, by.account_id, by.name, DONE, task_id, "", now)
            return True

    def hidden_among(self, task_ids: Sequence[str]) -> set[str]:
        if not task_ids:
            return set()
        query = select(HiddenVideo.task_id).where(HiddenVideo.task_id.in_(list(task_ids)))
        with self.session() as session:
            return set(session.scalars(query))

    def record_files_deleted(self, task_id: str, by: Reviewer, now: datetime) -> None:
        """The video's files are gone: it no longer plays; its record and cost stay."""
        with self.writing() as session:
            task = session.get(Task, task_id, with_for_update=True)
            if task is None:
                return
            detail = f"{task.video_file or ''} {task.poster_file or ''}".strip()
            task.video_file, task.poster_file = None, None
            task.archive_state = ArchiveState.DELETED
            task.updated_at = now
            add_audit(
                session, "video.delete_files", by.account_id, by.name, DONE, task_id, detail, now
            )
