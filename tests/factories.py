"""Tasks for tests, written to the store through its own writes, as the studio and the
tracker write them (no server involved): one way for every test module."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from lib.domain.money import price_quota
from lib.store.schema import Task
from lib.store.tasks import NewTask, Store
from lib.wave import parse_task

REQUEST = {
    "model": "grok-imagine-1.0-video",
    "action": "generate",
    "prompt": "A red kite over a windy beach",
    "aspect_ratio": "16:9",
    "resolution": "480p",
    "duration": 6,
}
PRICE = 22313  # 6 s, in quota ($0.0446)
FAR = datetime.now(UTC) + timedelta(days=30)  # "look again" never comes during a test


def add_task(
    store: Store,
    request: dict[str, Any] = REQUEST,
    *,
    person: str = "Ana",
    campaign: str = "Spring",
    estimate: int | None = None,
    key: str | None = None,
    at: datetime | None = None,
    pictures: Sequence[tuple[str, str | None]] = (),
) -> Task:
    """A task recorded before it is sent (status submitting), as Create records it;
    `estimate` defaults to the list price of its length."""
    if estimate is None:
        estimate = price_quota(request["duration"])
    new = NewTask(key or uuid.uuid4().hex, request, person, campaign, estimate, pictures)
    task, _ = store.create_task(new, at or datetime.now(UTC))
    return task


def reply(
    store: Store,
    task_id: str,
    status: str,
    *,
    at: datetime,
    next_check: datetime = FAR,
    wave_id: str | None = None,
    **fields: Any,
) -> Task | None:
    """The service's answer about a task (its `status` and other reply fields), applied
    as the tracker applies it."""
    answer = parse_task({"task_id": wave_id or f"task-wave-{task_id}", "status": status, **fields})
    return store.apply_state(task_id, answer, "service", at, next_check)


def make(
    store: Store,
    state: str = "queued",
    *,
    prompt: str = "A red kite over a windy beach",
    person: str = "Ana",
    campaign: str = "Spring",
    at: datetime | None = None,
    progress: int = 45,
    code: str | None = None,
    message: str | None = None,
    request: dict | None = None,
    pictures: Sequence[tuple[str, str | None]] = (),
) -> str:
    """A 6 s task in `state`, as History shows it. States: queued, processing, saving
    (completed, not yet copied), archived, link_expired, failed, cancelled. -> its id."""
    now = at or datetime.now(UTC)
    body = {**(request or REQUEST), "prompt": prompt}
    task = add_task(
        store, body, person=person, campaign=campaign, estimate=PRICE, at=now, pictures=pictures
    )
    reply(store, task.id, "queued", at=now, pre_consumed_cost=PRICE)
    if state == "processing":
        reply(store, task.id, "processing", at=now, progress=progress)
    elif state in ("saving", "archived", "link_expired"):
        video = {"url": "https://wave.example/v.mp4", "expires_at": 1795586400}
        reply(store, task.id, "completed", at=now, cost=PRICE, result={"videos": [video]})
        store.reschedule(task.id, FAR)
        if state == "archived":
            files = {"video_file": f"{task.id}.mp4", "poster_file": f"{task.id}.jpg"}
            files.update(video_bytes=400_000, video_width=854, video_height=480)
            store.record_archived(task.id, files, now)
        elif state == "link_expired":
            store.record_archive_problem(task.id, "expired", now, None, "link_expired")
    elif state == "failed":
        error = {"code": code or "upstream_unavailable", "message": message or "busy"}
        reply(store, task.id, "failed", at=now, cost=0, error=error)
    elif state == "cancelled":
        reply(store, task.id, "cancelled", at=now, cost=0)
    return task.id
