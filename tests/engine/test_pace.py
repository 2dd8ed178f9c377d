"""How long a video takes, learned from finished ones (lib/engine/pace.py): the numbers behind
the History cards' "about 20 s left" (issue 11, item 4; bench/progress_estimate.py
measures the whole loop against the embedded API)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from lib.engine import pace
from lib.engine.pace import Sample, Timings, first_guess
from lib.store.tasks import NewTask, Store
from lib.wave import parse_task

MODEL = "grok-imagine-1.0-video"
T0 = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)


def timings(*samples: tuple[str, int, float, float | None]) -> Timings:
    """Samples newest first: (resolution, duration, total, queue)."""
    kinds: dict = {}
    for resolution, duration, total, queue in samples:
        kinds.setdefault((resolution, duration), []).append(
            Sample(resolution, duration, total, queue)
        )
    return Timings({MODEL: kinds})


def test_nothing_finished_yet_is_a_first_guess():
    guess = Timings({}).expected(MODEL, "480p", 6)
    assert guess == first_guess(6) and guess.learned_from == 0
    assert guess.making == guess.total - guess.queue


def test_the_same_settings_are_the_median_of_the_last_few():
    found = timings(
        ("480p", 6, 14.0, 2.0),
        ("480p", 6, 16.0, 2.2),
        ("480p", 6, 15.0, 1.8),
        ("480p", 6, 13.0, 2.1),
        ("480p", 6, 15.5, 2.0),
        ("480p", 6, 90.0, 80.0),  # long ago, a slow day: past the last five, not counted
        ("720p", 6, 40.0, 2.0),
    ).expected(MODEL, "480p", 6)
    assert (found.total, found.queue, found.learned_from) == (15.0, 2.0, 5)


def test_a_new_length_follows_the_line_through_the_lengths_made():
    found = timings(("480p", 6, 20.0, 2.0), ("480p", 10, 28.0, 2.0)).expected(MODEL, "480p", 8)
    assert found.total == pytest.approx(24.0) and found.queue == 2.0


def test_a_new_resolution_borrows_the_pace_per_second():
    found = timings(("720p", 10, 30.0, 3.0)).expected(MODEL, "480p", 20)
    assert found.total == pytest.approx(60.0) and found.learned_from == 1


def test_no_reported_step_leaves_the_queue_to_the_first_guess():
    found = timings(("480p", 6, 15.0, None)).expected(MODEL, "480p", 6)
    assert found.total == 15.0 and found.queue == first_guess(6).queue


# ----- from the store ---------------------------------------------------------------------
def finished(store: Store, duration: int, steps: dict[str, float], resolution="480p") -> str:
    """A task that went through `steps` ({status: seconds after T0}), as the tracker
    records them."""
    request = {"model": MODEL, "prompt": "x", "resolution": resolution, "duration": duration}
    new = NewTask(uuid.uuid4().hex, request, "Ana", "", 1000)
    task, _ = store.create_task(new, T0)
    for status, seconds in steps.items():
        state = parse_task({"task_id": f"w-{task.id}", "status": status, "cost": 1000})
        at = T0 + timedelta(seconds=seconds)
        store.apply_state(task.id, state, "service", at, at)
    return task.id


def test_the_store_teaches_each_step(studio):
    store = studio.studio.store
    studio.studio.tracker.stop()
    finished(store, 6, {"queued": 0.5, "processing": 3.5, "completed": 15.5})
    finished(store, 6, {"queued": 0.5, "completed": 20.5})  # no step reported
    running = finished(store, 6, {"queued": 0.5, "processing": 2.5})
    learned = pace.learn(store)
    samples = learned.samples[MODEL][("480p", 6)]
    assert sorted((s.total, s.queue) for s in samples) == [(15.0, 3.0), (20.0, None)]
    assert pace.making_since(store, [running]) == {running: T0 + timedelta(seconds=2.5)}


def test_learned_timings_are_kept_until_a_video_finishes(studio):
    store = studio.studio.store
    studio.studio.tracker.stop()
    finished(store, 6, {"queued": 0.5, "completed": 10.5})
    first = pace.timings(store)
    assert pace.timings(store) is first  # nothing new: not read again
    finished(store, 8, {"queued": 0.5, "completed": 12.5})
    assert pace.timings(store) is first  # not finished in this process's eyes yet
    store.finished.notify()  # what archiving a video does
    assert ("480p", 8) in pace.timings(store).samples[MODEL]
