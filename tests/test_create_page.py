"""The Create page under AppTest: messages at the fields, the price on the button, and
exactly one task per submission."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from lib import create_form as form
from lib.uploads import store_reference_image
from tests import images

STUDIO = str(Path(__file__).resolve().parents[1] / "studio.py")


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
    """What a message escaped for Markdown (lib.history.escape_markdown) shows."""
    return _ESCAPED.sub(r"\1", markdown)


def errors(at: AppTest) -> list[str]:
    return [plain(e.value) for e in at.error]


def test_the_price_is_on_the_button(page):
    assert page.button[0].label == "Generate 6 s · $0.0446"
    page.number_input(key=form.DURATION).set_value(10).run()
    assert page.button[0].label == "Generate 10 s · $0.0744"
    page.number_input(key=form.DURATION).set_value(30).run()
    assert page.button[0].label == "Generate 30 s · $0.2231"


def test_each_bad_field_gets_one_message_and_nothing_is_sent(page, studio):
    page.number_input(key=form.DURATION).set_value(31).run()
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
    at.text_area(key=form.PROMPT).input("Sunrise over mountains").run()
    generate(at)
    assert any("Enter your name in the sidebar" in m for m in errors(at))
    assert studio.studio.store.tasks() == []


def test_one_submit_makes_one_task_even_on_a_double_click(page, studio):
    page.text_area(key=form.PROMPT).input("A paper boat on a puddle, macro").run()
    page.segmented_control(key=form.ASPECT_RATIO).set_value("9:16").run()
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
    page.segmented_control(key=form.MODE).set_value("image").run()
    generate(page)
    assert any("Add at least one picture" in m for m in errors(page))
    _, url = store_reference_image(studio.studio, images.jpeg(600, 900), "a.jpg", "Ana")
    page.text_area(key=form.LINKS).input("\n".join([url] * 8)).run()
    generate(page)
    assert any("at most 7 allowed; you gave 8" in m for m in errors(page))
    assert studio.studio.store.tasks() == []


def test_links_that_are_not_web_addresses_are_refused_at_the_field(page, studio):
    page.segmented_control(key=form.MODE).set_value("image").run()
    page.text_area(key=form.LINKS).input("file:///etc/passwd").run()
    generate(page)
    assert any(
        "Picture 1 (the link file:///etc/passwd) must be a public web address" in m
        for m in errors(page)
    )
    assert studio.studio.store.tasks() == []


def test_an_image_to_video_submission(page, studio):
    _, url = store_reference_image(studio.studio, images.jpeg(600, 900), "me.jpg", "Ana")
    page.segmented_control(key=form.MODE).set_value("image").run()
    page.text_area(key=form.LINKS).input(url).run()
    generate(page)
    [task] = studio.studio.store.tasks()
    assert task.mode == "image" and task.request["image_urls"] == [url]
    assert task.aspect_ratio is None
