"""Videos the embedded Wave API produces, decoded with PyAV; reference images fetched over
HTTP; links that really expire."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from lib.domain.catalog import GROK_IMAGINE_VIDEO
from lib.embedded_wave.settings import EmbeddedSettings
from lib.outside.videos import probe_video
from tests import images
from tests.conftest import SEED_PROMPT, WaveClient


def download(wave: WaveClient, task: dict, folder: Path) -> Path:
    url = task["result"]["videos"][0]["url"][0]
    reply = wave.session.get(url, timeout=60)
    assert reply.status_code == 200, reply.text
    path = folder / f"{task['task_id']}.mp4"
    path.write_bytes(reply.content)
    return path


def assert_playable(path: Path, width: int, height: int, seconds: int) -> None:
    probe = probe_video(path)
    assert probe.codec == "h264"
    assert probe.pix_fmt == "yuv420p"
    assert (probe.width, probe.height) == (width, height)
    assert probe.fps == 24
    assert probe.frames == 24 * seconds
    assert abs(probe.duration - seconds) <= 1 / 24


@pytest.mark.slow
def test_every_ratio_and_resolution_gives_the_contracts_frame_size(wave, tmp_path):
    submitted = {}
    for (ratio, resolution), size in GROK_IMAGINE_VIDEO.frame_sizes.items():
        body = {
            "model": "grok-imagine-1.0-video",
            "prompt": f"{SEED_PROMPT} ({ratio} {resolution})",
            "aspect_ratio": ratio,
            "resolution": resolution,
        }
        submitted[wave.submit(body).json()["task_id"]] = size
    for task_id, (width, height) in submitted.items():
        task = wave.finish(task_id, limit=300)
        assert task["status"] == "completed", task
        assert_playable(download(wave, task, tmp_path), width, height, 6)


def test_duration_is_exact_for_longer_videos(wave, tmp_path):
    body = {"model": "grok-imagine-1.0-video", "prompt": "a slow sunrise", "duration": 13}
    body["aspect_ratio"] = "1:1"
    task = wave.finish(wave.submit(body).json()["task_id"])
    assert task["cost"] == 48344  # 13 x 3718.75 = 48343.75, half up
    assert_playable(download(wave, task, tmp_path), 480, 480, 13)


def test_video_links_answer_range_requests(wave):
    body = {"model": "grok-imagine-1.0-video", "prompt": "waves on a beach"}
    task = wave.finish(wave.submit(body).json()["task_id"])
    url = task["result"]["videos"][0]["url"][0]
    part = wave.session.get(url, headers={"Range": "bytes=0-99"}, timeout=30)
    assert part.status_code == 206
    assert len(part.content) == 100
    assert part.headers["content-range"].startswith("bytes 0-99/")


def test_image_to_video_follows_a_portrait_first_image(wave, image_host, tmp_path):
    first = image_host("portrait.jpg", images.jpeg(600, 900))
    second = image_host("landscape.png", images.png(1200, 675))
    body = {
        "model": "grok-imagine-1.0-video",
        "action": "image2video",
        "prompt": "slow push-in",
        "image_urls": [first, second],
        "aspect_ratio": "16:9",  # ignored: the first image decides
        "resolution": "480p",
    }
    task = wave.finish(wave.submit(body).json()["task_id"])
    assert task["status"] == "completed", task
    assert task["action"] == "image2video"
    assert_playable(download(wave, task, tmp_path), 480, 720, 6)


def test_image_to_video_uses_the_upright_size_of_a_phone_photo(wave, image_host, tmp_path):
    # Stored 800x600 with "rotate 90°" in EXIF: people see a 600x800 portrait photo.
    url = image_host("phone.jpg", images.rotated_jpeg(800, 600, orientation=6))
    body = {"model": "grok-imagine-1.0-video", "image_urls": [url], "resolution": "720p"}
    task = wave.finish(wave.submit(body).json()["task_id"])
    assert task["status"] == "completed", task
    assert_playable(download(wave, task, tmp_path), 720, 960, 6)


def test_webp_reference_images_work(wave, image_host, tmp_path):
    url = image_host("square.webp", images.webp(500, 500))
    body = {"model": "grok-imagine-1.0-video", "image_urls": [url]}
    task = wave.finish(wave.submit(body).json()["task_id"])
    assert_playable(download(wave, task, tmp_path), 480, 480, 6)


@pytest.mark.parametrize(
    ("name", "data", "words"),
    [
        ("missing.png", None, "could not be fetched: there is nothing at this address (404)"),
        ("anim.gif", images.gif(300, 300), "GIF"),
        ("notes.png", b"this is a text file, not a picture\n" * 20, "is not a picture"),
        ("cut.jpg", images.jpeg(400, 400)[:300], "is damaged or incomplete"),
    ],
)
def test_an_image_that_cannot_be_used_fails_the_task_at_no_cost(
    wave, image_host, name, data, words
):
    url = image_host(name, data)
    body = {"model": "grok-imagine-1.0-video", "image_urls": [url]}
    reply = wave.submit(body)
    assert reply.status_code == 200  # accepted: the service finds out when it fetches
    task = wave.finish(reply.json()["task_id"])
    assert task["status"] == "failed"
    assert task["error"]["code"] == "upstream_bad_request"
    assert words in task["error"]["message"]
    assert task["cost"] == 0
    assert wave.balance()["total_used_usd"] == 0


def test_links_expire_and_the_file_is_deleted(start_wave, tmp_path):
    wave = start_wave(link_ttl_seconds=2.0)
    body = {"model": "grok-imagine-1.0-video", "prompt": "fireworks over a harbour"}
    task = wave.finish(wave.submit(body).json()["task_id"])
    url = task["result"]["videos"][0]["url"][0]
    assert task["result"]["videos"][0]["expires_at"] <= time.time() + 2
    assert wave.session.get(url, timeout=30).status_code == 200
    files = Path(wave.running.wave.settings.data_dir) / "files"
    assert len(list(files.glob("*.mp4"))) == 1

    time.sleep(2.5)
    gone = wave.session.get(url, timeout=30)
    assert gone.status_code == 410
    assert gone.json()["error"]["code"] == "link_expired"
    assert list(files.glob("*.mp4")) == []
    # The task itself still tells what it was (and what it cost).
    assert wave.get(task["task_id"]).json()["cost"] == task["cost"]


def test_expired_files_are_deleted_even_if_nobody_asks(start_wave):
    wave = start_wave(link_ttl_seconds=1.0)
    body = {"model": "grok-imagine-1.0-video", "prompt": "a paper boat"}
    wave.finish(wave.submit(body).json()["task_id"])
    files = Path(wave.running.wave.settings.data_dir) / "files"
    deadline = time.monotonic() + 10
    while list(files.glob("*.mp4")) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert list(files.glob("*.mp4")) == []


def test_default_timing_finishes_a_6s_480p_task_within_30s(tmp_path):
    """As shipped (no speed-up): queued a moment, then processing, done well inside 30 s."""
    from lib.embedded_wave.background import serve_in_background

    settings = EmbeddedSettings(data_dir=tmp_path / "real-time")
    with serve_in_background(settings) as running:
        wave = WaveClient(running)
        started = time.monotonic()
        task_id = wave.submit({"model": "grok-imagine-1.0-video", "prompt": SEED_PROMPT}).json()[
            "task_id"
        ]
        time.sleep(0.5)
        assert wave.get(task_id).json()["status"] == "queued"
        time.sleep(2.5)
        assert wave.get(task_id).json()["status"] == "processing"
        task = wave.finish(task_id)
        elapsed = time.monotonic() - started
    assert task["status"] == "completed"
    assert 5 < elapsed < 30, elapsed
