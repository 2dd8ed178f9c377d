"""The studio core end to end against the embedded Wave API over HTTP: submit, the one
tracker, callbacks as hints, the archive on disk, crashes, faults and leases."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import requests

from lib.embedded_wave.settings import Faults
from lib.media import probe_video
from lib.store.tasks import NewTask
from lib.submissions import submit_video
from lib.tracker import Tracker, TrackerSettings
from lib.uploads import store_reference_image
from tests import images
from tests.studio_harness import RunningStudio, running_studio

BODY = {"model": "grok-imagine-1.0-video", "prompt": "A red kite over a windy beach"}
FINAL = ("archived", "link_expired", "failed")


def submit(rs: RunningStudio, body: dict | None = None, key: str | None = None):
    key = key or uuid.uuid4().hex
    return submit_video(rs.studio, body or BODY, "Ana", "Spring launch", key).task


def wait_archived(rs: RunningStudio, task_id: str, limit: float = 60):
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        task = rs.studio.store.get_task(task_id)
        if task.archive_state in FINAL or task.status in ("failed", "cancelled"):
            return task
        time.sleep(0.05)
    raise AssertionError(f"task {task_id} not finished: {rs.studio.store.get_task(task_id)}")


def api_calls(rs: RunningStudio) -> int:
    counts = rs.counters()
    return sum(counts.get(f"requests.{name}", 0) for name in ("submit", "get", "cancel"))


def assert_archived(rs: RunningStudio, task) -> None:
    library = rs.studio.config.library_dir
    assert task.status == "completed" and task.archive_state == "archived", task.archive_error
    assert task.cost_quota == 22313 and task.refunded_quota == 0
    probe = probe_video(library / task.video_file)
    assert (probe.codec, probe.width, probe.height, probe.frames) == ("h264", 854, 480, 144)
    assert (library / task.poster_file).stat().st_size > 1000
    assert task.video_bytes == (library / task.video_file).stat().st_size
    assert not (library / f".{task.id}.mp4.part").exists()


@pytest.mark.parametrize("callbacks", [True, False], ids=["callbacks", "prefer-wait"])
def test_submit_to_archived_video_in_two_api_calls(tmp_path, callbacks):
    with running_studio(tmp_path, callbacks=callbacks) as rs:
        task = submit(rs)
        assert task.status == "queued" and task.wave_task_id.startswith("task-wave")
        done = wait_archived(rs, task.id)
        assert_archived(rs, done)
        counts = rs.counters()
        assert api_calls(rs) == 2, counts  # one submit, one GET
        assert counts.get("callbacks_delivered", 0) == (1 if callbacks else 0)
        assert counts["requests.file"] == 1
        assert done.api_calls == 2
        # Served back from our own copy, with range requests for the player.
        video = requests.get(f"{rs.base_url}/library/{done.video_file}", timeout=10)
        assert video.status_code == 200 and video.headers["content-type"] == "video/mp4"
        part = requests.get(
            f"{rs.base_url}/library/{done.video_file}", headers={"Range": "bytes=0-9"}, timeout=10
        )
        assert part.status_code == 206 and len(part.content) == 10
        poster = requests.get(f"{rs.base_url}/library/{done.poster_file}", timeout=10)
        assert poster.headers["content-type"] == "image/jpeg"


def test_adaptive_polling_when_the_service_does_not_hold_requests(tmp_path):
    with running_studio(tmp_path, callbacks=False, wave_changes={"time_scale": 0.3}) as rs:
        rs.studio.tracker.wait_supported = False  # as if `Prefer: wait` were ignored
        done = wait_archived(rs, submit(rs).id)
        assert_archived(rs, done)
        gets = rs.counters()["requests.get"]
        # About 4 s of work, looked at every 2 s at first and then by progress: a handful.
        assert 2 <= gets <= 6, gets


def test_image_to_video_from_uploaded_pictures(tmp_path):
    with running_studio(tmp_path) as rs:
        portrait, url1 = store_reference_image(rs.studio, images.jpeg(600, 900), "me.jpg", "Ana")
        landscape, url2 = store_reference_image(rs.studio, images.png(900, 600), "bg.png", "Ana")
        assert url1 == f"{rs.base_url}/assets/{portrait.sha256}.jpg"
        assert requests.get(url1, timeout=10).headers["content-type"] == "image/jpeg"
        body = {**BODY, "action": "image2video", "image_urls": [url1, url2]}
        key = uuid.uuid4().hex
        images_used = [(url1, portrait.sha256), (url2, landscape.sha256)]
        task = submit_video(rs.studio, body, "Ana", "", key, images_used).task
        done = wait_archived(rs, task.id)
        assert done.status == "completed", done.error_message
        assert (done.video_width, done.video_height) == (480, 720)  # the first image's shape
        assert [i.asset_sha256 for i in rs.studio.store.get_task(task.id).images] == [
            portrait.sha256,
            landscape.sha256,
        ]


def test_a_new_tracker_finishes_what_a_crashed_one_left(tmp_path):
    with running_studio(tmp_path, wave_changes={"time_scale": 0.2}) as rs:
        store = rs.studio.store
        rs.studio.tracker.stop()  # the process "dies": nobody follows anything any more
        tasks = [submit(rs) for _ in range(3)]
        # The dead tracker held leases on them, as a crash in the middle would leave them.
        now = datetime.now(UTC)
        store.claim_due("dead-tracker", now + timedelta(minutes=5), now + timedelta(seconds=2), 10)
        # And one task was stored but the process died before sending it.
        unsent, _ = store.create_task(
            NewTask(
                idempotency_key="crashed-before-send",
                request={
                    **BODY,
                    "action": "generate",
                    "aspect_ratio": "16:9",
                    "resolution": "480p",
                    "duration": 6,
                },
                person="Ana",
                campaign="",
                estimate_quota=22313,
            ),
            now - timedelta(minutes=2),
        )
        store.reschedule(unsent.id, now)
        successor = Tracker(
            store,
            rs.studio.client,
            rs.studio.config.library_dir,
            rs.studio.tracker.media_policy,
            TrackerSettings(use_callbacks=True, callback_url=rs.studio.callback_url),
        )
        successor.start()
        try:
            for task in [*tasks, unsent]:
                assert_archived(rs, wait_archived(rs, task.id))
        finally:
            successor.stop()
        counts = rs.counters()
        assert counts["requests.submit"] == 4  # nothing sent twice
        assert counts["requests.file"] == 4


def test_a_submit_whose_reply_was_lost_is_sent_again_with_the_same_key(tmp_path):
    with running_studio(tmp_path, wave_changes={"faults": Faults(drop_rate=1.0)}) as rs:
        outcome = submit_video(rs.studio, BODY, "Ana", "", "lost-reply-key")
        assert outcome.pending and outcome.task.status == "submitting"
        rs.wave.engine.set_faults(Faults())  # the network heals
        done = wait_archived(rs, outcome.task.id)
        assert_archived(rs, done)
        balance = requests.get(
            f"{rs.base_url}/wave/v1/dashboard/billing/balance",
            headers={"Authorization": f"Bearer {rs.studio.config.api_key()}"},
            timeout=10,
        ).json()
        assert balance["total_used_usd"] == pytest.approx(22313 / 500_000)  # charged once


def test_injected_500s_429s_and_timeouts_are_ridden_out(tmp_path):
    faults = Faults(
        error_500_rate=0.3,
        rate_limit_rate=0.15,
        retry_after_seconds=1,
        slow_rate=0.1,
        slow_seconds=1.5,
        seed=3,
    )
    with running_studio(
        tmp_path,
        callbacks=False,
        wave_changes={"faults": faults, "time_scale": 0.05},
        client_changes={"read_timeout": 1.0, "backoff_base": 0.05},
    ) as rs:
        tasks = []
        for _ in range(5):
            try:
                tasks.append(submit(rs))
            except Exception as exc:  # a refusal would be a bug here
                raise AssertionError(f"submit failed: {exc!r}") from exc
        for task in tasks:
            assert_archived(rs, wait_archived(rs, task.id, limit=120))
        counts = rs.counters()
        assert counts.get("faults.500.get", 0) + counts.get("faults.500.submit", 0) > 0
        assert counts["requests.file"] == 5


def test_duplicate_callbacks_make_one_archive(tmp_path):
    with running_studio(tmp_path) as rs:
        done = wait_archived(rs, submit(rs).id)
        callback = f"{rs.base_url}/api/callbacks/wave/test-callback-secret"
        body = {"task_id": done.wave_task_id, "status": "completed"}
        for _ in range(5):
            assert requests.post(callback, json=body, timeout=10).status_code == 200
        time.sleep(1.5)
        assert rs.counters()["requests.file"] == 1
        events = rs.studio.store.get_task(done.id).events
        assert [e.source for e in events].count("archive") == 1


def test_callbacks_that_are_not_ours_are_refused(tmp_path):
    with running_studio(tmp_path) as rs:
        base = f"{rs.base_url}/api/callbacks/wave"
        unknown = requests.post(
            f"{base}/test-callback-secret", json={"task_id": "task-wave9"}, timeout=10
        )
        assert unknown.status_code == 404
        wrong_secret = requests.post(f"{base}/guess", json={"task_id": "task-wave9"}, timeout=10)
        assert wrong_secret.status_code == 404
        no_id = requests.post(
            f"{base}/test-callback-secret", json={"status": "completed"}, timeout=10
        )
        assert no_id.status_code == 400
        garbage = requests.post(f"{base}/test-callback-secret", data=b"\x00{", timeout=10)
        assert garbage.status_code == 400
        huge = requests.post(f"{base}/test-callback-secret", data=b"x" * 200_000, timeout=10)
        assert huge.status_code == 413
        assert requests.get(f"{rs.base_url}/api/health", timeout=10).json()["status"] == "ok"


def test_a_forged_callback_changes_nothing_until_the_service_confirms(tmp_path):
    with running_studio(tmp_path, wave_changes={"time_scale": 1.0}) as rs:
        task = submit(rs)
        forged = {
            "task_id": task.wave_task_id,
            "status": "completed",
            "cost": 1,
            "result": {"videos": [{"url": ["https://evil.example/x.mp4"], "expires_at": 1}]},
        }
        url = f"{rs.base_url}/api/callbacks/wave/test-callback-secret"
        assert requests.post(url, json=forged, timeout=10).status_code == 200
        time.sleep(0.5)
        row = rs.studio.store.get_task(task.id)
        assert row.status in ("queued", "processing")
        assert row.provider_video_url is None and row.cost_quota is None


def test_a_link_that_expires_before_the_copy_is_reported_plainly(tmp_path):
    with running_studio(tmp_path, wave_changes={"link_ttl_seconds": 0.0}) as rs:
        done = wait_archived(rs, submit(rs).id)
        assert done.status == "completed"
        assert done.archive_state == "link_expired"
        assert "expired before the studio could save a copy" in done.archive_error
        assert done.cost_quota == 22313  # it was charged, and the studio says so
        assert done.tracking is False and done.video_file is None


def test_two_trackers_on_one_store_follow_each_task_once(tmp_path):
    with running_studio(tmp_path, callbacks=False, wave_changes={"time_scale": 0.1}) as rs:
        second = Tracker(
            rs.studio.store,
            rs.studio.client,
            rs.studio.config.library_dir,
            rs.studio.tracker.media_policy,
            TrackerSettings(use_callbacks=False),
        )
        second.start()
        try:
            tasks = [submit(rs) for _ in range(8)]
            for task in tasks:
                assert_archived(rs, wait_archived(rs, task.id))
        finally:
            second.stop()
        counts = rs.counters()
        assert counts["requests.file"] == 8  # every video copied exactly once
        assert counts["requests.get"] <= 8 * 2
        for task in tasks:
            history = [(e.status, e.source) for e in rs.studio.store.get_task(task.id).events]
            assert len(history) == len(set(history)), history  # no step recorded twice
            assert history.count(("completed", "archive")) == 1


def test_the_tracker_resumes_from_the_store_after_a_restart(tmp_path):
    data = tmp_path / "kept"
    with running_studio(data, wave_changes={"time_scale": 0.3}) as first:
        task = submit(first)
        port = int(first.base_url.rsplit(":", 1)[1])
    # The whole server went away mid-task; it comes back on the same port and data.
    with running_studio(data, port=port, wave_changes={"time_scale": 0.3}) as second:
        done = wait_archived(second, task.id)
        assert_archived(second, done)
        assert Path(second.studio.config.library_dir / done.video_file).is_file()
