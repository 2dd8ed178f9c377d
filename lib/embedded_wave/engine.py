"""The embedded Wave API's engine: tasks, their life cycle, the wallet and idempotency.

One driver thread moves tasks along their timeline (queued -> processing -> completed /
failed), hands renders to a small pool of render threads, deletes videos whose links
have expired, and fires callbacks. Request handlers only read and write task state under
one lock.

Threads, not processes: x264 and numpy release the GIL while they work (a 480p render
delays other threads by a few milliseconds at most), and a spawned process would
re-run the host's `__main__` — under Streamlit that is the page script.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import logging
import random
import secrets
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from lib.domain.catalog import IMAGE_TO_VIDEO, TEXT_TO_VIDEO
from lib.domain.money import price_quota, quota_to_usd
from lib.domain.validation import (
    InvalidRequest,
    canonical_events,
    is_image_to_video,
    validate_request,
)
from lib.embedded_wave.callbacks import CallbackSender
from lib.embedded_wave.production import (
    FetchedPictures,
    ProductionJob,
    UpstreamBadRequest,
    fetch_pictures,
    produce_video,
    render_pictures,
)
from lib.embedded_wave.settings import FAILURE_MESSAGES, EmbeddedSettings, Faults
from lib.embedded_wave.tasks import Task, TaskFile, task_object
from lib.outside.fetch import LinkPolicy, link_problem, shown_link

log = logging.getLogger(__name__)


class ApiError(Exception):
    """An error reply of the contract: HTTP status and {"error": {message, code, param?}}."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        param: str | None = None,
        headers: dict[str, str] | None = None,
    ):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.param = param
        self.headers = headers or {}

    def body(self) -> dict[str, Any]:
        error: dict[str, Any] = {"message": self.message, "code": self.code}
        if self.param:
            error["param"] = self.param
        return {"error": error}


def task_not_found(task_id: str) -> ApiError:
    return ApiError(404, "task_not_found", f"No task with the id {task_id!r} was found.")


class Counters:
    """Thread-safe counts of requests, faults and callbacks, read by tests and benchmarks."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: Counter[str] = Counter()

    def add(self, name: str, amount: int = 1) -> None:
        with self._lock:
            self._counts[name] += amount

    def snapshot(self) -> dict[str, int]:
        with self._lock:
            return dict(self._counts)

    def reset(self) -> None:
        with self._lock:
            self._counts.clear()


class TerminalWaiters:
    """Lets async handlers (`Prefer: wait=N`) sleep until a task changes, without a thread."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._wakers: dict[str, list[Callable[[], None]]] = defaultdict(list)

    async def wait(self, task_id: str, timeout: float, done: Callable[[], bool]) -> None:
        loop = asyncio.get_running_loop()
        changed = asyncio.Event()

        def wake() -> None:
            # A closed loop raises RuntimeError: then nobody is waiting any more.
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(changed.set)

        with self._lock:
            self._wakers[task_id].append(wake)
        try:
            deadline = loop.time() + timeout
            while not done() and (left := deadline - loop.time()) > 0:
                changed.clear()
                try:
                    await asyncio.wait_for(changed.wait(), left)
                except TimeoutError:
                    break
        finally:
            with self._lock:
                wakers = self._wakers.get(task_id, [])
                if wake in wakers:
                    wakers.remove(wake)
                if not wakers:
                    self._wakers.pop(task_id, None)

    def notify(self, task_id: str) -> None:
        with self._lock:
            wakers = list(self._wakers.get(task_id, ()))
        for wake in wakers:
            wake()


@dataclass(frozen=True)
class Balance:
    granted: int
    used: int  # settled plus pre-consumed by unfinished tasks

    @property
    def available(self) -> int:
        return self.granted - self.used


class Engine:
    def __init__(self, settings: EmbeddedSettings, clock: Callable[[], float] = time.time):
        self.settings = settings
        self.clock = clock
        self.counters = Counters()
        self.waiters = TerminalWaiters()
        self._faults = settings.faults
        self._lock = threading.RLock()
        self._wake = threading.Condition(self._lock)
        self._tasks: dict[str, Task] = {}
        self._by_account: dict[str, list[Task]] = defaultdict(list)
        self._active: set[str] = set()  # not yet terminal
        self._live_files: set[str] = set()  # completed, file not yet expired
        self._idempotency: dict[tuple[str, str], str] = {}
        self._renders: dict[str, Future] = {}
        self._failure_rng = random.Random(self._faults.seed)
        self._failure_turn = 0
        self._pool: ThreadPoolExecutor | None = None
        # Picture links are fetched here, never on a render thread; each account has at
        # most a few fetches running, the rest of its tasks wait in its own line.
        self._fetch_pool: ThreadPoolExecutor | None = None
        self._fetching: Counter[str] = Counter()
        self._fetch_lines: dict[str, list[Callable[[], None]]] = defaultdict(list)
        self._thread: threading.Thread | None = None
        self._stopping = False
        self.files_dir = Path(settings.data_dir) / "files"
        self._store = TaskFile(Path(settings.data_dir) / "tasks.sqlite3")
        self._callbacks = CallbackSender(
            settings.callback_timeout_seconds,
            settings.callback_backoff_seconds,
            self.counters.add,
            local_prefixes=settings.local_prefixes,
        )
        self.link_policy = self._picture_policy()

    def _picture_policy(self) -> LinkPolicy:
        return LinkPolicy.with_local(
            self.settings.local_prefixes,
            deadline_seconds=self.settings.image_fetch_timeout_seconds,
            max_bytes=self.settings.image_max_bytes,
        )

    def allow_local(self, prefixes: tuple[str, ...]) -> None:
        """Links under these prefixes may be on this machine (the studio, in demo mode,
        once it knows its own address). See EmbeddedSettings.local_prefixes."""
        with self._lock:
            self.settings = replace(self.settings, local_prefixes=prefixes)
            self.link_policy = self._picture_policy()
            self._callbacks.policy = replace(
                self._callbacks.policy, local_prefixes=self.link_policy.local_prefixes
            )

    # ----- life cycle -------------------------------------------------------------------
    def start(self) -> None:
        """Load what a previous run left and resume its unfinished tasks."""
        self.files_dir.mkdir(parents=True, exist_ok=True)
        with self._lock:
            if self._thread:
                return
            for task in self._store.load_all():
                self._index(task)
            self._thread = threading.Thread(target=self._drive, name="wave-driver", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        with self._lock:
            self._stopping = True
            self._wake.notify_all()
        if self._thread:
            self._thread.join(timeout=10)
        for pool in (self._pool, self._fetch_pool):
            if pool:
                pool.shutdown(wait=False, cancel_futures=True)
        self._callbacks.stop()
        self._store.close()

    @property
    def faults(self) -> Faults:
        return self._faults

    def set_faults(self, faults: Faults) -> None:
        with self._lock:
            self._faults = faults
            self._failure_rng = random.Random(faults.seed)

    # ----- requests ---------------------------------------------------------------------
    def submit(
        self, account: str, body: Any, idempotency_key: str | None, base_url: str
    ) -> tuple[Task, bool]:
        """Create a task (or return the one this idempotency key made). -> (task, replayed)"""
        try:
            request = validate_request(body)
        except InvalidRequest as exc:
            raise ApiError(400, "invalid_request", str(exc), param=exc.param) from None
        self._refuse_private_links(request)
        fingerprint = hashlib.sha256(
            json.dumps(body, sort_keys=True, separators=(",", ":")).encode()
        ).hexdigest()
        now = self.clock()
        with self._lock:
            replay = self._replay(account, idempotency_key, fingerprint, now)
            if replay:
                return replay, True
            price = price_quota(request["duration"])
            balance = self._balance(account)
            if price > balance.available:
                raise ApiError(
                    402,
                    "insufficient_balance",
                    f"This video costs ${quota_to_usd(price):.4f} ({price} quota) but only "
                    f"${quota_to_usd(max(balance.available, 0)):.4f} is left on the account.",
                )
            task = self._new_task(account, body, request, price, now, base_url)
            task.idempotency_key = idempotency_key
            task.fingerprint = fingerprint
            self._index(task)
            self._store.save(task)
            self._emit(task, now)
            self._wake.notify_all()
            return task, False

    def _refuse_private_links(self, request: dict[str, Any]) -> None:
        """Picture links that point inside a private network are refused before anything
        is made (what their host names resolve to is judged when they are fetched). A
        private callback address is not refused: callbacks are hints, the task works
        without them, and such an address is simply never called (CallbackSender)."""
        for position, url in enumerate(request.get("image_urls") or (), start=1):
            problem = link_problem(url, self.link_policy)
            if problem:
                message = f"Picture {position} (the link {shown_link(url)}) {problem}"
                raise ApiError(400, "invalid_request", message, param="image_urls")

    def get(self, account: str, task_id: str) -> Task:
        with self._lock:
            task = self._tasks.get(task_id)
            if task is None or task.account != account:
                raise task_not_found(task_id)
            return task

    def cancel(self, account: str, task_id: str) -> Task:
        with self._lock:
            task = self.get(account, task_id)
            if task.status != "queued":
                raise ApiError(
                    400,
                    "task_not_cancellable",
                    f"Only a queued task can be cancelled; this one is {task.status}.",
                )
            now = self.clock()
            task.status = "cancelled"
            self._settle(task, now, cost=0)
            self._wake.notify_all()
            return task

    def balance(self, account: str) -> Balance:
        with self._lock:
            return self._balance(account)

    def video_file(self, name: str) -> tuple[Path | None, bool]:
        """(path, expired) for a link's file name; path is None when there is nothing to serve."""
        with self._lock:
            task = self._tasks.get(name.split(".", 1)[0].split("-", 1)[-1])
            if task is None or task.video_name != name:
                return None, False
            if task.file_deleted or (task.expires_at or 0) <= self.clock():
                self._expire(task)
                return None, True
            return self.files_dir / name, False

    def snapshot(self, task: Task) -> dict[str, Any]:
        """The task as the wire shows it now (reply variants applied)."""
        with self._lock:
            return task_object(task, self.clock(), self._faults.reply_variants)

    # ----- internals --------------------------------------------------------------------
    def _replay(self, account: str, key: str | None, fingerprint: str, now: float) -> Task | None:
        if not key:
            return None
        task_id = self._idempotency.get((account, key))
        task = self._tasks.get(task_id) if task_id else None
        if task is None or now - task.created_at > self.settings.idempotency_window_seconds:
            return None
        if task.fingerprint != fingerprint:
            raise ApiError(
                400,
                "invalid_request",
                "This Idempotency-Key was already used for a different request. "
                "Use a new key for a new video.",
                param="Idempotency-Key",
            )
        return task

    def _new_task(
        self,
        account: str,
        body: dict[str, Any],
        request: dict[str, Any],
        price: int,
        now: float,
        base_url: str,
    ) -> Task:
        while True:
            task_id = f"task-wave{int(now)}{secrets.token_hex(5)}"
            if task_id not in self._tasks:
                break
        s = self.settings
        processing_at = now + s.queue_seconds * s.time_scale
        return Task(
            task_id=task_id,
            account=account,
            model=request["model"],
            # Echoed as sent (DECIDED); when absent, what the images make of it.
            action=body.get("action")
            or (IMAGE_TO_VIDEO if is_image_to_video(request) else TEXT_TO_VIDEO),
            request=request,
            price=price,
            created_at=now,
            base_url=base_url,
            processing_at=processing_at,
            finish_at=processing_at
            + s.processing_seconds(request["duration"], request["resolution"]),
            planned_failure=self._plan_failure(),
            callback_url=request.get("callback_url"),
            callback_events=sorted(canonical_events(request)),
        )

    def _plan_failure(self) -> str | None:
        faults = self._faults
        if faults.task_failure_rate <= 0 or self._failure_rng.random() >= faults.task_failure_rate:
            return None
        code = faults.task_failure_codes[self._failure_turn % len(faults.task_failure_codes)]
        self._failure_turn += 1
        return code

    def _index(self, task: Task) -> None:
        self._tasks[task.task_id] = task
        self._by_account[task.account].append(task)
        if task.idempotency_key:
            self._idempotency[(task.account, task.idempotency_key)] = task.task_id
        if not task.is_terminal:
            self._active.add(task.task_id)
        elif task.status == "completed" and not task.file_deleted:
            self._live_files.add(task.task_id)

    def _balance(self, account: str) -> Balance:
        used = 0
        for task in self._by_account.get(account, ()):
            used += task.price if not task.is_terminal else (task.cost or 0)
        return Balance(self.settings.starting_balance_quota, used)

    def _drive(self) -> None:
        with self._lock:
            while not self._stopping:
                try:
                    next_due = self._advance(self.clock())
                except Exception:  # one bad task must not stop every other one
                    log.exception("embedded Wave API: advancing tasks failed")
                    next_due = self.clock() + 1.0
                self._wake.wait(min(max(next_due - self.clock(), 0.005), 1.0))

    def _advance(self, now: float) -> float:
        """Move every unfinished task on; return when something is next due."""
        next_due = now + 1.0
        for task_id in list(self._active):
            task = self._tasks[task_id]
            due = self._advance_task(task, now)
            if due is not None:
                next_due = min(next_due, due)
        for task_id in list(self._live_files):
            task = self._tasks[task_id]
            if (task.expires_at or 0) <= now:
                self._expire(task)
            else:
                next_due = min(next_due, task.expires_at)
        return next_due

    def _advance_task(self, task: Task, now: float) -> float | None:
        if task.status == "queued":
            if now < task.processing_at:
                return task.processing_at
            task.status = "processing"
            self._store.save(task)
            self._emit(task, now)
        if task.planned_failure:
            fail_at = (task.processing_at + task.finish_at) / 2
            if now < fail_at:
                return fail_at
            self._fail(task, now, task.planned_failure, FAILURE_MESSAGES[task.planned_failure])
            return None
        render = self._renders.get(task.task_id) or self._start_render(task)
        if not render.done():
            return task.finish_at if now < task.finish_at else None  # woken by the render
        error = render.exception()
        if error is not None:
            self._renders.pop(task.task_id, None)
            if isinstance(error, UpstreamBadRequest):
                self._fail(task, now, "upstream_bad_request", str(error))
            else:
                log.error("embedded Wave API: render of %s failed: %r", task.task_id, error)
                self._fail(task, now, "task_failed", FAILURE_MESSAGES["task_failed"])
            return None
        if now < task.finish_at:
            return task.finish_at
        self._renders.pop(task.task_id, None)
        task.status = "completed"
        task.expires_at = now + self.settings.link_ttl_seconds
        self._live_files.add(task.task_id)
        self._settle(task, now, cost=task.price)
        return None

    def _start_render(self, task: Task) -> Future:
        if self._pool is None:
            self._pool = ThreadPoolExecutor(
                self.settings.render_workers, thread_name_prefix="wave-render"
            )
        if not task.video_name:  # after a restart, the same name: no orphaned file
            task.video_name = f"{secrets.token_hex(12)}-{task.task_id}.mp4"
            self._store.save(task)
        request = task.request
        job = ProductionJob(
            out_path=str(self.files_dir / task.video_name),
            prompt=request.get("prompt", ""),
            duration=request["duration"],
            resolution=request["resolution"],
            aspect_ratio=None if is_image_to_video(request) else request["aspect_ratio"],
            image_urls=tuple(request.get("image_urls") or ()),
            threads=self.settings.render_threads,
            links=self.link_policy,
            max_pixels=self.settings.image_max_pixels,
        )
        if job.image_urls:
            future: Future = Future()
            self._line_up_fetch(task.account, job, future)
        else:
            future = self._pool.submit(produce_video, job)
        self._renders[task.task_id] = future
        future.add_done_callback(lambda _f: self._poke())
        return future

    def _line_up_fetch(self, account: str, job: ProductionJob, outcome: Future) -> None:
        """Fetch the job's pictures when the account has a fetch slot, then render."""
        if self._fetch_pool is None:
            self._fetch_pool = ThreadPoolExecutor(
                self.settings.image_fetch_workers, thread_name_prefix="wave-fetch"
            )
        pool = self._fetch_pool

        def start() -> None:
            self._fetching[account] += 1
            try:
                fetching = pool.submit(fetch_pictures, job)
            except RuntimeError as exc:  # stopping: the pool takes no more work
                self._fetching[account] -= 1
                outcome.set_exception(exc)
                return
            fetching.add_done_callback(lambda done: self._fetched(account, job, done, outcome))

        with self._lock:
            if self._fetching[account] < self.settings.image_fetches_per_account:
                start()
            else:
                self._fetch_lines[account].append(start)

    def _fetched(self, account: str, job: ProductionJob, done: Future, outcome: Future) -> None:
        with self._lock:
            self._fetching[account] -= 1
            line = self._fetch_lines.get(account)
            if line:
                line.pop(0)()
            if not line:
                self._fetch_lines.pop(account, None)
        if _pass_on_failure(done, outcome):
            return
        pictures: FetchedPictures = done.result()
        try:
            rendering = self._pool.submit(render_pictures, job, pictures)  # type: ignore[union-attr]
        except RuntimeError as exc:
            pictures.remove()
            outcome.set_exception(exc)
            return
        rendering.add_done_callback(lambda r: _pass_on(r, outcome))

    def _poke(self) -> None:
        with self._lock:
            self._wake.notify_all()

    def _fail(self, task: Task, now: float, code: str, message: str) -> None:
        task.last_progress = task.progress(now)
        task.status = "failed"
        task.error = {"message": message, "code": code}
        if task.video_name:
            (self.files_dir / task.video_name).unlink(missing_ok=True)
            task.video_name = None
        self._settle(task, now, cost=0)

    def _settle(self, task: Task, now: float, cost: int) -> None:
        """A terminal state: charge (completed) or refund (failed, cancelled) and tell."""
        if task.status == "completed":
            task.last_progress = 100
        task.completed_at = now
        task.cost = cost
        self._active.discard(task.task_id)
        self._store.save(task)
        self._emit(task, now)
        self.waiters.notify(task.task_id)

    def _expire(self, task: Task) -> None:
        if task.video_name:
            (self.files_dir / task.video_name).unlink(missing_ok=True)
        self._live_files.discard(task.task_id)
        if not task.file_deleted:
            task.file_deleted = True
            self._store.save(task)

    def _emit(self, task: Task, now: float) -> None:
        if task.callback_url and task.status in task.callback_events:
            body = task_object(task, now, self._faults.reply_variants)
            self._callbacks.send(task.callback_url, task.status, body)


def _pass_on_failure(source: Future, target: Future) -> bool:
    """Give `target` the failure of `source`, if it failed (or was dropped at a stop)."""
    error = RuntimeError("stopped") if source.cancelled() else source.exception()
    if error is not None:
        target.set_exception(error)
    return error is not None


def _pass_on(source: Future, target: Future) -> None:
    if not _pass_on_failure(source, target):
        target.set_result(source.result())


def usd(quota: int) -> float:
    return float(round(quota_to_usd(quota), 6))


def balance_reply(balance: Balance, now: float) -> dict[str, Any]:
    return {
        "object": "credit_summary",
        "currency": "USD",
        "total_granted_usd": usd(balance.granted),
        "total_used_usd": usd(balance.used),
        "total_available_usd": usd(balance.available),
        "as_of": int(now),
    }
