"""The embedded Wave API's timeline: one driver thread moves tasks along (queued ->
processing -> completed / failed), hands renders to a small pool of render threads and
picture fetches to a line per account, deletes videos whose links have expired, and fires
callbacks. Methods of lib.embedded_wave.engine.Engine, which holds the state they change."""

from __future__ import annotations

import logging
import secrets
from concurrent.futures import Future, ThreadPoolExecutor
from decimal import Decimal
from pathlib import Path

from lib.domain.catalog import MODELS
from lib.domain.statuses import TaskStatus
from lib.domain.validation import (
    is_image_to_video,
)
from lib.embedded_wave.production import (
    FetchedPictures,
    ProductionJob,
    SourceVideo,
    UpstreamBadRequest,
    fetch_pictures,
    produce_video,
    render_pictures,
)
from lib.embedded_wave.settings import CONTENT_MESSAGE, CONTENT_MODERATED, FAILURE_MESSAGES
from lib.embedded_wave.tasks import Task, task_object

log = logging.getLogger(__name__)
_FAILURE_WORDS = {**FAILURE_MESSAGES, CONTENT_MODERATED: CONTENT_MESSAGE}


class Timeline:
    """The driver thread's side of Engine (see Engine.__init__ for the state)."""

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
        if task.status == TaskStatus.QUEUED:
            if now < task.processing_at:
                return task.processing_at
            task.status = TaskStatus.PROCESSING
            self._store.save(task)
            self._emit(task, now)
        if task.planned_failure is None and self._blocked(task):
            task.planned_failure = CONTENT_MODERATED
        if task.planned_failure:
            fail_at = (task.processing_at + task.finish_at) / 2
            if now < fail_at:
                return fail_at
            self._fail(task, now, task.planned_failure, _FAILURE_WORDS[task.planned_failure])
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
        task.status = TaskStatus.COMPLETED
        task.expires_at = now + self.settings.link_ttl(task.model)
        self._live_files.add(task.task_id)
        self._settle(task, now, cost=task.price)
        return None

    def _blocked(self, task: Task) -> bool:
        """The prompt has a word the content rules refuse (Faults.blocked_words)."""
        prompt = str(task.request.get("prompt") or "").casefold()
        return any(word.casefold() in prompt for word in self._faults.blocked_words if word)

    def _start_render(self, task: Task) -> Future:
        if self._pool is None:
            self._pool = ThreadPoolExecutor(
                self.settings.render_workers, thread_name_prefix="wave-render"
            )
        if not task.video_name:  # after a restart, the same name: no orphaned file
            task.video_name = f"{secrets.token_hex(12)}-{task.task_id}.mp4"
            self._store.save(task)
        request = task.request
        spec = MODELS[task.model]
        picture_shape = is_image_to_video(request) and not spec.uses_ratio_with_pictures
        source = task.source
        job = ProductionJob(
            out_path=str(self.files_dir / task.video_name),
            prompt=request.get("prompt", ""),
            duration=request.get("duration", 0),
            resolution=request.get("resolution", ""),
            model_id=task.model,
            aspect_ratio=None if picture_shape or source else request["aspect_ratio"],
            source=None
            if source is None
            else SourceVideo(
                source["path"], Decimal(source["seconds"]), source["width"], source["height"]
            ),
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
        task.status = TaskStatus.FAILED
        task.error = {"message": message, "code": code}
        if task.video_name:
            (self.files_dir / task.video_name).unlink(missing_ok=True)
            task.video_name = None
        self._settle(task, now, cost=0)

    def _settle(self, task: Task, now: float, cost: int) -> None:
        """A terminal state: charge (completed) or refund (failed, cancelled) and tell."""
        if task.status == TaskStatus.COMPLETED:
            task.last_progress = 100
        if task.source and task.status != TaskStatus.COMPLETED:  # a restyle never made
            Path(task.source["path"]).unlink(missing_ok=True)
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
