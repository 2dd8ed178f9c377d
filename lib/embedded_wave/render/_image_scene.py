"""Image-to-video: a slow "Ken Burns" camera move over each reference image in turn,
with a short crossfade between images and, if there is a prompt, a faint caption.

Scaling the image is the per-frame cost here, so this scene works in YUV 4:2:0: it
resamples 1.5 bytes a pixel instead of 3 (Pillow's RGB is really 4) and the encoder
gets frames it needs no conversion for. Each image is converted once, up front."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageOps

from ._draw import blend_value, font, printable, text_block, wrap
from ._prompt_scene import seeded

NEUTRAL = (128, 128, 128)  # what transparent parts of an image are laid on
ZOOM = (1.0, 1.15)
HEADROOM = 1.25  # images are kept at this multiple of the frame: sharp at full zoom
CROSSFADE = 0.5  # seconds


def load_image(path: str, width: int, height: int) -> Image.Image:
    """The image upright, in RGB, cover-cropped to the frame's shape and scaled once to
    HEADROOM × the frame size (so a huge photo costs nothing per frame)."""
    target = (round(width * HEADROOM), round(height * HEADROOM))
    with Image.open(path) as image:
        # JPEG only: decode at 1/2, 1/4 or 1/8 scale when that still covers the target.
        image.draft(None, (max(target), max(target)))
        upright = ImageOps.exif_transpose(image)
        rgb = to_rgb(upright)
    return ImageOps.fit(rgb, target, Image.Resampling.LANCZOS)


def to_rgb(image: Image.Image) -> Image.Image:
    """Any Pillow mode as 8-bit RGB; transparency is laid on a neutral grey."""
    if image.mode in ("I", "F") or image.mode.startswith("I;16"):
        image = _to_8bit_gray(image)
    if image.has_transparency_data:
        rgba = image.convert("RGBA")
        backdrop = Image.new("RGBA", rgba.size, (*NEUTRAL, 255))
        return Image.alpha_composite(backdrop, rgba).convert("RGB")
    return image.convert("RGB")


def _to_8bit_gray(image: Image.Image) -> Image.Image:
    # Pillow's own conversion clips 16-bit values at 255 (nearly all white): rescale.
    values = np.asarray(image, dtype=np.float32)
    peak = float(values.max()) if values.size else 0.0
    if image.mode.startswith("I;16") or peak > 255:
        values = values * (255 / 65535)
    elif image.mode == "F" and peak <= 1:
        values = values * 255
    return Image.fromarray(np.clip(np.rint(values), 0, 255).astype(np.uint8), "L")


# BT.709 in TV range (Y 16..235, Cb/Cr 16..240), which is how the writer tags the video.
_BT709 = np.array(
    [[0.2126, 0.7152, 0.0722], [-0.1146, -0.3854, 0.5], [0.5, -0.4542, -0.0458]], np.float32
)
_SCALE = np.array([219, 224, 224], np.float32) / 255
_OFFSET = np.array([16, 128, 128], np.float32)
Y_BLACK, Y_WHITE, C_NEUTRAL = 16, 235, 128


def to_planes(image: Image.Image) -> tuple[Image.Image, Image.Image, Image.Image]:
    """RGB -> Y (full size), Cb and Cr (half size), as 8-bit Pillow images."""
    rgb = np.asarray(image, np.float32)
    yuv = rgb @ (_BT709 * _SCALE[:, None]).T + _OFFSET
    levels = np.clip(np.rint(yuv), 0, 255).astype(np.uint8)
    planes = [Image.fromarray(np.ascontiguousarray(levels[..., k])) for k in range(3)]
    half = (max(1, image.width // 2), max(1, image.height // 2))
    return planes[0], *(p.resize(half, Image.Resampling.BOX) for p in planes[1:])


class YuvFrame:
    """One yuv420p frame buffer, laid out as PyAV wants it, with a view of each plane."""

    def __init__(self, width: int, height: int) -> None:
        self.buffer = np.empty((height * 3 // 2, width), np.uint8)
        flat = self.buffer.reshape(-1)
        luma, chroma = width * height, (width // 2) * (height // 2)
        self.y = flat[:luma].reshape(height, width)
        self.u = flat[luma : luma + chroma].reshape(height // 2, width // 2)
        self.v = flat[luma + chroma :].reshape(height // 2, width // 2)
        self.planes = (self.y, self.u, self.v)


@dataclass(frozen=True)
class Move:
    """One image's camera move: zoom between two factors while drifting towards a
    point off-centre (dx, dy in -1..1 of the room the zoom leaves)."""

    zoom_from: float
    zoom_to: float
    dx: float
    dy: float

    def box(self, progress: float, width: int, height: int) -> tuple[float, ...]:
        zoom = self.zoom_from + (self.zoom_to - self.zoom_from) * progress
        box_w, box_h = width / zoom, height / zoom
        centre_x = width / 2 + self.dx * (width - box_w) / 2
        centre_y = height / 2 + self.dy * (height - box_h) / 2
        return (
            centre_x - box_w / 2,
            centre_y - box_h / 2,
            centre_x + box_w / 2,
            centre_y + box_h / 2,
        )


def plan_moves(prompt: str, count: int) -> list[Move]:
    """Zoom in on even images and out on odd ones, each towards its own direction."""
    rng = seeded(prompt, "ken-burns")
    moves = []
    for index in range(count):
        angle, reach = rng.uniform(0, 2 * math.pi), rng.uniform(0.5, 1.0)
        zoom = ZOOM if index % 2 == 0 else ZOOM[::-1]
        moves.append(Move(*zoom, reach * math.cos(angle), reach * math.sin(angle)))
    return moves


class Caption:
    """The prompt in small type over a soft dark gradient along the bottom edge."""

    @classmethod
    def for_prompt(cls, prompt: str, width: int, height: int):
        """The caption, or None when the prompt has nothing the font can draw."""
        size = round(min(width, height) * 0.04)
        text = printable(prompt, size)
        return cls(text, size, width, height) if text else None

    def __init__(self, text: str, size: int, width: int, height: int) -> None:
        face = font(size)
        lines = wrap(text, face, width * 0.86, 1 if width >= height else 2)
        block = text_block(lines, face, line_height=round(size * 1.3))
        mask = block.mask.astype(np.uint32) * 220 >> 8  # faint: 86% white at most
        mask = np.pad(mask, ((0, mask.shape[0] % 2), (0, mask.shape[1] % 2)))
        self._luma_mask = mask.astype(np.uint16)
        self._chroma_mask = _halve(mask)
        scrim_h = (block.mask.shape[0] + 3 * size) // 2 * 2
        ramp = np.linspace(0, 1, scrim_h, dtype=np.float32) ** 1.5
        self._scrim = np.rint(115 * ramp).astype(np.uint16)[:, None]
        # Even coordinates, so that the chroma planes line up at half size.
        self._x = (width - mask.shape[1]) // 4 * 2
        self._y = (height - mask.shape[0] - size) // 2 * 2

    def draw(self, frame: YuvFrame) -> None:
        blend_value(frame.y[-len(self._scrim) :], self._scrim, Y_BLACK)
        h, w = self._luma_mask.shape
        blend_value(frame.y[self._y : self._y + h, self._x : self._x + w], self._luma_mask, Y_WHITE)
        half_scrim = self._scrim[1::2]
        x, y = self._x // 2, self._y // 2
        h, w = self._chroma_mask.shape
        for plane in (frame.u, frame.v):
            blend_value(plane[-len(half_scrim) :], half_scrim, C_NEUTRAL)
            blend_value(plane[y : y + h, x : x + w], self._chroma_mask, C_NEUTRAL)


def _halve(mask: np.ndarray) -> np.ndarray:
    # The mean of each 2×2 block: the text's coverage at chroma resolution.
    blocks = mask.reshape(mask.shape[0] // 2, 2, mask.shape[1] // 2, 2)
    return (blocks.sum(axis=(1, 3)) >> 2).astype(np.uint16)


class ImageScene:
    """Frame `index` of an image-to-video render (the same buffer, refilled each call)."""

    pixel_format = "yuv420p"

    def __init__(
        self, paths: tuple[str, ...], prompt: str, width: int, height: int, fps: int, duration: int
    ) -> None:
        self.width, self.height, self.fps = width, height, fps
        self._images = [to_planes(load_image(path, width, height)) for path in paths]
        self._moves = plan_moves(prompt, len(paths))
        self._share = duration / len(paths)
        self._duration = duration
        self._caption = Caption.for_prompt(prompt, width, height)
        self._frame, self._incoming = YuvFrame(width, height), YuvFrame(width, height)

    def frame(self, index: int) -> np.ndarray:
        t = index / self.fps
        layers = self._layers(t)
        self._shoot(layers[0][0], t, self._frame)
        if len(layers) == 2:
            self._shoot(layers[1][0], t, self._incoming)
            _mix(self._frame.buffer, self._incoming.buffer, layers[1][1])
        if self._caption is not None:
            self._caption.draw(self._frame)
        return self._frame.buffer

    def _layers(self, t: float) -> list[tuple[int, float]]:
        """Which images show at time t: one, or two (the second with its fade-in weight)
        within CROSSFADE/2 of the cut between them."""
        current = min(int(t // self._share), len(self._images) - 1)
        for cut_image in (current, current + 1):
            cut = cut_image * self._share
            if 0 < cut_image < len(self._images) and abs(t - cut) < CROSSFADE / 2:
                weight = (t - cut + CROSSFADE / 2) / CROSSFADE
                return [(cut_image - 1, 1.0), (cut_image, weight * weight * (3 - 2 * weight))]
        return [(current, 1.0)]

    def _shoot(self, image: int, t: float, frame: YuvFrame) -> None:
        """The image as the camera sees it at time t (its move spans its whole time on
        screen, crossfades included)."""
        start = max(0.0, image * self._share - CROSSFADE / 2)
        end = min(float(self._duration), (image + 1) * self._share + CROSSFADE / 2)
        progress = min(1.0, max(0.0, (t - start) / (end - start)))
        luma = self._images[image][0]
        box = self._moves[image].box(progress, *luma.size)
        for source, plane in zip(self._images[image], frame.planes, strict=True):
            scale_x, scale_y = source.width / luma.width, source.height / luma.height
            scaled = (box[0] * scale_x, box[1] * scale_y, box[2] * scale_x, box[3] * scale_y)
            size = (plane.shape[1], plane.shape[0])
            plane[...] = source.resize(size, Image.Resampling.BILINEAR, box=scaled)


def _mix(under: np.ndarray, over: np.ndarray, weight: float) -> None:
    """Crossfade, in place on `under`: `over` at `weight` (0..1). A plain per-byte mix
    is right in YUV too, since YUV is an affine function of RGB."""
    amount = round(weight * 256)
    mixed = under.astype(np.uint16)
    mixed *= 256 - amount
    mixed += over.astype(np.uint16) * amount
    mixed >>= 8
    under[...] = mixed
