"""Reading and writing tasks: the single source of truth for the pages and the tracker.

Every write is one short transaction. Status only moves forward (a late or duplicated
reply can never turn a finished task back into a running one), and a lease column makes
sure that two server processes never follow the same task at once.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine, event, inspect, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, object_session, sessionmaker

from lib.domain.access import Role
from lib.domain.statuses import TERMINAL_STATUSES, ArchiveState, TaskStatus
from lib.store.batches import Batches
from lib.store.budgets import BudgetCheck, enforce, lock_budgets
from lib.store.database import WRITE_LOCK_OPTION, make_engine, migrate
from lib.store.kits import Kits
from lib.store.leases import Leases
from lib.store.memo import Memo
from lib.store.month_spend import keep_totals
from lib.store.reads import Reads
from lib.store.reviews import Reviews
from lib.store.schema import Asset, Task, TaskEvent, TaskParent
from lib.store.shared import Shared
from lib.store.signal import Signal
from lib.store.task_rows import FINISHED, NewTask, task_row
from lib.store.team import DONE, Team, account_in, add_audit, name_login
from lib.wave.replies import TaskState

# How far along each status is; a reply may only move a task to a later rank.
STATUS_RANK = {status: status.rank for status in TaskStatus}
# A callback makes a task due at most this soon after the service last answered for it.
HINT_GAP = timedelta(seconds=1)
SHOWN_CHANGED = "studio_task_shown_changed"  # ... it changed what a History card shows


def _note_shown_changes(session: Session, _context: object, _instances: object) -> None:
    """Before a write is flushed: whether it moves a task to another shown state (status or
    saved copy), so that the pages waiting on that task are woken once it is committed."""
    for task in (*session.new, *session.dirty):
        if not isinstance(task, Task):
            continue
        state = inspect(task)
        if state.attrs.status.history.has_changes() or (
            state.attrs.archive_state.history.has_changes()
        ):
            session.info[SHOWN_CHANGED] = True
            return


class Store(Reads, Leases, Team, Shared, Reviews, Kits, Batches):
    def __init__(self, engine: Engine):
        self.engine = engine
        self._sessions = sessionmaker(engine, expire_on_commit=False)
        writer = engine.execution_options(**{WRITE_LOCK_OPTION: True})
        self._writers = sessionmaker(writer, expire_on_commit=False)
        keep_totals(self._writers)  # the month's spend moves with the tasks' money
        # Small reads every page run repeats, kept until this process writes (memo.py).
        self.memo = Memo()
        # Notified when a task in this process is finished: done, failed, cancelled or
        # gone (what an open History page waits for, lib/server/routes.py).
        self.finished = Signal()
        # Notified when a task in this process changes what its History card shows: a
        # new step, done, saved (what each open History page's held request waits on).
        self.changed = Signal()
        event.listen(self._writers, "before_flush", _note_shown_changes)

    @classmethod
    def open(cls, url: str) -> Store:
        """Connect and bring the schema up to date (existing rows are kept)."""
        engine = make_engine(url)
        migrate(engine)
        return cls(engine)

    def session(self) -> Session:
        """For reading. Writes go through `writing`."""
        return self._sessions()

    @contextmanager
    def writing(self) -> Iterator[Session]:
        """One write transaction, committed at the end. It holds the write lock from its
        start (SQLite) and rows it reads to change are read FOR UPDATE (PostgreSQL), so
        no other writer can slip in between its read and its write: a callback's hint
        and the tracker's answer for the same task never overwrite each other."""
        with self._writers() as session:
            with session.begin():
                yield session
            self.memo.written()  # committed: the next read sees it
            finished = session.info.pop(FINISHED, False)
            shown = session.info.pop(SHOWN_CHANGED, False)
            if finished:
                self.finished.notify()  # committed: a reader woken now sees it
            if finished or shown:
                self.changed.notify()

    # ----- creating and submitting ----------------------------------------------------
    def create_task(
        self,
        new: NewTask,
        now: datetime,
        budget: BudgetCheck | None = None,
        lease: tuple[str, datetime] | None = None,
    ) -> tuple[Task, bool]:
        """Record a task before it is sent. -> (task, created). A second call with the same
        idempotency key (a double click, a rerun) returns the first task, created=False.
        With `budget`, the month's caps are checked in the same transaction as the insert
        (raises lib.domain.budgets.OverBudget), one submit at a time.
        `lease` (owner, until): the sending server's; the task is due at once, so that if
        that server dies mid-send another re-sends it as soon as the lease runs out."""
        existing = self.task_by_key(new.idempotency_key)
        if existing:
            return existing, False
        family = new.family_link()
        task = task_row(new, now, lease)
        try:
            with self.writing() as session:
                lock_budgets(session)
                if session.scalar(
                    select(Task.id).where(Task.idempotency_key == task.idempotency_key)
                ):
                    raise IntegrityError("same key", None, Exception())  # made meanwhile
                task.account_id = new.account_id
                if task.account_id is None and new.person:
                    owner = account_in(
                        session, name_login(new.person), new.person, Role.MEMBER, now
                    )
                    task.account_id = owner.id
                granted = None
                if budget is not None:
                    granted = enforce(
                        session, budget, task.account_id, new.campaign, new.estimate_quota, now
                    )
                session.add(task)
                if family is not None:  # its family, in the same transaction
                    session.flush()
                    session.add(TaskParent(task_id=task.id, parent_id=family[0], kind=family[1]))
                if granted is not None:
                    granted.task_id = task.id
                add_audit(
                    session,
                    "video.create",
                    task.account_id,
                    new.person,
                    DONE,
                    task.id,
                    f"{task.duration} s, {task.resolution}, campaign “{task.campaign}”, "
                    f"estimate {task.estimate_quota} quota",
                    now,
                )
        except IntegrityError:  # the same key, inserted by a concurrent rerun
            existing = self.task_by_key(new.idempotency_key)
            if existing is None:
                raise
            return existing, False
        return self.get_task(task.id), True  # type: ignore[return-value]

    def discard_unsent(self, task_id: str) -> None:
        """The service refused the submit outright (nothing was charged): forget the task."""
        with self.writing() as session:
            task = session.get(Task, task_id, with_for_update=True)
            if task is not None and task.wave_task_id is None:
                session.delete(task)  # through the session: its held estimate is released
            session.info[FINISHED] = True

    def mark_submit_pending(self, task_id: str, detail: str, retry_at: datetime) -> None:
        """The submit's outcome is unknown (no reply): the tracker re-sends it, same key."""
        with self.writing() as session:
            task = session.get(Task, task_id, with_for_update=True)
            if task is None or task.wave_task_id:
                return
            task.next_check_at = retry_at
            task.error_message = detail
            task.updated_at = retry_at

    def resend_unanswered_now(self, now: datetime) -> int:
        """At start-up: submits still waiting for their first reply were left by a server
        that stopped (nothing in this one is sending them yet), so they are due now rather
        than at their later retry time. Re-sending is safe: the same key makes no second
        task. -> how many."""
        with self.writing() as session:
            result = session.execute(
                update(Task)
                .where(
                    Task.tracking.is_(True),
                    Task.status == TaskStatus.SUBMITTING,
                    Task.wave_task_id.is_(None),
                    Task.next_check_at > now,
                )
                .values(next_check_at=now)
            )
            return result.rowcount

    def fail_unsent(
        self, task_id: str, code: str, message: str, now: datetime, sent: bool = False
    ) -> None:
        """The task ends here, at no cost: a re-sent submit was refused, or (sent=True) the
        service no longer knows a task it accepted, so its pre-consumed price comes back."""
        with self.writing() as session:
            task = session.get(Task, task_id, with_for_update=True)
            if task is None or bool(task.wave_task_id) != sent or task.status in TERMINAL_STATUSES:
                return
            task.status = TaskStatus.FAILED
            task.error_code = code
            task.error_message = message
            task.cost_quota = 0
            task.refunded_quota = task.pre_consumed_quota or 0
            task.finished_at = task.updated_at = now
            _stop_following(task)
            session.add(
                TaskEvent(
                    task=task, at=now, status=TaskStatus.FAILED, source="service", detail=message
                )
            )

    # ----- what the service says ------------------------------------------------------
    def apply_state(
        self,
        task_id: str,
        state: TaskState,
        source: str,
        now: datetime,
        next_check_at: datetime,
        asked_at: datetime | None = None,
    ) -> Task | None:
        """Record a confirmed reply (submit or GET). Never moves a task backwards.
        `asked_at`: when the question was sent. A callback that came in since then is not
        lost: it may know more than this reply."""
        with self.writing() as session:
            task = session.get(Task, task_id, with_for_update=True)
            if task is None:
                return None
            if task.wave_task_id is None:
                task.wave_task_id = state.task_id
                task.submitted_at = now
                task.pre_consumed_quota = (
                    state.pre_consumed_cost
                    if state.pre_consumed_cost is not None
                    else task.estimate_quota
                )
            moved = STATUS_RANK[state.status] > STATUS_RANK[task.status]
            if task.status in TERMINAL_STATUSES:
                return task  # settled: later replies change nothing
            if moved:
                task.status = state.status
            if state.status == task.status:
                task.progress = max(task.progress, state.progress)
            task.updated_at = now
            due = task.next_check_at
            if asked_at is not None and due is not None and due > asked_at:
                # A callback came in while we asked: look again, HINT_GAP after this answer.
                next_check_at = min(next_check_at, max(due, now + HINT_GAP))
            task.next_check_at = next_check_at
            if task.status != TaskStatus.FAILED:
                task.error_message = None  # a "still sending" note ends with the answer
            if task.status in TERMINAL_STATUSES:
                self._settle(task, state, now)
            if moved:
                detail = f"{state.error_code}: {state.error_message}" if state.error_code else None
                session.add(
                    TaskEvent(
                        task=task,
                        at=now,
                        status=task.status,
                        progress=task.progress,
                        source=source,
                        detail=detail,
                    )
                )
            return task

    @staticmethod
    def _settle(task: Task, state: TaskState, now: datetime) -> None:
        pre = (
            task.pre_consumed_quota if task.pre_consumed_quota is not None else task.estimate_quota
        )
        cost = (
            state.cost
            if state.cost is not None
            else (pre if state.status == TaskStatus.COMPLETED else 0)
        )
        task.cost_quota = cost
        task.refunded_quota = max(pre - cost, 0)
        task.billing_status = state.billing_status
        task.finished_at = state.completed_at or now
        if state.status == TaskStatus.COMPLETED:
            task.progress = 100
            task.provider_video_url = state.video_urls[0] if state.video_urls else None
            task.provider_expires_at = state.expires_at
            task.archive_state = ArchiveState.PENDING
            task.next_check_at = now  # copy it now, well before the link expires
        else:
            task.error_code = state.error_code
            task.error_message = state.error_message
            _stop_following(task)

    def count_api_calls(self, task_id: str, calls: int = 1) -> None:
        with self.writing() as session:
            session.execute(
                update(Task).where(Task.id == task_id).values(api_calls=Task.api_calls + calls)
            )

    def record_hint(self, wave_task_id: str, now: datetime) -> str | None:
        """A callback named this task: look at it now, or HINT_GAP after the last answer
        (`updated_at`), so that a flood of callbacks is not a flood of GETs.
        -> our task id, or None if unknown."""
        with self.writing() as session:
            task = session.scalar(
                select(Task).where(Task.wave_task_id == wave_task_id).with_for_update()
            )
            if task is None:
                return None
            if task.tracking and task.status not in TERMINAL_STATUSES:
                due = max(now, task.updated_at + HINT_GAP)
                # Already due: the tracker may be asking right now, with an answer that
                # predates this hint. A due time after the question keeps the hint alive
                # through that answer (apply_state's `asked_at`).
                planned = task.next_check_at
                if planned is None or due < planned or planned <= now:
                    task.next_check_at = due
            return task.id

    # ----- archive ----------------------------------------------------------------------
    def record_archived(self, task_id: str, files: dict[str, Any], now: datetime) -> None:
        with self.writing() as session:
            task = session.get(Task, task_id, with_for_update=True)
            if task is None:
                return
            for name, value in files.items():
                setattr(task, name, value)
            task.archive_state = ArchiveState.ARCHIVED
            task.archive_error = None
            task.archived_at = task.updated_at = now
            _stop_following(task)
            session.add(
                TaskEvent(task=task, at=now, status=task.status, progress=100, source="archive")
            )

    def record_archive_problem(
        self,
        task_id: str,
        message: str,
        now: datetime,
        retry_at: datetime | None,
        final_state: str = ArchiveState.LINK_EXPIRED,
    ) -> None:
        """A copy that failed: retried at `retry_at`, or given up (None) as `final_state`."""
        with self.writing() as session:
            task = session.get(Task, task_id, with_for_update=True)
            if task is None:
                return
            task.archive_attempts += 1
            task.archive_error = message
            task.updated_at = now
            if retry_at is None:
                task.archive_state = final_state
                _stop_following(task)
                session.add(
                    TaskEvent(
                        task=task,
                        at=now,
                        status=task.status,
                        progress=100,
                        source="archive",
                        detail=message,
                    )
                )
            else:
                task.next_check_at = retry_at

    # ----- the tracker's leases ---------------------------------------------------------

    # ----- assets ---------------------------------------------------------------------------
    def add_asset(self, asset: Asset) -> Asset:
        """Record an uploaded image once; the same picture again returns the first record."""
        with self.session() as session:
            found = session.get(Asset, asset.sha256)
            if found:
                return found
        try:
            with self.writing() as session:
                session.add(asset)
        except IntegrityError:
            pass  # uploaded at the same moment by someone else: same bytes, same row
        with self.session() as session:
            return session.get(Asset, asset.sha256)  # type: ignore[return-value]


def _stop_following(task: Task) -> None:
    """The task is finished: the tracker leaves it, and waiters are told once it is
    committed (Store.writing)."""
    task.tracking = False
    object_session(task).info[FINISHED] = True
