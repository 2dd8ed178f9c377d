"""Drawing helpers shared by the scenes: fonts, text layout, and integer alpha blending.

Blending works on uint8 views of the frame with uint16 arithmetic and alphas scaled to
0..256, so that `x * (256 - a) + c * a` fits in 16 bits and `>> 8` divides exactly.
"""

from __future__ import annotations

import functools
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw, ImageFont

ELLIPSIS = "…"
_MISSING = "\uffff"  # a code point no font has: what the font draws for a missing glyph
# Common characters the bundled font lacks, and what to draw instead.
_SUBSTITUTES = str.maketrans({"—": "-", "–": "-", "−": "-", "×": "x", "•": "·"})


@functools.cache
def font(size: int) -> ImageFont.FreeTypeFont:
    # Pillow's bundled TrueType font: no system fonts needed, scales to any size.
    return ImageFont.load_default(size=max(8, int(size)))  # type: ignore[return-value]


def _glyph(face: ImageFont.FreeTypeFont, char: str) -> tuple[tuple[int, int], bytes]:
    mask = face.getmask(char)
    return mask.size, bytes(mask)


@functools.cache
def _has_glyph(size: int, char: str) -> bool:
    face = font(size)
    return char.isspace() or _glyph(face, char) != _glyph(face, _MISSING)


def printable(text: str, size: int) -> str:
    """The text as the font can draw it: accents folded (é -> e), other unknown
    characters dropped, whitespace collapsed. Missing glyphs would show as boxes."""
    folded = unicodedata.normalize("NFKD", text).translate(_SUBSTITUTES)
    kept = (
        ch for ch in folded if ch.isspace() or (ch.isprintable() and not unicodedata.combining(ch))
    )
    drawable = "".join(ch if _has_glyph(size, ch) else " " for ch in kept)
    return " ".join(drawable.split())


def wrap(text: str, face: ImageFont.FreeTypeFont, max_width: float, max_lines: int) -> list[str]:
    """Greedy word wrap into at most `max_lines` lines; an overflow ends in an ellipsis."""
    lines: list[str] = []
    current = ""
    for word in text.split():
        for piece in _split_long_word(word, face, max_width):
            candidate = f"{current} {piece}" if current else piece
            if face.getlength(candidate) <= max_width:
                current = candidate
                continue
            lines.append(current)
            current = piece
            if len(lines) == max_lines:
                lines[-1] = _with_ellipsis(lines[-1], face, max_width)
                return lines
    if current:
        lines.append(current)
    return lines


def _split_long_word(word: str, face: ImageFont.FreeTypeFont, max_width: float) -> Iterator[str]:
    # A word wider than the line (a URL, a hashtag run) is cut into line-sized pieces,
    # lazily (wrap() stops at its last line). Each cut: double a prefix until it is too
    # wide, then halve the gap, so no measurement is much longer than a line. Trying every
    # length from the whole word down took minutes for a 4,000-letter prompt.
    while word:
        fits, too_long = 1, 2  # word[:fits] fits (or is one letter); word[:too_long] doesn't
        while too_long <= len(word) and face.getlength(word[:too_long]) <= max_width:
            fits, too_long = too_long, too_long * 2
        too_long = min(too_long, len(word) + 1)  # len + 1: past the end, never measured
        while too_long - fits > 1:
            middle = (fits + too_long) // 2
            if face.getlength(word[:middle]) <= max_width:
                fits = middle
            else:
                too_long = middle
        yield word[:fits]
        word = word[fits:]


def _with_ellipsis(line: str, face: ImageFont.FreeTypeFont, max_width: float) -> str:
    while line and face.getlength(line + ELLIPSIS) > max_width:
        line = line[:-1].rstrip()
    return line + ELLIPSIS


@dataclass(frozen=True)
class TextBlock:
    """Centred lines of text as an alpha mask, with each pixel's word number (1-based,
    0 between words) so that words can be faded in one by one."""

    mask: np.ndarray  # uint16, 0..256
    word_ids: np.ndarray  # uint16, same shape
    words: int


def text_block(lines: list[str], face: ImageFont.FreeTypeFont, line_height: int) -> TextBlock:
    width = int(max(face.getlength(line) for line in lines)) + 4
    height = line_height * len(lines)
    mask = Image.new("L", (width, height))
    ids = np.zeros((height, width), np.uint16)
    draw = ImageDraw.Draw(mask)
    words = 0
    for row, line in enumerate(lines):
        left = (width - face.getlength(line)) / 2
        top = row * line_height
        draw.text((left, top), line, fill=255, font=face)
        for start, end in _word_spans(line, face):
            words += 1
            first, last = max(0, int(left + start)), int(left + end) + 1
            ids[top : top + line_height, first:last] = words
    return TextBlock(alpha16(np.asarray(mask)), ids, words)


def _word_spans(line: str, face: ImageFont.FreeTypeFont) -> list[tuple[float, float]]:
    # Each word owns its ink plus half of the space on either side.
    half_space = face.getlength(" ") / 2
    spans, position = [], 0
    for word in line.split(" "):
        start = face.getlength(line[:position])
        end = face.getlength(line[: position + len(word)])
        spans.append((start - half_space, end + half_space))
        position += len(word) + 1
    return spans


def text_mask(text: str, face: ImageFont.FreeTypeFont) -> np.ndarray:
    """One line of text as a tight uint16 alpha mask (0..256)."""
    left, top, right, bottom = face.getbbox(text)
    image = Image.new("L", (right - left + 2, bottom - top + 2))
    ImageDraw.Draw(image).text((1 - left, 1 - top), text, fill=255, font=face)
    return alpha16(np.asarray(image))


def alpha16(alpha: np.ndarray, opacity: float = 1.0) -> np.ndarray:
    """uint8 alpha (0..255) -> uint16 alpha (0..256), scaled by `opacity`."""
    scaled = alpha.astype(np.float32) * (256.0 * opacity / 255.0)
    return np.rint(scaled).astype(np.uint16)


def blend_color(region: np.ndarray, alpha: np.ndarray, color: tuple[int, int, int]) -> None:
    """In place: paint `color` over a uint8 RGB region through a uint16 alpha (0..256)."""
    a = alpha[..., None]
    mixed = region.astype(np.uint16)
    mixed *= 256 - a
    mixed += a * np.asarray(color, np.uint16)
    mixed >>= 8
    region[...] = mixed


def blend_value(plane: np.ndarray, alpha: np.ndarray, value: int) -> None:
    """In place: move a uint8 plane (one channel) towards `value` through `alpha`
    (uint16 0..256, broadcastable): text in white, shading towards black, in YUV."""
    mixed = plane.astype(np.uint16)
    mixed *= 256 - alpha
    mixed += alpha * np.uint16(value)
    mixed >>= 8
    plane[...] = mixed


def shade(region: np.ndarray, factor: np.ndarray) -> None:
    """In place: multiply a uint8 RGB region by `factor`/256 (uint16, broadcastable)."""
    shaded = region.astype(np.uint16)
    shaded *= factor
    shaded >>= 8
    region[...] = shaded


def clip_box(x: int, y: int, w: int, h: int, width: int, height: int):
    """Where a w×h sprite placed at (x, y) meets a width×height frame: the frame slices
    and the matching sprite slices, or None when it is entirely outside."""
    x0, y0, x1, y1 = max(x, 0), max(y, 0), min(x + w, width), min(y + h, height)
    if x0 >= x1 or y0 >= y1:
        return None
    frame = (slice(y0, y1), slice(x0, x1))
    sprite = (slice(y0 - y, y1 - y), slice(x0 - x, x1 - x))
    return frame, sprite


class Sprite:
    """A fixed colour patch with a soft alpha, precomputed so that drawing it is three
    integer operations on the pixels it covers."""

    def __init__(self, alpha: np.ndarray, color: tuple[int, int, int]) -> None:
        a = alpha[..., None]
        self.height, self.width = alpha.shape
        self._keep = (256 - a).astype(np.uint16)
        self._paint = (a * np.asarray(color, np.uint16)).astype(np.uint16)

    def draw(self, frame: np.ndarray, x: int, y: int) -> None:
        box = clip_box(x, y, self.width, self.height, frame.shape[1], frame.shape[0])
        if box is None:
            return
        on_frame, on_sprite = box
        region = frame[on_frame]
        mixed = region.astype(np.uint16)
        mixed *= self._keep[on_sprite]
        mixed += self._paint[on_sprite]
        mixed >>= 8
        region[...] = mixed


def rounded_box(width: int, height: int, radius: int) -> np.ndarray:
    """An anti-aliased rounded rectangle as uint8 alpha (drawn 4× larger, then reduced)."""
    big = Image.new("L", (width * 4, height * 4))
    ImageDraw.Draw(big).rounded_rectangle(
        (0, 0, width * 4 - 1, height * 4 - 1), radius=radius * 4, fill=255
    )
    return np.asarray(big.resize((width, height), Image.Resampling.BOX))
