"""The tracker: one per server process, it follows every unfinished task to the end.

It never trusts a callback: a callback only makes a task due now, and the tracker then
asks the service (GET) what is true. Without callbacks it holds a `Prefer: wait` request
where the service honours that, and polls adaptively otherwise. When a video is done it
copies it to our storage at once, long before the provider's link expires.

Work is claimed through leases in the store, so several server processes can share one
database and never follow the same task at the same time. After a restart everything
resumes from the store: the store is the tracker's only memory.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from lib.domain.catalog import GROK_IMAGINE_VIDEO, model_spec
from lib.domain.retry import ARCHIVE, RESUBMIT
from lib.domain.statuses import TERMINAL_STATUSES, ArchiveState, TaskStatus
from lib.engine.archive import ArchiveError, LinkGone, MediaUrlPolicy, UrlRefused, archive_video
from lib.engine.sending import CALLBACKS_REPORT_STEPS, send_submit
from lib.storage import Storage
from lib.store.schema import Task
from lib.store.tasks import Store
from lib.wave import (
    AuthError,
    InsufficientBalance,
    InvalidRequest,
    TaskNotFound,
    TaskState,
    WaveClient,
    WaveError,
)

log = logging.getLogger(__name__)


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class TrackerSettings:
    workers: int = 8
    lease_seconds: float = 30.0
    use_callbacks: bool = False
    # Per held GET (the service caps it at 60): long enough that a video of a minute or
    # less costs one GET, short of the 60 s idle limit common in proxies.
    wait_seconds: int = 55
    # With callbacks, a safety look in case a callback is lost.
    callback_safety_seconds: float = 60.0
    callback_url: Callable[[], str] | None = None
    idle_scan_seconds: float = 1.0  # how often the store is scanned for others' changes


class Tracker:
    def __init__(
        self,
        store: Store,
        client: WaveClient,
        storage: Storage,
        media_policy: MediaUrlPolicy,
        settings: TrackerSettings = TrackerSettings(),
        clock: Callable[[], datetime] = utcnow,
    ):
        self.store = store
        self.client = client
        self.storage = storage
        self.media_policy = media_policy
        self.settings = settings
        self.clock = clock
        self.owner = f"tracker-{uuid.uuid4().hex[:12]}"
        # The lease a submit in progress holds (lib/engine/submissions.py): another owner
        # name, so that this tracker's own scheduler leaves it alone too.
        self.sending_owner = f"{self.owner}/send"
        self._sending: set[str] = set()
        # None until a reply shows whether the service holds `Prefer: wait` requests.
        self.wait_supported: bool | None = None
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._busy: set[str] = set()
        # Taken over from a server that died while every worker here was busy: being
        # looked at once (`_taking`), then kept under this server's lease until a worker
        # is free (`_adopted`). See `_take_over`.
        self._taking: set[str] = set()
        self._adopted: set[str] = set()
        self._busy_lock = threading.Lock()
        self._pool = ThreadPoolExecutor(settings.workers, thread_name_prefix="tracker")
        self._threads: list[threading.Thread] = []

    # ----- life cycle -------------------------------------------------------------------
    def start(self) -> None:
        resent = self.store.resend_unanswered_now(self.clock())
        if resent:
            log.info("tracker: re-sending %d submit(s) left unanswered before a restart", resent)
        for target, name in (
            (self._schedule, "tracker-scheduler"),
            (self._heartbeat, "tracker-lease"),
            (self._take_over_orphans, "tracker-takeover"),
        ):
            thread = threading.Thread(target=target, name=name, daemon=True)
            thread.start()
            self._threads.append(thread)

    def hand_over(self) -> None:
        """The server is stopping (SIGTERM): take no more work and let go of every lease
        at once, so another server takes these tasks now rather than when the leases run
        out. Requests still under way finish; what they learn is kept."""
        if self._stop.is_set():
            return
        self._stop.set()
        self._wake.set()
        try:
            released = self.store.release_all([self.owner, self.sending_owner])
            log.info("tracker: stopping; %d task(s) handed over to the other servers", released)
        except Exception:
            log.exception("tracker: could not release its leases (they run out by themselves)")

    @property
    def stopping(self) -> bool:
        return self._stop.is_set()

    def stop(self) -> None:
        self.hand_over()
        for thread in self._threads:
            thread.join(timeout=10)
        self._pool.shutdown(wait=True, cancel_futures=True)

    def lease_end(self) -> datetime:
        """When a lease taken or renewed now runs out, as the other servers read it: two
        looks before the lease time, so that a server that looks once a look
        (`idle_scan_seconds`) has taken a dead server's tasks within the lease time of its
        last renewal, whenever it died (issue 15: 31.0 s with a 30 s lease before). At
        most a sixth of the lease early: the heartbeat (every third) keeps its margin, and
        a lease of six looks or more is taken in time."""
        settings = self.settings
        early = min(2 * settings.idle_scan_seconds, settings.lease_seconds / 6)
        return self.clock() + timedelta(seconds=settings.lease_seconds - early)

    # ----- a submit in progress (lib/engine/submissions.py) -----------------------------
    def sending_lease(self) -> tuple[str, datetime]:
        """The lease a new task is stored with while this server sends it."""
        return self.sending_owner, self.lease_end()

    def sending_started(self, task_id: str) -> None:
        with self._busy_lock:
            self._sending.add(task_id)  # renewed by the heartbeat while it lasts

    def sending_done(self, task_id: str) -> None:
        with self._busy_lock:
            self._sending.discard(task_id)
        self.store.release(task_id, self.sending_owner)

    def poke(self) -> None:
        """Something became due (a submit, a callback): look now rather than at the next scan."""
        self._wake.set()

    @property
    def reports_steps(self) -> bool:
        """Whether the store hears of each step of a video (polling), rather than only of
        its end (a held `Prefer: wait` request, callbacks: see lib/engine/sending.py)."""
        if self.settings.use_callbacks:
            return CALLBACKS_REPORT_STEPS
        return self.wait_supported is False

    @property
    def busy(self) -> int:
        with self._busy_lock:
            return len(self._busy)

    # ----- scheduling -------------------------------------------------------------------
    def _schedule(self) -> None:
        while not self._stop.is_set():
            # Cleared before looking, so a poke that arrives meanwhile is never lost.
            self._wake.clear()
            try:
                self._claim_and_dispatch()
                wait = self._seconds_to_next_due()
            except Exception:  # a database hiccup must not end the tracker
                log.exception("tracker: scheduling failed; trying again shortly")
                wait = 2.0
            self._wake.wait(wait)

    def _claim_and_dispatch(self) -> None:
        room = self.settings.workers - self.busy
        if room <= 0:
            return
        now = self.clock()
        until = self.lease_end()
        with self._busy_lock:
            busy = self._busy | self._taking
        claimed = self.store.claim_due(self.owner, now, until, room, busy)
        if self.stopping:
            # The claim may have been committed after hand_over released everything:
            # let go of it too, or these tasks would wait for the lease to run out.
            self.store.release_all([self.owner])
            return
        for task in claimed:
            with self._busy_lock:
                self._busy.add(task.id)
                self._adopted.discard(task.id)
            self._pool.submit(self._follow, task)

    def _seconds_to_next_due(self) -> float:
        scan = self.settings.idle_scan_seconds
        if self.busy >= self.settings.workers:
            return scan
        with self._busy_lock:
            busy = self._busy | self._taking
        # Only what this tracker could take now: a task it is already following (a held
        # GET, an archive) is "due now" in the store, and would make this loop spin.
        due = self.store.next_due(self.owner, self.clock(), busy)
        if due is None:
            return scan
        return min(max((due - self.clock()).total_seconds(), 0.0), scan)

    def _heartbeat(self) -> None:
        interval = self.settings.lease_seconds / 3
        while not self._stop.wait(interval):
            with self._busy_lock:
                busy = list(self._busy | self._taking | self._adopted)
                sending = list(self._sending)
            try:
                until = self.lease_end()
                self.store.renew_leases(self.owner, busy, until)
                self.store.renew_leases(self.sending_owner, sending, until)
            except Exception:
                log.exception("tracker: renewing leases failed")

    # ----- taking over a dead server's tasks -----------------------------------------------
    def _take_over_orphans(self) -> None:
        """Tasks whose server died (their lease ran out) are taken within the lease time
        even when every worker here is busy holding a `Prefer: wait` request: otherwise
        they would wait for a worker behind this server's own videos (230 s measured,
        issue 15). This one thread looks at each once, without holding the request; when
        workers are free, the scheduler takes orphans like any due task instead."""
        while not self._stop.wait(self.settings.idle_scan_seconds):
            if self.busy < self.settings.workers:
                continue
            try:
                now = self.clock()
                until = self.lease_end()
                owners = [self.owner, self.sending_owner]
                orphans = self.store.claim_orphans(owners, now, until, limit=100)
            except Exception:
                log.exception("tracker: looking for a stopped server's tasks failed")
                continue
            if orphans:
                log.info("tracker: taking over %d task(s) of a stopped server", len(orphans))
            with self._busy_lock:
                self._taking.update(task.id for task in orphans)
            for task in orphans:
                self._take_over(task)

    def _take_over(self, task: Task) -> None:
        """One look, without holding the request: a submit is re-sent, a finished video
        is copied, a video still being made is asked about once and then kept under this
        server's lease until a worker is free to hold the next request for it."""
        keep = False
        try:
            if self.stopping:
                return
            if task.wave_task_id is None:
                self._resubmit(task)
            elif task.status == TaskStatus.COMPLETED:
                self._archive(task)
            elif task.status not in TERMINAL_STATUSES:
                updated = self._check(task, hold=False)
                keep = updated is not None and updated.status not in TERMINAL_STATUSES
        except Exception:
            log.exception("tracker: taking over task %s failed; will look again", task.id)
            self._retry_later(task, seconds=10)
        finally:
            with self._busy_lock:
                self._taking.discard(task.id)
                if keep and not self.stopping:
                    self._adopted.add(task.id)  # its lease is renewed with the busy ones
            if not keep:
                self.store.release(task.id, self.owner)
            self._wake.set()

    def record_submitted(self, task: Task, state: TaskState) -> None:
        """The service accepted a task: store that, and follow it from here."""
        now = self.clock()
        self.store.apply_state(task.id, state, "service", now, self._next_check(task, state, now))
        self.poke()

    # ----- following one task -------------------------------------------------------------
    def _follow(self, task: Task) -> None:
        try:
            if self.stopping:
                return  # handed over: another server follows it now
            if task.wave_task_id is None:
                self._resubmit(task)
            elif task.status == TaskStatus.COMPLETED:
                self._archive(task)
            elif task.status not in TERMINAL_STATUSES:
                self._check(task)
        except Exception:
            log.exception("tracker: following task %s failed; will look again", task.id)
            self._retry_later(task, seconds=10)
        finally:
            self.store.release(task.id, self.owner)
            with self._busy_lock:
                self._busy.discard(task.id)
            self._wake.set()

    def _check(self, task: Task, hold: bool = True) -> Task | None:
        """Ask the service (holding the request where it can, unless `hold` is False)
        and record the answer. -> the task as recorded (None: nothing recorded)."""
        wait = self._wait_for(task) if hold else None
        asked_at = self.clock()
        try:
            state = self.client.get_task(task.wave_task_id, wait=wait)
        except TaskNotFound:
            self._lost(task)
            return None
        except WaveError as exc:  # retries inside the client did not help: later, calmly
            log.warning("tracker: could not check task %s: %s", task.id, exc)
            self._retry_later(task, seconds=30 if isinstance(exc, AuthError) else 10)
            return None
        finally:
            self.store.count_api_calls(task.id)
        if wait and self.wait_supported is None:
            self.wait_supported = state.wait_honoured
        now = self.clock()
        updated = self.store.apply_state(
            task.id, state, "service", now, self._next_check(task, state, now), asked_at
        )
        if updated is not None and updated.status == TaskStatus.COMPLETED and not self.stopping:
            self._archive(updated)  # (stopping: the server that takes it over copies it)
        return updated

    def _wait_for(self, task: Task) -> int | None:
        if self.settings.use_callbacks or self.wait_supported is False:
            return None
        return self.settings.wait_seconds

    def _next_check(self, task: Task, state: TaskState, now: datetime) -> datetime:
        if state.status in TERMINAL_STATUSES:
            return now
        if self.settings.use_callbacks:
            return now + timedelta(seconds=self.settings.callback_safety_seconds)
        if self.wait_supported:
            return now  # hold the next `Prefer: wait` straight away
        return now + timedelta(seconds=poll_interval(task, state, now))

    def _resubmit(self, task: Task) -> None:
        """A submit whose reply never came: send it again with the same key (no double
        charge: the service returns the task that key already made)."""
        try:
            state = send_submit(self.client, task, self._callback_url())
        except (InvalidRequest, InsufficientBalance, AuthError) as exc:
            self.store.fail_unsent(task.id, exc.code or "rejected", str(exc), self.clock())
            return
        except WaveError as exc:
            attempts = task.api_calls + 1
            self.store.count_api_calls(task.id)
            retry = self.clock() + timedelta(seconds=RESUBMIT.delay(attempts))
            self.store.mark_submit_pending(task.id, f"Still sending: {exc}", retry)
            return
        self.store.count_api_calls(task.id)
        self.record_submitted(task, state)

    def _callback_url(self) -> str | None:
        if self.settings.use_callbacks and self.settings.callback_url:
            return self.settings.callback_url() or None
        return None

    def _archive(self, task: Task) -> None:
        now = self.clock()
        expires = task.provider_expires_at
        if expires is None and task.finished_at is not None:
            # No expiry in the reply: the model's links last this long (24 h or 7 days),
            # so a copy that keeps failing is given up then instead of retried forever.
            spec = model_spec(task.model) or GROK_IMAGINE_VIDEO
            expires = task.finished_at + timedelta(seconds=spec.link_ttl_seconds)
        if not task.provider_video_url:
            self.store.record_archive_problem(
                task.id,
                "The service said the video was ready but gave no link.",
                now,
                None,
                ArchiveState.FAILED,
            )
            return
        try:
            archived = archive_video(
                task.provider_video_url, self.storage, task.id, self.media_policy
            )
        except UrlRefused as exc:
            log.warning("tracker: refused to fetch the video of %s: %s", task.id, exc)
            self.store.record_archive_problem(
                task.id,
                f"The studio did not download this video: {exc}.",
                now,
                None,
                ArchiveState.FAILED,
            )
            return
        except ArchiveError as exc:
            now = self.clock()
            if expires is not None and now >= expires:
                message = (
                    "The video was ready, but its download link expired before the studio "
                    "could save a copy."
                )
                self.store.record_archive_problem(
                    task.id, message, now, None, ArchiveState.LINK_EXPIRED
                )
                return
            delay = ARCHIVE.delay(task.archive_attempts)
            retry = now + timedelta(seconds=delay)
            if expires is not None:
                retry = min(retry, expires)  # one last try right at the end of the link's life
            detail = "link not found" if isinstance(exc, LinkGone) else str(exc)
            log.info("tracker: copy of %s failed (%s); retrying in %ss", task.id, detail, delay)
            self.store.record_archive_problem(
                task.id, f"Saving the video failed: {exc}.", now, retry
            )
            return
        self.store.record_archived(task.id, archived.as_columns(), self.clock())

    def _lost(self, task: Task) -> None:
        message = "The video service no longer knows this task, so it cannot finish."
        self.store.fail_unsent(task.id, "task_not_found", message, self.clock(), sent=True)

    def _retry_later(self, task: Task, seconds: float) -> None:
        try:
            self.store.reschedule(task.id, self.clock() + timedelta(seconds=seconds))
        except Exception:
            log.exception("tracker: could not reschedule %s", task.id)


def poll_interval(task: Task, state: TaskState, now: datetime) -> float:
    """Seconds to the next GET when nothing tells us when a task ends: every 2-5 s early
    on (as the service recommends), less often for long tasks. Progress may bring the
    next look forward (a long task near its end), never push it back: measured from the
    submit, queue included, early progress makes a task look far slower than it is (a
    video 12% made after 5 s would have been looked at again only after 29 s)."""
    started = task.submitted_at or task.created_at
    age = (now - started).total_seconds()
    interval = 2.0 if age < 30 else 5.0 if age < 120 else 15.0 if age < 900 else 30.0
    if state.status == TaskStatus.PROCESSING and 5 <= state.progress < 100 and age > 0:
        remaining = age * (100 - state.progress) / state.progress
        interval = min(max(remaining * 0.8, 2.0), interval)
    return interval
