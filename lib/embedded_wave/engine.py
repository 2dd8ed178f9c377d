"""The embedded Wave API's engine: tasks, their life cycle, the wallet and idempotency.

Request handlers (lib/embedded_wave/server.py) call its public methods; one driver
thread moves tasks along their timeline (lib/embedded_wave/timeline.py). Both only read
and write task state under one lock.

Threads, not processes: x264 and numpy release the GIL while they work (a 480p render
delays other threads by a few milliseconds at most), and a spawned process would
re-run the host's `__main__` — under Streamlit that is the page script.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import random
import secrets
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path
from typing import Any

from lib.domain.catalog import IMAGE_TO_VIDEO, MODELS, TEXT_TO_VIDEO
from lib.domain.links import LinkPolicy, link_problem, shown_link
from lib.domain.money import edit_price_quota, quota_to_usd, request_price_quota
from lib.domain.statuses import TaskStatus
from lib.domain.validation import (
    InvalidSettings,
    canonical_events,
    is_edit,
    is_image_to_video,
    validate_request,
)
from lib.embedded_wave.callbacks import CallbackSender
from lib.embedded_wave.production import SourceRefused, SourceVideo, fetch_source
from lib.embedded_wave.replies import ApiError, Balance, task_not_found
from lib.embedded_wave.settings import EmbeddedSettings, Faults
from lib.embedded_wave.tasks import Task, TaskFile, task_object
from lib.embedded_wave.timeline import Timeline
from lib.embedded_wave.waiting import Counters, TerminalWaiters

log = logging.getLogger(__name__)


class Engine(Timeline):
    def __init__(self, settings: EmbeddedSettings, clock: Callable[[], float] = time.time):
        self.settings = settings
        self.clock = clock
        self.counters = Counters()
        self.waiters = TerminalWaiters()
        self._faults = replace(
            settings.faults,
            retired_models=settings.faults.retired_models | frozenset(settings.retired_models),
        )
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
        self._refuse_models_not_offered(body)
        try:
            request = validate_request(body)
        except InvalidSettings as exc:
            raise ApiError(400, "invalid_request", str(exc), param=exc.param) from None
        self._refuse_private_links(request)
        source = self._source_of(request)
        try:
            return self._submit(account, body, request, source, idempotency_key, base_url)
        except BaseException:
            if source is not None:
                source.remove()
            raise

    def _source_of(self, request: dict[str, Any]) -> SourceVideo | None:
        """A restyle's source video, fetched and measured now: its length is the price."""
        if not is_edit(request):
            return None
        try:
            return fetch_source(
                request["video_urls"][0],
                self.link_policy,
                Path(self.settings.data_dir) / "sources",
                request["model"],
            )
        except SourceRefused as exc:
            raise ApiError(400, "invalid_request", str(exc), param="video_urls") from None

    def _submit(
        self,
        account: str,
        body: Any,
        request: dict[str, Any],
        source: SourceVideo | None,
        idempotency_key: str | None,
        base_url: str,
    ) -> tuple[Task, bool]:
        fingerprint = hashlib.sha256(
            json.dumps(body, sort_keys=True, separators=(",", ":")).encode()
        ).hexdigest()
        now = self.clock()
        with self._lock:
            replay = self._replay(account, idempotency_key, fingerprint, now)
            if replay:
                if source is not None:
                    source.remove()
                return replay, True
            spec = MODELS[request["model"]]
            price = (
                edit_price_quota(source.seconds, spec) if source else request_price_quota(request)
            )
            balance = self._balance(account)
            if price > balance.available:
                raise ApiError(
                    402,
                    "insufficient_balance",
                    f"This video costs ${quota_to_usd(price):.4f} ({price} quota) but only "
                    f"${quota_to_usd(max(balance.available, 0)):.4f} is left on the account.",
                )
            task = self._new_task(account, body, request, price, now, base_url, source)
            task.idempotency_key = idempotency_key
            task.fingerprint = fingerprint
            self._index(task)
            self._store.save(task)
            self._emit(task, now)
            self._wake.notify_all()
            return task, False

    def offered_models(self) -> list[str]:
        """The catalog's models this service offers now (GET /v1/models)."""
        retired = self._faults.retired_models
        return [model_id for model_id in MODELS if model_id not in retired]

    def _refuse_models_not_offered(self, body: Any) -> None:
        """A model the service does not (or no longer) offer: 400 `model_not_found`,
        nothing charged (DECIDED in wave-api.md). A missing or mistyped `model` is left to
        the request rules, which name what is allowed."""
        model_id = body.get("model") if isinstance(body, dict) else None
        if not isinstance(model_id, str) or model_id in self.offered_models():
            return
        if model_id in MODELS:
            spec = MODELS[model_id]
            instead = f"; use {spec.replacement} instead" if spec.replacement else ""
            message = f"The model {model_id} has been retired{instead}."
        else:
            message = (
                f"The model {model_id[:64]!r} does not exist. "
                f"Available: {', '.join(self.offered_models())}."
            )
        raise ApiError(400, "model_not_found", message, param="model")

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
            if task.status != TaskStatus.QUEUED:
                raise ApiError(
                    400,
                    "task_not_cancellable",
                    f"Only a queued task can be cancelled; this one is {task.status}.",
                )
            now = self.clock()
            task.status = TaskStatus.CANCELLED
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
        source: SourceVideo | None = None,
    ) -> Task:
        while True:
            task_id = f"task-wave{int(now)}{secrets.token_hex(5)}"
            if task_id not in self._tasks:
                break
        s = self.settings
        processing_at = now + s.queue_seconds * s.time_scale
        if source is not None:  # a restyle takes as long as a video of the source's length
            seconds, resolution = math.ceil(source.seconds), source.resolution
        else:
            seconds, resolution = request["duration"], request["resolution"]
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
            finish_at=processing_at + s.processing_seconds(seconds, resolution),
            planned_failure=self._plan_failure(),
            callback_url=request.get("callback_url"),
            callback_events=sorted(canonical_events(request)),
            source=None
            if source is None
            else {
                "path": source.path,
                "seconds": str(source.seconds),
                "width": source.width,
                "height": source.height,
            },
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
        elif task.status == TaskStatus.COMPLETED and not task.file_deleted:
            self._live_files.add(task.task_id)

    def _balance(self, account: str) -> Balance:
        used = 0
        for task in self._by_account.get(account, ()):
            used += task.price if not task.is_terminal else (task.cost or 0)
        return Balance(self.settings.starting_balance_quota, used)
