"""History with several models: each card names its model in the marketer's words; a
video refused under the service's content rules says so, with what the reply charged;
"Try again" and "Use these settings" on a model the service no longer offers say so and
offer the closest model instead."""

from __future__ import annotations

from datetime import UTC, datetime

from lib.create import keys
from lib.embedded_wave.settings import Faults
from tests.factories import add_task, reply
from tests.history.pages import history, on_page, run, status_lines, texts

TODAY = {
    "model": "grok-imagine-video-1.5-rev",
    "action": "generate",
    "prompt": "A lighthouse at dawn",
    "aspect_ratio": "9:16",
    "resolution": "720p",
    "duration": 6,
}


def test_a_card_names_its_model_and_a_blocked_video_says_so(store):
    now = datetime.now(UTC)
    task = add_task(store, TODAY, estimate=64530)
    reply(store, task.id, "queued", at=now, pre_consumed_cost=64530)
    error = {"code": "content_moderated", "message": "Refused under the content policy."}
    reply(store, task.id, "failed", at=now, cost=0, billing_status="refunded", error=error)
    at = history()
    assert "Grok Imagine 1.5 Economy · Text to video · 9:16 · 720p · 6 s" in texts(at.caption)
    assert "Blocked" in status_lines(at)
    [warning] = texts(at.warning)
    assert warning.startswith(
        "Blocked by the service's content rules. You were not charged (the service says: refunded)."
    )
    assert store.get_task(task.id).billing_status == "refunded"


def test_a_blocked_video_another_route_charged_shows_that_charge(store):
    now = datetime.now(UTC)
    task = add_task(store, TODAY, estimate=64530)
    reply(store, task.id, "queued", at=now, pre_consumed_cost=64530)
    error = {"code": "upstream_bad_request", "message": "Output failed moderation checks."}
    reply(store, task.id, "failed", at=now, cost=64530, billing_status="settled", error=error)
    [warning] = texts(history().warning)
    assert warning.startswith(
        "Blocked by the service's content rules. You were charged $0.1291 (the service "
        "says: settled)."
    )


def test_a_retired_models_video_offers_the_closest_model(quiet):
    store = quiet.studio.store
    now = datetime.now(UTC)
    old = {**TODAY, "model": "grok-imagine-1.0-video", "duration": 20}
    task = add_task(store, old)
    reply(store, task.id, "queued", at=now)
    reply(store, task.id, "failed", at=now, cost=0, error={"code": "task_failed", "message": "x"})
    quiet.wave.engine.set_faults(Faults(retired_models=frozenset({"grok-imagine-1.0-video"})))
    assert quiet.studio.offer.refresh()

    at = history()
    at.button(key=f"retry-{task.id}").click()
    run(at)
    assert texts(at.toast) == [
        "Grok Imagine 1.0 is no longer offered by the video service. Press “Use these "
        "settings” to make it with Grok Imagine 1.5 Economy, the closest."
    ]
    assert len(store.tasks()) == 1  # nothing sent

    at.button(key=f"reuse-{task.id}").click()
    run(at)
    assert on_page(at).endswith("views/create.py")
    assert at.session_state[keys.MODEL] == "grok-imagine-video-1.5-rev"
    said = texts(at.info)
    assert (
        "This video was made with Grok Imagine 1.0, which the video service no longer "
        "offers: the form uses Grok Imagine 1.5 Economy, the closest."
    ) in said
    assert "Length set to 15 s: this model makes up to 15 s." in said
    assert at.session_state[keys.PROMPT] == "A lighthouse at dawn"
