"""Callbacks as DECIDED in wave-api.md: the GET object as body, `X-Wave-Event`, the events
filter with its aliases, and at-least-once delivery with 1 s / 4 s / 16 s retries."""

from __future__ import annotations

import itertools
import time

from lib.embedded_wave.settings import Faults

BODY = {"model": "grok-imagine-1.0-video", "prompt": "a lighthouse in a storm"}


def wait_for_calls(receiver, count: int, limit: float = 30) -> list[dict]:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        calls = receiver.received()
        if len(calls) >= count:
            return calls
        time.sleep(0.05)
    raise AssertionError(f"expected {count} callbacks, got {receiver.received()}")


def test_by_default_only_the_terminal_state_is_sent(wave, receiver):
    task_id = wave.submit({**BODY, "callback_url": receiver.url}).json()["task_id"]
    task = wave.finish(task_id)
    calls = wait_for_calls(receiver, 1)
    time.sleep(0.5)  # nothing else arrives
    assert len(receiver.received()) == 1
    call = calls[0]
    assert call["event"] == "completed"
    assert call["body"]["task_id"] == task_id
    assert call["body"]["status"] == "completed"
    assert call["body"]["cost"] == task["cost"]
    assert call["body"]["result"] == task["result"]  # the object GET returns


def test_subscribed_events_with_aliases(wave, receiver):
    body = {
        **BODY,
        "callback_url": receiver.url,
        "callback_events": ["queued", "running", "succeeded"],
    }
    wave.finish(wave.submit(body).json()["task_id"])
    calls = wait_for_calls(receiver, 3)
    assert sorted(c["event"] for c in calls) == ["completed", "processing", "queued"]
    for call in calls:
        assert call["body"]["status"] == call["event"]


def test_failed_tasks_are_reported_with_their_error(start_wave, receiver):
    wave = start_wave(faults=Faults(task_failure_rate=1.0, task_failure_codes=("task_failed",)))
    wave.finish(wave.submit({**BODY, "callback_url": receiver.url}).json()["task_id"])
    call = wait_for_calls(receiver, 1)[0]
    assert call["event"] == "failed"
    assert call["body"]["error"]["code"] == "task_failed"
    assert call["body"]["cost"] == 0


def test_a_cancelled_task_is_reported(start_wave, receiver):
    wave = start_wave(time_scale=1.0)
    task_id = wave.submit({**BODY, "callback_url": receiver.url}).json()["task_id"]
    assert wave.cancel(task_id).status_code == 200
    call = wait_for_calls(receiver, 1)[0]
    assert call["event"] == "cancelled" and call["body"]["status"] == "cancelled"


def test_delivery_is_retried_after_1_and_4_seconds(wave, receiver):
    receiver.fail_first = 2
    wave.finish(wave.submit({**BODY, "callback_url": receiver.url}).json()["task_id"])
    calls = wait_for_calls(receiver, 3, limit=30)
    gaps = [b["at"] - a["at"] for a, b in itertools.pairwise(calls)]
    assert 0.9 <= gaps[0] < 2.5, gaps
    assert 3.9 <= gaps[1] < 6, gaps
    assert {c["body"]["task_id"] for c in calls} == {calls[0]["body"]["task_id"]}
    counts = wave.counters()
    assert counts["callback_attempts"] == 3 and counts["callbacks_delivered"] == 1


def test_delivery_gives_up_after_three_retries(start_wave, receiver):
    wave = start_wave(callback_backoff_seconds=(0.1, 0.2, 0.3))
    receiver.fail_first = 100
    receiver.status_on_failure = 503
    wave.finish(wave.submit({**BODY, "callback_url": receiver.url}).json()["task_id"])
    wait_for_calls(receiver, 4)
    time.sleep(1.0)
    assert len(receiver.received()) == 4
    assert wave.counters()["callbacks_given_up"] == 1


def test_an_unreachable_receiver_does_not_hold_up_the_task(start_wave):
    wave = start_wave(callback_backoff_seconds=(0.05, 0.05, 0.05))
    body = {**BODY, "callback_url": "http://127.0.0.1:9/nowhere"}
    task = wave.finish(wave.submit(body).json()["task_id"])
    assert task["status"] == "completed"
    deadline = time.monotonic() + 10
    while wave.counters().get("callbacks_given_up") != 1 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert wave.counters()["callback_attempts"] == 4
