"""The Create page under AppTest: messages at the fields, the price on the button, and
exactly one task per submission."""

from __future__ import annotations

import re

import pytest
from streamlit.testing.v1 import AppTest

from lib.create import form, keys
from lib.engine.pictures import store_reference_image
from tests import images
from tests.studio_harness import STUDIO


@pytest.fixture
def page(studio):
    at = AppTest.from_file(STUDIO, default_timeout=30)  # Create is the default page
    at.session_state["who"] = "Ana Lopez"
    at.run()
    assert not at.exception, at.exception
    return at


def generate(at: AppTest) -> AppTest:
    [button] = [b for b in at.button if b.label.startswith("Generate")]
    button.click().run()
    assert not at.exception, at.exception
    return at


_ESCAPED = re.compile(r"\\([\\`*_{}\[\]()#+\-.!|<>~$:=^&\"'@%])")


def plain(markdown: str) -> str:
    """What a message escaped for Markdown (lib.domain.markdown.escape_markdown) shows."""
    return _ESCAPED.sub(r"\1", markdown)


def errors(at: AppTest) -> list[str]:
    return [plain(e.value) for e in at.error]


def test_the_price_is_on_the_button(page):
    assert page.button[0].label == "Generate 6 s · $0.0446"
    page.number_input(key=keys.DURATION).set_value(10).run()
    assert page.button[0].label == "Generate 10 s · $0.0744"
    page.number_input(key=keys.DURATION).set_value(30).run()
    assert page.button[0].label == "Generate 30 s · $0.2231"


def test_each_bad_field_gets_one_message_and_nothing_is_sent(page, studio):
    page.number_input(key=keys.DURATION).set_value(31).run()
    assert page.button[0].label == "Generate"  # no price for an impossible length
    generate(page)
    messages = errors(page)
    assert len(messages) == 2, messages
    assert any("Prompt is required" in m for m in messages)
    assert any("from 6 to 30; you gave 31" in m for m in messages)
    assert studio.studio.store.tasks() == []
    assert studio.counters().get("requests.submit", 0) == 0


def test_a_name_is_needed(studio):
    at = AppTest.from_file(STUDIO, default_timeout=30).run()
    at.text_area(key=keys.PROMPT).input("Sunrise over mountains").run()
    generate(at)
    assert any("Enter your name in the sidebar" in m for m in errors(at))
    assert studio.studio.store.tasks() == []


def test_one_submit_makes_one_task_even_on_a_double_click(page, studio):
    page.text_area(key=keys.PROMPT).input("A paper boat on a puddle, macro").run()
    page.segmented_control(key=keys.ASPECT_RATIO).set_value("9:16").run()
    generate(page)
    generate(page)  # the second click of a double click
    tasks = studio.studio.store.tasks()
    assert len(tasks) == 1
    task = tasks[0]
    assert task.person == "Ana Lopez" and task.aspect_ratio == "9:16"
    assert task.request["prompt"] == "A paper boat on a puddle, macro"
    assert studio.counters()["requests.submit"] == 1
    assert any("same video, not a second one" in i.value for i in page.info)
    links = [p for p in page.get("page_link")]
    assert links and f"task={task.id}" in str(links[0].proto)


def test_image_to_video_needs_a_picture_and_takes_at_most_seven(page, studio):
    page.segmented_control(key=keys.MODE).set_value("image").run()
    generate(page)
    assert any("Add at least one picture" in m for m in errors(page))
    _, url = store_reference_image(studio.studio, images.jpeg(600, 900), "a.jpg", "Ana")
    page.text_area(key=keys.LINKS).input("\n".join([url] * 8)).run()
    generate(page)
    assert any("at most 7 allowed; you gave 8" in m for m in errors(page))
    assert studio.studio.store.tasks() == []


def test_links_that_are_not_web_addresses_are_refused_at_the_field(page, studio):
    page.segmented_control(key=keys.MODE).set_value("image").run()
    page.text_area(key=keys.LINKS).input("file:///etc/passwd").run()
    generate(page)
    assert any(
        "Picture 1 (the link file:///etc/passwd) must be a public web address" in m
        for m in errors(page)
    )
    assert studio.studio.store.tasks() == []


def test_an_image_to_video_submission(page, studio):
    _, url = store_reference_image(studio.studio, images.jpeg(600, 900), "me.jpg", "Ana")
    page.segmented_control(key=keys.MODE).set_value("image").run()
    page.text_area(key=keys.LINKS).input(url).run()
    generate(page)
    [task] = studio.studio.store.tasks()
    assert task.mode == "image" and task.request["image_urls"] == [url]
    assert task.aspect_ratio is None


# ----- messages follow the form (issue 11, item 5) -------------------------------------------
DURATION_RULE = "must be a whole number of seconds from 6 to 30; you gave"


@pytest.mark.parametrize("typed", [5, 31, 100000])
def test_a_length_out_of_range_is_said_as_soon_as_it_is_typed(page, typed):
    page.number_input(key=keys.DURATION).set_value(typed).run()
    assert [m for m in errors(page) if DURATION_RULE in m] == [
        f"Duration (seconds) {DURATION_RULE} {typed}."
    ]
    assert not any("Prompt is required" in m for m in errors(page))  # untouched: not yet
    page.number_input(key=keys.DURATION).set_value(12).run()
    assert errors(page) == []


def test_each_message_goes_as_soon_as_its_field_is_right(studio):
    at = AppTest.from_file(STUDIO, default_timeout=30).run()
    at.segmented_control(key=keys.MODE).set_value("image").run()
    generate(at)
    assert any("Add at least one picture" in m for m in errors(at))
    assert any("Enter your name in the sidebar" in m for m in errors(at))
    urls = [
        store_reference_image(studio.studio, images.jpeg(600 + i, 900), f"{i}.jpg", "Ana")[1]
        for i in range(2)
    ]
    at.text_area(key=keys.LINKS).input("\n".join(urls)).run()
    assert not any("Add at least one picture" in m for m in errors(at))
    at.sidebar.text_input(key="who").input("Ana Lopez").run()
    assert errors(at) == []
    assert studio.studio.store.tasks() == []  # nothing was sent on the way


def test_a_refusal_by_the_service_stays_until_its_field_changes(page, studio, monkeypatch):
    from lib.wave import InvalidRequest

    def refuse(*args, **kwargs):
        raise InvalidRequest("The service cannot make 12 s videos today.", param="duration")

    monkeypatch.setattr("lib.engine.submissions.submit_video", refuse)
    page.text_area(key=keys.PROMPT).input("A lighthouse at dawn").run()
    page.number_input(key=keys.DURATION).set_value(12).run()
    generate(page)
    assert errors(page) == ["The service cannot make 12 s videos today."]
    page.text_area(key=keys.PROMPT).input("A lighthouse at dusk").run()
    assert errors(page) == ["The service cannot make 12 s videos today."]  # not its field
    page.number_input(key=keys.DURATION).set_value(8).run()
    assert errors(page) == []


def test_a_prompt_over_the_limit_keeps_what_fits_and_says_so(page):
    # The browser gets no limit to enforce (it would refuse the paste without a word).
    assert page.text_area(key=keys.PROMPT).proto.max_chars == 0
    pasted = "a" * 3990 + "THE END" + "b" * 1003
    page.text_area(key=keys.PROMPT).input(pasted).run()
    assert page.text_area(key=keys.PROMPT).value == pasted[:4000]
    [message] = errors(page)
    assert "the limit is 4,000" in message and "keeps the first 4,000" in message
    page.text_area(key=keys.PROMPT).input("A shorter prompt").run()
    assert errors(page) == []


# ----- layout (issue 11, item 9) --------------------------------------------------------------
def test_no_toast_covers_the_price_after_a_click(page):
    page.text_area(key=keys.PROMPT).input("A paper boat on a puddle").run()
    generate(page)
    assert any("Your video is on its way" in s.value for s in page.success)
    assert list(page.toast) == []
    assert [m.label for m in page.main.metric] == ["This video"]


def test_pictures_brought_back_from_an_earlier_video_can_be_removed(page, studio):
    kept = [
        (url, asset.sha256)
        for asset, url in (
            store_reference_image(studio.studio, images.jpeg(600, 900 + i), f"{i}.jpg", "Ana")
            for i in range(3)
        )
    ]
    filled: dict = {}
    form.prefill(filled, {"prompt": "Dance", "image_urls": [u for u, _ in kept]}, images=kept)
    for key, value in filled.items():
        page.session_state[key] = value
    page.run()
    removes = [b for b in page.button if b.label == "Remove"]
    assert len(removes) == 3
    removes[1].click().run()  # the second picture
    assert page.session_state[keys.KEPT_IMAGES] == [kept[0], kept[2]]
    assert len([b for b in page.button if b.label == "Remove"]) == 2
    generate(page)
    [task] = studio.studio.store.tasks()
    assert task.request["image_urls"] == [kept[0][0], kept[2][0]]
