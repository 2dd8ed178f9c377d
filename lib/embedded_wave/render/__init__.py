"""Real MP4 files for the embedded (demo) Wave API.

`render_video` turns a `RenderJob` into an H.264 MP4 at 24 fps: a moving picture made
from the prompt (text-to-video) or a slow camera move over the reference images
(image-to-video). It is deterministic, writes atomically, and is meant to run in a
worker process (the job is a small picklable dataclass, the function is top-level).
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from lib.domain.catalog import ALL_DURATIONS, GROK_IMAGINE_VIDEO

from ._encode import Mp4Writer, atomic_output
from ._image_scene import ImageScene
from ._prompt_scene import PromptScene

__all__ = ["RenderInfo", "RenderJob", "render_video"]

FPS = GROK_IMAGINE_VIDEO.fps


@dataclass(frozen=True)
class RenderJob:
    out_path: str  # final .mp4 path
    duration: int  # seconds, within the catalog's lengths (1..30)
    width: int  # frame width (even)
    height: int  # frame height (even)
    prompt: str = ""  # may be empty for image-to-video
    image_paths: tuple[str, ...] = ()  # local JPG/PNG/WEBP files; empty -> text-to-video
    threads: int = 1  # encoder threads (1 = one core)


@dataclass(frozen=True)
class RenderInfo:
    width: int
    height: int
    frames: int
    seconds: float
    size_bytes: int


def render_video(job: RenderJob) -> RenderInfo:
    """Render `job` to `job.out_path`. On failure nothing is left at (or next to) it."""
    _check(job)
    scene = _scene(job)
    frames = job.duration * FPS
    with (
        atomic_output(job.out_path) as temp_path,
        Mp4Writer(temp_path, job.width, job.height, FPS, job.threads) as writer,
    ):
        for index in range(frames):
            writer.write(scene.frame(index), scene.pixel_format)
    size = os.path.getsize(job.out_path)
    return RenderInfo(job.width, job.height, frames, frames / FPS, size)


def _scene(job: RenderJob) -> PromptScene | ImageScene:
    if job.image_paths:
        args = (job.image_paths, job.prompt, job.width, job.height, FPS, job.duration)
        return ImageScene(*args)
    return PromptScene(job.prompt, job.width, job.height, FPS, job.duration)


def _check(job: RenderJob) -> None:
    low, high = ALL_DURATIONS
    if not (isinstance(job.duration, int) and low <= job.duration <= high):
        raise ValueError(f"duration must be a whole number of seconds, {low}..{high}")
    for name in ("width", "height"):
        value = getattr(job, name)
        if not (isinstance(value, int) and 128 <= value <= 2048 and value % 2 == 0):
            raise ValueError(f"{name} must be an even number of pixels, 128..2048: {value!r}")
