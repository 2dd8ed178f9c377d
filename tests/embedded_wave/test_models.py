"""Every model of the catalog over real HTTP against the embedded Wave API: its limits in
each mode, its price to the quota unit (per-picture fees included), GET /v1/models, a
retired model (from the start and while running), replies as they are today
(`billing_status`, 7-day links) and a prompt refused under the content rules.

The expected prices are worked out by hand from the contract's table (wave-api.md,
Models), never by the code under test."""

from __future__ import annotations

import time
from decimal import Decimal
from pathlib import Path

import pytest

from lib.domain.catalog import MODELS
from lib.embedded_wave.settings import Faults
from lib.outside.videos import probe_video
from tests import images
from tests.conftest import SEED_PROMPT

RICH = {"starting_balance_usd": Decimal(1000)}  # every case below fits in the wallet
# Tasks that stay in the queue: the price and limit checks need no video made.
QUEUED = {**RICH, "time_scale": 1000.0}


def body(model: str, **fields) -> dict:
    return {"model": model, "prompt": SEED_PROMPT, **fields}


# (model, resolution, seconds, pictures) -> quota, by hand:
# round_half_up(seconds x usd_per_second x 500000) + pictures x round_half_up(fee x 500000)
PRICES = [
    ("grok-imagine-1.0-video", "480p", 6, 0, 22313),  # 22312.5 rounds up
    ("grok-imagine-1.0-video", "720p", 30, 0, 111563),  # 111562.5
    ("grok-imagine-1.0-video", "720p", 7, 3, 26031),  # 26031.25; pictures are free
    ("grok-imagine-video-1.5-rev", "480p", 6, 0, 34440),  # 6 x 0.01148 x 500000
    ("grok-imagine-video-1.5-rev", "720p", 6, 0, 64530),  # the contract's example
    ("grok-imagine-video-1.5-rev", "720p", 15, 2, 161325),  # pictures free
    ("grok-imagine-video", "480p", 1, 0, 22500),
    ("grok-imagine-video", "720p", 15, 0, 472500),
    ("grok-imagine-video", "480p", 1, 3, 36000),  # 22500 + 3 x 4500
    ("grok-imagine-video", "720p", 7, 7, 252000),  # 220500 + 7 x 4500
    ("grok-imagine-video-1.5", "480p", 1, 0, 36000),
    ("grok-imagine-video-1.5", "720p", 1, 0, 63000),
    ("grok-imagine-video-1.5", "1080p", 15, 0, 1687500),
    ("grok-imagine-video-1.5", "1080p", 1, 2, 121500),  # 112500 + 2 x 4500
    ("grok-imagine-video-1.5", "480p", 3, 1, 112500),  # 108000 + 4500
]


@pytest.mark.parametrize(("model", "resolution", "seconds", "pictures", "quota"), PRICES)
def test_each_price_is_exact_to_the_quota_unit(
    start_wave, model, resolution, seconds, pictures, quota
):
    wave = start_wave(**QUEUED)
    fields = {"resolution": resolution, "duration": seconds, "aspect_ratio": "16:9"}
    if pictures:
        fields["image_urls"] = [f"https://pictures.example/{i}.jpg" for i in range(pictures)]
    reply = wave.submit(body(model, **fields))
    assert reply.status_code == 200, reply.text
    assert reply.json()["pre_consumed_cost"] == quota
    assert reply.json()["model"] == model


# Every model x mode with its limits, read from the catalog: the edges pass, one step
# beyond each is refused naming the field, nothing refused is charged.
CASES = [(m, mode) for m in MODELS for mode in ("text", "image")]


@pytest.mark.parametrize(("model_id", "mode"), CASES)
def test_every_model_and_mode_keeps_its_limits(start_wave, model_id, mode):
    spec = MODELS[model_id]
    wave = start_wave(**QUEUED)
    pictures = {"image_urls": ["https://pictures.example/a.jpg"]} if mode == "image" else {}
    shape = {"aspect_ratio": "16:9"}
    for seconds in (spec.min_duration, spec.max_duration):
        for resolution in spec.resolutions:
            fields = {**pictures, **shape, "duration": seconds, "resolution": resolution}
            reply = wave.submit(body(model_id, **fields))
            assert reply.status_code == 200, (fields, reply.text)
    used = wave.balance()["total_used_usd"]
    refused = [
        ({"duration": spec.min_duration - 1}, "duration"),
        ({"duration": spec.max_duration + 1}, "duration"),
        ({"resolution": "4k"}, "resolution"),
        ({"aspect_ratio": "21:9"}, "aspect_ratio"),
        (
            {
                "image_urls": [
                    f"https://pictures.example/{i}.jpg" for i in range(spec.max_images + 1)
                ]
            },
            "image_urls",
        ),
        ({"seed": 7}, "seed"),
    ]
    if "1080p" not in spec.resolutions:
        refused.append(({"resolution": "1080p"}, "resolution"))
    if "4:3" not in spec.aspect_ratios:
        refused.append(({"aspect_ratio": "4:3"}, "aspect_ratio"))
    if spec.duration_required:
        refused.append(({"duration": None}, "duration"))
    for change, param in refused:
        fields = {**pictures, **shape, "duration": spec.min_duration, **change}
        fields = {k: v for k, v in fields.items() if v is not None}
        reply = wave.submit(body(model_id, **fields))
        assert reply.status_code == 400, (change, reply.text)
        assert reply.json()["error"] == {
            "code": "invalid_request",
            "param": param,
            "message": reply.json()["error"]["message"],
        }, change
    assert wave.balance()["total_used_usd"] == used  # nothing refused was charged


def test_image2video_and_auto_with_pictures_follow_each_models_rules(start_wave):
    wave = start_wave(**QUEUED)
    picture = ["https://pictures.example/a.jpg"]
    # 1.0 keeps its own action; today's models make image-to-video with `generate` only.
    ok = wave.submit(body("grok-imagine-1.0-video", action="image2video", image_urls=picture))
    assert ok.status_code == 200, ok.text
    for model_id in ("grok-imagine-video-1.5-rev", "grok-imagine-video", "grok-imagine-video-1.5"):
        reply = wave.submit(body(model_id, action="image2video", image_urls=picture, duration=6))
        assert reply.status_code == 400 and reply.json()["error"]["param"] == "action"
    # grok-imagine-video-1.5: `auto` is the default, and refused with pictures.
    for fields in ({}, {"aspect_ratio": "auto"}):
        reply = wave.submit(
            body("grok-imagine-video-1.5", image_urls=picture, duration=2, **fields)
        )
        assert reply.status_code == 400, reply.text
        assert reply.json()["error"]["param"] == "aspect_ratio"
    assert wave.submit(body("grok-imagine-video-1.5", duration=2)).status_code == 200  # auto


def frame_of(wave, reply, tmp_path: Path, name: str):
    assert reply.status_code == 200, reply.text
    done = wave.finish(reply.json()["task_id"], limit=240)
    assert done["status"] == "completed", done
    path = tmp_path / name
    path.write_bytes(wave.session.get(done["result"]["videos"][0]["url"][0], timeout=60).content)
    return done, probe_video(path)


def test_1080p_auto_and_4_3_with_a_picture_make_the_contracts_frames(
    start_wave, image_host, tmp_path
):
    wave = start_wave(**RICH)
    done, probe = frame_of(
        wave,
        wave.submit(body("grok-imagine-video-1.5", duration=1, resolution="1080p")),
        tmp_path,
        "auto.mp4",
    )
    assert (probe.width, probe.height) == (1920, 1080)  # auto renders 16:9 (DECIDED)
    assert probe.frames == 24
    assert done["billing_status"] == "settled" and done["cost"] == 112500
    # 7-day links on today's models (24 h on 1.0).
    assert abs(done["result"]["videos"][0]["expires_at"] - (time.time() + 7 * 86400)) < 120
    # The official model keeps the shape sent with a (portrait) picture.
    portrait = image_host("portrait.jpg", images.jpeg(600, 900))
    fields = {"duration": 1, "aspect_ratio": "4:3", "resolution": "720p", "image_urls": [portrait]}
    done, probe = frame_of(
        wave, wave.submit(body("grok-imagine-video", **fields)), tmp_path, "p.mp4"
    )
    assert (probe.width, probe.height) == (960, 720)
    assert done["cost"] == 31500 + 4500  # 1 s x 0.063 x 500000 + one picture


def test_models_lists_the_catalog_and_a_retired_model_is_model_not_found(start_wave):
    wave = start_wave(retired_models=("grok-imagine-1.0-video",), time_scale=1000.0)
    listed = wave.session.get(wave.url("/v1/models"), timeout=30)
    assert listed.status_code == 200
    data = listed.json()
    assert data["object"] == "list"
    assert [m["id"] for m in data["data"]] == [
        "grok-imagine-video-1.5-rev",
        "grok-imagine-video",
        "grok-imagine-video-1.5",
    ]
    assert all(m["object"] == "model" for m in data["data"])
    reply = wave.submit(body("grok-imagine-1.0-video", duration=6))
    assert reply.status_code == 400
    error = reply.json()["error"]
    assert (error["code"], error["param"]) == ("model_not_found", "model")
    assert "grok-imagine-video-1.5-rev" in error["message"]  # what to use instead
    assert wave.balance()["total_used_usd"] == 0


def test_a_model_retired_while_running_is_refused_from_then_on(start_wave):
    wave = start_wave(time_scale=1000.0)
    assert wave.submit(body("grok-imagine-video-1.5-rev", duration=6)).status_code == 200
    switched = wave.session.put(
        wave.url("/_embedded/faults"), json={"retired_models": ["grok-imagine-video-1.5-rev"]}
    )
    assert switched.status_code == 200, switched.text
    ids = [m["id"] for m in wave.session.get(wave.url("/v1/models")).json()["data"]]
    assert "grok-imagine-video-1.5-rev" not in ids
    reply = wave.submit(body("grok-imagine-video-1.5-rev", duration=6))
    assert reply.json()["error"]["code"] == "model_not_found"


def test_a_prompt_refused_under_the_content_rules_fails_and_costs_nothing(start_wave):
    wave = start_wave(faults=Faults(blocked_words=("forbidden",)))
    task = wave.submit({**body("grok-imagine-video", duration=1), "prompt": "A FORBIDDEN scene"})
    assert task.status_code == 200
    assert task.json()["pre_consumed_cost"] == 22500
    done = wave.finish(task.json()["task_id"])
    assert done["status"] == "failed"
    assert done["error"]["code"] == "content_moderated"
    assert done["cost"] == 0 and done["billing_status"] == "refunded"
    assert wave.balance()["total_used_usd"] == 0


# ----- edit: restyle a source video (grok-imagine-video) ------------------------------------
def source_mp4(tmp_path: Path, seconds: int, width: int, height: int) -> bytes:
    from lib.embedded_wave.render import RenderJob, render_video

    path = tmp_path / f"source-{seconds}-{width}.mp4"
    render_video(RenderJob(str(path), seconds, width, height, prompt="a source"))
    return path.read_bytes()


def edit_body(url: str, **fields) -> dict:
    return {
        "model": "grok-imagine-video",
        "action": "edit",
        "prompt": "Make it look like an old postcard",
        "video_urls": [url],
        **fields,
    }


def test_edit_restyles_a_source_keeping_its_length_and_shape_at_most_720p(
    start_wave, image_host, tmp_path
):
    wave = start_wave(**RICH)
    url = image_host("source.mp4", source_mp4(tmp_path, 1, 1920, 1080))
    reply = wave.submit(edit_body(url))
    assert reply.status_code == 200, reply.text
    # 1 s x (0.063 output + 0.02 source) x 500000, one rounding (DECIDED)
    assert reply.json()["pre_consumed_cost"] == 41500
    assert reply.json()["action"] == "edit"
    done, probe = frame_of(wave, reply, tmp_path, "restyled.mp4")
    assert (probe.width, probe.height) == (1280, 720)  # the source's 16:9, cut to 720p
    assert probe.frames == 24  # the source's length
    assert done["cost"] == 41500 and done["billing_status"] == "settled"
    assert not list((tmp_path / "wave" / "sources").glob("*"))  # the fetched source is gone


def test_edit_refuses_what_it_cannot_restyle_and_charges_nothing(start_wave, image_host, tmp_path):
    wave = start_wave(**QUEUED)
    long_source = image_host("long.mp4", source_mp4(tmp_path, 9, 128, 128))
    not_a_video = image_host("fake.mp4", b"not a video at all")
    cases = [
        (edit_body(long_source), "video_urls", "at most 8.7 s"),
        (edit_body(not_a_video), "video_urls", "not a video"),
        (edit_body(long_source, duration=6), "duration", "keeps its source's length"),
        ({**edit_body(long_source), "video_urls": []}, "video_urls", ""),
        ({k: v for k, v in edit_body(long_source).items() if k != "video_urls"}, "video_urls", ""),
        ({**edit_body(long_source), "prompt": " "}, "prompt", ""),
        (
            {**edit_body(long_source), "image_urls": ["https://pictures.example/a.jpg"]},
            "image_urls",
            "",
        ),
        # A model without `edit` has no source-video setting: that is named first.
        ({**edit_body(long_source), "model": "grok-imagine-video-1.5"}, "video_urls", "not a"),
        (body("grok-imagine-video", duration=2, video_urls=[long_source]), "video_urls", ""),
    ]
    for sent, param, words in cases:
        reply = wave.submit(sent)
        assert reply.status_code == 400, (sent, reply.text)
        error = reply.json()["error"]
        assert (error["code"], error["param"]) == ("invalid_request", param), (sent, error)
        assert words in error["message"]
    assert wave.balance()["total_used_usd"] == 0
    assert not list((tmp_path / "wave" / "sources").glob("*"))


def test_the_command_line_retires_models_and_blocks_words(tmp_path):
    from lib.embedded_wave.__main__ import parse_args, settings_from_args
    from lib.embedded_wave.engine import Engine

    args = ["--data-dir", str(tmp_path), "--retire", "grok-imagine-1.0-video"]
    settings = settings_from_args(parse_args([*args, "--block-word", "forbidden"]))
    assert settings.retired_models == ("grok-imagine-1.0-video",)
    assert settings.faults.blocked_words == ("forbidden",)
    assert "grok-imagine-1.0-video" not in Engine(settings).offered_models()
    with pytest.raises(SystemExit):  # a model the catalog does not know
        parse_args([*args[:2], "--retire", "sora-2"])
