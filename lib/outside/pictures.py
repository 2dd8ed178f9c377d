"""Reference pictures people upload: checked by content, cleaned, and stored by SHA-256.

The browser gives bytes and a file name. The name is only ever shown back to people; what
the file *is* comes from decoding it with Pillow. A picture that passes is re-encoded from
its pixels alone, so no EXIF (GPS!), XMP, comments or text chunks reach the video service.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import math
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import PurePosixPath, PureWindowsPath

from PIL import Image, ImageOps

from lib.domain.catalog import IMAGE_FORMATS
from lib.outside.picture_bytes import declared_size, kind_of, starts_like_an_allowed_picture

try:  # colour management is optional in Pillow builds; without it profiles are just dropped
    from PIL import ImageCms
except ImportError:  # pragma: no cover - the pinned Pillow has it
    ImageCms = None

MIME_TYPES = {"jpg": "image/jpeg", "png": "image/png", "webp": "image/webp"}
ALLOWED = "a JPG, PNG or WEBP image"
MAX_NAME_LENGTH = 120
_MB = 1024 * 1024

# Pillow format → the family we write. MPO is what cameras make: a JPEG with extra frames
# (previews, stereo pairs) whose first frame is the photo.
_FAMILIES = {"JPEG": "JPEG", "MPO": "JPEG", "PNG": "PNG", "WEBP": "WEBP"}
_ENCODER_OPTIONS = {
    "JPEG": {"quality": 90},
    # Level 3, not zlib's default 6: as small on photos and about 2.5 times faster.
    "PNG": {"optimize": False, "compress_level": 3},
    "WEBP": {"quality": 90},
}


class ImageRejected(ValueError):
    """A picture that can't be used; str() is a message for a marketing person that names the
    file and says what is allowed. `reason` is a short code for code and tests: "empty",
    "too_big", "format", "damaged", "too_many_pixels", "animated", "too_small"."""

    def __init__(self, filename: str, message: str, reason: str):
        super().__init__(message)
        self.filename = filename
        self.reason = reason

    @property
    def predicate(self) -> str:
        """The message without the name it starts with ("is damaged or …"), for a caller
        that names the picture its own way."""
        return str(self).removeprefix(self.filename).lstrip()


@dataclass(frozen=True)
class PreparedImage:
    data: bytes  # the cleaned file to store and serve
    sha256: str  # hex digest of `data`
    ext: str  # "jpg" | "png" | "webp"
    mime: str  # "image/jpeg" | "image/png" | "image/webp"
    width: int  # upright size after EXIF orientation
    height: int
    original_name: str  # the uploaded name, for display only (sanitised)

    @property
    def stored_name(self) -> str:
        """The file name under which the storage keeps it: <sha256>.<ext>."""
        return f"{self.sha256}.{self.ext}"


@dataclass(frozen=True)
class ImageLimits:
    max_bytes: int = 20 * 1024 * 1024  # 20 MB
    max_pixels: int = 40_000_000  # 40 MP
    min_side: int = 64  # smaller is useless for a video frame


def prepare_image(
    data: bytes, filename: str, limits: ImageLimits = ImageLimits(), label: str | None = None
) -> PreparedImage:
    """Check an upload by its content and return it cleaned; raises ImageRejected.
    `label` names a picture that came from a link in messages ("Picture 2 (the link …)");
    an upload is named by its file name."""
    original = clean_filename(filename)
    name = label or original
    advice = f"link to {ALLOWED}" if label else f"upload {ALLOWED}"
    limits = _no_higher_than_pillows(limits)
    _check_file_size(len(data), name, limits, advice)
    image, family = _decode(data, name, limits, advice)
    pixels = _clean_pixels(image, family)
    encoded = _encode(pixels, family)
    if len(encoded) > limits.max_bytes:  # rare: e.g. a palette PNG stored as full colour
        raise ImageRejected(
            name,
            f"{name} is too large once cleaned ({_megabytes(len(encoded))}); the limit is "
            f"{_megabytes(limits.max_bytes)}. Try saving it as a JPG.",
            "too_big",
        )
    ext = IMAGE_FORMATS[family]
    return PreparedImage(
        data=encoded,
        sha256=hashlib.sha256(encoded).hexdigest(),
        ext=ext,
        mime=MIME_TYPES[ext],
        width=pixels.width,
        height=pixels.height,
        original_name=original,
    )


def clean_filename(filename: str) -> str:
    """The uploaded name made safe to show: base name only, no control characters, ≤ 120."""
    text = unicodedata.normalize("NFC", str(filename or ""))
    # Category C covers control, format (e.g. right-to-left override) and unassigned characters.
    text = "".join(ch for ch in text if not unicodedata.category(ch).startswith("C"))
    # Browsers send a base name, but old ones sent a Windows path; take the last part of either.
    text = PureWindowsPath(PurePosixPath(text).name).name.strip()
    if text in ("", ".", ".."):
        return "image"
    if len(text) > MAX_NAME_LENGTH:
        stem, dot, suffix = text.rpartition(".")
        keep = f".{suffix}" if dot and stem and len(suffix) <= 10 else ""
        text = text[: MAX_NAME_LENGTH - len(keep)] + keep
    return text


# --- checks ---------------------------------------------------------------------------------


def _check_file_size(size: int, name: str, limits: ImageLimits, advice: str) -> None:
    if size == 0:
        raise ImageRejected(name, f"{name} is empty: {advice}.", "empty")
    if size > limits.max_bytes:
        raise ImageRejected(
            name,
            f"{name} is too large: {_megabytes(size)}; the limit is "
            f"{_megabytes(limits.max_bytes)}.",
            "too_big",
        )


def _check_dimensions(size: tuple[int, int], name: str, limits: ImageLimits) -> None:
    width, height = size
    if width * height > limits.max_pixels:
        raise _too_many_pixels(name, limits, size)
    if min(width, height) < limits.min_side:
        raise ImageRejected(
            name,
            f"{name} is too small: {width} × {height} pixels; each side must be at least "
            f"{limits.min_side} pixels.",
            "too_small",
        )


def _decode(data: bytes, name: str, limits: ImageLimits, advice: str) -> tuple[Image.Image, str]:
    """Open, check and fully decode the picture; returns it upright and its format family."""
    # Judge the size the header declares before Pillow opens the file: WebP allocates its
    # whole canvas while opening, and Pillow's own bomb check only warns (warnings filters
    # are process-wide, so turning that warning into an error is not safe on threads).
    declared = declared_size(data)
    if declared is not None:
        _check_dimensions(declared, name, limits)
    with _read_errors(name, limits):
        try:
            # Only the three allowed parsers ever see the bytes.
            image = Image.open(io.BytesIO(data), formats=tuple(IMAGE_FORMATS))
        except Image.UnidentifiedImageError:
            raise _wrong_format(name, data, advice) from None
    family = _FAMILIES.get(image.format or "")
    if family is None:
        raise _wrong_format(name, data, advice)
    # Again from what Pillow read (the header reader skips odd files): before any decoding.
    _check_dimensions(image.size, name, limits)
    if family != "JPEG" and getattr(image, "n_frames", 1) > 1:
        raise ImageRejected(name, f"{name} is animated; upload a still image.", "animated")
    with _read_errors(name, limits):
        image.load()  # decodes every pixel: a truncated or corrupt file fails here
    _turn_upright(image)
    return image, family


@contextlib.contextmanager
def _read_errors(name: str, limits: ImageLimits) -> Iterator[None]:
    """Pillow's many exception types, turned into what they mean for the upload."""
    try:
        yield
    except (ImageRejected, MemoryError):
        raise
    except Image.DecompressionBombError:  # over twice Pillow's limit: it refuses to open
        raise _too_many_pixels(name, limits) from None
    except Exception:  # decoders raise OSError, SyntaxError, ValueError, EOFError, struct.error…
        raise _damaged(name) from None


def _no_higher_than_pillows(limits: ImageLimits) -> ImageLimits:
    """Our pixel limit, lowered to Pillow's bomb limit if a caller set it above: past that
    Pillow warns or refuses, and we want one clear refusal of our own instead."""
    pillows = Image.MAX_IMAGE_PIXELS
    if pillows and limits.max_pixels > pillows:
        return replace(limits, max_pixels=int(pillows))
    return limits


def _turn_upright(image: Image.Image) -> None:
    try:
        ImageOps.exif_transpose(image, in_place=True)
    except MemoryError:
        raise
    except Exception:
        # Unreadable EXIF: keep the pixels as stored; the metadata is dropped anyway.
        pass


# --- cleaning -------------------------------------------------------------------------------


def _clean_pixels(image: Image.Image, family: str) -> Image.Image:
    """The pixels in a mode the output format stores well, in sRGB, with no metadata."""
    icc = image.info.get("icc_profile")
    if icc and image.mode in ("RGB", "RGBA", "CMYK"):
        image = _to_srgb(image, icc) or image
    target = _target_mode(image, family)
    if image.mode.startswith("I"):
        # 16-bit grey: scale to 8 bits (a plain convert would clip everything bright to white).
        image = image.convert("I").point(lambda value: value / 256).convert("L")
    if image.mode != target:
        image = image.convert(target)
    image.info = {}  # some encoders read comments, ICC and transparency from here
    return image


def _target_mode(image: Image.Image, family: str) -> str:
    grey = Image.getmodebase(image.mode) == "L"
    alpha = family != "JPEG" and image.has_transparency_data
    if family == "JPEG":
        return "L" if grey else "RGB"
    if family == "WEBP":  # WebP stores colour only
        return "RGBA" if alpha else "RGB"
    if alpha:
        return "LA" if grey else "RGBA"
    return "L" if grey else "RGB"


def _to_srgb(image: Image.Image, icc: bytes) -> Image.Image | None:
    """Convert to sRGB through the embedded profile; None when that isn't possible."""
    if ImageCms is None:
        return None
    try:
        source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
        # Already sRGB (most Android photos): dropping the profile changes nothing, saves time.
        if "srgb" in ImageCms.getProfileDescription(source).lower():
            return None
        output_mode = "RGBA" if image.mode == "RGBA" else "RGB"
        return ImageCms.profileToProfile(
            image, source, ImageCms.createProfile("sRGB"), outputMode=output_mode
        )
    except MemoryError:
        raise
    except Exception:
        return None  # a broken or mismatched profile: keep the numbers, drop the profile


def _encode(image: Image.Image, family: str) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, family, **_ENCODER_OPTIONS[family])
    return buffer.getvalue()


# --- messages -------------------------------------------------------------------------------
def _wrong_format(name: str, data: bytes, advice: str) -> ImageRejected:
    if starts_like_an_allowed_picture(data):
        return _damaged(name)
    kind = kind_of(data)
    if kind:
        message = f"{name} is {kind}, which the video service can't use: {advice}."
    else:
        message = f"{name} is not a picture the video service can use: {advice}."
    return ImageRejected(name, message, "format")


def _damaged(name: str) -> ImageRejected:
    return ImageRejected(
        name,
        f"{name} is damaged or incomplete and can't be read; export it again as {ALLOWED}.",
        "damaged",
    )


def _too_many_pixels(
    name: str, limits: ImageLimits, size: tuple[int, int] | None = None
) -> ImageRejected:
    limit = f"the limit is {limits.max_pixels / 1_000_000:g} megapixels"
    if size is None:
        message = f"{name} is too large: it has more pixels than can be opened safely; {limit}."
    else:
        message = f"{name} is too large: {size[0]} × {size[1]} pixels; {limit}."
    return ImageRejected(name, message, "too_many_pixels")


def _megabytes(size: int) -> str:
    """'20 MB', '20.1 MB': rounded up, so a file just over a limit never reads as equal to it."""
    return f"{math.ceil(size * 10 / _MB) / 10:g} MB"
