"""Facts about video files, read by decoding them with PyAV (never trusted from names)."""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
from PIL import Image


@dataclass(frozen=True)
class VideoProbe:
    codec: str
    pix_fmt: str
    width: int
    height: int
    fps: Fraction
    frames: int  # frames actually decoded
    duration: float  # seconds, from the container

    @property
    def decoded_seconds(self) -> float:
        return self.frames / float(self.fps) if self.fps else 0.0


def probe_video(path: str | Path) -> VideoProbe:
    """Decode every frame of the first video stream; raises if the file is not a video."""
    return inspect_video(path)[0]


def inspect_video(
    path: str | Path, poster_at: float = 1.0
) -> tuple[VideoProbe, Image.Image | None]:
    """Decode the whole video (which proves it plays) and keep the frame nearest
    `poster_at` seconds (or the middle of a shorter video) as the poster picture."""
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        # Frame threads: the same frames, decoded on every core. The tracker decodes each
        # finished video before History may show it, so this is on that path.
        stream.thread_type = "AUTO"
        duration = float(container.duration / av.time_base) if container.duration else 0.0
        target = min(poster_at, duration / 2) if duration else 0.0
        poster: Image.Image | None = None
        frames = 0
        for frame in container.decode(stream):
            frames += 1
            if poster is None and (frame.time is None or frame.time >= target):
                poster = frame.to_image()
        probe = VideoProbe(
            codec=stream.codec_context.name,
            pix_fmt=stream.codec_context.pix_fmt or "",
            width=stream.codec_context.width,
            height=stream.codec_context.height,
            fps=Fraction(stream.average_rate) if stream.average_rate else Fraction(0),
            frames=frames,
            duration=duration,
        )
        return probe, poster


def save_poster(image: Image.Image, path: Path, max_width: int = 640) -> None:
    """A small JPEG for the gallery card: the page shows this, not the video, until play."""
    picture = image.convert("RGB")
    if picture.width > max_width:
        picture = picture.resize(
            (max_width, round(picture.height * max_width / picture.width)), Image.Resampling.LANCZOS
        )
    picture.save(path, "JPEG", quality=82, optimize=True, progressive=True)
