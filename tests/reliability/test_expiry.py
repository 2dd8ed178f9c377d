"""Expiry (issue 6, part 7): a video whose provider link dies before the studio has its
copy — the download was too slow, the tracker was down past `expires_at`, or the reply
never said when the link expires — is marked on History in plain words, is not tried
again and again (the provider hears nothing more from the studio), and its cost still
shows, on the card and on Costs."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime, timedelta

from lib.costs import filters
from lib.embedded_wave.settings import Faults
from lib.engine.submissions import submit_video
from lib.engine.tracker import Tracker, TrackerSettings
from lib.store.tasks import NewTask
from lib.wave import parse_task
from tests.costs.test_costs import costs_page, metrics
from tests.engine.test_tracker import wait_archived
from tests.factories import PRICE, REQUEST
from tests.history.pages import history, status_lines, studio_with, texts
from tests.reliability import figures
from tests.studio_harness import RunningStudio

QUIET_SECONDS = 2.0  # how long the provider is watched after the studio gave up
ATTEMPTS: dict[str, int] = {}  # case -> copy attempts before giving up
LATER_REQUESTS: dict[str, int] = {}  # case -> provider requests after giving up
COST_SHOWN: dict[str, bool] = {}


def requests_to_provider(rs: RunningStudio) -> int:
    return rs.counters().get("requests", 0)


def check_given_up_plainly(rs: RunningStudio, task_id: str, case: str) -> None:
    """The task is marked as expired, the provider hears no more, the cost shows."""
    done = wait_archived(rs, task_id)
    assert (done.status, done.archive_state) == ("completed", "link_expired"), done.archive_error
    assert done.tracking is False and done.video_file is None
    before = requests_to_provider(rs)
    time.sleep(QUIET_SECONDS)  # the tracker scans the store every second meanwhile
    later = requests_to_provider(rs) - before
    attempts = rs.studio.store.get_task(task_id).archive_attempts
    rs.wave.engine.set_faults(Faults())  # (the sidebar's balance need not be slow too)

    # What a person sees: History's card, and the Costs page.
    card = history()
    [warning] = texts(card.warning)
    on_card = "Estimate $0.0446 · Charged $0.0446" in texts(card.caption)
    spend = costs_page()
    spend.segmented_control(key="costs.period").set_value(filters.ALL_TIME).run()
    on_costs = metrics(spend)["Settled"] == "$0.0446" and metrics(spend)["Videos"] == "1"

    ATTEMPTS[case], LATER_REQUESTS[case], COST_SHOWN[case] = attempts, later, on_card and on_costs
    figures.record(
        "Expiry",
        "copy attempts before giving up",
        ", ".join(f"{name} {n}" for name, n in ATTEMPTS.items()),
    )
    figures.record(
        "Expiry",
        f"provider requests in the {QUIET_SECONDS:g} s after giving up",
        sum(LATER_REQUESTS.values()),
        "0",
    )
    figures.record(
        "Expiry",
        "cost still shown on the card and on Costs",
        f"{sum(COST_SHOWN.values())} of {len(COST_SHOWN)} cases",
        "all",
    )
    assert later == 0
    assert attempts <= 2  # one try, and at most one last try when the link ends
    assert "Made, but not saved" in status_lines(card)
    assert warning == (
        "The video was made, but the video service's download link expired before the "
        "studio could save a copy, so it can't be played here. It was still charged ($0.0446)."
    )
    assert "<video" not in "".join(texts(card.html))  # nothing that would not play
    assert on_card and on_costs


def test_a_download_slower_than_the_link_lasts(tmp_path):
    # Every request (the video download too) takes 1.5 s; the link lives for 1 s.
    slow = Faults(slow_rate=1.0, slow_seconds=1.5, include_files=True)
    with studio_with(tmp_path, link_ttl_seconds=1.0, faults=slow) as rs:
        task = submit_video(rs.studio, REQUEST, "Ana", "Spring", uuid.uuid4().hex).task
        check_given_up_plainly(rs, task.id, "slow download")
        assert rs.counters()["status.file.410"] >= 1  # the provider said: link expired


def test_the_tracker_was_down_until_after_the_link_expired(tmp_path):
    with studio_with(tmp_path, link_ttl_seconds=0.5) as rs:
        rs.studio.tracker.stop()  # nobody follows the video while it is made
        task = submit_video(rs.studio, REQUEST, "Ana", "Spring", uuid.uuid4().hex).task
        engine = rs.wave.engine
        deadline = time.monotonic() + 60
        while True:  # until the provider has made it, and its link is gone again
            truth = engine.snapshot(engine._tasks[task.wave_task_id])
            videos = truth.get("result", {}).get("videos", [])
            # expires_at is in whole seconds: past it by a margin, the link is surely gone.
            if videos and videos[0]["expires_at"] + 1.5 < time.time():
                break
            assert time.monotonic() < deadline, truth
            time.sleep(0.1)
        successor = Tracker(
            rs.studio.store,
            rs.studio.client,
            rs.studio.storage,
            rs.studio.tracker.media_policy,
            TrackerSettings(use_callbacks=True, callback_url=rs.studio.callback_url),
        )
        successor.start()  # the studio is back
        try:
            check_given_up_plainly(rs, task.id, "tracker down")
        finally:
            successor.stop()
        assert rs.counters()["status.file.410"] == 1


def test_a_reply_without_an_expiry_time_is_not_retried_forever(tmp_path):
    """The contract always gives `expires_at`; a reply without it must not make the
    studio try the link for ever: the model's 24 hours apply."""
    with studio_with(tmp_path) as rs:
        store = rs.studio.store
        finished = datetime.now(UTC) - timedelta(hours=25)
        new = NewTask(uuid.uuid4().hex, REQUEST, "Ana", "Spring", PRICE)
        task, _ = store.create_task(new, finished - timedelta(minutes=1))
        later = datetime.now(UTC) + timedelta(days=1)
        for reply in (
            {"status": "queued", "pre_consumed_cost": PRICE},
            {
                "status": "completed",
                "cost": PRICE,
                "completed_at": int(finished.timestamp() * 1000),
                # The provider's link, long gone (it answers 404), and no expiry time.
                "result": {"videos": [{"url": f"{rs.base_url}/wave/files/gone.mp4"}]},
            },
        ):
            state = parse_task({"task_id": "task-wave-yesterday", **reply})
            store.apply_state(task.id, state, "service", datetime.now(UTC), later)
        rs.studio.tracker.poke()
        check_given_up_plainly(rs, task.id, "no expiry in the reply")
        assert rs.counters()["status.file.404"] == 1
