"""The embedded API keeps its tasks, links and wallet across a restart, and finishes
what was in flight (the studio's demo mode relies on this)."""

from __future__ import annotations

from tests.conftest import SEED_PROMPT

BODY = {"model": "grok-imagine-1.0-video", "prompt": SEED_PROMPT}


def test_tasks_in_flight_finish_after_a_restart(start_wave, tmp_path):
    data_dir = tmp_path / "kept"
    first = start_wave(data_dir=data_dir, time_scale=0.2)
    done = first.finish(first.submit(BODY).json()["task_id"])
    queued = first.submit(BODY, **{"Idempotency-Key": "k-queued"}).json()["task_id"]
    first.running.wave.stop()  # the process goes away with a task in flight

    second = start_wave(data_dir=data_dir, time_scale=0.2)
    assert second.get(done["task_id"]).json()["result"] == done["result"]
    assert second.session.get(done["result"]["videos"][0]["url"][0], timeout=30).status_code == 200
    assert second.get(queued).json()["status"] in ("queued", "processing")
    finished = second.finish(queued)
    assert finished["status"] == "completed" and finished["cost"] == 22313
    # The key still finds its task, and nothing was charged twice.
    replay = second.submit(BODY, **{"Idempotency-Key": "k-queued"})
    assert replay.json()["task_id"] == queued
    assert second.balance()["total_used_usd"] == 2 * 22313 / 500_000
