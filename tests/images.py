"""Test images made with Pillow: real files of each kind a person might upload."""

from __future__ import annotations

import io

from PIL import Image, ImageDraw


def picture(width: int, height: int, colour=(200, 80, 40)) -> Image.Image:
    image = Image.new("RGB", (width, height), colour)
    draw = ImageDraw.Draw(image)
    draw.rectangle((width // 4, height // 4, width * 3 // 4, height * 3 // 4), fill=(30, 90, 200))
    draw.ellipse((0, 0, width // 3, width // 3), fill=(250, 240, 30))
    return image


def encode(image: Image.Image, fmt: str, **options) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


def jpeg(width: int, height: int, **options) -> bytes:
    return encode(picture(width, height), "JPEG", quality=85, **options)


def png(width: int, height: int) -> bytes:
    return encode(picture(width, height), "PNG")


def webp(width: int, height: int) -> bytes:
    return encode(picture(width, height), "WEBP")


def gif(width: int, height: int) -> bytes:
    return encode(picture(width, height), "GIF")


def rotated_jpeg(stored_width: int, stored_height: int, orientation: int = 6) -> bytes:
    """A JPEG stored one way with an EXIF tag saying to turn it (as phones do)."""
    exif = Image.Exif()
    exif[0x0112] = orientation
    return encode(picture(stored_width, stored_height), "JPEG", exif=exif.tobytes())
