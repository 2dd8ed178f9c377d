"""Text-to-video: a moving picture derived from the prompt alone.

A gradient in the prompt's palette drifts behind soft glows that wander along
Lissajous paths; the prompt fades in word by word on a translucent card, and a small
running timecode sits in the corner. Everything that does not change from frame to frame
is drawn once up front; a frame is a slice of the gradient plus a few small blends.
"""

from __future__ import annotations

import colorsys
import hashlib
import math
import random
from dataclasses import dataclass

import numpy as np
from PIL import Image

from ._draw import (
    Sprite,
    alpha16,
    blend_color,
    font,
    printable,
    rounded_box,
    shade,
    text_block,
    text_mask,
    wrap,
)

WHITE = (255, 255, 255)
_PAN_MARGIN = 0.25  # the gradient is this much larger than the frame on every side
_GLOWS = 5


def seeded(prompt: str, purpose: str) -> random.Random:
    """A random source fixed by the prompt (sha256: stable across runs and machines,
    unlike Python's salted hash())."""
    digest = hashlib.sha256(f"{purpose}\0{prompt}".encode()).digest()
    return random.Random(digest)


def _rgb(hue: float, saturation: float, value: float) -> tuple[int, int, int]:
    r, g, b = colorsys.hsv_to_rgb(hue % 1.0, saturation, value)
    return round(r * 255), round(g * 255), round(b * 255)


@dataclass(frozen=True)
class Palette:
    """The prompt's colours. The background stays close to one hue, so that the video
    reads as "the blue one" or "the amber one"; the small glows bring the contrast."""

    deep: tuple[int, int, int]
    mid: tuple[int, int, int]
    washes: tuple[tuple[int, int, int], ...]  # soft light patches in the background
    accents: tuple[tuple[int, int, int], ...]  # the moving glows


def make_palette(rng: random.Random) -> Palette:
    hue = rng.random()
    saturation = rng.uniform(0.6, 0.9)
    # A classic harmony for the glows: analogous, complementary or triadic.
    harmony = rng.choice([(0.08, -0.08, 0.0), (0.5, 0.45, 0.05), (1 / 3, 2 / 3, 0.0)])
    return Palette(
        deep=_rgb(hue, saturation, rng.uniform(0.2, 0.3)),
        mid=_rgb(hue + rng.uniform(-0.04, 0.04), saturation, rng.uniform(0.55, 0.7)),
        washes=tuple(
            _rgb(hue + offset, saturation * 0.8, rng.uniform(0.75, 0.9)) for offset in (-0.05, 0.05)
        ),
        accents=tuple(
            _rgb(hue + offset, saturation * 0.75, rng.uniform(0.8, 0.95)) for offset in harmony
        ),
    )


def gradient_canvas(rng: random.Random, palette: Palette, width: int, height: int) -> np.ndarray:
    """The background, larger than the frame so that panning is just slicing. Computed at
    quarter size and upscaled: it is smooth anyway, and that is 16× less float math."""
    big_w = width + 2 * round(width * _PAN_MARGIN)
    big_h = height + 2 * round(height * _PAN_MARGIN)
    small_w, small_h = -(-big_w // 4), -(-big_h // 4)
    ys, xs = np.mgrid[0:small_h, 0:small_w].astype(np.float32)
    xs, ys = xs / small_w, ys / small_h * (small_h / small_w)
    angle = rng.uniform(0, 2 * math.pi)
    along = xs * math.cos(angle) + ys * math.sin(angle)
    along = (along - along.min()) / (along.max() - along.min())
    deep, mid = (np.asarray(c, np.float32) for c in (palette.deep, palette.mid))
    picture = deep + (mid - deep) * along[..., None]
    for color in palette.washes:
        centre_x, centre_y = rng.uniform(0, 1), rng.uniform(0, small_h / small_w)
        radius = rng.uniform(0.18, 0.35)
        glow = np.exp(-((xs - centre_x) ** 2 + (ys - centre_y) ** 2) / radius**2)
        glow *= rng.uniform(0.35, 0.6)
        picture += (np.asarray(color, np.float32) - picture) * glow[..., None]
    small = Image.fromarray(np.clip(picture, 0, 255).astype(np.uint8))
    return np.asarray(small.resize((big_w, big_h), Image.Resampling.BICUBIC)).copy()


class Glow:
    """A soft disc of light drifting on a Lissajous path across the frame."""

    def __init__(self, rng: random.Random, color, width: int, height: int) -> None:
        short = min(width, height)
        self.radius = round(short * rng.uniform(0.1, 0.22))
        self._sprite = Sprite(self._alpha(rng, self.radius), color)
        self._x = (width * rng.uniform(0.2, 0.8), width * rng.uniform(0.2, 0.4))
        self._y = (height * rng.uniform(0.25, 0.75), height * rng.uniform(0.2, 0.4))
        # One loop every 5-11 s: clearly moving, never frantic.
        self._speed = tuple(2 * math.pi / rng.uniform(5, 11) for _ in range(2))
        self._phase = tuple(rng.uniform(0, 2 * math.pi) for _ in range(2))

    @staticmethod
    def _alpha(rng: random.Random, radius: int) -> np.ndarray:
        # Either a hazy glow or a bokeh-like disc with a soft rim.
        ys, xs = np.ogrid[-radius : radius + 1, -radius : radius + 1]
        distance = np.sqrt(xs**2 + ys**2, dtype=np.float32) / radius
        if rng.random() < 0.5:
            shape = np.exp(-4 * distance**2) * np.clip((1 - distance) * 5, 0, 1)
            strength = rng.uniform(0.45, 0.7)
        else:
            shape = np.clip((1 - distance) * 8, 0, 1) * (0.75 + 0.25 * distance)
            strength = rng.uniform(0.18, 0.3)
        return np.rint(shape * strength * 256).astype(np.uint16)

    def draw(self, frame: np.ndarray, t: float) -> None:
        x = self._x[0] + self._x[1] * math.sin(self._speed[0] * t + self._phase[0])
        y = self._y[0] + self._y[1] * math.sin(self._speed[1] * t + self._phase[1])
        self._sprite.draw(frame, round(x) - self.radius, round(y) - self.radius)


class PromptCard:
    """The prompt on a translucent dark card; words fade in one after another."""

    _FADE = 0.35  # seconds for one word to fade in

    @classmethod
    def for_prompt(cls, prompt: str, width: int, height: int, duration: float):
        """The card, or None when the prompt has nothing the font can draw."""
        size = round(min(width, height) * 0.058)
        text = printable(prompt, size)
        return cls(text, size, width, height, duration) if text else None

    def __init__(self, text: str, size: int, width: int, height: int, duration: float) -> None:
        face = font(size)
        lines = wrap(text, face, width * 0.82, 3 if width >= height else 5)
        self.block = text_block(lines, face, line_height=round(size * 1.3))
        block_h, block_w = self.block.mask.shape
        pad = round(size * 0.7)
        card_w, card_h = block_w + 2 * pad, block_h + 2 * pad
        self._card_x = (width - card_w) // 2
        self._card_y = min(round(height * 0.62 - card_h / 2), height - card_h - 2 * pad)
        self._text_xy = (self._card_x + pad, self._card_y + pad)
        self._card = alpha16(rounded_box(card_w, card_h, pad), opacity=0.45)[..., None]
        self._word_starts = self._schedule(self.block.words, duration)
        self._shown = self._word_starts[-1] + self._FADE

    @staticmethod
    def _schedule(words: int, duration: float) -> np.ndarray:
        # All words are in by 40% of the video (and never slower than 4 words a second).
        step = min(0.25, max(0.05, (0.4 * duration - 0.5) / words))
        return 0.3 + step * np.arange(words, dtype=np.float32)

    def draw(self, frame: np.ndarray, t: float) -> None:
        card_h, card_w = self._card.shape[:2]
        card_in = min(1.0, t / 0.4)  # the card itself fades in over 0.4 s
        card = self._card if card_in >= 1 else (self._card * card_in).astype(np.uint16)
        x, y = self._card_x, self._card_y
        shade(frame[y : y + card_h, x : x + card_w], 256 - card)
        blend_color(self._text_region(frame), self._text_alpha(t), WHITE)

    def _text_region(self, frame: np.ndarray) -> np.ndarray:
        x, y = self._text_xy
        block_h, block_w = self.block.mask.shape
        return frame[y : y + block_h, x : x + block_w]

    def _text_alpha(self, t: float) -> np.ndarray:
        if t >= self._shown:
            return self.block.mask
        progress = np.clip((t - self._word_starts) / self._FADE, 0, 1)
        per_word = np.concatenate(([0], np.rint(progress * 256))).astype(np.uint32)
        # uint32: a full mask (256) times a fully shown word (256) overflows 16 bits.
        return (self.block.mask * per_word[self.block.word_ids] >> 8).astype(np.uint16)


class Timecode:
    """`DEMO 00:03:12` (minutes, seconds, frames) in a small pill, bottom right."""

    def __init__(self, width: int, height: int, fps: int) -> None:
        self._fps = fps
        face = font(round(min(width, height) * 0.032))
        digits = [text_mask(d, face) for d in "0123456789"]
        cell_h = max(d.shape[0] for d in digits)
        cell_w = max(d.shape[1] for d in digits)
        # Fixed-width cells, so the numbers don't jitter sideways as they change.
        self._glyphs = {str(n): _pad_to(d, cell_h, cell_w) for n, d in enumerate(digits)}
        self._glyphs[":"] = _pad_to(text_mask(":", face), cell_h, cell_w // 2 + 1)
        label = text_mask("DEMO", face)
        self._label = (label.astype(np.uint32) * 150 >> 8).astype(np.uint16)
        text_w = self._label.shape[1] + cell_w + sum(g.shape[1] for g in self._glyph_row(0))
        pad = cell_h // 2
        pill_w, pill_h = text_w + 2 * pad, cell_h + 2 * pad
        self._pill_xy = (width - pill_w - pad * 2, height - pill_h - pad * 2)
        self._pill = 256 - alpha16(rounded_box(pill_w, pill_h, pill_h // 2), 0.4)[..., None]
        self._pad, self._gap = pad, cell_w

    def _glyph_row(self, index: int) -> list[np.ndarray]:
        seconds, frame = divmod(index, self._fps)
        text = f"{seconds // 60:02d}:{seconds % 60:02d}:{frame:02d}"
        return [self._glyphs[ch] for ch in text]

    def draw(self, frame: np.ndarray, index: int) -> None:
        x, y = self._pill_xy
        pill_h, pill_w = self._pill.shape[:2]
        shade(frame[y : y + pill_h, x : x + pill_w], self._pill)
        x, y = x + self._pad, y + self._pad
        label_h, label_w = self._label.shape
        top = y + (self._glyphs["0"].shape[0] - label_h) // 2
        blend_color(frame[top : top + label_h, x : x + label_w], self._label, WHITE)
        digits = np.hstack(self._glyph_row(index))
        x += label_w + self._gap
        blend_color(frame[y : y + digits.shape[0], x : x + digits.shape[1]], digits, WHITE)


def _pad_to(mask: np.ndarray, height: int, width: int) -> np.ndarray:
    # Centre horizontally, keep the vertical position (glyphs share a baseline).
    out = np.zeros((height, width), mask.dtype)
    left = (width - mask.shape[1]) // 2
    out[: mask.shape[0], left : left + mask.shape[1]] = mask
    return out


class PromptScene:
    """Frame `index` of a text-to-video render (the same array, refilled each call)."""

    pixel_format = "rgb24"

    def __init__(self, prompt: str, width: int, height: int, fps: int, duration: int) -> None:
        self.width, self.height, self.fps = width, height, fps
        rng = seeded(prompt, "prompt-scene")
        self.palette = make_palette(rng)
        self._canvas = gradient_canvas(rng, self.palette, width, height)
        self._pan = [(rng.uniform(11, 17), rng.uniform(0, 2 * math.pi)) for _ in range(2)]
        colors = (*self.palette.accents, *self.palette.washes)
        self._glows = [Glow(rng, colors[i % len(colors)], width, height) for i in range(_GLOWS)]
        self._card = PromptCard.for_prompt(prompt, width, height, duration)
        self._clock = Timecode(width, height, fps)
        self._frame = np.empty((height, width, 3), np.uint8)

    def _pan_offset(self, t: float) -> tuple[int, int]:
        # The frame window circles slowly over the larger gradient.
        spare_y = self._canvas.shape[0] - self.height
        spare_x = self._canvas.shape[1] - self.width
        (period_x, phase_x), (period_y, phase_y) = self._pan
        x = spare_x / 2 * (1 + math.sin(2 * math.pi * t / period_x + phase_x))
        y = spare_y / 2 * (1 + math.cos(2 * math.pi * t / period_y + phase_y))
        return round(x), round(y)

    def frame(self, index: int) -> np.ndarray:
        t = index / self.fps
        x, y = self._pan_offset(t)
        np.copyto(self._frame, self._canvas[y : y + self.height, x : x + self.width])
        for glow in self._glows:
            glow.draw(self._frame, t)
        if self._card is not None:
            self._card.draw(self._frame, t)
        self._clock.draw(self._frame, index)
        return self._frame
