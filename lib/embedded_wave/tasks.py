"""A task of the embedded Wave API, how it looks on the wire, and where it is kept.

Tasks are kept in an SQLite file beside the videos, so that the embedded API (and the
studio's demo mode with it) survives a restart with its tasks, links and wallet intact.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from lib.domain.statuses import TERMINAL_STATUSES, TaskStatus


@dataclass
class Task:
    task_id: str
    account: str
    model: str
    action: str  # as sent (DECIDED: echoed even when images make it image-to-video)
    request: dict[str, Any]  # validated, with defaults
    price: int  # quota pre-consumed at submit
    created_at: float  # Unix seconds (float; the wire shows milliseconds)
    base_url: str  # absolute base for this task's links, e.g. "http://127.0.0.1:8000/"
    status: str = TaskStatus.QUEUED
    processing_at: float = 0.0  # when it leaves the queue
    finish_at: float = 0.0  # earliest completion (the render may take longer)
    completed_at: float | None = None  # time of reaching any terminal state
    last_progress: int = 0  # progress frozen at a terminal state
    cost: int | None = None
    error: dict[str, str] | None = None
    planned_failure: str | None = None  # injected failure code, decided at submit
    video_name: str | None = None  # file under files/, named by an unguessable token
    expires_at: float | None = None
    file_deleted: bool = False
    idempotency_key: str | None = None
    fingerprint: str | None = None
    callback_url: str | None = None
    callback_events: list[str] = field(default_factory=list)
    # A restyle (`edit`): the fetched source (deleted once rendered), its length (s, the
    # price's), and the output's frame.
    source: dict[str, Any] | None = None

    @property
    def is_terminal(self) -> bool:
        return self.status in TERMINAL_STATUSES

    def progress(self, now: float) -> int:
        if self.is_terminal:
            return self.last_progress
        if self.status != TaskStatus.PROCESSING:
            return 0
        span = max(self.finish_at - self.processing_at, 1e-6)
        # Never 100 before the task is really completed.
        return max(1, min(99, int(100 * (now - self.processing_at) / span)))


def ms(seconds: float) -> int:
    return round(seconds * 1000)


def task_object(task: Task, now: float, variants: frozenset[str] = frozenset()) -> dict[str, Any]:
    """The task as GET /v1/tasks/{id} returns it (and as callbacks carry it)."""
    stamp = (lambda t: int(t)) if "seconds_timestamps" in variants else ms
    progress: int | str = task.progress(now)
    if "progress_string" in variants:
        progress = f"{progress}%" if task.status != TaskStatus.QUEUED else ""
    body: dict[str, Any] = {
        "task_id": task.task_id,
        "status": task.status,
        "action": task.action,
        "model": task.model,
        "progress": progress,
        "created_at": stamp(task.created_at),
    }
    if task.is_terminal:
        body["completed_at"] = stamp(task.completed_at or now)
        body["cost"] = task.cost or 0
        # Completed tasks are charged; failed and cancelled ones refunded in full.
        body["billing_status"] = "settled" if task.status == TaskStatus.COMPLETED else "refunded"
    if task.status == TaskStatus.COMPLETED and task.video_name:
        url = f"{task.base_url}files/{task.video_name}"
        body["result"] = {
            "videos": [
                {
                    "url": url if "url_string" in variants else [url],
                    "expires_at": int(task.expires_at or 0),
                }
            ]
        }
    if task.status == TaskStatus.FAILED and task.error:
        body["error"] = dict(task.error)
    body["urls"] = {
        "get": f"{task.base_url}v1/tasks/{task.task_id}",
        "cancel": f"{task.base_url}v1/tasks/{task.task_id}/cancel",
    }
    if "extra_fields" in variants:
        body["trace_id"] = f"trace-{task.task_id[-8:]}"
        body["usage"] = {"video_seconds": task.request.get("duration")}
        if "result" in body:
            body["result"]["videos"][0]["mime_type"] = "video/mp4"
    return body


def submit_reply(task: Task, now: float, variants: frozenset[str] = frozenset()) -> dict[str, Any]:
    """The reply to POST /v1/tasks: the task object plus what was pre-consumed."""
    return {**task_object(task, now, variants), "pre_consumed_cost": task.price}


class TaskFile:
    """Tasks as JSON rows in SQLite: written on every state change, read once at start."""

    def __init__(self, path: Path):
        path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS tasks (task_id TEXT PRIMARY KEY, data TEXT NOT NULL)"
        )

    def save(self, task: Task) -> None:
        data = json.dumps(asdict(task), separators=(",", ":"))
        with self._lock:
            self._db.execute(
                "INSERT INTO tasks (task_id, data) VALUES (?, ?) "
                "ON CONFLICT(task_id) DO UPDATE SET data = excluded.data",
                (task.task_id, data),
            )

    def load_all(self) -> list[Task]:
        with self._lock:
            rows = self._db.execute("SELECT data FROM tasks").fetchall()
        return [Task(**json.loads(data)) for (data,) in rows]

    def close(self) -> None:
        with self._lock:
            self._db.close()
