"""Restyle a take (issue 18): a real short video made on the embedded API over HTTP,
restyled from the studio's own copy through a signed, expiring link, at the exact price
shown before, joining the original's family; and every bad input refused naming its
field, with nothing sent and nothing stored."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime
from decimal import Decimal

import av
import pytest
import requests

from lib.domain import source_links
from lib.domain.access import Actor, Role
from lib.domain.budgets import Scope
from lib.domain.money import edit_price_quota
from lib.domain.restyle import RESTYLE_MODEL
from lib.embedded_wave.settings import Faults
from lib.engine.submissions import submit_video
from lib.history import queries
from lib.history.progress import in_flight
from lib.history.restyle import offer, restyle_task, retry_restyle
from lib.history.words import problem_of, settings_line, status_words
from lib.storage import LIBRARY
from lib.store.schema import Task
from lib.store.tasks import Store
from lib.store.team import AuditFilter
from tests.conftest import s3_settings
from tests.factories import make
from tests.history.pages import history, run, texts
from tests.history.test_video_page import video_page
from tests.studio_harness import running_studio

SHORT = {
    "model": "grok-imagine-video",
    "prompt": "A paper boat on a pond",
    "aspect_ratio": "9:16",
    "resolution": "480p",
    "duration": 2,
}


def wait_for(store: Store, task_id: str, limit: float = 60) -> Task:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        task = queries.find_task(store, task_id)
        if task is not None and not in_flight(task):
            return task
        time.sleep(0.05)
    raise AssertionError(f"task {task_id} did not finish: {queries.find_task(store, task_id)}")


def submits(running) -> int:
    return running.counters().get("requests.submit", 0)


def test_a_short_take_is_restyled_from_the_studios_copy_at_its_exact_price(studio):
    store = studio.studio.store
    made = submit_video(studio.studio, SHORT, "Ana", "Spring", uuid.uuid4().hex).task
    original = wait_for(store, made.id)
    assert original.archive_state == "archived", original.archive_error
    price = offer(original).price_quota
    assert price == edit_price_quota(Decimal("2.000"), RESTYLE_MODEL) == 83_000  # $0.166

    restyled = restyle_task(studio.studio, original.id, "Ana", "  as watercolor ")
    assert restyled.ok, restyled.message
    assert restyled.message == "Restyling — $0.1660. See it in History."
    sent = restyled.task.request
    # The studio's own copy, through its signed link; never the service's own link.
    assert sent["video_urls"][0].startswith(f"{studio.base_url}/sources/")
    assert original.provider_video_url not in sent["video_urls"]
    assert (sent["action"], sent["prompt"]) == ("edit", "as watercolor")
    again = restyle_task(studio.studio, original.id, "Ana", "as watercolor")  # a double click
    assert again.duplicate and again.task.id == restyled.task.id

    done = wait_for(store, restyled.task.id)
    assert done.archive_state == "archived", (done.error_message, done.archive_error)
    assert done.cost_quota == done.estimate_quota == price  # the price shown is the charge
    assert submits(studio) == 2  # the original and one restyle
    _, children = store.family(original.id)
    assert [(c.task_id, c.kind) for c in children] == [(done.id, "restyle")]
    assert store.family(done.id)[0].parent_id == original.id
    assert settings_line(done) == "Grok Imagine (official) · Restyle · 9:16 · 480p · 2 s"
    video = studio.studio.storage.local_path(f"{LIBRARY}/{done.video_file}")
    with av.open(str(video)) as container:
        frames = sum(1 for _ in container.decode(video=0))
        stream = container.streams.video[0]
        assert (stream.width, stream.height) == (480, 854)
    assert frames == 48  # the source's 2 s at 24 fps

    # The link opens that one file, without sign-in, only as signed and until it expires.
    link = sent["video_urls"][0]
    assert requests.get(link, timeout=30).headers["content-type"] == "video/mp4"
    another = link.rsplit("/", 1)[0] + "/" + "0" * 32 + ".mp4"  # signed for another file
    assert requests.get(another, timeout=30).status_code == 404
    name = f"{original.id}.mp4"
    secret = studio.studio.config.callback_secret
    expired = source_links.source_path(secret, name, int(time.time()) - 1)
    assert requests.get(studio.base_url + expired, timeout=30).status_code == 404
    forged = source_links.source_path("another-secret", name, int(time.time()) + 60)
    assert requests.get(studio.base_url + forged, timeout=30).status_code == 404

    # A restyle the service blocks says so on its card, with what was charged.
    studio.wave.engine.set_faults(Faults(blocked_words=("forbidden",)))
    blocked = restyle_task(studio.studio, original.id, "Ana", "as a forbidden poster")
    assert blocked.ok, blocked.message
    refused = wait_for(store, blocked.task.id)
    assert status_words(refused) == "Blocked"
    assert problem_of(refused).text.startswith(
        "Blocked by the service's content rules. You were not charged"
    )
    # Tried again: the original restyled again with the same words, once.
    studio.wave.engine.set_faults(Faults())
    again = retry_restyle(studio.studio, refused.id, "Ana")
    assert again.task is not None, again.message
    assert retry_restyle(studio.studio, refused.id, "Ana").task.id == again.task.id
    assert (again.task.prompt, store.family(again.task.id)[0].parent_id) == (
        "as a forbidden poster",
        original.id,
    )
    assert wait_for(store, again.task.id).archive_state == "archived"


def archived(store: Store, seconds: float, **options) -> str:
    """A finished, saved 6 s take whose copy measured `seconds`."""
    task_id = make(store, "archived", **options)
    files = {"video_file": f"{task_id}.mp4", "video_seconds": seconds}
    store.record_archived(task_id, files, datetime.now(UTC))
    return task_id


def keep_copy(running, task_id: str) -> None:
    running.studio.storage.put_bytes(f"{LIBRARY}/{task_id}.mp4", b"a saved copy", "video/mp4")


@pytest.mark.parametrize(
    ("case", "field", "words"),
    [
        ("too long", "video", "only videos of at most 8.7 s can be restyled"),
        ("copy gone", "video", "the studio's saved copy of it is gone"),
        ("empty", "instruction", "Restyle instruction: say how the video should change"),
        ("wordy", "instruction", "Restyle instruction is too long: 4,001 characters"),
        ("unfinished", "video", "Only a finished, saved video can be restyled."),
    ],
)
def test_bad_input_is_refused_naming_its_field_nothing_sent_or_stored(quiet, case, field, words):
    store = quiet.studio.store
    seconds = 10.0 if case == "too long" else 6.0
    source = make(store, "processing") if case == "unfinished" else archived(store, seconds)
    if case != "copy gone":
        keep_copy(quiet, source)
    instruction = {"empty": " \u200b ", "wordy": "w" * 4001}.get(case, "as watercolor")
    before = (submits(quiet), queries.count_tasks(store, queries.Filters()))

    result = restyle_task(quiet.studio, source, "Ana", instruction)

    assert not result.ok and words in result.problems[field], result
    assert (submits(quiet), queries.count_tasks(store, queries.Filters())) == before
    assert store.family(source) == (None, [])


def test_a_copy_the_service_cannot_read_is_refused_and_nothing_is_kept(quiet):
    store = quiet.studio.store
    source = archived(store, 6.0)
    keep_copy(quiet, source)  # not an MP4: the service fetches it, and refuses the restyle
    result = restyle_task(quiet.studio, source, "Ana", "as watercolor")
    assert "is not a video the service can read" in result.problems["video"], result
    assert submits(quiet) == 1  # asked once, refused, charged nothing
    assert queries.count_tasks(store, queries.Filters()) == 1  # the source alone
    assert store.family(source) == (None, [])  # no family link left behind


def test_only_people_who_may_spend_within_budget_can_restyle(quiet):
    store = quiet.studio.store
    source = archived(store, 6.0)
    keep_copy(quiet, source)
    before = (submits(quiet), queries.count_tasks(store, queries.Filters()))
    viewer = Actor(account_id=None, name="Vic", role=Role.VIEWER)
    assert "Viewers can watch" in restyle_task(quiet.studio, source, viewer, "as ink").message
    assert "Enter your name" in restyle_task(quiet.studio, source, None, "as ink").message
    store.set_budget(Scope.TEAM, "", 100_000, "Alex", datetime.now(UTC))  # 6 s costs 249,000
    over = restyle_task(quiet.studio, source, "Ana", "as ink")
    assert over.message.startswith("Couldn't restyle:") and "budget" in over.message.lower()
    assert (submits(quiet), queries.count_tasks(store, queries.Filters())) == before
    assert store.family(source) == (None, [])
    refused = [e.action for e in store.audit_events(AuditFilter(outcome="refused"))]
    assert "budget.refused" in refused and "video.create" in refused


# ----- the pages (AppTest) ------------------------------------------------------------------
def test_history_offers_restyle_with_its_price_only_on_short_saved_takes(quiet):
    store = quiet.studio.store
    short, long = archived(store, 6.0), archived(store, 10.0)
    keep_copy(quiet, short)
    at = history()
    popovers = {p.key: p for p in at.get("popover")}
    assert f"restyle-{long}" not in popovers  # over 8.7 s: no button
    assert popovers[f"restyle-{short}"].proto.popover.label == "Restyle"
    assert not at.text_area  # the form is drawn once the popover opens
    at.session_state[f"restyle-{short}"] = True  # opened
    at = run(at)
    assert "Restyling this 6 s video costs $0.4980" in " ".join(texts(at.caption))
    assert at.button(key=f"restyle-send-{short}").label == "Restyle for $0.4980"
    at.button(key=f"restyle-send-{short}").click()  # no instruction yet
    at = run(at)
    [error] = texts(at.error)
    assert error.startswith("Restyle instruction: say how the video should change")
    assert queries.count_tasks(store, queries.Filters()) == 2 and submits(quiet) == 0


def test_a_videos_page_restyles_or_says_why_not(quiet):
    store = quiet.studio.store
    short, long = archived(store, 6.0), archived(store, 10.0)
    assert "only videos of at most 8.7 s can be restyled" in " ".join(
        texts(video_page(long).caption)
    )
    at = video_page(short)  # its copy is gone from the storage
    at.text_area(key=f"restyle.instruction.{short}").input("as watercolor")
    at.button(key=f"restyle-send-{short}").click()
    at = run(at)
    [error] = texts(at.error)
    assert error == "This video can't be restyled: the studio's saved copy of it is gone."
    assert queries.count_tasks(store, queries.Filters()) == 2 and submits(quiet) == 0


def test_with_a_bucket_the_service_gets_the_buckets_signed_link(tmp_path, s3_service):
    settings = {**s3_settings(s3_service), "database_url": f"sqlite:///{tmp_path / 's3.db'}"}
    with running_studio(tmp_path / "s3", config_changes=settings) as running:
        store = running.studio.store
        made = submit_video(running.studio, {**SHORT, "duration": 1}, "Ana", "", "k1").task
        original = wait_for(store, made.id)
        assert original.archive_state == "archived", original.archive_error
        restyled = restyle_task(running.studio, original.id, "Ana", "as charcoal")
        assert restyled.ok, restyled.message
        link = restyled.task.request["video_urls"][0]
        assert link.startswith(f"{s3_service.endpoint_url}/") and "X-Amz-Signature=" in link
        assert "X-Amz-Expires=3600" in link
        done = wait_for(store, restyled.task.id)
        assert done.archive_state == "archived", (done.error_message, done.archive_error)
        assert done.cost_quota == offer(original).price_quota == 41_500  # 1 s x $0.083
