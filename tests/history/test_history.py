"""History under AppTest: cards in every state in words, the player from /library/ URLs,
escaping, filters, pages, the deep link, cancel, retry and "use these settings" — against
a running studio (embedded API over HTTP, the one tracker)."""

from __future__ import annotations

import json
import re
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest
import requests
import streamlit
from sqlalchemy import event, insert
from streamlit.testing.v1 import AppTest

from lib.create import keys
from lib.domain import markdown
from lib.embedded_wave.settings import Faults
from lib.engine.pictures import store_reference_image
from lib.engine.submissions import submit_video
from lib.history import actions, player, progress, queries, words
from lib.server import routes
from lib.store import reads
from lib.store.schema import Task
from lib.store.tasks import Store
from lib.wave import TaskNotCancellable, parse_task
from tests import images
from tests.factories import FAR, PRICE, REQUEST, make
from tests.history.pages import (
    bars,
    fragments,
    history,
    html_of,
    linked_page,
    on_page,
    rerun_fragment,
    run,
    shown,
    status_lines,
    studio_with,
    texts,
)
from tests.studio_harness import STUDIO


# ----- the page --------------------------------------------------------------------------
def wait_for(store: Store, task_id: str, done, limit: float = 30) -> Task:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        task = queries.find_task(store, task_id)
        if done(task):
            return task
        time.sleep(0.05)
    raise AssertionError(f"task {task_id} did not get there: {queries.find_task(store, task_id)}")


# ----- cards in every state ----------------------------------------------------------------
def test_unfinished_cards_show_progress_in_words(store):
    queued = make(store, "queued")
    making = make(store, "processing", progress=45)
    saving = make(store, "saving")
    at = history()
    found = sorted((p.value, p.text) for p in bars(at))
    assert len(found) == 3
    waiting, making_bar, saving_bar = found
    # Just sent: nothing finished to learn from yet, so the first guess for 6 s (19 s).
    # The studio (callbacks) hears only of the end, so the step is a guess, by the time
    # gone by (how long the page took to draw decides which).
    step = r"Probably (waiting in line|being made)"
    assert waiting[0] <= 30 and re.fullmatch(rf"{step} — about 1\d s left", waiting[1])
    # Being made: the service's 45% is more than the share of time gone by.
    assert making_bar[0] == 45 and re.fullmatch(r"Being made — about 1\d s left", making_bar[1])
    assert saving_bar == (100, "Saving your video…")
    assert set(shown(at)) == {queued, making, saving}
    assert "<video" not in html_of(at)  # nothing to play yet
    captions = texts(at.caption)
    assert captions.count("Estimate $0.0446 · On hold $0.0446") == 2
    assert "Estimate $0.0446 · Charged $0.0446" in captions  # made, being saved
    # Cancel is offered for the queued one only.
    assert [b.key for b in at.button if b.key.startswith("cancel-")] == [f"cancel-{queued}"]


def test_a_finished_video_plays_from_the_library_with_its_poster_first(store):
    task_id = make(store, "archived")
    at = history()
    [player] = [h for h in texts(at.html) if "<video" in h]
    assert re.search(r"<video controls preload=\"none\"", player)
    assert f'poster="/library/{task_id}.jpg"' in player
    assert f'src="/library/{task_id}.mp4"' in player
    assert "/media/" not in player and "base64" not in player and len(player) < 1000
    [link] = [h for h in texts(at.html) if "download=" in h]
    assert f'href="/library/{task_id}.mp4?download=' in link
    assert 'download="spring-a-red-kite-over-a-windy-beach-' in link
    assert not at.get("download_button")  # never bytes through the page
    assert "Ready" in status_lines(at)
    assert "Estimate $0.0446 · Charged $0.0446" in texts(at.caption)


@pytest.mark.parametrize(
    ("code", "words"),
    [
        (
            "upstream_unavailable",
            "The video service was busy or down. Try again — you were not charged.",
        ),
        (
            "upstream_bad_request",
            "The service couldn't use the request (often a reference picture it couldn't "
            "open). You were not charged.",
        ),
    ],
)
def test_a_failed_video_says_why_in_words(store, code, words):
    task_id = make(store, "failed", code=code, message="Image 1 could not be downloaded (404)")
    at = history()
    assert texts(at.warning) == [words]
    service_said = [c for c in texts(at.caption) if c.startswith("The service said")]
    if code == "upstream_bad_request":  # the service's own words, in smaller text
        assert service_said == [r"The service said: Picture 1 could not be downloaded \(404\)"]
    else:
        assert service_said == []
    assert "Failed" in status_lines(at)
    assert "Estimate $0.0446 · Charged $0.0000 · Refunded $0.0446" in texts(at.caption)
    assert at.button(key=f"retry-{task_id}").label == "Try again"


def test_an_expired_link_and_a_cancelled_video_are_explained(store):
    make(store, "link_expired")
    cancelled = make(store, "cancelled")
    at = history()
    [warning] = texts(at.warning)
    assert "link expired before the studio could save a copy" in warning
    assert "still charged ($0.0446)" in warning
    assert {"Made, but not saved", "Cancelled"} <= set(status_lines(at))
    assert "Estimate $0.0446 · Charged $0.0000 · Refunded $0.0446" in texts(at.caption)
    assert not [b for b in at.button if b.key in (f"cancel-{cancelled}", f"retry-{cancelled}")]
    assert "<video" not in html_of(at)


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("upstream_rate_limited", "too many requests at once"),
        ("task_failed", "couldn't make this video"),
        ("task_not_found", "lost track of this video"),
        ("insufficient_quota", "This video couldn't be made. You were not charged."),
    ],
)
def test_every_failure_code_has_words(store, code, expected):
    task = queries.find_task(store, make(store, "failed", code=code, message="raw words"))
    problem = words.problem_of(task)
    assert expected in problem.text and "not charged" in problem.text
    # Unknown codes show the service's own message; known ones speak for themselves.
    assert problem.detail == ("raw words" if code == "insufficient_quota" else None)


def test_a_prompt_name_and_campaign_with_code_show_as_text(store):
    prompt = "<script>alert(1)</script> **bold** [link](https://evil.example) <b>hi</b>"
    task_id = make(store, "archived", prompt=prompt, person="<b>Eve</b>", campaign="*Launch*")
    at = history()
    assert texts(at.text) == [prompt]  # st.text: no Markdown, no HTML
    assert "<script>" not in html_of(at) and "<b>" not in html_of(at)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html_of(at)  # the player's title
    [byline] = [c for c in texts(at.caption) if "Eve" in c]
    assert byline.startswith(r"\<b\>Eve\</b\> · \*Launch\* · ")
    task = queries.find_task(store, task_id)
    assert player.download_name(task).startswith("launch-script-alert-1-script-bold")


def test_a_submitted_video_arrives_and_plays(studio):
    task = submit_video(studio.studio, REQUEST, "Ana", "Spring", uuid.uuid4().hex).task
    done = wait_for(studio.studio.store, task.id, lambda t: not progress.in_flight(t))
    assert done.archive_state == "archived", done.archive_error
    at = history()
    assert shown(at) == [task.id]
    [player] = [h for h in texts(at.html) if "<video" in h]
    poster = re.search(r'poster="(/library/[^"]+\.jpg)"', player).group(1)
    video = re.search(r'src="(/library/[^"]+\.mp4)"', player).group(1)
    assert video == f"/library/{done.video_file}" and poster == f"/library/{done.poster_file}"
    # The relative URLs are served by the studio, posters small, the video only on play.
    reply = requests.get(studio.base_url + poster, timeout=10)
    assert reply.status_code == 200 and reply.headers["content-type"] == "image/jpeg"
    assert len(reply.content) < 200_000
    assert requests.head(studio.base_url + video, timeout=10).status_code in (200, 405)


def test_streamlits_sanitiser_keeps_the_player_and_the_download_link():
    """st.html goes through DOMPurify in the browser with its HTML profile: the bundled
    allow-lists must keep <video> with controls/preload/poster/src and <a download>."""
    static = Path(streamlit.__file__).parent / "static" / "static" / "js"
    [html_element] = [p for p in static.glob("Html.*.js")]
    config = html_element.read_text()
    assert "USE_PROFILES:{html:!0}" in config and "ALLOWED_TAGS" not in config
    purify = "\n".join(p.read_text() for p in static.glob("purify.es.*.js"))
    tags = set(re.search(r"`a\.abbr\.[^`]*`", purify).group(0).strip("`").split("."))
    attributes = set(re.search(r"`accept\.action\.[^`]*`", purify).group(0).strip("`").split("."))
    assert {"video", "a", "div"} <= tags
    assert {"controls", "preload", "poster", "src", "href", "download", "style"} <= attributes


# ----- live progress -------------------------------------------------------------------------
def test_only_cards_still_changing_have_a_live_bar(store):
    done = [make(store, "archived"), make(store, "failed"), make(store, "link_expired")]
    assert bars(history()) == []  # nothing can change: nothing follows the store
    making, saving = make(store, "processing"), make(store, "saving")
    found = {bar.task_id: bar for bar in bars(history())}
    assert set(found) == {making, saving}  # the videos still changing, only those
    assert found[making].state == "processing/none"
    assert found[saving].state == "completed/pending"
    assert found[making].data["url"] == "/api/history/changes"
    # What the page moves on its own: the time left runs down from the estimate.
    motion = found[making].data["bar"]["motion"]
    assert motion["step"] == "Being made" and 0 < motion["left"] <= motion["total"]
    assert found[saving].data["bar"]["motion"] is None  # "Saving your video…" stays
    assert bars(history(task=done[0])) == []  # a finished video's own page
    assert [bar.task_id for bar in bars(history(task=making))] == [making]


def test_a_video_changing_state_redraws_its_card_alone(store, monkeypatch):
    waiting, making = make(store, "queued"), make(store, "processing")
    done = make(store, "archived")
    at = history()
    live = [task_id for task_id in shown(at) if task_id != done]
    assert set(live) == {waiting, making}
    assert len(fragments(at)) == 2  # each card still changing: its own fragment
    fragment_of = dict(zip(live, fragments(at), strict=True))
    # The service says the waiting one is being made; its bar in the page asks for a rerun
    # of its fragment (lib/ui/live_progress.py): that card alone is drawn again, in its
    # new step; the filters, the page count and the other cards are not run again.
    now = datetime.now(UTC)
    made = parse_task({"task_id": f"task-wave-{waiting}", "status": "processing"})
    store.apply_state(waiting, made, "service", now, FAR)
    at = rerun_fragment(at, fragment_of[waiting], monkeypatch)
    assert shown(at) == [waiting]
    assert [(bar.task_id, bar.state) for bar in bars(at)] == [(waiting, "processing/none")]
    assert bars(at)[0].text.startswith("Being made")
    assert not at.multiselect and not at.text_input


def test_the_changes_route_answers_when_a_video_changes_state(studio, monkeypatch):
    """The request an open History page holds: at once when one of its videos is in
    another state than the page drew, else when its time is up; never a call to the
    video service."""
    studio.studio.tracker.stop()
    store = studio.studio.store
    making, saving = make(store, "processing"), make(store, "saving")
    url = f"{studio.base_url}/api/history/changes"
    before = studio.counters().get("requests", 0)
    drawn = {"ids": f"{making},{saving}", "states": "processing/none,completed/pending"}

    started = time.monotonic()
    reply = requests.get(url, params={**drawn, "wait": "1"}, timeout=10)
    assert reply.json() == {"changed": []} and time.monotonic() - started >= 0.9
    assert reply.headers["cache-control"] == "no-store"
    # Drawn in an older state: answered at once, with that video only.
    older = {"ids": f"{making},{saving}", "states": "queued/none,completed/pending"}
    assert requests.get(url, params={**older, "wait": "10"}, timeout=5).json() == {
        "changed": [making]
    }

    def archive_soon(task_id: str, by: Store) -> None:
        time.sleep(0.5)
        files = {"video_file": f"{task_id}.mp4", "poster_file": f"{task_id}.jpg"}
        by.record_archived(task_id, files, datetime.now(UTC))

    def held_until_changed(task_id: str, by: Store) -> float:
        threading.Thread(target=archive_soon, args=(task_id, by)).start()
        started = time.monotonic()
        params = {
            "ids": f"{making},{task_id}",
            "states": "processing/none,completed/pending",
            "wait": "10",
        }
        reply = requests.get(url, params=params, timeout=15)
        assert reply.json() == {"changed": [task_id]}
        return time.monotonic() - started

    # Saved by this process: the store wakes the request (its regular looks are made
    # 30 s apart here, so only the wake-up can answer in time).
    monkeypatch.setattr(routes, "CHANGE_CHECK_SECONDS", 30.0)
    routes._watches.clear()
    assert 0.4 < held_until_changed(saving, store) < 2
    # Saved by another server process sharing the database: seen at a regular look.
    monkeypatch.setattr(routes, "CHANGE_CHECK_SECONDS", 0.5)
    routes._watches.clear()
    other_process = Store.open(store.engine.url.render_as_string(hide_password=False))
    assert 0.4 < held_until_changed(make(store, "saving"), other_process) < 2
    # Made, then saved a moment later: one answer, once saved (the card is drawn once,
    # with its player, not "Saving…" first).
    made_one = make(store, "processing")

    def make_then_save() -> None:
        time.sleep(0.3)
        video = {"url": "https://wave.example/v.mp4", "expires_at": 1795586400}
        done = {"task_id": f"task-wave-{made_one}", "status": "completed"}
        done["result"] = {"videos": [video]}
        store.apply_state(made_one, parse_task(done), "service", datetime.now(UTC), FAR)
        archive_soon(made_one, store)

    threading.Thread(target=make_then_save).start()
    params = {"ids": made_one, "states": "processing/none", "wait": "10"}
    assert requests.get(url, params=params, timeout=15).json() == {"changed": [made_one]}
    assert reads.shown_states_in_store(store, [made_one]) == {made_one: "completed/archived"}
    # Ids that are not ours, or not ids at all, are left out.
    junk = {"ids": "../etc,<b>,ffff", "states": "a/b,c/d,e/f", "wait": "0"}
    assert requests.get(url, params=junk, timeout=10).json() == {"changed": []}
    assert studio.counters().get("requests", 0) == before  # the service was not asked


def test_one_look_at_the_store_answers_every_open_page(studio, monkeypatch):
    """Many pages holding a request cost one read of the store per look, not one each,
    and a page that gave up its request is no longer looked for."""
    studio.studio.tracker.stop()
    store = studio.studio.store
    making = make(store, "processing")
    looks: list[int] = []
    real = routes.shown_states_in_store
    monkeypatch.setattr(routes, "shown_states_in_store", lambda *a: looks.append(1) or real(*a))
    monkeypatch.setattr(routes, "CHANGE_CHECK_SECONDS", 0.5)
    routes._watches.clear()
    url = f"{studio.base_url}/api/history/changes"
    params = {"ids": making, "states": "processing/none", "wait": "3"}
    pages = 10
    with ThreadPoolExecutor(pages) as pool:
        replies = list(
            pool.map(lambda _: requests.get(url, params=params, timeout=15), range(pages))
        )
    assert all(reply.json() == {"changed": []} for reply in replies)
    # Each request looks once on its own as it comes; then one look each half second
    # for all of them (3 s: about 6), where ten pages polling alone would make 60.
    assert len(looks) <= pages + 10, len(looks)
    # A page that moved on: no more looks for it.
    looks.clear()
    with pytest.raises(requests.ReadTimeout):
        requests.get(url, params={**params, "wait": "20"}, timeout=0.6)
    time.sleep(1.0)  # a look or two after the page left, to notice it
    after_leaving = len(looks)
    time.sleep(1.5)
    assert len(looks) == after_leaving


def test_a_change_costs_one_read_of_the_store_for_every_open_page_not_one_each(studio, monkeypatch):
    """When a video is done, every page holding a request is answered, draws the card
    again and asks anew: all of that from the looks made for all of them together (one
    shared read per change), not a read of its own per page."""
    studio.studio.tracker.stop()
    store = studio.studio.store
    making = make(store, "processing")
    looks: list[int] = []
    real = routes.shown_states_in_store
    monkeypatch.setattr(routes, "shown_states_in_store", lambda *a: looks.append(1) or real(*a))
    monkeypatch.setattr(routes, "CHANGE_CHECK_SECONDS", 30.0)  # only this process's changes
    routes._watches.clear()
    url = f"{studio.base_url}/api/history/changes"
    pages = 10
    drawn = {"ids": making, "states": "processing/none", "wait": "20"}
    with ThreadPoolExecutor(pages) as pool:
        held = [pool.submit(requests.get, url, params=drawn, timeout=30) for _ in range(pages)]
        watch = routes._watches.get(store)
        deadline = time.monotonic() + 20
        while (watch is None or len(watch._waiters) < pages) and time.monotonic() < deadline:
            time.sleep(0.05)
            watch = routes._watches.get(store)
        looks.clear()
        # One write, straight to a state the card shows as final: a finished video is
        # two (done, then saved), and on a busy machine the pages may ask between them.
        failed = {"task_id": f"task-wave-{making}", "status": "failed"}
        failed["error"] = {"code": "content_moderated", "message": "blocked"}
        store.apply_state(making, parse_task(failed), "x", datetime.now(UTC), FAR)
        assert all(reply.result().json() == {"changed": [making]} for reply in held)
    answered = len(looks)
    assert answered <= 2, answered  # was 1 + one per page
    # Every page draws the card again and asks anew, all at once.
    looks.clear()
    again = {"ids": making, "states": reads.shown_states_in_store(store, [making])[making]}
    again["wait"] = "0.5"
    with ThreadPoolExecutor(pages) as pool:
        replies = list(
            pool.map(lambda _: requests.get(url, params=again, timeout=15), range(pages))
        )
    assert all(reply.json() == {"changed": []} for reply in replies)
    assert len(looks) <= 1, len(looks)  # was one per page


def test_a_new_step_or_the_saved_copy_wakes_the_pages_but_progress_within_a_step_does_not(store):
    queued, saving = make(store, "queued"), make(store, "saving")
    both = [queued, saving]
    assert reads.shown_states_in_store(store, both) == {
        queued: "queued/none",
        saving: "completed/pending",
    }
    now = datetime.now(UTC)
    wave_id = f"task-wave-{queued}"
    woken = store.changed.version
    store.apply_state(queued, parse_task({"task_id": wave_id, "status": "queued"}), "x", now, FAR)
    assert store.changed.version == woken  # nothing a card shows changed
    making = parse_task({"task_id": wave_id, "status": "processing", "progress": 20})
    store.apply_state(queued, making, "service", now, FAR)
    assert store.changed.version == woken + 1  # a new step: the card is drawn again
    more = parse_task({"task_id": wave_id, "status": "processing", "progress": 80})
    store.apply_state(queued, more, "service", now, FAR)
    assert store.changed.version == woken + 1  # the bar moves in the page, no rerun
    files = {"video_file": f"{saving}.mp4", "poster_file": f"{saving}.jpg"}
    store.record_archived(saving, files, now)
    assert store.changed.version == woken + 2
    assert reads.shown_states_in_store(store, both) == {
        queued: "processing/none",
        saving: "completed/archived",
    }
    assert f'src="/library/{saving}.mp4"' in html_of(history())


# ----- filters, pages ------------------------------------------------------------------------
def test_filters_narrow_the_cards(store):
    kite = make(store, "archived", prompt="A red KITE at dawn", person="Ana", campaign="Spring")
    cake = make(store, "failed", prompt="A birthday cake", person="Bo", campaign="Party")
    sale = make(store, "queued", prompt="100% off sale banner", person="Bo", campaign="")
    tens = make(store, "queued", prompt="1000 balloons", person="Cy", campaign="Spring")
    at = history(who="Bo")
    assert set(shown(at)) == {kite, cake, sale, tens}
    at.multiselect(key="history.status").set_value(["Waiting"]).run()
    assert set(shown(at)) == {sale, tens}
    at.multiselect(key="history.status").set_value([]).run()
    at.selectbox(key="history.campaign").set_value("Spring").run()
    assert set(shown(at)) == {kite, tens}
    at.selectbox(key="history.campaign").set_value("").run()  # "No campaign"
    assert shown(at) == [sale]
    at.selectbox(key="history.campaign").set_value(hist_all(at, "history.campaign")).run()
    at.selectbox(key="history.person").set_value("Cy").run()
    assert shown(at) == [tens]
    at.toggle(key="history.mine").set_value(True).run()  # "only mine": Bo
    assert set(shown(at)) == {cake, sale}
    at.toggle(key="history.mine").set_value(False).run()
    at.selectbox(key="history.person").set_value(hist_all(at, "history.person")).run()
    at.text_input(key="history.search").input("kite").run()  # any case
    assert shown(at) == [kite]
    at.text_input(key="history.search").input("0%").run()  # % is a character, not a wildcard
    assert shown(at) == [sale]
    at.text_input(key="history.search").input("nothing like this").run()
    assert shown(at) == []
    assert "No videos match these filters" in texts(at.info)[-1]


def hist_all(at: AppTest, key: str) -> str:
    return at.selectbox(key=key).options[0]


def test_pages_of_24_newest_first(store):
    start = datetime.now(UTC) - timedelta(hours=2)
    ids = [make(store, "archived", at=start + timedelta(minutes=i)) for i in range(30)]
    newest_first = ids[::-1]
    at = history()
    assert shown(at) == newest_first[:24]
    assert "Showing 1–24 of 30 videos · page 1 of 2" in texts(at.caption)
    assert at.pagination[0].num_pages == 2
    at.pagination[0].select(2).run()
    assert shown(at) == newest_first[24:]
    assert "Showing 25–30 of 30 videos · page 2 of 2" in texts(at.caption)
    at.text_input(key="history.search").input("kite").run()  # a new filter starts at page 1
    assert shown(at) == newest_first[:24]


def test_history_with_10000_videos_reads_one_page_in_two_queries(store):
    now = datetime.now(UTC)
    rows = [
        dict(
            id=uuid.uuid4().hex,
            idempotency_key=uuid.uuid4().hex,
            status=("completed", "failed", "queued")[i % 3],
            request=REQUEST,
            model=REQUEST["model"],
            mode="text",
            prompt=f"video {i} of {'cats' if i % 2 else 'dogs'}",
            aspect_ratio="16:9",
            resolution="480p",
            duration=6,
            person=f"Person {i % 7}",
            campaign=f"Campaign {i % 11}",
            estimate_quota=PRICE,
            created_at=now - timedelta(seconds=i),
            updated_at=now,
            archive_state="archived",
            tracking=False,
        )
        for i in range(10_000)
    ]
    with store.session() as session, session.begin():
        session.execute(insert(Task), rows)
    statements: list[str] = []
    listen = event.listens_for(store.engine, "before_cursor_execute")
    listen(lambda conn, cursor, sql, *args: statements.append(sql))
    # How fast: bench/page_render.py (History with 10,000 videos, <= 0.3 s). Here: how
    # much is asked of the database, which no machine's load changes.
    for filters in (
        queries.Filters(),
        queries.Filters.from_choices(["Failed"], None, None, "cats"),
    ):
        statements.clear()
        assert queries.count_tasks(store, filters) > 0
        assert len(statements) == 2, statements  # the hidden videos' ids, the count
        statements.clear()
        assert queries.count_tasks(store, filters) > 0
        assert statements == []  # the same filters again: kept until the store changes
        statements.clear()
        assert len(queries.page_of_tasks(store, filters, page=5)) == 24
        assert len(statements) == 2, statements  # the page, and its pictures
    statements.clear()
    page = queries.page_of_tasks(store, queries.Filters(), page=2)
    assert [t.created_at for t in page] == [r["created_at"] for r in rows[24:48]]
    _ = [t.images for t in page]  # already loaded: no query per card
    assert len(statements) == 2, statements  # the page, and its pictures
    assert "LIMIT" in statements[0] and "ORDER BY tasks.created_at DESC" in statements[0]
    # The whole page (sidebar included) shows 24 cards of 10,000.
    at = history()
    assert len(shown(at)) == 24
    assert "Showing 1–24 of 10,000 videos · page 1 of 417" in texts(at.caption)


# ----- deep link, empty state --------------------------------------------------------------
def test_a_deep_link_opens_one_video(store):
    first, wanted, last = (make(store, "archived") for _ in range(3))
    at = history(task=wanted)
    assert shown(at) == [wanted]
    [back] = [b for b in at.button if b.label == "Show all videos"]
    back.click()
    run(at)
    assert set(shown(at)) == {first, wanted, last}
    assert "task" not in at.query_params


def test_an_unknown_deep_link_says_so(store):
    make(store, "archived")
    at = history(task="0" * 32)
    assert shown(at) == []
    assert "couldn't find that video" in texts(at.warning)[0]


def test_an_empty_history_points_to_create(store):
    at = history()
    assert "No videos yet" in texts(at.info)[-1]
    [link] = at.get("page_link")
    assert link.proto.label == "Create a video" and linked_page(at, link).endswith("create.py")


# ----- actions -------------------------------------------------------------------------------
def test_use_these_settings_fills_create_and_goes_there(store, quiet):
    asset, asset_url = store_reference_image(quiet.studio, images.jpeg(600, 900), "me.jpg", "Ana")
    link = "https://pictures.example/shoe.png"
    body = {**REQUEST, "action": "image2video", "resolution": "720p", "duration": 10}
    del body["aspect_ratio"]
    body["image_urls"] = [asset_url, link]
    task_id = make(
        store,
        "archived",
        prompt="Make the shoe dance",
        campaign="Summer",
        request=body,
        pictures=[(asset_url, asset.sha256), (link, None)],
    )
    at = history()
    assert "Grok Imagine 1.0 · Image to video · 2 pictures · 720p · 10 s" in texts(at.caption)
    at.button(key=f"reuse-{task_id}").click().run()
    assert on_page(at).endswith("views/create.py")
    state = at.session_state
    assert state[keys.MODE] == "image" and state[keys.PROMPT] == "Make the shoe dance"
    assert (state[keys.RESOLUTION], state[keys.DURATION]) == ("720p", 10)
    assert state[keys.CAMPAIGN] == "Summer"
    assert state[keys.KEPT_IMAGES] == [(asset_url, asset.sha256)]
    assert state[keys.LINKS] == link


def test_cancel_a_queued_video_refunds_it(tmp_path):
    # Slow queue (10 s at this scale) so that the video is still waiting when cancelled.
    with studio_with(tmp_path, time_scale=5.0) as rs:
        task = submit_video(rs.studio, REQUEST, "Ana", "Spring", uuid.uuid4().hex).task
        assert task.status == "queued"
        at = history()
        at.button(key=f"cancel-{task.id}").click()
        run(at)
        assert texts(at.toast) == ["Cancelled — $0.0446 refunded"]
        row = rs.studio.store.get_task(task.id)
        assert (row.status, row.cost_quota, row.refunded_quota) == ("cancelled", 0, PRICE)
        assert row.tracking is False
        assert rs.counters()["requests.cancel"] == 1
        assert rs.studio.client.get_task(task.wave_task_id).status == "cancelled"
        assert "Cancelled" in status_lines(at)
        assert not [b for b in at.button if b.key.startswith("cancel-")]


def test_cancel_too_late_says_so_in_words(store):
    task_id = make(store, "queued")

    class StartedAlready:
        def cancel(self, wave_task_id):
            raise TaskNotCancellable("Only a queued task can be cancelled; this one is processing.")

    pokes = []
    studio = SimpleNamespace(
        store=store, client=StartedAlready(), tracker=SimpleNamespace(poke=lambda: pokes.append(1))
    )
    message = actions.cancel_task(studio, task_id, "Ana")
    assert message.startswith("Too late to cancel: this video is no longer waiting in line")
    assert not message.ok
    row = store.get_task(task_id)
    assert row.status == "queued" and row.cost_quota is None  # nothing recorded as cancelled
    assert row.next_check_at <= datetime.now(UTC) and pokes  # the tracker asks the service now
    processing = make(store, "processing")
    assert "waiting in line" in actions.cancel_task(studio, processing, "Ana")


def test_retry_a_failed_video_makes_a_new_one_with_the_same_settings(tmp_path):
    faults = Faults(task_failure_rate=1.0, task_failure_codes=("upstream_unavailable",))
    with studio_with(tmp_path, faults=faults) as rs:
        store = rs.studio.store
        key = uuid.uuid4().hex
        failed = submit_video(rs.studio, REQUEST, "Ana", "Spring", key).task
        wait_for(store, failed.id, lambda t: t.status == "failed")
        at = history(who="Bo")
        assert "The video service was busy or down" in texts(at.warning)[0]
        at.button(key=f"retry-{failed.id}").click()
        run(at)
        assert texts(at.toast) == ["Trying again — estimate $0.0446"]
        tasks = store.tasks()
        assert len(tasks) == 2
        retried = tasks[0]  # newest first
        assert retried.id != failed.id and retried.idempotency_key != key
        assert retried.request == store.get_task(failed.id).request
        assert (retried.person, retried.campaign) == ("Bo", "Spring")
        assert shown(at)[0] == retried.id  # at the top
        # A second click on the same failed video finds that retry instead of a third task.
        at.button(key=f"retry-{failed.id}").click()
        run(at)
        assert "already tried this one again" in texts(at.toast)[0]
        assert len(store.tasks()) == 2


def test_progress_is_estimated_from_how_long_videos_usually_take():
    from lib.engine.pace import Timing
    from lib.history.progress import progress_of
    from lib.store.schema import Task as Row

    now = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)
    task = Row(
        status="queued",
        progress=0,
        duration=10,
        submitted_at=now - timedelta(seconds=20),
        archive_state="none",
    )
    timing = Timing(total=60, queue=15, learned_from=3)  # 60 s in all, 15 of them in line
    shown = progress_of(task, timing, now=now)  # 20 s gone
    assert (shown.percent, shown.words, shown.seconds_left) == (
        33,
        "Waiting in line — about 40 s left",
        40,
    )
    assert not shown.estimated
    # Being made since 10 s: 45 s of making expected, 35 to go.
    task.status, task.progress = "processing", 80  # the service's figure is higher: it wins
    shown = progress_of(task, timing, making_since=now - timedelta(seconds=10), now=now)
    assert (shown.percent, shown.words) == (80, "Being made — about 35 s left")
    # Only the end is reported (a held request): the step is a guess, and said to be one.
    task.status, task.progress = "queued", 0
    guess = progress_of(task, timing, reported=False, now=now)
    assert guess.words == "Probably being made — about 40 s left" and guess.estimated
    early = progress_of(task, timing, reported=False, now=task.submitted_at + timedelta(seconds=5))
    assert early.words.startswith("Probably waiting in line")
    # The last seconds get no number (it would be wrong by more than it says).
    near = progress_of(task, timing, now=task.submitted_at + timedelta(seconds=55))
    assert near.words == "Waiting in line — less than 10 s left" and near.seconds_left is None
    late = progress_of(task, Timing(10, 2, 1), now=now)  # 10 s expected, 20 s gone
    assert late.percent == 95 and "longer than usual" in late.words  # never 100 before it is


@pytest.mark.parametrize(
    ("seconds", "shown", "words"),
    [
        (12.4, 12, "12 s"),
        (29.6, 30, "30 s"),
        (47, 45, "45 s"),
        (95, 95, "1 min 35 s"),
        (118, 120, "2 min"),
        (304, 300, "5 min"),
        (1290, 1320, "22 min"),
    ],
)
def test_time_left_is_said_with_a_precision_that_fits(seconds, shown, words):
    assert progress.shown_seconds(seconds) == shown
    assert progress.duration_words(shown) == words
    assert abs(shown - seconds) / seconds <= 0.1


# ----- issue 11: sharing, progress in words, pictures, money ----------------------------------
def share_links(at: AppTest) -> dict[str, str]:
    """{card's task id: the link its Share button copies}."""
    found = {}
    for element in at.get("bidi_component"):
        if "imagine_studio.share" in element.proto.component_name:
            found[element.proto.id] = json.loads(element.proto.json)["link"]
    return {link.rsplit("task=", 1)[1]: link for link in found.values() if "task=" in link}


def test_every_card_shares_a_clean_link_to_its_video(store):
    ids = [make(store, state) for state in ("archived", "queued", "failed")]
    at = AppTest.from_file(STUDIO, default_timeout=30)
    at.context = {"url": "http://studio.example:8501/history"}
    at.run()
    at.switch_page("views/history.py")
    at.session_state["who"] = "Ana Lopez"
    run(at)
    links = share_links(at)
    assert links == {i: f"http://studio.example:8501/history?task={i}" for i in ids}
    # The link is the video alone: no name, no filters, no page.
    for link in links.values():
        assert "who" not in link and "Ana" not in link and "page=" not in link
    # Opening it shows that one video.
    opened = history(who=None, task=ids[0])
    assert shown(opened) == [ids[0]]


def test_the_share_link_follows_the_studio_address_and_falls_back_to_the_public_one():
    from lib.domain.urls import share_link, studio_address

    assert studio_address("https://videos.corp/studio/history", None) == (
        "https://videos.corp/studio"
    )
    assert studio_address("http://localhost:8501/history/", None) == "http://localhost:8501"
    assert studio_address(None, "http://10.0.0.5:8501/") == "http://10.0.0.5:8501"
    # A video's own page hands out review links too (issue 17).
    assert studio_address("https://videos.corp/studio/video?id=ab", None) == (
        "https://videos.corp/studio"
    )
    assert studio_address("javascript:alert(1)//history", "http://a:1") == "http://a:1"
    assert share_link("https://videos.corp/studio", "ab12") == (
        "https://videos.corp/studio/history?task=ab12"
    )


def test_without_step_reports_the_card_says_its_step_is_estimated(quiet):
    make(quiet.studio.store, "queued")
    tracker = quiet.studio.tracker
    tracker.settings = replace(tracker.settings, use_callbacks=False)
    tracker.wait_supported = False  # polling: every step is seen
    at = history()
    [bar] = bars(at)
    assert bar.text.startswith("Waiting in line — ")
    assert progress.ESTIMATED_NOTE not in texts(at.caption)
    # Held requests, and callbacks (the studio asks for them only at the end: each one
    # costs a GET): only the end is reported.
    for callbacks, held in ((False, True), (True, None)):
        tracker.settings = replace(tracker.settings, use_callbacks=callbacks)
        tracker.wait_supported = held
        at = history()
        [bar] = bars(at)
        # Which step is guessed depends on how long the page took to draw (see the
        # progress_of tests above, with the clock fixed): either way it says "Probably".
        assert re.match(r"Probably (waiting in line|being made) — ", bar.text), bar.text
        assert progress.ESTIMATED_NOTE in texts(at.caption)


def test_an_image_to_video_card_has_the_shape_of_its_first_picture(quiet):
    store = quiet.studio.store
    portrait, url = store_reference_image(quiet.studio, images.jpeg(600, 900), "p.jpg", "Ana")
    body = {**REQUEST, "action": "image2video", "image_urls": [url], "resolution": "720p"}
    del body["aspect_ratio"]
    task_id = make(store, "queued", request=body, pictures=[(url, portrait.sha256)])
    at = history()
    assert shown(at) == [task_id]
    assert "aspect-ratio:720 / 1080" in html_of(at)  # 2:3 at 720p, as it will be made


def test_a_failure_message_names_the_picture_and_no_program_error(store):
    link = "https://pictures.example/shoe.png"
    make(
        store,
        "failed",
        code="upstream_bad_request",
        message="Reference image 2 could not be downloaded (ConnectionError).",
        pictures=[("https://studio.example/assets/a.jpg", None), (link, None)],
    )
    at = history()
    [said] = [c for c in texts(at.caption) if c.startswith("The service said")]
    assert said == escape(f"The service said: Picture 2 (the link {link}) could not be downloaded.")
    assert "Error" not in said


def test_money_moved_when_a_video_is_refunded_not_when_charged_what_was_held(store):
    before = queries.fresh_tasks(store, [make(store, "queued"), make(store, "processing")])
    assert not progress.money_moved(before, before)
    queued, making = before
    now = datetime.now(UTC)
    done = parse_task({"task_id": making.wave_task_id, "status": "completed", "cost": PRICE})
    store.apply_state(making.id, done, "service", now, FAR)  # charged what was held
    assert not progress.money_moved(before, queries.fresh_tasks(store, [queued.id, making.id]))
    cancelled = parse_task({"task_id": queued.wave_task_id, "status": "cancelled", "cost": 0})
    store.apply_state(queued.id, cancelled, "service", now, FAR)  # refunded
    assert progress.money_moved(before, queries.fresh_tasks(store, [queued.id, making.id]))


def test_the_sidebar_balance_follows_a_cancel_at_once(tmp_path):
    with studio_with(tmp_path, time_scale=5.0) as rs:
        at = history()
        assert balance(at) == "$10.00"
        task = submit_video(rs.studio, REQUEST, "Ana", "Spring", uuid.uuid4().hex).task
        run(at)
        assert balance(at) == "$9.96"  # $0.0446 held
        at.button(key=f"cancel-{task.id}").click()
        run(at)
        assert texts(at.toast) == ["Cancelled — $0.0446 refunded"]
        assert balance(at) == "$10.00"  # not a minute later: now


def balance(at: AppTest) -> str:
    return {m.label: m.value for m in at.sidebar.metric}["Account balance"]


def escape(text: str) -> str:
    return markdown.escape_markdown(text).replace(r"The service said\: ", "The service said: ")
