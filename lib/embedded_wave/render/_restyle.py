"""Restyling a source video (`action: edit`): every frame of the source re-encoded with a
visible colour treatment (a duotone whose colours come from the prompt) and the prompt's
words along the bottom, at the source's length and shape, at most 720p (wave-api.md)."""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass

import av
import numpy as np
from PIL import Image, ImageDraw

from ._draw import font, printable, wrap
from ._encode import Mp4Writer, atomic_output

# Luma weights (BT.601) for the duotone.
_WEIGHTS = np.array([0.299, 0.587, 0.114], dtype=np.float32)


@dataclass(frozen=True)
class RestyleJob:
    source_path: str  # a local MP4, already checked (lib/embedded_wave/production.py)
    out_path: str
    width: int  # output frame (even), the source's shape at most 720p
    height: int
    fps: int
    frames: int  # output frames: the source's length at `fps`
    prompt: str
    threads: int = 1


def duotone(prompt: str) -> tuple[np.ndarray, np.ndarray]:
    """Shadow and highlight colours, the same for the same prompt."""
    digest = hashlib.sha256(prompt.encode()).digest()
    dark = np.array([digest[0] % 90, digest[1] % 90, digest[2] % 90], dtype=np.float32)
    light = np.array([165 + digest[3] % 90, 165 + digest[4] % 90, 165 + digest[5] % 90])
    return dark, light.astype(np.float32)


def restyle_video(job: RestyleJob) -> tuple[int, int, int]:
    """Write the restyled video. -> (width, height, frames)."""
    dark, light = duotone(job.prompt)
    caption = _caption(job.prompt, job.width, job.height)
    written = 0
    with (
        atomic_output(job.out_path) as temp_path,
        Mp4Writer(temp_path, job.width, job.height, job.fps, job.threads) as writer,
        av.open(job.source_path) as container,
    ):
        stream = container.streams.video[0]
        latest: np.ndarray | None = None
        for frame in container.decode(stream):
            when = float(frame.time or 0.0)
            # Output frames due up to this source frame's time show the previous picture.
            while written < job.frames and latest is not None and written / job.fps < when:
                writer.write(latest)
                written += 1
            latest = _treated(frame.to_image(), job, dark, light, caption)
        while written < job.frames and latest is not None:  # the tail holds the last frame
            writer.write(latest)
            written += 1
    if written == 0:
        os.remove(job.out_path)
        raise ValueError("the source video has no frames")
    return job.width, job.height, written


def _treated(
    picture: Image.Image,
    job: RestyleJob,
    dark: np.ndarray,
    light: np.ndarray,
    caption: tuple[list[str], int] | None,
) -> np.ndarray:
    if picture.size != (job.width, job.height):
        picture = picture.resize((job.width, job.height), Image.Resampling.BILINEAR)
    rgb = np.asarray(picture.convert("RGB"), dtype=np.float32)
    luma = (rgb @ _WEIGHTS)[..., None] / 255.0
    toned = Image.fromarray((dark + (light - dark) * luma).astype(np.uint8))
    if caption:
        lines, size = caption
        draw = ImageDraw.Draw(toned)
        y = job.height - size * (len(lines) + 1)
        for line in lines:
            draw.text(
                (job.width // 2, y),
                line,
                font=font(size),
                fill=(255, 255, 255),
                anchor="ma",
                stroke_width=max(1, size // 12),
                stroke_fill=(0, 0, 0),
            )
            y += round(size * 1.3)
    return np.asarray(toned)


def _caption(prompt: str, width: int, height: int) -> tuple[list[str], int] | None:
    size = max(12, round(min(width, height) * 0.05))
    text = printable(prompt, size)
    if not text:
        return None
    return wrap(text, font(size), width * 0.9, 2), size
