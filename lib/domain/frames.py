"""Frame sizes: what width and height a video of a given shape and resolution has.

The short side is 480, 720 or 1080 and both sides are even, as H.264 wants
(shared/wave-api.md, Output media and Models). The catalog, the embedded API's renderer
and History's placeholders all size frames from here.
"""

from __future__ import annotations

from types import MappingProxyType

AUTO_RATIO = "auto"
AUTO_RENDERS_AS = "16:9"  # DECIDED for the embedded server: `auto` without pictures is 16:9

# Frame size (width, height) of every (ratio, resolution): the short side is 480, 720 or
# 1080 and both sides even (shared/wave-api.md, Output media and Models).
FRAME_SIZES = MappingProxyType(
    {
        ("16:9", "480p"): (854, 480),
        ("16:9", "720p"): (1280, 720),
        ("16:9", "1080p"): (1920, 1080),
        ("9:16", "480p"): (480, 854),
        ("9:16", "720p"): (720, 1280),
        ("9:16", "1080p"): (1080, 1920),
        ("1:1", "480p"): (480, 480),
        ("1:1", "720p"): (720, 720),
        ("1:1", "1080p"): (1080, 1080),
        ("3:2", "480p"): (720, 480),
        ("3:2", "720p"): (1080, 720),
        ("3:2", "1080p"): (1620, 1080),
        ("2:3", "480p"): (480, 720),
        ("2:3", "720p"): (720, 1080),
        ("2:3", "1080p"): (1080, 1620),
        ("4:3", "480p"): (640, 480),
        ("4:3", "720p"): (960, 720),
        ("4:3", "1080p"): (1440, 1080),
        ("3:4", "480p"): (480, 640),
        ("3:4", "720p"): (720, 960),
        ("3:4", "1080p"): (1080, 1440),
    }
)


def short_side(resolution: str) -> int:
    """The short side of a frame at this resolution: 480p -> 480."""
    return int(resolution.rstrip("p"))


# An image far wider or taller than a phone screen would make an absurd video; beyond
# these ratios (DECIDED here; the contract is silent) the frame is cropped to the limit.
MAX_IMAGE_RATIO = 21 / 9


def image_frame_size(image_width: int, image_height: int, resolution: str) -> tuple[int, int]:
    """Frame size of an image-to-video output: the first image's ratio, on the short side
    of the resolution (480, 720 or 1080), both sides even as H.264 wants."""
    short = short_side(resolution)
    ratio = min(max(image_width / image_height, 1 / MAX_IMAGE_RATIO), MAX_IMAGE_RATIO)
    if ratio >= 1:
        return _even(short * ratio), short
    return short, _even(short / ratio)


def _even(value: float) -> int:
    return max(2, round(value / 2) * 2)
