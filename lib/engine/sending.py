"""A submit as it goes on the wire: the stored request, plus where and for which steps the
service should call back. Used for the first send (lib/engine/submissions.py) and for
every re-send with the same key (lib/engine/tracker.py)."""

from __future__ import annotations

from typing import Any

from lib.domain.statuses import TERMINAL_STATUSES, TaskStatus
from lib.store.schema import Task
from lib.wave import TaskState, WaveClient

# The service calls back only at the end. A callback is a hint the studio confirms with a
# GET (the contract's rule), so each step it reports costs one more API call: a "being
# made" callback would make a video cost 3 calls instead of 2. History's card estimates
# the step from time instead (lib/history/progress.py), as with a held request.
CALLBACK_EVENTS = tuple(TERMINAL_STATUSES)
# Whether the service's callbacks say each step of a video, or only its end.
CALLBACKS_REPORT_STEPS = TaskStatus.PROCESSING in CALLBACK_EVENTS


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
