"""Callbacks (issue 6, part 4): the studio's callback route takes anything thrown at it —
duplicates, old news, strangers' task ids, forged completions with links elsewhere,
garbage, huge bodies, a flood — and the store still only ever says what a GET to the
provider confirmed. The route answers 2xx/4xx (never 5xx), the tracker keeps working,
and a flood of callbacks does not become a flood of provider GETs."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
import requests

from lib.domain.statuses import TERMINAL_STATUSES
from lib.engine.submissions import submit_video
from lib.store.schema import Task
from lib.store.tasks import HINT_GAP, STATUS_RANK
from tests.engine.test_tracker import BODY, assert_archived, wait_archived
from tests.reliability import figures
from tests.reliability.canary import connections, listener, touching
from tests.studio_harness import RunningStudio, running_studio

SECRET = "test-callback-secret"  # tests/studio_harness.py's
FLOOD = 200


def post(rs: RunningStudio, body=None, *, secret: str = SECRET, **kwargs) -> requests.Response:
    url = f"{rs.base_url}/api/callbacks/wave/{secret}"
    if body is not None:
        kwargs["json"] = body
    return requests.post(url, timeout=30, **kwargs)


def provider_truth(rs: RunningStudio, task: Task) -> dict:
    """The provider's own record of the task, as GET shows it (asked directly, so the
    studio's tracker is not involved)."""
    return rs.wave.engine.snapshot(rs.wave.engine._tasks[task.wave_task_id])


def forged_parts(rs: RunningStudio, task_id: str) -> list[str]:
    """What the store says about a task that the provider does not (empty: nothing)."""
    row = rs.studio.store.get_task(task_id)
    truth = provider_truth(rs, row)
    wrong = []
    if STATUS_RANK[row.status] > STATUS_RANK[truth["status"]]:
        wrong.append(f"status {row.status} (provider: {truth['status']})")
    if row.status == truth["status"] and row.progress > truth["progress"]:
        wrong.append(f"progress {row.progress} (provider: {truth['progress']})")
    videos = truth.get("result", {}).get("videos", [])
    real_url = videos[0]["url"][0] if videos else None
    if row.provider_video_url not in (None, real_url):
        wrong.append(f"video link {row.provider_video_url}")
    if row.cost_quota is not None and row.cost_quota != truth.get("cost"):
        wrong.append(f"cost {row.cost_quota} (provider: {truth.get('cost')})")
    return wrong


def gets(rs: RunningStudio) -> int:
    return rs.counters().get("requests.get", 0)


def wait_for_a_get(rs: RunningStudio, before: int, limit: float = 10) -> None:
    """Until the tracker has asked the provider once more than `before`."""
    deadline = time.monotonic() + limit
    while gets(rs) <= before:
        assert time.monotonic() < deadline, "the tracker did not ask the provider"
        time.sleep(0.02)


@pytest.fixture
def rs(tmp_path):
    with running_studio(tmp_path) as running:
        yield running


def test_abusive_callbacks_change_nothing_the_provider_did_not_confirm(rs):
    answers: list[int] = []
    forged: list[str] = []
    # One video already made and saved, one still being made (slowly: about 40 s).
    done = wait_archived(rs, submit_video(rs.studio, BODY, "Ana", "", "done-key").task.id)
    assert_archived(rs, done)
    engine = rs.wave.engine
    engine.settings = replace(engine.settings, time_scale=3.0)
    making = submit_video(rs.studio, BODY, "Ana", "", "making-key").task
    files_before = rs.counters()["requests.file"]

    with listener() as internal, connections() as opened:
        # Duplicates and old news about the finished video: answered, and nothing moves.
        for event in ["completed"] * 5 + ["processing", "queued"]:
            reply = post(rs, {**provider_truth(rs, done), "status": event, "progress": 3})
            answers.append(reply.status_code)
            assert reply.status_code == 200
        # Forged completions of the running one, with links elsewhere and a tiny cost.
        for link in (
            "https://evil.example/x.mp4",
            f"{internal.url}/x.mp4",
            "http://169.254.169.254/latest/meta-data/",
        ):
            before = gets(rs)
            forgery = {
                "task_id": making.wave_task_id,
                "status": "completed",
                "progress": 100,
                "cost": 1,
                "result": {"videos": [{"url": [link], "expires_at": 1}]},
            }
            reply = post(rs, forgery, headers={"X-Wave-Event": "completed"})
            answers.append(reply.status_code)
            assert reply.status_code == 200  # our task: a hint, so the tracker asks
            wait_for_a_get(rs, before)
            forged += forged_parts(rs, making.id) + forged_parts(rs, done.id)
        time.sleep(0.5)  # anything the forgeries could still set off
        assert internal.hits == []
        assert touching(opened, "169.254.169.254") == []
        assert touching(opened, "evil.example") == []

    # Everything that is not a callback of ours: refused in words, never a 5xx.
    wrong = {
        "unknown task": (post(rs, {"task_id": "task-wave-not-ours"}), 404),
        "no task id": (post(rs, {"status": "completed"}), 400),
        "empty task id": (post(rs, {"task_id": ""}), 400),
        "task id not text": (post(rs, {"task_id": 5}), 400),
        "NUL in task id": (post(rs, {"task_id": "\x00"}), 404),
        "huge task id": (post(rs, {"task_id": "t" * 60_000}), 404),
        "JSON list": (post(rs, [making.wave_task_id]), 400),
        "JSON text": (post(rs, making.wave_task_id), 400),
        "not JSON": (post(rs, data=b"\x00{"), 400),
        "form fields": (post(rs, data={"task_id": making.wave_task_id}), 400),
        "bad UTF-8": (post(rs, data=b'{"task_id": "\xff"}'), 400),
        "nested 30,000 deep": (post(rs, data=b"[" * 30_000 + b"]" * 30_000), 400),
        "too large": (post(rs, data=b"x" * 200_000), 413),
        "too large, no length": (post(rs, data=iter([b"x" * 50_000] * 4)), 413),
        "wrong secret": (post(rs, {"task_id": making.wave_task_id}, secret="guess"), 404),
        "non-ASCII secret": (post(rs, {"task_id": making.wave_task_id}, secret="%C3%A9"), 404),
        "bad escape in secret": (post(rs, {"task_id": making.wave_task_id}, secret="%FF"), 404),
        "GET": (requests.get(f"{rs.base_url}/api/callbacks/wave/{SECRET}", timeout=10), 405),
    }
    # A right task with a wrong content type is only a hint like any other: harmless.
    as_text = post(
        rs,
        data=f'{{"task_id": "{making.wave_task_id}"}}',
        headers={"Content-Type": "text/plain"},
    )
    answers += [reply.status_code for reply, _ in wrong.values()] + [as_text.status_code]
    assert {name: reply.status_code for name, (reply, _) in wrong.items()} == {
        name: status for name, (_, status) in wrong.items()
    }
    assert as_text.status_code < 500
    forged += forged_parts(rs, making.id) + forged_parts(rs, done.id)

    # A flood: 200 callbacks for the running video, 16 at a time.
    before = gets(rs)
    started = time.monotonic()
    with ThreadPoolExecutor(16) as pool:
        flood = list(
            pool.map(
                lambda _: post(rs, {"task_id": making.wave_task_id, "status": "completed"}),
                range(FLOOD),
            )
        )
    seconds = time.monotonic() - started
    time.sleep(HINT_GAP.total_seconds() + 0.5)  # the last hint's GET, if one is due
    flood_gets = gets(rs) - before
    answers += [reply.status_code for reply in flood]
    forged += forged_parts(rs, making.id)

    # The tracker is alive and well: a hint a little later is followed by a GET.
    before = gets(rs)
    time.sleep(HINT_GAP.total_seconds())
    assert post(rs, {"task_id": making.wave_task_id}).status_code == 200
    wait_for_a_get(rs, before)
    health = requests.get(f"{rs.base_url}/api/health", timeout=10)

    five_hundreds = sum(status >= 500 for status in answers)
    figures.record("Callbacks", "callbacks sent", len(answers))
    figures.record("Callbacks", "forged states accepted", len(forged), "0")
    figures.record("Callbacks", "5xx answers", five_hundreds, "0")
    figures.record(
        "Callbacks",
        f"provider GETs caused by {FLOOD} callbacks",
        f"{flood_gets} (flood took {seconds:.1f} s)",
        f"<= 1 per {HINT_GAP.total_seconds():g} s",
    )
    assert forged == []
    assert five_hundreds == 0
    assert {reply.status_code for reply in flood} == {200}
    assert flood_gets <= 2 + seconds / HINT_GAP.total_seconds(), flood_gets
    assert health.status_code == 200 and health.json()["status"] == "ok"
    # The finished video was saved once and left alone; the running one is still running.
    assert rs.counters()["requests.file"] == files_before
    row = rs.studio.store.get_task(done.id)
    assert (row.provider_video_url, row.cost_quota) == (done.provider_video_url, done.cost_quota)
    assert [e.source for e in row.events].count("archive") == 1
    assert rs.studio.store.get_task(making.id).status not in TERMINAL_STATUSES


@pytest.mark.parametrize("asked_because", ["a hint", "it was due"])
def test_a_callback_that_comes_while_the_tracker_is_asking_is_not_lost(rs, asked_because):
    """The tracker asks the provider; before the (older) answer is stored, the callback
    that the video is done comes in. It must still lead to a look soon, not in a minute:
    whether the tracker asked on a plan made long before, or because the task was due
    (an earlier hint, the safety look) when the callback came."""
    rs.studio.tracker.stop()  # the test takes the tracker's steps one by one
    store = rs.studio.store
    task = submit_video(rs.studio, BODY, "Ana", "", f"asked-key-{asked_because}").task
    if asked_because == "it was due":
        store.reschedule(task.id, datetime.now(UTC) - timedelta(seconds=5))
    asked_at = datetime.now(UTC)
    claimed = store.claim_due("tracker-test", asked_at, asked_at + timedelta(seconds=30), 1)
    assert [t.id for t in claimed] == ([task.id] if asked_because == "it was due" else [])
    answer = rs.studio.client.get_task(task.wave_task_id)  # the question, on the wire
    assert post(rs, {"task_id": task.wave_task_id, "status": "completed"}).status_code == 200
    answered = datetime.now(UTC)
    safety_look = answered + timedelta(seconds=60)  # what callbacks mode plans otherwise
    store.apply_state(task.id, answer, "service", answered, safety_look, asked_at)
    assert store.get_task(task.id).next_check_at <= answered + HINT_GAP
