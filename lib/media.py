"""Facts about video files, read by decoding them with PyAV (never trusted from names)."""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av


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
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        frames = sum(1 for _ in container.decode(stream))
        duration = float(container.duration / av.time_base) if container.duration else 0.0
        return VideoProbe(
            codec=stream.codec_context.name,
            pix_fmt=stream.codec_context.pix_fmt or "",
            width=stream.codec_context.width,
            height=stream.codec_context.height,
            fps=Fraction(stream.average_rate) if stream.average_rate else Fraction(0),
            frames=frames,
            duration=duration,
        )
