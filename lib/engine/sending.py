"""A submit as it goes on the wire: the stored request, plus where and for which steps the
service should call back. Used for the first send (lib/engine/submissions.py) and for
every re-send with the same key (lib/engine/tracker.py)."""

from __future__ import annotations

from typing import Any

from lib.domain.statuses import TERMINAL_STATUSES, TaskStatus
from lib.store.schema import Task
from lib.wave import TaskState, WaveClient

# With callbacks, the service also says when a video starts being made: the History card
# then shows the step it is at, not a guess (by default only the end is reported).
CALLBACK_EVENTS = (TaskStatus.PROCESSING, *TERMINAL_STATUSES)


def wire_request(request: dict[str, Any], callback_url: str | None) -> dict[str, Any]:
    """The body as sent: the stored request plus, where wanted, where to call back and
    for which steps."""
    body = dict(request)
    if callback_url:
        body["callback_url"] = callback_url
        body["callback_events"] = list(CALLBACK_EVENTS)
    return body


def send_submit(client: WaveClient, task: Task, callback_url: str | None) -> TaskState:
    return client.submit(wire_request(task.request, callback_url), task.idempotency_key)
