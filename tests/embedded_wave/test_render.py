"""The embedded API's video renderer: decode what it writes and check what the data says."""

from __future__ import annotations

import hashlib
import itertools
import os
import pickle
import struct
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import av
import numpy as np
import pytest
from PIL import Image

from lib.domain.catalog import GROK_IMAGINE_VIDEO
from lib.domain.frames import image_frame_size
from lib.embedded_wave.render import RenderInfo, RenderJob, render_video
from lib.embedded_wave.render._draw import font as load_font
from lib.embedded_wave.render._draw import printable, wrap
from lib.embedded_wave.render._image_scene import to_rgb
from lib.embedded_wave.render._prompt_scene import PromptScene
from tests.studio_harness import ROOT

FPS = GROK_IMAGINE_VIDEO.fps
FOX = "A red fox trots through fresh snow at dawn, golden light, slow tracking shot"
CITY = "Rainy neon city street at night, reflections on the asphalt, cyberpunk"


@dataclass
class Decoded:
    """What a video file holds, as PyAV reads it back."""

    codec: str
    pix_fmt: str
    rate: float
    container_seconds: float
    stream_seconds: float
    size: tuple[int, int]
    frame_count: int = 0
    digests: list[str] = field(default_factory=list)  # of every decoded frame
    seconds: list[np.ndarray] = field(default_factory=list)  # RGB frame at 0 s, 1 s, ...


def decode(path: Path) -> Decoded:
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        decoded = Decoded(
            codec=stream.codec_context.name,
            pix_fmt=stream.codec_context.pix_fmt,
            rate=float(stream.average_rate),
            container_seconds=container.duration / av.time_base,
            stream_seconds=float(stream.duration * stream.time_base),
            size=(stream.codec_context.width, stream.codec_context.height),
        )
        for index, frame in enumerate(container.decode(stream)):
            assert (frame.width, frame.height) == decoded.size
            # The picture itself: a plane's rows are padded to an aligned width, and the
            # padding bytes are whatever was in memory (854 px rows differ run to run).
            pixels = frame.to_ndarray(format="yuv420p")
            decoded.digests.append(hashlib.sha256(pixels.tobytes()).hexdigest())
            if index % FPS == 0:
                decoded.seconds.append(frame.to_ndarray(format="rgb24"))
            decoded.frame_count += 1
    return decoded


def render(path: Path, duration: int = 6, size=(854, 480), **options) -> tuple[RenderInfo, Decoded]:
    info = render_video(RenderJob(str(path), duration, *size, **options))
    return info, decode(path)


def luma(rgb: np.ndarray) -> np.ndarray:
    return rgb.astype(np.float32) @ np.array([0.2126, 0.7152, 0.0722], np.float32)


def mean_abs_diff(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.abs(a.astype(np.int16) - b.astype(np.int16)).mean())


def top_level_boxes(path: Path) -> list[str]:
    boxes = []
    with open(path, "rb") as file:
        while header := file.read(8):
            size, kind = struct.unpack(">I4s", header)
            if size == 1:
                size = struct.unpack(">Q", file.read(8))[0] - 8
            boxes.append(kind.decode("latin-1"))
            file.seek(size - 8, os.SEEK_CUR)
    return boxes


def photo(width: int, height: int, tint=(1.0, 0.7, 0.4), seed: int = 0) -> Image.Image:
    """A photo-like test picture: smooth light, a pattern with edges, some grain."""
    rng = np.random.default_rng(seed)
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float32)
    pattern = 128 + 90 * np.sin(xs / 19) * np.cos(ys / 13) + 30 * (ys / height)
    pattern += rng.normal(0, 6, pattern.shape)
    rgb = pattern[..., None] * np.asarray(tint, np.float32)
    return Image.fromarray(np.clip(rgb, 0, 255).astype(np.uint8))


@pytest.fixture(scope="module")
def fox(tmp_path_factory) -> tuple[Path, RenderInfo, Decoded]:
    path = tmp_path_factory.mktemp("fox") / "fox.mp4"
    info, decoded = render(path, prompt=FOX)
    return path, info, decoded


# --- the file: format, length, size ------------------------------------------------


def test_text_video_is_browser_ready_h264_of_exact_length(fox):
    path, info, decoded = fox
    assert decoded.codec == "h264"
    assert decoded.pix_fmt == "yuv420p"
    assert decoded.rate == 24
    assert decoded.frame_count == 6 * FPS
    assert decoded.size == (854, 480)
    assert abs(decoded.container_seconds - 6) <= 1 / FPS
    assert abs(decoded.stream_seconds - 6) <= 1 / FPS
    assert info == RenderInfo(854, 480, 6 * FPS, 6.0, path.stat().st_size)


def test_moov_comes_before_media_data_so_playback_starts_early(fox):
    boxes = top_level_boxes(fox[0])
    assert boxes.index("moov") < boxes.index("mdat")


def test_nothing_but_the_video_is_left_in_the_directory(fox):
    assert [p.name for p in fox[0].parent.iterdir()] == ["fox.mp4"]


def test_portrait_720p_has_the_exact_frame_size(tmp_path):
    size = GROK_IMAGINE_VIDEO.frame_size("9:16", "720p")
    info, decoded = render(tmp_path / "tall.mp4", size=size, prompt=CITY, threads=2)
    assert decoded.size == (info.width, info.height) == (720, 1280)
    assert decoded.frame_count == 6 * FPS


# --- the picture -------------------------------------------------------------------


def test_text_video_frames_are_not_blank(fox):
    for frame in fox[2].seconds:
        assert luma(frame).std() > 12


def test_text_video_moves_every_second(fox):
    seconds = fox[2].seconds
    assert len(seconds) == 6
    for before, after in itertools.pairwise(seconds):
        assert mean_abs_diff(before, after) > 3


def test_different_prompts_give_clearly_different_colours(fox, tmp_path):
    _, city = render(tmp_path / "city.mp4", prompt=CITY)
    fox_colour = np.mean([f.reshape(-1, 3).mean(axis=0) for f in fox[2].seconds], axis=0)
    city_colour = np.mean([f.reshape(-1, 3).mean(axis=0) for f in city.seconds], axis=0)
    assert np.linalg.norm(fox_colour - city_colour) > 40


def test_same_prompt_gives_identical_frames_even_in_another_process(fox, tmp_path):
    # A fresh interpreter with another hash seed: catches seeding from Python's hash().
    path = tmp_path / "again.mp4"
    code = (
        "import sys; sys.path.insert(0, sys.argv[1]);"
        "from lib.embedded_wave.render import RenderJob, render_video;"
        "render_video(RenderJob(sys.argv[2], 6, 854, 480, prompt=sys.argv[3]))"
    )
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    subprocess.run([sys.executable, "-c", code, str(ROOT), str(path), FOX], check=True, env=env)
    again = decode(path)
    assert len(again.digests) == len(fox[2].digests)
    assert again.digests == fox[2].digests


def test_prompt_words_are_drawn_and_appear_over_time():
    def text_pixels(index: int) -> int:
        # Pure white pixels beyond those of the timecode (which an empty prompt has too).
        def white(prompt: str) -> int:
            frame = PromptScene(prompt, 854, 480, FPS, 6).frame(index)
            return int((frame.min(axis=2) > 235).sum())

        return white(FOX) - white("")

    shown = {index: text_pixels(index) for index in (0, 17, 30, 60, 140)}
    assert abs(shown[0]) < 20  # nothing yet
    assert shown[17] > 30  # the first word ("A") is in
    assert shown[17] < shown[30] < shown[60]  # then the others, one by one
    assert shown[140] > 2000  # all of it, to the end


def test_long_prompts_are_cut_with_an_ellipsis_and_unknown_glyphs_dropped():
    face = load_font(28)
    lines = wrap("sunset over the ocean " * 200, face, 700, 3)
    assert len(lines) == 3
    assert lines[-1].endswith("…")
    assert all(face.getlength(line) <= 700 for line in lines)
    assert printable("Crème brûlée — 日本 🍮 close-up", 28) == "Creme brulee - close-up"


def test_a_prompt_that_is_one_huge_word_wraps_at_once():
    # Cutting the word by trying every length took about 30 minutes at 4,000 letters.
    face = load_font(28)
    started = time.perf_counter()
    lines = wrap("y" * 4000, face, 700, 3)
    assert time.perf_counter() - started < 0.5
    assert len(lines) == 3 and lines[-1].endswith("…")
    assert all(0.8 * 700 < face.getlength(line) <= 700 for line in lines)


# --- image-to-video ----------------------------------------------------------------


def test_portrait_image_gives_a_portrait_video_of_its_frame_size(tmp_path):
    image_path = tmp_path / "portrait.jpg"
    photo(900, 1600).save(image_path, quality=90)
    size = image_frame_size(900, 1600, "480p")
    info, decoded = render(
        tmp_path / "out.mp4", size=size, image_paths=(str(image_path),), prompt="Morning light"
    )
    assert size == (480, 854)
    assert decoded.size == size and (info.width, info.height) == size
    assert decoded.frame_count == 6 * FPS
    assert abs(decoded.container_seconds - 6) <= 1 / FPS
    for before, after in zip(decoded.seconds, decoded.seconds[1:], strict=False):
        assert mean_abs_diff(before, after) > 5  # the camera moves


def test_two_images_of_different_shapes_are_both_shown(tmp_path):
    orange, blue = tmp_path / "landscape.png", tmp_path / "portrait.jpg"
    photo(1280, 720, tint=(1.0, 0.55, 0.15)).save(orange)
    photo(600, 1000, tint=(0.2, 0.45, 1.0), seed=1).save(blue, quality=90)
    _, decoded = render(tmp_path / "out.mp4", image_paths=(str(orange), str(blue)))
    assert decoded.frame_count == 6 * FPS
    first, last = decoded.seconds[0].reshape(-1, 3), decoded.seconds[-1].reshape(-1, 3)
    assert first.mean(axis=0)[0] > first.mean(axis=0)[2] + 40  # orange image first
    assert last.mean(axis=0)[2] > last.mean(axis=0)[0] + 40  # then the blue one


def test_exif_orientation_is_applied(tmp_path):
    # Stored sideways (left red, right blue); orientation 6 turns it upright:
    # red on top, blue below.
    stored = Image.new("RGB", (600, 400), (220, 30, 30))
    stored.paste((30, 30, 220), (300, 0, 600, 400))
    exif = Image.Exif()
    exif[0x0112] = 6
    path = tmp_path / "sideways.jpg"
    stored.save(path, exif=exif, quality=95)
    size = image_frame_size(400, 600, "480p")
    _, decoded = render(tmp_path / "out.mp4", size=size, image_paths=(str(path),))
    assert decoded.size == (480, 720)
    first = decoded.seconds[0]
    top, bottom = first[:180].reshape(-1, 3).mean(axis=0), first[-180:].reshape(-1, 3).mean(axis=0)
    assert top[0] > top[2] + 100
    assert bottom[2] > bottom[0] + 100


def test_transparent_png_is_laid_on_neutral_grey(tmp_path):
    # The transparent half hides bright green: it must come out grey, not green.
    image = Image.new("RGBA", (640, 360), (0, 255, 0, 0))
    image.paste((230, 20, 20, 255), (320, 0, 640, 360))
    path = tmp_path / "logo.png"
    image.save(path)
    _, decoded = render(tmp_path / "out.mp4", image_paths=(str(path),))
    left = decoded.seconds[0][:, :200].reshape(-1, 3).mean(axis=0)
    right = decoded.seconds[0][:, -200:].reshape(-1, 3).mean(axis=0)
    assert np.all(np.abs(left - 128) < 12), left
    assert right[0] > 180 and right[1] < 60, right


def test_cmyk_jpeg_renders_in_the_right_colours(tmp_path):
    path = tmp_path / "print.jpg"
    Image.new("CMYK", (640, 360), (255, 0, 0, 0)).save(path)  # pure cyan ink
    _, decoded = render(tmp_path / "out.mp4", image_paths=(str(path),), prompt="Cyan")
    centre = decoded.seconds[2][100:300, 200:650].reshape(-1, 3).mean(axis=0)
    assert centre[0] < 60 and centre[1] > 200 and centre[2] > 200, centre


def _transparent_palette_image() -> Image.Image:
    image = Image.new("P", (8, 8), 3)
    image.putpalette([255, 0, 0] * 256)
    image.info["transparency"] = 3
    return image


@pytest.mark.parametrize(
    "image",
    [
        Image.new("I;16", (8, 8), 30000),
        Image.new("L", (8, 8), 117),
        _transparent_palette_image(),
        Image.new("LA", (8, 8), (200, 0)),
    ],
    ids=["16-bit", "grey", "palette+transparency", "grey+alpha"],
)
def test_any_image_mode_becomes_8_bit_rgb(image):
    rgb = to_rgb(image)
    assert rgb.mode == "RGB"
    expected = {"I;16": 30000 * 255 // 65535, "L": 117, "P": 128, "LA": 128}[image.mode]
    assert abs(rgb.getpixel((3, 3))[0] - expected) <= 1


# --- failures ----------------------------------------------------------------------


def test_missing_image_fails_and_leaves_nothing_behind(tmp_path):
    out_dir = tmp_path / "videos"
    job = RenderJob(str(out_dir / "v.mp4"), 6, 854, 480, image_paths=(str(tmp_path / "no.jpg"),))
    with pytest.raises(FileNotFoundError):
        render_video(job)
    assert not out_dir.exists() or list(out_dir.iterdir()) == []


def test_failure_mid_render_deletes_the_partial_file(tmp_path, monkeypatch):
    out_dir = tmp_path / "videos"
    seen_partial = []
    original = PromptScene.frame

    def failing_frame(self, index):
        if index == 30:
            seen_partial.extend(p.name for p in out_dir.iterdir())
            raise RuntimeError("disk on fire")
        return original(self, index)

    monkeypatch.setattr(PromptScene, "frame", failing_frame)
    with pytest.raises(RuntimeError, match="disk on fire"):
        render_video(RenderJob(str(out_dir / "v.mp4"), 6, 854, 480, prompt=FOX))
    assert seen_partial and all(name.endswith(".part") for name in seen_partial)
    assert list(out_dir.iterdir()) == []


@pytest.mark.parametrize(
    ("duration", "width", "height"), [(0, 854, 480), (31, 854, 480), (6, 855, 480), (6, 0, 480)]
)
def test_impossible_jobs_are_refused_before_any_work(tmp_path, duration, width, height):
    with pytest.raises(ValueError):
        render_video(RenderJob(str(tmp_path / "v.mp4"), duration, width, height, prompt=FOX))
    assert list(tmp_path.iterdir()) == []


def test_job_and_function_can_go_to_a_worker_process():
    job = RenderJob("/tmp/x.mp4", 6, 854, 480, prompt=FOX, image_paths=("a.png",), threads=2)
    assert pickle.loads(pickle.dumps(job)) == job
    assert pickle.loads(pickle.dumps(render_video)) is render_video
