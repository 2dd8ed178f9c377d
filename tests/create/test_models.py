"""Create with several models, under AppTest: the picker in plain words, the form that
follows the chosen model and says what it changed, the price with per-picture fees, the
default model, and a model retired while the studio runs (refused at the next submit with
the model to use instead; the form keeps its values). Prices are worked out by hand."""

from __future__ import annotations

import time

import requests
from streamlit.testing.v1 import AppTest

from lib.create import keys
from lib.engine.pictures import store_reference_image
from tests import images
from tests.create.test_page import errors, generate
from tests.studio_harness import STUDIO


def open_page(who: str = "Ana Lopez") -> AppTest:
    at = AppTest.from_file(STUDIO, default_timeout=30)
    at.session_state["who"] = who
    at.run()
    assert not at.exception, at.exception
    return at


def button(at: AppTest) -> str:
    return next(b.label for b in at.button if b.label.startswith("Generate"))


def infos(at: AppTest) -> list[str]:
    return [i.value for i in at.info]


def choose(at: AppTest, model_id: str) -> AppTest:
    at.selectbox(key=keys.MODEL).set_value(model_id).run()
    assert not at.exception, at.exception
    return at


def retire(studio, *models: str) -> None:
    """Through the practice service's own fault switch, over HTTP."""
    reply = requests.put(
        f"{studio.base_url}/wave/_embedded/faults",
        json={"retired_models": list(models)},
        timeout=30,
    )
    assert reply.status_code == 200, reply.text


def test_the_form_follows_the_chosen_model_and_says_what_changed(studio):
    at = open_page()
    picker = at.selectbox(key=keys.MODEL)
    assert picker.value == "grok-imagine-1.0-video"  # demo mode offers it: the default
    assert "Grok Imagine 1.5 Economy" in picker.options
    at.number_input(key=keys.DURATION).set_value(30).run()
    at.segmented_control(key=keys.RESOLUTION).set_value("720p").run()
    assert button(at) == "Generate 30 s · $0.2231"

    choose(at, "grok-imagine-video-1.5-rev")
    assert "Length set to 15 s: this model makes up to 15 s." in infos(at)
    assert at.number_input(key=keys.DURATION).value == 15
    assert at.segmented_control(key=keys.RESOLUTION).value == "720p"  # still fits: kept
    assert button(at) == "Generate 15 s · $0.3227"  # 161325 quota = $0.32265

    choose(at, "grok-imagine-video-1.5")
    assert "1080p" in at.segmented_control(key=keys.RESOLUTION).options
    assert "4:3" in at.segmented_control(key=keys.ASPECT_RATIO).options
    at.segmented_control(key=keys.RESOLUTION).set_value("1080p").run()
    at.segmented_control(key=keys.ASPECT_RATIO).set_value("4:3").run()
    assert button(at) == "Generate 15 s · $3.3750"  # 15 x 0.225

    choose(at, "grok-imagine-1.0-video")
    said = infos(at)
    assert "Resolution set to 720p: this model makes up to 720p." in said
    assert "Shape set to 16:9: this model has no 4:3 shape." in said
    assert "1080p" not in at.segmented_control(key=keys.RESOLUTION).options
    assert at.number_input(key=keys.DURATION).value == 15  # 15 s fits 1.0: kept
    assert at.text_area(key=keys.PROMPT).value == ""


def test_the_price_includes_each_pictures_fee(studio):
    at = open_page()
    kept = []
    for name in ("a.jpg", "b.jpg"):
        asset, url = store_reference_image(studio.studio, images.jpeg(640, 480), name, "Ana")
        kept.append((url, asset.sha256))
    at.session_state[keys.KEPT_IMAGES] = kept
    at.segmented_control(key=keys.MODE).set_value("image").run()
    assert button(at) == "Generate 6 s · $0.0446"  # 1.0: pictures are free
    choose(at, "grok-imagine-video")
    assert "Each picture adds $0.0090 with this model." in infos(at)
    assert button(at) == "Generate 6 s · $0.2880"  # 135000 + 2 x 4500 quota
    generate(at)
    [task] = studio.studio.store.tasks()
    assert (task.model, task.estimate_quota, task.pre_consumed_quota) == (
        "grok-imagine-video",
        144000,
        144000,
    )
    assert task.request["aspect_ratio"] == "16:9"  # this model keeps the shape chosen


def test_a_model_retired_while_the_studio_runs_is_refused_with_the_model_to_use(studio):
    at = open_page()
    at.text_area(key=keys.PROMPT).input("A lighthouse at dawn, slow pan").run()
    at.number_input(key=keys.DURATION).set_value(20).run()
    retire(studio, "grok-imagine-1.0-video")  # the studio's list still says it is offered

    generate(at)
    [said] = [m for m in errors(at) if "can't be used" in m]
    assert said.startswith("Grok Imagine 1.0 can't be used: The video service no longer")
    assert "Use Grok Imagine 1.5 Economy instead" in said
    assert studio.studio.store.tasks() == []  # nothing kept, nothing charged
    assert at.text_area(key=keys.PROMPT).value == "A lighthouse at dawn, slow pan"
    assert at.number_input(key=keys.DURATION).value == 20
    assert "(not offered now)" in at.selectbox(key=keys.MODEL).format_func("grok-imagine-1.0-video")

    [instead] = [b for b in at.button if b.label == "Use Grok Imagine 1.5 Economy instead"]
    instead.click().run()
    assert at.selectbox(key=keys.MODEL).value == "grok-imagine-video-1.5-rev"
    assert "Length set to 15 s: this model makes up to 15 s." in infos(at)
    assert not [m for m in errors(at) if "can't be used" in m]
    generate(at)
    [task] = studio.studio.store.tasks()
    assert (task.model, task.duration, task.estimate_quota) == (
        "grok-imagine-video-1.5-rev",
        15,
        86100,  # 15 x 0.01148 x 500000
    )
    assert task.prompt == "A lighthouse at dawn, slow pan"


def test_without_the_1_0_model_create_starts_on_the_recommended_one(studio):
    retire(studio, "grok-imagine-1.0-video")
    assert studio.studio.offer.refresh()  # what the background look does every few minutes
    at = open_page()
    assert at.selectbox(key=keys.MODEL).value == "grok-imagine-video-1.5-rev"
    assert button(at) == "Generate 6 s · $0.0689"  # 34440 quota = $0.06888


def test_page_views_never_ask_the_service_for_its_models(studio):
    deadline = time.monotonic() + 60
    while studio.counters().get("requests.models", 0) < 1:  # the look at start
        assert time.monotonic() < deadline, "the studio never read the model list"
        time.sleep(0.05)
    for who in ("Ana", "Bo", "Cy"):
        at = open_page(who)
        for seconds in (7, 8, 9):
            at.number_input(key=keys.DURATION).set_value(seconds).run()
    assert studio.counters()["requests.models"] == 1
