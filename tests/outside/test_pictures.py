"""Uploaded reference pictures: judged by content, cleaned of metadata, stored by SHA-256."""

from __future__ import annotations

import hashlib
import io
import math
import random
import struct
import threading
import time
import warnings
import zlib

import pytest
from PIL import GifImagePlugin, Image, ImageCms, PngImagePlugin

from lib.outside import picture_bytes
from lib.outside import pictures as reference_images
from lib.outside.pictures import (
    ImageLimits,
    ImageRejected,
    PreparedImage,
    clean_filename,
    prepare_image,
)
from tests.images import encode, gif, jpeg, picture, png, rotated_jpeg, webp

YELLOW = (250, 240, 30)  # the disc tests.images.picture draws in the top-left corner


# --- test files made here --------------------------------------------------------------------


def png_declaring(width: int, height: int) -> bytes:
    """A valid all-black 1-bit PNG of any size: many megapixels in a few kilobytes.

    Built with zlib rather than Pillow, whose mode "1" keeps a byte per pixel in memory."""
    row = b"\x00" * (1 + (width + 7) // 8)  # filter byte + packed bits
    compressor = zlib.compressobj(9)
    rows_per_block = max(1, 4_000_000 // len(row))
    idat, left = [], height
    while left:
        count = min(left, rows_per_block)
        idat.append(compressor.compress(row * count))
        left -= count
    idat.append(compressor.flush())
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", header)
        + _png_chunk(b"IDAT", b"".join(idat))
        + _png_chunk(b"IEND", b"")
    )


def _png_chunk(kind: bytes, payload: bytes) -> bytes:
    crc = zlib.crc32(kind + payload)
    return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", crc)


def png_chunk_types(data: bytes) -> list[str]:
    types, position = [], 8
    while position < len(data):
        (length,) = struct.unpack(">I", data[position : position + 4])
        types.append(data[position + 4 : position + 8].decode("latin-1"))
        position += 12 + length
    return types


def webp_chunk_types(data: bytes) -> list[str]:
    types, position = [], 12
    while position < len(data):
        kind = data[position : position + 4].decode("latin-1")
        (length,) = struct.unpack("<I", data[position + 4 : position + 8])
        types.append(kind)
        position += 8 + length + (length & 1)
    return types


def noise(width: int, height: int, mode: str = "RGB", seed: int = 1) -> Image.Image:
    """Incompressible pixels, the same every run."""
    channels = len(mode) if mode != "P" else 1
    pixels = random.Random(seed).randbytes(width * height * channels)
    image = Image.frombytes(mode, (width, height), pixels)
    if mode == "P":
        image.putpalette(random.Random(seed + 1).randbytes(768))
    return image


def animated(fmt: str) -> bytes:
    frames = [picture(160, 120, colour) for colour in ((200, 0, 0), (0, 200, 0), (0, 0, 200))]
    return encode(frames[0], fmt, save_all=True, append_images=frames[1:], duration=100, loop=0)


def gps_exif() -> Image.Exif:
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x0110] = "PhoneModel 12"  # Model
    gps = exif.get_ifd(0x8825)
    gps[1], gps[2] = "N", (51.0, 30.0, 26.0)  # latitude
    gps[3], gps[4] = "W", (0.0, 7.0, 39.0)  # longitude
    return exif


def swapped_primaries_profile() -> bytes:
    """Pillow's sRGB profile with the red and blue primaries swapped (and renamed)."""
    data = bytearray(ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes())
    (count,) = struct.unpack(">I", data[128:132])
    tags = {bytes(data[132 + 12 * i : 136 + 12 * i]): 132 + 12 * i for i in range(count)}
    red, blue = tags[b"rXYZ"], tags[b"bXYZ"]
    data[red + 4 : red + 12], data[blue + 4 : blue + 12] = (
        data[blue + 4 : blue + 12],
        data[red + 4 : red + 12],
    )
    data[84:100] = bytes(16)  # profile ID: "not computed"
    return bytes(data).replace("sRGB".encode("utf-16-be"), "sBGR".encode("utf-16-be"))


def _half_transparent(width: int, height: int) -> Image.Image:
    image = picture(width, height)
    image.putalpha(128)
    return image


def reopen(prepared: PreparedImage) -> Image.Image:
    image = Image.open(io.BytesIO(prepared.data))
    image.load()
    return image


def near(pixel, expected, tolerance: int = 12) -> bool:
    return all(abs(a - b) <= tolerance for a, b in zip(pixel, expected, strict=True))


def rejection(data: bytes, filename: str, limits: ImageLimits | None = None) -> ImageRejected:
    with pytest.raises(ImageRejected) as caught:
        prepare_image(data, filename, limits or ImageLimits())
    assert caught.value.filename == filename
    assert filename in str(caught.value)
    return caught.value


# --- what is accepted -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "ext", "mime", "pillow_format"),
    [
        (jpeg(640, 360), "jpg", "image/jpeg", "JPEG"),
        (png(640, 360), "png", "image/png", "PNG"),
        (webp(640, 360), "webp", "image/webp", "WEBP"),
    ],
)
def test_jpeg_png_and_webp_are_accepted(data, ext, mime, pillow_format):
    prepared = prepare_image(data, f"shot.{ext}")
    assert (prepared.ext, prepared.mime) == (ext, mime)
    assert (prepared.width, prepared.height) == (640, 360)
    assert prepared.sha256 == hashlib.sha256(prepared.data).hexdigest()
    assert prepared.stored_name == f"{prepared.sha256}.{ext}"
    assert prepared.original_name == f"shot.{ext}"
    stored = reopen(prepared)
    assert stored.format == pillow_format
    assert stored.size == (640, 360)


def test_the_format_comes_from_the_content_not_the_name():
    prepared = prepare_image(jpeg(320, 240), "poster.png")
    assert (prepared.ext, prepared.mime) == ("jpg", "image/jpeg")
    assert prepared.original_name == "poster.png"


def test_a_camera_mpo_is_accepted_as_a_plain_jpeg():
    data = encode(picture(320, 240), "MPO", save_all=True, append_images=[picture(320, 240)])
    assert Image.open(io.BytesIO(data)).format == "MPO"
    prepared = prepare_image(data, "camera.jpg")
    stored = reopen(prepared)
    assert (prepared.ext, stored.format, getattr(stored, "n_frames", 1)) == ("jpg", "JPEG", 1)


# --- what is refused ------------------------------------------------------------------------

_TINY = encode(picture(10, 10), "PNG")
_HEIC_HEADER = b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + bytes(64)
_SVG = b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="640" height="360">'
_SVG += b'<rect width="640" height="360" fill="red"/></svg>'


@pytest.mark.parametrize(
    ("data", "filename", "reason", "words"),
    [
        (b"Meeting notes: launch the spring campaign.\n", "notes.png", "format", "upload a JPG"),
        (b"", "empty.jpg", "empty", "is empty"),
        (jpeg(640, 480)[:3000], "cut.jpg", "damaged", "damaged or incomplete"),
        (png(640, 480)[:2000], "cut.png", "damaged", "damaged or incomplete"),
        (gif(200, 200), "loop.gif", "format", "is a GIF image"),
        (_SVG, "logo.svg", "format", "is an SVG drawing"),
        (_SVG, "logo.png", "format", "is an SVG drawing"),
        (encode(picture(200, 200), "BMP"), "scan.bmp", "format", "is a BMP image"),
        (encode(picture(200, 200), "TIFF"), "print.tif", "format", "is a TIFF image"),
        (_HEIC_HEADER, "IMG_0001.HEIC", "format", "is a HEIC photo"),
        (animated("WEBP"), "sticker.webp", "animated", "is animated; upload a still image"),
        (animated("PNG"), "banner.png", "animated", "is animated; upload a still image"),
        (_TINY, "icon.png", "too_small", "too small: 10 × 10 pixels"),
    ],
)
def test_unusable_files_are_refused_by_name_with_the_reason(data, filename, reason, words):
    refused = rejection(data, filename)
    assert refused.reason == reason
    assert words in str(refused)


def test_the_test_files_are_what_they_claim():
    # Guards the table above: the animated ones really animate, the cut one really opens.
    assert Image.open(io.BytesIO(animated("WEBP"))).n_frames == 3
    assert Image.open(io.BytesIO(animated("PNG"))).n_frames == 3
    assert Image.open(io.BytesIO(jpeg(640, 480)[:3000])).size == (640, 480)


def test_only_the_allowed_parsers_ever_read_the_bytes(monkeypatch):
    def must_not_parse(self):
        raise AssertionError("the GIF parser was given the upload")

    monkeypatch.setattr(GifImagePlugin.GifImageFile, "_open", must_not_parse)
    assert rejection(gif(200, 200), "loop.gif").reason == "format"


def test_a_file_over_the_byte_limit_is_refused_with_its_size():
    data = encode(noise(700, 600), "PNG")  # about 1.2 MB
    limits = ImageLimits(max_bytes=1024 * 1024)
    refused = rejection(data, "big.png", limits)
    assert refused.reason == "too_big"
    megabytes = math.ceil(len(data) * 10 / 1024 / 1024) / 10  # rounded up, e.g. 1.3
    assert str(refused) == f"big.png is too large: {megabytes} MB; the limit is 1 MB."
    assert prepare_image(data, "big.png").ext == "png"  # fine under the default 20 MB


def test_a_file_that_grows_past_the_limit_when_cleaned_is_refused():
    data = encode(noise(300, 300, "P"), "PNG")  # 1 byte a pixel; stored as 3
    refused = rejection(data, "palette.png", ImageLimits(max_bytes=len(data)))
    assert refused.reason == "too_big"
    assert "once cleaned" in str(refused)


# --- decompression bombs ---------------------------------------------------------------------


def test_a_bomb_is_refused_from_its_header_with_its_size():
    data = png_declaring(20_000, 20_000)
    assert len(data) < 100_000
    refused = rejection(data, "photo.png")
    assert refused.reason == "too_many_pixels"
    expected = "photo.png is too large: 20000 × 20000 pixels; the limit is 40 megapixels."
    assert str(refused) == expected


def test_a_picture_over_our_pixel_limit_but_under_pillows_is_refused():
    data = png_declaring(8000, 6000)  # 48 MP: Pillow alone would open it
    assert Image.open(io.BytesIO(data)).size == (8000, 6000)
    refused = rejection(data, "wide.png")
    assert "8000 × 6000 pixels; the limit is 40 megapixels" in str(refused)


@pytest.mark.parametrize("make", [jpeg, png, webp])
def test_the_pixel_and_side_limits_apply_to_every_format(make):
    data = make(400, 300)
    assert "400 × 300 pixels" in str(rejection(data, "big", ImageLimits(max_pixels=100_000)))
    assert rejection(data, "small", ImageLimits(min_side=301)).reason == "too_small"
    assert prepare_image(data, "ok", ImageLimits(max_pixels=120_000, min_side=300)).width == 400


def jpeg_declaring(width: int, height: int) -> bytes:
    """A small real JPEG whose frame header claims another size (as a crafted file would)."""
    data = bytearray(jpeg(64, 64))
    frame = data.index(b"\xff\xc0")
    data[frame + 5 : frame + 9] = struct.pack(">HH", height, width)
    return bytes(data)


@pytest.mark.parametrize("make", [png_declaring, jpeg_declaring])
def test_pillows_limit_still_applies_when_ours_is_higher_and_no_bomb_warning_escapes(make):
    data = make(10_000, 10_000)  # over Pillow's warning limit, under its error limit
    with warnings.catch_warnings():  # this test's own look at the file: Pillow warns
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        assert Image.open(io.BytesIO(data)).size == (10_000, 10_000)
    generous = ImageLimits(max_pixels=10**9)
    filters_before = list(warnings.filters)
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        refused = rejection(data, "huge.img", generous)
    assert refused.reason == "too_many_pixels"
    assert "10000 × 10000 pixels" in str(refused)
    assert not [w for w in seen if issubclass(w.category, Image.DecompressionBombWarning)]
    assert warnings.filters == filters_before


def test_checking_never_touches_the_process_wide_warning_filters(monkeypatch):
    # Renders run on threads: a filter set (and later restored) by one upload's check would
    # change what every other thread sees meanwhile. So none is ever set, on any path.
    def process_wide(*args, **kwargs):
        raise AssertionError("the warnings filters were changed while checking an upload")

    for name in ("catch_warnings", "simplefilter", "filterwarnings", "resetwarnings"):
        monkeypatch.setattr(warnings, name, process_wide)
    files = [jpeg(640, 480), png(640, 480), webp(640, 480), rotated_jpeg(300, 200)]
    bombs = [png_declaring(10_000, 10_000), jpeg_declaring(20_000, 20_000)]
    results: list[object] = []

    def check_all() -> None:
        for data in files + bombs:
            try:
                results.append(prepare_image(data, "x", ImageLimits(max_pixels=10**9)).ext)
            except ImageRejected as refused:
                results.append(refused.reason)

    threads = [threading.Thread(target=check_all) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    expected = ["jpg", "png", "webp", "jpg", "too_many_pixels", "too_many_pixels"]
    assert sorted(results) == sorted(expected * 4)


def test_pillows_bomb_error_is_caught():
    refused = rejection(png_declaring(20_000, 20_000), "huge.png", ImageLimits(max_pixels=10**9))
    assert refused.reason == "too_many_pixels"
    assert "too large" in str(refused)


def test_a_webp_over_the_limit_is_refused_before_pillow_opens_it(monkeypatch):
    data = encode(picture(400, 300), "WEBP", lossless=True)

    def must_not_open(*args, **kwargs):
        raise AssertionError("Pillow was asked to open a WebP over the limit")

    monkeypatch.setattr(reference_images.Image, "open", must_not_open)
    refused = rejection(data, "huge.webp", ImageLimits(max_pixels=100_000))
    assert "400 × 300 pixels" in str(refused)


@pytest.mark.parametrize(
    ("data", "chunk"),
    [
        (encode(picture(333, 211), "WEBP", quality=80), "VP8 "),
        (encode(picture(333, 211), "WEBP", lossless=True), "VP8L"),
        (encode(_half_transparent(333, 211), "WEBP", quality=80), "VP8X"),
        (encode(picture(333, 211), "PNG"), None),
        (encode(picture(333, 211), "JPEG"), None),
        (encode(picture(333, 211), "JPEG", progressive=True), None),
        (encode(Image.new("CMYK", (333, 211)), "JPEG"), None),
        (encode(Image.new("L", (333, 211)), "JPEG"), None),
        (encode(picture(333, 211), "JPEG", exif=gps_exif(), comment=b"x" * 60_000), None),
        (encode(picture(333, 211), "MPO", save_all=True, append_images=[picture(50, 40)]), None),
    ],
)
def test_the_header_size_reader_agrees_with_pillow(data, chunk):
    if chunk:
        assert data[12:16].decode() == chunk
    assert picture_bytes.declared_size(data) == Image.open(io.BytesIO(data)).size == (333, 211)


def test_the_header_size_reader_ignores_other_files():
    assert picture_bytes.declared_size(gif(100, 100)) is None
    assert picture_bytes.declared_size(b"RIFF\x00\x00\x00\x00WEBPVP8X") is None
    assert picture_bytes.declared_size(jpeg(100, 100)[:20]) is None  # cut before the frame
    assert picture_bytes.declared_size(b"\xff\xd8\xff\xda" + bytes(100)) is None


# --- orientation and metadata ----------------------------------------------------------------


def test_exif_orientation_is_applied_and_removed():
    data = rotated_jpeg(800, 600, orientation=6)  # stored landscape, shown portrait
    assert Image.open(io.BytesIO(data)).getexif()[0x0112] == 6
    prepared = prepare_image(data, "phone.jpg")
    assert (prepared.width, prepared.height) == (600, 800)
    stored = reopen(prepared)
    assert stored.size == (600, 800)
    assert not stored.getexif()
    # Turned clockwise: the disc drawn at the stored top-left now sits top-right.
    assert near(stored.getpixel((466, 133)), YELLOW, 40)
    assert not near(stored.getpixel((133, 133)), YELLOW, 40)


def test_gps_and_other_jpeg_metadata_are_stripped():
    data = encode(
        picture(640, 480),
        "JPEG",
        exif=gps_exif(),
        comment=b"secret campaign",
        xmp=b"<x:xmpmeta>secret</x:xmpmeta>",
    )
    original = Image.open(io.BytesIO(data))
    assert original.getexif().get_ifd(0x8825)[1] == "N"
    stored = reopen(prepare_image(data, "field.jpg"))
    assert not stored.getexif()
    assert not stored.getexif().get_ifd(0x8825)
    assert not {"exif", "comment", "xmp", "icc_profile"} & set(stored.info)
    cleaned = prepare_image(data, "field.jpg").data
    for secret in (b"Exif", b"PhoneMaker", b"secret"):
        assert secret not in cleaned


def test_png_text_exif_and_profile_chunks_are_stripped():
    info = PngImagePlugin.PngInfo()
    info.add_text("Author", "Jane at the agency")
    info.add_itxt("Description", "draft, do not share", zip=True)
    data = encode(picture(320, 240), "PNG", pnginfo=info, exif=gps_exif(), icc_profile=b"junk")
    assert {"tEXt", "iTXt", "eXIf", "iCCP"} <= set(png_chunk_types(data))
    cleaned = prepare_image(data, "draft.png").data
    assert png_chunk_types(cleaned)[0] == "IHDR"
    assert set(png_chunk_types(cleaned)) == {"IHDR", "IDAT", "IEND"}


def test_webp_exif_and_xmp_chunks_are_stripped():
    data = encode(picture(320, 240), "WEBP", exif=gps_exif(), xmp=b"<x:xmpmeta>secret</x:xmpmeta>")
    assert {"EXIF", "XMP "} <= set(webp_chunk_types(data))
    cleaned = prepare_image(data, "draft.webp").data
    assert set(webp_chunk_types(cleaned)) <= {"VP8 ", "VP8L", "VP8X", "ALPH"}
    assert b"secret" not in cleaned


def test_an_embedded_colour_profile_is_converted_to_srgb():
    profile = swapped_primaries_profile()  # says: stored red means blue
    data = encode(Image.new("RGB", (128, 128), (255, 0, 0)), "PNG", icc_profile=profile)
    stored = reopen(prepare_image(data, "wide-gamut.png"))
    assert "icc_profile" not in stored.info
    assert near(stored.getpixel((64, 64)), (0, 0, 255))


@pytest.mark.parametrize(
    "profile",
    [ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes(), b"not a profile"],
)
def test_an_srgb_or_broken_profile_is_dropped_and_the_colours_kept(profile, monkeypatch):
    conversions = []
    monkeypatch.setattr(ImageCms, "profileToProfile", lambda *a, **k: conversions.append(a))
    data = encode(Image.new("RGB", (128, 128), (200, 80, 40)), "JPEG", icc_profile=profile)
    assert Image.open(io.BytesIO(data)).info["icc_profile"] == profile
    stored = reopen(prepare_image(data, "flat.jpg"))
    assert "icc_profile" not in stored.info
    assert near(stored.getpixel((64, 64)), (200, 80, 40))
    assert conversions == []  # sRGB needs no conversion: skipping it saves time on big photos


# --- pixel modes -----------------------------------------------------------------------------


def _transparent_palette() -> Image.Image:
    image = Image.new("P", (100, 100), 0)
    image.putpalette([0, 0, 0, 255, 0, 0] + [0] * 762)
    image.paste(1, (50, 0, 100, 100))
    image.info["transparency"] = 0
    return image


def _opaque_palette() -> Image.Image:
    image = _transparent_palette()
    del image.info["transparency"]
    return image


def _transparent_rgba() -> Image.Image:
    image = Image.new("RGBA", (100, 100), (0, 0, 0, 0))
    image.paste((255, 0, 0, 255), (50, 0, 100, 100))
    return image


@pytest.mark.parametrize(
    ("image", "fmt", "mode"),
    [
        (Image.new("RGB", (100, 100), (255, 0, 0)), "JPEG", "RGB"),
        (Image.new("L", (100, 100), 128), "JPEG", "L"),
        (Image.new("CMYK", (100, 100), (0, 255, 255, 0)), "JPEG", "RGB"),
        (_transparent_rgba(), "PNG", "RGBA"),
        (_transparent_palette(), "PNG", "RGBA"),
        (_opaque_palette(), "PNG", "RGB"),
        (Image.new("1", (100, 100), 1), "PNG", "L"),
        (Image.new("LA", (100, 100), (128, 0)), "PNG", "LA"),
        (Image.new("I;16", (100, 100), 32768), "PNG", "L"),
        (_transparent_rgba(), "WEBP", "RGBA"),
        (Image.new("RGB", (100, 100), (255, 0, 0)), "WEBP", "RGB"),
    ],
    ids=lambda value: value if isinstance(value, str) else getattr(value, "mode", None),
)
def test_pixel_modes_become_what_the_output_format_stores(image, fmt, mode):
    stored = reopen(prepare_image(encode(image, fmt), f"x.{fmt.lower()}"))
    assert stored.format == fmt
    assert stored.mode == mode


def test_a_cmyk_jpeg_becomes_an_rgb_jpeg_of_the_same_colour():
    data = encode(Image.new("CMYK", (100, 100), (0, 255, 255, 0)), "JPEG", quality=95)
    assert Image.open(io.BytesIO(data)).mode == "CMYK"
    prepared = prepare_image(data, "print.jpg")
    stored = reopen(prepared)
    assert (prepared.ext, stored.mode) == ("jpg", "RGB")
    assert near(stored.getpixel((50, 50)), (255, 0, 0))


@pytest.mark.parametrize("fmt", ["PNG", "WEBP"])
@pytest.mark.parametrize("source", [_transparent_rgba, _transparent_palette])
def test_transparency_is_kept(fmt, source):
    data = encode(source(), fmt, **({"lossless": True} if fmt == "WEBP" else {}))
    stored = reopen(prepare_image(data, f"cutout.{fmt.lower()}")).convert("RGBA")
    assert stored.getpixel((10, 50))[3] == 0
    assert near(stored.getpixel((90, 50)), (255, 0, 0, 255), 2)


def test_sixteen_bit_grey_is_scaled_not_clipped():
    data = encode(Image.new("I;16", (100, 100), 32768), "PNG")
    assert Image.open(io.BytesIO(data)).mode.startswith("I")
    stored = reopen(prepare_image(data, "scan.png"))
    assert stored.getpixel((50, 50)) == 128


# --- determinism and speed -------------------------------------------------------------------


@pytest.mark.parametrize("data", [jpeg(640, 480), png(640, 480), webp(640, 480)])
def test_the_same_bytes_always_give_the_same_file(data):
    first = prepare_image(data, "a.jpg")
    second = prepare_image(bytes(data), "another name.png")
    assert first.data == second.data
    assert first.sha256 == second.sha256 == hashlib.sha256(first.data).hexdigest()


def test_a_twelve_megapixel_photo_prepares_in_well_under_a_second():
    photo = Image.blend(picture(4000, 3000), noise(4000, 3000), 0.3)
    data = encode(photo, "JPEG", quality=92)
    started = time.perf_counter()
    prepared = prepare_image(data, "big.jpg")
    assert time.perf_counter() - started < 1.0
    assert (prepared.width, prepared.height) == (4000, 3000)


# --- file names ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "shown"),
    [
        ("holiday.jpg", "holiday.jpg"),
        ("../../etc/passwd.png", "passwd.png"),
        ("C:\\Users\\jane\\Desktop\\logo.png", "logo.png"),
        ("evil\x00name\r\n.png", "evilname.png"),
        ("photo\u202egnp.exe", "photognp.exe"),
        ("  spaced.png  ", "spaced.png"),
        ("", "image"),
        ("..", "image"),
        ("folder/", "folder"),
        ("\x07\x08", "image"),
        ("é" * 200 + ".jpeg", "é" * 115 + ".jpeg"),
        ("x" * 300, "x" * 120),
    ],
)
def test_file_names_are_cleaned_for_display(given, shown):
    assert clean_filename(given) == shown
    assert len(clean_filename(given)) <= 120


def test_messages_and_results_use_the_cleaned_name():
    with pytest.raises(ImageRejected) as caught:
        prepare_image(b"", "../secret/\x1bempty.png")
    assert caught.value.filename == "empty.png"
    assert str(caught.value).startswith("empty.png is empty")
    assert prepare_image(png(100, 100), "/tmp/up/logo.png").original_name == "logo.png"
