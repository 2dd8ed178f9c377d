"""The studio core end to end against the embedded Wave API over HTTP: submit, the one
tracker, callbacks as hints, the archive on disk, crashes, faults and leases."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest
import requests

from lib.embedded_wave.settings import Faults
from lib.engine.pictures import store_reference_image
from lib.engine.submissions import submit_video
from lib.engine.tracker import Tracker, TrackerSettings, poll_interval
from lib.outside.videos import probe_video
from lib.storage.local import LocalStorage
from lib.store.tasks import NewTask
from lib.wave import parse_task
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
    # With callbacks, a video long enough (1 s in line, 5 s made) that a "being made"
    # callback, were the studio subscribed to it, would come well before the end.
    speed = {"time_scale": 0.5} if callbacks else None
    with running_studio(tmp_path, callbacks=callbacks, wave_changes=speed) as rs:
        task = submit(rs)
        assert task.status == "queued" and task.wave_task_id.startswith("task-wave")
        done = wait_archived(rs, task.id)
        assert_archived(rs, done)
        counts = rs.counters()
        # One submit, then one GET for the end: the callback "done" is only a hint,
        # confirmed with a GET (the contract's rule), and the studio asks the service to
        # call back only at the end, so no other step costs a GET; a held request: the end.
        assert api_calls(rs) == 2, counts
        assert counts.get("callbacks_delivered", 0) == (1 if callbacks else 0)
        assert counts["requests.file"] == 1
        assert done.api_calls == 2
        steps = [e.status for e in done.events if e.source == "service"]
        assert steps == ["queued", "completed"]
        # Either way the store hears only of the end: History's card estimates the step.
        assert rs.studio.tracker.reports_steps is False
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
    no_wait = {"time_scale": 0.3, "faults": Faults(ignore_prefer_wait=True)}
    with running_studio(tmp_path, callbacks=False, wave_changes=no_wait) as rs:
        done = wait_archived(rs, submit(rs).id)
        assert_archived(rs, done)
        assert rs.studio.tracker.wait_supported is False  # learnt from the first reply
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


def test_a_new_tracker_finishes_what_a_crashed_one_left(tmp_path, database_url):
    with running_studio(
        tmp_path, wave_changes={"time_scale": 0.2}, config_changes={"database_url": database_url}
    ) as rs:
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
            rs.studio.storage,
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


def test_two_trackers_on_one_store_follow_each_task_once(tmp_path, database_url):
    with running_studio(
        tmp_path,
        callbacks=False,
        wave_changes={"time_scale": 0.1},
        config_changes={"database_url": database_url},
    ) as rs:
        second = Tracker(
            rs.studio.store,
            rs.studio.client,
            rs.studio.storage,
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


def test_the_tracker_resumes_from_the_store_after_a_restart(tmp_path, database_url):
    data = tmp_path / "kept"
    on = {"database_url": database_url}
    with running_studio(data, wave_changes={"time_scale": 0.3}, config_changes=on) as first:
        task = submit(first)
        port = int(first.base_url.rsplit(":", 1)[1])
    # The whole server went away mid-task; it comes back on the same port and data.
    with running_studio(
        data, port=port, wave_changes={"time_scale": 0.3}, config_changes=on
    ) as second:
        done = wait_archived(second, task.id)
        assert_archived(second, done)
        assert Path(second.studio.config.library_dir / done.video_file).is_file()


def test_the_tracker_sleeps_while_it_holds_a_request(tmp_path):
    """A held `Prefer: wait` GET (or an archive) keeps its task "due now" in the store;
    the scheduler must not keep waking up for it: it scans about once a second."""
    with running_studio(tmp_path, callbacks=False, wave_changes={"time_scale": 1.0}) as rs:
        looks = []
        store = rs.studio.store
        real_next_due = store.next_due
        store.next_due = lambda *args, **kwargs: looks.append(1) or real_next_due(*args, **kwargs)
        task = submit(rs)
        deadline = time.monotonic() + 10
        while not rs.studio.tracker.busy:  # the held GET has started
            assert time.monotonic() < deadline
            time.sleep(0.05)
        looks.clear()
        time.sleep(2)
        assert rs.studio.tracker.busy == 1  # the GET is still held
        assert len(looks) <= 6, len(looks)  # about one scan a second, not a busy loop
        assert_archived(rs, wait_archived(rs, task.id))


def test_next_due_leaves_out_what_is_not_ours_to_take(tmp_path):
    with running_studio(tmp_path, wave_changes={"time_scale": 30.0}) as rs:
        rs.studio.tracker.stop()  # the store alone
        store = rs.studio.store
        mine, theirs, free = (submit(rs).id for _ in range(3))
        now = datetime.now(UTC)
        for minutes, task_id in enumerate((mine, theirs, free)):
            store.reschedule(task_id, now - timedelta(minutes=3 - minutes))
        store.claim_due("other", now, now + timedelta(minutes=5), 10, [mine, free])
        assert store.next_due() == now - timedelta(minutes=3)  # any task, as before
        due = store.next_due("me", now, busy=[mine])
        assert due == now - timedelta(minutes=1)  # `free`: not mine (busy), not theirs (leased)


def test_a_dead_servers_task_is_taken_within_the_lease_while_every_worker_holds_a_wait(
    tmp_path,
):
    """Issue 15: orphaned tasks queued behind the survivor's own held `Prefer: wait`
    requests (230 s for a 30 s lease). Both workers here hold a request for a slow video
    (at least 30 s); a task whose server died is still looked at and leased by this
    server within the lease + a few seconds, with one GET that is not held."""
    lease = 2.0
    slow = {"time_scale": 10.0}  # 20 s in line, then a minute of making
    settings = {"workers": 2, "lease_seconds": lease, "wait_seconds": 30}
    with running_studio(
        tmp_path, callbacks=False, wave_changes=slow, tracker_changes=settings
    ) as rs:
        store, tracker = rs.studio.store, rs.studio.tracker
        own = [submit(rs) for _ in range(2)]
        deadline = time.monotonic() + 30
        while tracker.busy < 2:  # both workers hold a request
            assert time.monotonic() < deadline, tracker.busy
            time.sleep(0.05)
        orphan = submit(rs)  # due, waiting for a worker
        now = datetime.now(UTC)
        # Another server took it and died: its lease runs out `lease` seconds from now.
        later = now + timedelta(minutes=5)  # whenever it was due
        others = [task.id for task in own]
        taken = store.claim_due("dead-server", later, now + timedelta(seconds=lease), 9, others)
        assert [task.id for task in taken] == [orphan.id]
        gets_before = rs.counters().get("requests.get", 0)
        calls_before = store.get_task(orphan.id).api_calls  # its submit
        limit = time.monotonic() + lease + 6
        while True:
            row = store.get_task(orphan.id)
            if row.lease_owner == tracker.owner and row.api_calls > calls_before:
                break
            assert time.monotonic() < limit, (row.lease_owner, row.api_calls, tracker.busy)
            time.sleep(0.05)
        assert tracker.busy == 2  # the workers still hold their own requests
        assert rs.counters().get("requests.get", 0) == gets_before + 1  # one look, not held
        assert row.status == "queued"
        for task in [*own, orphan]:  # end the held requests (the videos would take minutes)
            rs.studio.client.cancel(store.get_task(task.id).wave_task_id)


def test_polling_never_waits_longer_than_its_rhythm():
    """2 s while young, then 5, 15, 30 s; progress only brings a look forward."""
    submitted = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
    task = SimpleNamespace(submitted_at=submitted, created_at=submitted)

    def interval(seconds: float, status: str = "processing", progress: int = 0) -> float:
        state = parse_task({"task_id": "t", "status": status, "progress": progress})
        return poll_interval(task, state, submitted + timedelta(seconds=seconds))

    assert interval(5, progress=12) == 2.0  # slow-looking early progress: not 29 s
    assert interval(5, "queued") == 2.0
    assert interval(60, progress=50) == 5.0
    assert interval(300, progress=10) == 15.0
    assert interval(300, progress=97) == pytest.approx(300 * 3 / 97 * 0.8)  # nearly done
    assert interval(3600, progress=50) == 30.0


def test_a_video_link_that_trickles_is_cut_at_one_deadline(tmp_path):
    """Issue 12's slow link, for finished videos: a link that sends a byte at a time holds
    a tracker thread only until the download's deadline, and the reason is in words."""
    from lib.engine.archive import ArchiveError, MediaUrlPolicy, archive_video
    from tests.link_servers import local_site

    with local_site(drip_every=0.05) as site:
        policy = MediaUrlPolicy(hosts=(), local_origins=(site.base,))
        with pytest.raises(ArchiveError) as failed:
            archive_video(
                site.url("/drip"), LocalStorage(tmp_path), "v", policy, deadline_seconds=1.0
            )
    assert str(failed.value) == "the download did not finish within 1 second"
    assert list((tmp_path / "library").iterdir()) == []  # no part file left behind


@pytest.mark.parametrize(("lease", "scan"), [(30.0, 1.0), (6.0, 1.0), (12.0, 0.5)])
def test_a_lease_ends_so_that_a_server_looking_once_a_scan_has_taken_it_within_the_lease(
    lease, scan
):
    """Issue 15: a server killed just after renewing its leases held them the whole lease
    time, and another, looking once a second, took them a second later (31.0 s with a
    30 s lease). A lease is written to end early enough for a look to fall within the lease
    time, and late enough that the heartbeat (every lease / 3) renews it before it ends."""
    now = datetime(2026, 12, 2, 14, 0, tzinfo=UTC)
    settings = TrackerSettings(lease_seconds=lease, idle_scan_seconds=scan)
    tracker = Tracker(None, None, None, None, settings, clock=lambda: now)  # type: ignore[arg-type]
    ends_in = (tracker.lease_end() - now).total_seconds()
    assert ends_in + scan <= lease  # the other server's next look is within the lease time
    assert ends_in > lease / 3  # a live server's heartbeat renews it first
    owner, until = tracker.sending_lease()
    assert until == tracker.lease_end() and owner == tracker.sending_owner
