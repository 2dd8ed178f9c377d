"""Bad input (issue 6, part 5): every odd thing a person can type, pick, upload or paste
into Create, and every value that can reach the form without a widget (an earlier video's
settings, the session), gets a clear outcome: a message that names the field and says
what is allowed, or, for a few awkward but usable pictures, acceptance with the right
result. The page never crashes, and nothing is left half-stored: no task row, and asset
rows and files only for pictures that were accepted, one file per row.

Each case runs the real Create page under AppTest on a running studio. Values no widget
can produce also go through `lib.create.submit.submit_draft`, the lib entry the page calls.

Issue 12 added the cases an outside corpus found: picture links that other parsers read
as this machine (a backslash, look-alike digits and letters), text the database can't hold
(NUL, lone surrogates, 10,000-character campaigns), invisible prompts, direction-override
characters in names and campaigns, file names and links that Markdown would render, and
damaged pictures called "not a picture". Every link case also checks that nothing was
fetched from this machine, and every case that every stored text fits its column (what
PostgreSQL enforces: lengths, no NUL).

Decided here: an animated WEBP (or PNG) is refused, not cut to its first frame. A sticker's
first frame is often blank or an intro, and a silently different picture would surprise
more than a message asking for a still image.
"""

from __future__ import annotations

import io
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from PIL import Image
from sqlalchemy import select
from streamlit.testing.v1 import AppTest

from lib.create import draft, keys, submit
from lib.domain.catalog import GROK_IMAGINE_VIDEO
from lib.domain.links import LinkPolicy, link_problem
from lib.domain.markdown import escape_markdown
from lib.engine.runtime import embedded_local_prefixes
from lib.store.schema import Asset, Base
from tests import images
from tests.create.test_page import generate, plain
from tests.outside.test_pictures import (
    _HEIC_HEADER,
    _SVG,
    YELLOW,
    animated,
    jpeg_declaring,
    near,
    png_declaring,
)
from tests.reliability import figures
from tests.reliability.canary import Listener, connections, listener, touching
from tests.studio_harness import STUDIO, RunningStudio, studio_config

ALLOWED_FILES = "upload a JPG, PNG or WEBP image"
PRIVATE = "points inside a private network: use a public web address (https://...)"
WEB_ADDRESS = "must be a public web address starting with http:// or https://"
MB = 1024 * 1024
PROMPT_LIMIT = GROK_IMAGINE_VIDEO.field_spec("prompt").max_length or 0


@dataclass
class Seen:
    """Messages met on the way, besides those on the page at the end."""

    page: list[str] = field(default_factory=list)  # on the page before the last click
    lib: list[str] = field(default_factory=list)  # from the lib entry the page calls
    raw: list[str] = field(default_factory=list)  # the page's messages as Markdown


Step = Callable[[AppTest, RunningStudio], Seen]


# --- how an input reaches the page ------------------------------------------------------


def typed(prompt: str = "", **numbers: int) -> Step:
    """Text to video: a prompt and a duration typed into the boxes, then Generate."""

    def step(at: AppTest, running: RunningStudio) -> Seen:
        at.run()
        # set_value, not input: past the box's limit input() drops the text, as a browser
        # does; set_value sends it whole, as a crafted request could.
        at.text_area(key=keys.PROMPT).set_value(prompt)
        if "duration" in numbers:
            at.number_input(key=keys.DURATION).set_value(numbers["duration"])
        at.run()
        if len(prompt) <= PROMPT_LIMIT:
            generate(at)
        return Seen()

    return step


def uploaded(*files: tuple[str, bytes]) -> Step:
    """Image to video: files picked in the uploader (the page checks each at once), then
    Generate when there are several."""

    def step(at: AppTest, running: RunningStudio) -> Seen:
        at.run().segmented_control(key=keys.MODE).set_value("image").run()
        picked = [(name, data, "application/octet-stream") for name, data in files]
        at.file_uploader(key=keys.UPLOADS).set_value(picked).run()
        if len(files) > 1:
            generate(at)
        return Seen()

    return step


def pasted(links: str) -> Step:
    """Image to video: links pasted into the links box (each is fetched in the background
    as it is pasted), then Generate."""

    def step(at: AppTest, running: RunningStudio) -> Seen:
        at.run().segmented_control(key=keys.MODE).set_value("image").run()
        port = str(CANARY[0].port)
        links_here = links.replace("{canary}", f"127.0.0.1:{port}").replace("{port}", port)
        at.text_area(key=keys.LINKS).input(links_here).run()
        at.session_state[keys.PASTED].settle()
        at.run()
        seen = Seen(page=messages(at), raw=raw_markdown(at))
        generate(at)
        return seen

    return step


# A listener on this machine that no link may reach; in a link, {canary} is its address
# and {port} its port (set by the `canary` fixture).
CANARY: list[Listener] = []


def sent(who: str = "Ana Lopez", **values: Any) -> Step:
    """Text to video with these values in the form (as typed, or as a crafted request
    leaves them: text widgets send what the browser gives), then Generate."""

    def step(at: AppTest, running: RunningStudio) -> Seen:
        at.session_state["who"] = who
        for key, value in values.items():
            at.session_state[key] = value
        at.run()
        generate(at)
        return Seen()

    return step


def prefilled(key: str, value: Any, param: str) -> Step:
    """A value no widget can produce, from an earlier video's settings or the session.
    The lib entry the page calls must refuse it with a message; then the page is given
    it, must say so at the field and stay up, also when Generate is pressed."""

    def step(at: AppTest, running: RunningStudio) -> Seen:
        state = {**keys.defaults(), keys.PROMPT: "A paper boat on a puddle", key: value}
        held = draft.draft_from(state)
        result = submit.submit_draft(running.studio, held, "Ana Lopez", uuid.uuid4().hex)
        assert result.task_id is None, "a task was made from a bad value"
        seen = Seen(lib=[result.problems.get(param, f"nothing said about {param}")])
        at.session_state[key] = value  # as History's "use these settings" leaves it
        at.run()
        seen.page = messages(at)
        if not at.exception and key != keys.PROMPT:
            generate(at)  # with the value put right and no prompt: nothing is sent
        return seen

    return step


# --- what counts as accepted -----------------------------------------------------------


def one_stored_picture(running: RunningStudio) -> tuple[Asset, Image.Image]:
    [asset] = assets(running)
    stored = Image.open(running.studio.config.assets_dir / asset.file_name)
    stored.load()
    return asset, stored


def cmyk_became_rgb(running: RunningStudio) -> None:
    asset, stored = one_stored_picture(running)
    assert (asset.ext, stored.format, stored.mode) == ("jpg", "JPEG", "RGB")
    assert near(stored.getpixel((50, 50)), (255, 0, 0))


def turned_upright(running: RunningStudio) -> None:
    asset, stored = one_stored_picture(running)
    assert (asset.width, asset.height) == stored.size == (600, 800)  # stored 800 × 600
    assert not stored.getexif()
    assert near(stored.getpixel((466, 133)), YELLOW, 40)  # the disc, turned to the right


def stored_as(**expected: str) -> Callable[[RunningStudio], None]:
    """Accepted: one video, its text fields stored cleaned as expected."""

    def check(running: RunningStudio) -> None:
        [task] = running.studio.store.tasks()
        for name, value in expected.items():
            assert getattr(task, name) == value, (name, getattr(task, name))

    return check


# --- the cases ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    id: str
    step: Step
    field: str  # words that name the field (or the file) in the message
    words: tuple[str, ...] = ()  # words that say what is allowed, or what was wrong
    accepted: Callable[[RunningStudio], None] | None = None  # accepted: check the result
    assets: int = 0  # asset rows (each with its file) expected afterwards
    no_decoding: bool = False  # refused from its size alone: Pillow never opens it
    typed_markup: str = ""  # shown in a message as typed: never as raw Markdown
    tasks: int = 0  # tasks expected afterwards (accepted cases make one)


def case(id: str, step: Step, field: str, *words: str, **options: Any) -> Case:
    return Case(id, step, field, words, **options)


def cmyk_jpeg() -> bytes:
    return images.encode(Image.new("CMYK", (100, 100), (0, 255, 255, 0)), "JPEG", quality=95)


def fifty_megabytes() -> bytes:
    """A real JPEG padded to 50 MB (what the uploader lets through), made in no time."""
    start = images.jpeg(64, 64)
    return start + bytes(50 * MB - len(start))


def png_with_a_bad_checksum() -> bytes:
    data = bytearray(images.png(200, 200))
    data[29] ^= 0xFF  # the header chunk's CRC
    return bytes(data)


def jpeg_of_height_zero() -> bytes:
    data = bytearray(images.jpeg(200, 200))
    frame = data.index(b"\xff\xc0")
    data[frame + 5 : frame + 7] = b"\x00\x00"
    return bytes(data)


def webp_declaring(width: int, height: int) -> bytes:
    """A small lossless WebP whose header claims another size (14 bits a side)."""
    data = bytearray(images.encode(images.picture(64, 64), "WEBP", lossless=True))
    bits = (width - 1) | (height - 1) << 14 | (int.from_bytes(data[21:25], "little") & ~(2**28 - 1))
    data[21:25] = bits.to_bytes(4, "little")
    return bytes(data)


DURATION = "Duration (seconds)"
SIX_TO_THIRTY = "a whole number of seconds from 6 to 30"

CASES = [
    # Fields a person types or picks.
    case("prompt empty", typed(""), "Prompt", "is required", "describe the video"),
    case("prompt only spaces", typed("  \n\t  "), "Prompt", "is required", "describe the video"),
    case(
        "prompt 5,000 characters",
        typed("y" * 5000),
        "Prompt",
        "5,000 characters, and the limit is 4,000",
        "keeps the first 4,000",
    ),
    case("duration 5", typed("A cat", duration=5), DURATION, SIX_TO_THIRTY, "you gave 5"),
    case("duration 31", typed("A cat", duration=31), DURATION, SIX_TO_THIRTY, "you gave 31"),
    case("duration 0", typed("A cat", duration=0), DURATION, SIX_TO_THIRTY, "you gave 0"),
    case("duration -6", typed("A cat", duration=-6), DURATION, SIX_TO_THIRTY, "you gave -6"),
    case(
        "8 links",
        pasted("\n".join(f"https://cdn.example.com/shot-{i}.jpg" for i in range(8))),
        "Reference images",
        "at most 7 allowed; you gave 8",
    ),
    case(
        "8 uploads",
        uploaded(*((f"shot-{i}.jpg", images.jpeg(300 + 10 * i, 200)) for i in range(8))),
        "Reference images",
        "at most 7 allowed; you gave 8",
        assets=8,  # each picture is fine on its own and kept; only the count is refused
    ),
    case("no picture", pasted(""), "picture", "upload one or paste a link"),
    # Values no widget can produce: an earlier video's settings, the session.
    case("duration 6.5", prefilled(keys.DURATION, 6.5, "duration"), DURATION, SIX_TO_THIRTY),
    case("duration 'six'", prefilled(keys.DURATION, "six", "duration"), DURATION, "“six”"),
    case(
        "duration NaN",
        prefilled(keys.DURATION, float("nan"), "duration"),
        DURATION,
        SIX_TO_THIRTY,
    ),
    case(
        "ratio 4:3",
        prefilled(keys.ASPECT_RATIO, "4:3", "aspect_ratio"),
        "Aspect ratio",
        "16:9, 9:16, 1:1, 3:2 or 2:3",
        "“4:3”",
    ),
    case(
        "resolution 1080p",
        prefilled(keys.RESOLUTION, "1080p", "resolution"),
        "Resolution",
        "480p or 720p",
        "“1080p”",
    ),
    case(
        "prompt 5,000 characters, prefilled",
        prefilled(keys.PROMPT, "z" * 5000, "prompt"),
        "Prompt",
        "5,000 characters, and the limit is 4,000",
    ),
    # Files. Names are only ever shown; what a file is comes from its bytes.
    case("0 bytes", uploaded(("empty.jpg", b"")), "empty.jpg", "is empty", ALLOWED_FILES),
    case(
        "truncated JPEG",
        uploaded(("cut.jpg", images.jpeg(640, 480)[:3000])),
        "cut.jpg",
        "damaged or incomplete",
        "JPG, PNG or WEBP",
    ),
    case(
        "truncated PNG",
        uploaded(("cut.png", images.png(640, 480)[:2000])),
        "cut.png",
        "damaged or incomplete",
    ),
    case(
        "text renamed .png",
        uploaded(("notes.png", b"Launch plan: spring campaign, 3 videos.\n")),
        "notes.png",
        "is not a picture",
        ALLOWED_FILES,
    ),
    case("GIF", uploaded(("loop.gif", images.gif(200, 200))), "loop.gif", "GIF", ALLOWED_FILES),
    case(
        "GIF renamed .jpg",
        uploaded(("loop.jpg", images.gif(200, 200))),
        "loop.jpg",
        "is a GIF image",
        ALLOWED_FILES,
    ),
    case("SVG", uploaded(("logo.svg", _SVG)), "logo.svg", "is an SVG drawing", ALLOWED_FILES),
    case(
        "SVG renamed .png",
        uploaded(("logo.png", _SVG)),
        "logo.png",
        "is an SVG drawing",
        ALLOWED_FILES,
    ),
    case(
        "HEIC renamed .jpg",
        uploaded(("IMG_0001.jpg", _HEIC_HEADER)),
        "IMG_0001.jpg",
        "is a HEIC photo",
        ALLOWED_FILES,
    ),
    case(
        "PDF renamed .jpg",
        uploaded(("brief.jpg", b"%PDF-1.7\n" + bytes(200))),
        "brief.jpg",
        "is a PDF document",
        ALLOWED_FILES,
    ),
    case(
        "PNG bomb (20000 × 20000 in a small file)",
        uploaded(("photo.png", png_declaring(20_000, 20_000))),
        "photo.png",
        "20000 × 20000 pixels; the limit is 40 megapixels",
        no_decoding=True,
    ),
    case(
        "JPEG bomb (header says 30000 × 30000)",
        uploaded(("photo.jpg", jpeg_declaring(30_000, 30_000))),
        "photo.jpg",
        "30000 × 30000 pixels; the limit is 40 megapixels",
        no_decoding=True,
    ),
    case(
        "WEBP bomb (header says 16384 × 16384)",
        uploaded(("photo.webp", webp_declaring(16_384, 16_384))),
        "photo.webp",
        "16384 × 16384 pixels; the limit is 40 megapixels",
        no_decoding=True,
    ),
    case(
        "50 MB",
        uploaded(("huge.jpg", fifty_megabytes())),
        "huge.jpg",
        "is too large: 50 MB; the limit is 20 MB",
        no_decoding=True,
    ),
    case(
        "animated WEBP",
        uploaded(("sticker.webp", animated("WEBP"))),
        "sticker.webp",
        "is animated; upload a still image",
    ),
    case(
        "animated PNG",
        uploaded(("banner.png", animated("PNG"))),
        "banner.png",
        "is animated; upload a still image",
    ),
    case(
        "10 × 10 icon",
        uploaded(("icon.png", images.png(10, 10))),
        "icon.png",
        "too small: 10 × 10 pixels",
        "at least 64 pixels",
    ),
    case(
        "a path as the file name",
        uploaded(("../../etc/passwd.png", b"root:x:0:0:root:/root:/bin/bash\n")),
        "passwd.png is not a picture",
        ALLOWED_FILES,
    ),
    case(
        "a NUL byte in the file name",
        uploaded(("notes\x00.png", b"Launch plan\n")),
        "notes.png is not a picture",
        ALLOWED_FILES,
    ),
    case(
        "CMYK JPEG",
        uploaded(("print.jpg", cmyk_jpeg())),
        "",
        accepted=cmyk_became_rgb,
        assets=1,
    ),
    case(
        "EXIF-rotated photo",
        uploaded(("phone.jpg", images.rotated_jpeg(800, 600, orientation=6))),
        "",
        accepted=turned_upright,
        assets=1,
    ),
    # Links. The service fetches them itself: only public web addresses.
    case(
        "data: link",
        pasted("data:image/png;base64,iVBORw0KGgo="),
        "Picture 1 (the link",
        WEB_ADDRESS,
    ),
    case("file:// link", pasted("file:///etc/passwd"), "Picture 1 (the link", WEB_ADDRESS),
    case("javascript: link", pasted("javascript:alert(1)"), "Picture 1 (the link", WEB_ADDRESS),
    case("ftp:// link", pasted("ftp://cdn.example.com/a.jpg"), "Picture 1 (the link", WEB_ADDRESS),
    case(
        "cloud metadata address",
        pasted("http://169.254.169.254/latest/meta-data/"),
        "Picture 1 (the link",
        PRIVATE,
    ),
    case("10.x address", pasted("http://10.0.0.5/shot.jpg"), "Picture 1 (the link", PRIVATE),
    case(
        "192.168.x address", pasted("http://192.168.1.1/shot.jpg"), "Picture 1 (the link", PRIVATE
    ),
    case(
        "loopback, another port",
        pasted("http://127.0.0.1:22/shot.jpg"),
        "Picture 1 (the link",
        PRIVATE,
    ),
    case("IPv6 loopback", pasted("http://[::1]/shot.jpg"), "Picture 1 (the link", PRIVATE),
    case("IPv6 private", pasted("http://[fd12:3456::1]/shot.jpg"), "Picture 1 (the link", PRIVATE),
    case("IPv6 link-local", pasted("http://[fe80::1]/shot.jpg"), "Picture 1 (the link", PRIVATE),
    case("localhost", pasted("http://localhost:8080/shot.jpg"), "Picture 1 (the link", PRIVATE),
    case(
        "127.0.0.1 as one number",
        pasted("http://2130706433/x.jpg"),
        "Picture 1 (the link",
        "is written in an unusual way",
    ),
    case(
        "user:password in the link",
        pasted("https://ana:secret@cdn.example.com/shot.jpg"),
        "Picture 1 (the link",
        "contains a user name or password",
    ),
    case(
        "second link private",
        pasted("https://cdn.example.com/a.jpg\nhttp://10.1.1.1/b.jpg"),
        "Picture 2 (the link",
        PRIVATE,
    ),
    case(
        "10 KB link",
        pasted("https://cdn.example.com/" + "a" * 10 * 1024 + ".jpg"),
        "Picture 1 (the link",
        "is too long: 10,268 characters, and the limit is 2,048",
    ),
    case(
        "link with spaces",
        pasted("https://cdn.example.com/spring shot.jpg"),
        "Picture 1 (the link",
        "without spaces",
    ),
    # Issue 12, from the outside corpus. Links that other programs read as this machine:
    # each is refused at once, and the listener behind it never hears a thing.
    case(
        "a backslash after a loopback host",
        pasted("http://{canary}\\/internal-admin/secret.png"),
        "Picture 1 (the link",
        "is written in an unusual way: it contains a backslash",
    ),
    case(
        "a backslash after the cloud metadata address",
        pasted("http://169.254.169.254\\/latest/meta-data/"),
        "Picture 1 (the link",
        "contains a backslash",
    ),
    case(
        "loopback in fullwidth digits",
        pasted("http://１２７.０.０.１:{port}/secret.png"),
        "Picture 1 (the link",
        "look-alike characters",
        "“127.0.0.1”",
    ),
    case(
        "loopback with ideographic full stops",
        pasted("http://127。0。0。1:{port}/secret.png"),
        "Picture 1 (the link",
        "look-alike characters",
    ),
    case(
        "localhost in circled letters",
        pasted("http://ⓛⓞⓒⓐⓛⓗⓞⓢⓣ:{port}/secret.png"),
        "Picture 1 (the link",
        "look-alike characters",
        "“localhost”",
    ),
    case(
        "loopback inside an IPv6 address",
        pasted("http://[::ffff:127.0.0.1]:{port}/secret.png"),
        "Picture 1 (the link",
        PRIVATE,
    ),
    case(
        "a percent-encoded host",
        pasted("http://%31%32%37.0.0.1:{port}/secret.png"),
        "Picture 1 (the link",
        "percent sign",
    ),
    case(
        "a link that Markdown would show as a picture",
        pasted("![](http://{canary}/pixel.png)"),
        "Picture 1 (the link ![](http://127.0.0.1",
        WEB_ADDRESS,
        typed_markup="![](http",
    ),
    # Files: a name full of Markdown, and damaged files of an allowed kind.
    case(
        "a file name full of Markdown",
        uploaded((":red[URGENT] $x^2$.png", b"Launch plan\n")),
        ":red[URGENT] $x^2$.png is not a picture",
        ALLOWED_FILES,
        typed_markup=":red[URGENT]",
    ),
    case(
        "a PNG with a bad checksum",
        uploaded(("chart.png", png_with_a_bad_checksum())),
        "chart.png",
        "is damaged or incomplete",
    ),
    case(
        "a JPEG whose height is 0",
        uploaded(("photo.jpg", jpeg_of_height_zero())),
        "photo.jpg",
        "is damaged or incomplete",
    ),
    # Text the database can't hold, and text that shows nothing or shows falsely.
    case(
        "a prompt of zero-width characters",
        typed("\u200b\u200c\u200d\u2060\ufeff"),
        "Prompt",
        "is required",
    ),
    case(
        "a campaign of 10,000 characters",
        prefilled(keys.CAMPAIGN, "x" * 10_000, "campaign"),
        "Campaign or tag",
        "is too long: 10,000 characters, and the limit is 120",
    ),
    case(
        "NUL, a line break and a direction override in a campaign",
        sent(**{keys.PROMPT: "A kite", keys.CAMPAIGN: "Spring\x00 launch\n\u202eNOW"}),
        "",
        accepted=stored_as(campaign="Spring launch NOW"),
        tasks=1,
    ),
    case(
        "NUL and a lone surrogate in a prompt",
        sent(**{keys.PROMPT: "A kite\x00 over\ud800 hills"}),
        "",
        accepted=stored_as(prompt="A kite over hills"),
        tasks=1,
    ),
    case(
        "a direction override in a person's name",
        sent(who="Ana \u202eLopez", **{keys.PROMPT: "A kite"}),
        "",
        accepted=stored_as(person="Ana Lopez"),
        tasks=1,
    ),
]


# --- running a case ----------------------------------------------------------------------


@dataclass
class Outcome:
    clear: bool
    crashed: bool
    half_stored: list[str] = field(default_factory=list)
    accepted: bool = False


OUTCOMES: dict[str, Outcome] = {}


@pytest.fixture(scope="module", autouse=True)
def figures_at_the_end() -> Iterator[None]:
    yield
    tried = len(OUTCOMES)
    refused = [o for o in OUTCOMES.values() if not o.accepted]
    area = "Bad input"
    figures.record(area, "inputs tried", tried, "≥ 40")
    figures.record(
        area,
        "refused with a clear message naming the field",
        sum(o.clear for o in refused),
        f"= {len(refused)}",
    )
    accepted = [o for o in OUTCOMES.values() if o.accepted]
    figures.record(
        area,
        "accepted with the right result (CMYK, EXIF-rotated)",
        sum(o.clear for o in accepted),
        f"= {len(accepted)}",
    )
    figures.record(
        area, "inputs that crashed a page", sum(o.crashed for o in OUTCOMES.values()), "0"
    )
    figures.record(
        area,
        "inputs that left anything half-stored",
        sum(bool(o.half_stored) for o in OUTCOMES.values()),
        "0",
    )


def messages(at: AppTest) -> list[str]:
    """Error and warning texts as they show (Markdown escapes undone)."""
    return [plain(e.value) for e in at.error] + [plain(w.value) for w in at.warning]


def raw_markdown(at: AppTest) -> list[str]:
    return [e.value for e in at.error] + [w.value for w in at.warning]


@pytest.fixture(scope="module")
def canary() -> Iterator[Listener]:
    with listener() as heard:
        CANARY[:] = [heard]
        yield heard
        CANARY.clear()


def columns_overflowing(running: RunningStudio) -> list[str]:
    """Stored text that a stricter database (PostgreSQL) would refuse: longer than its
    column's length, or holding a NUL or a character that can't be encoded."""
    found = []
    with running.studio.store.engine.connect() as connection:
        for table in Base.metadata.sorted_tables:
            for row in connection.execute(table.select()).mappings():
                for column in table.columns:
                    value = row[column.name]
                    if not isinstance(value, str):
                        continue
                    length = getattr(column.type, "length", None)
                    if length is not None and len(value) > length:
                        found.append(f"{table.name}.{column.name}: {len(value)} > {length}")
                    if "\x00" in value or _unencodable(value):
                        found.append(f"{table.name}.{column.name}: {value[:40]!r}")
    return found


def _unencodable(value: str) -> bool:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def assets(running: RunningStudio) -> list[Asset]:
    with running.studio.store.session() as session:
        return list(session.scalars(select(Asset)))


def half_stored(running: RunningStudio, expected_assets: int, expected_tasks: int) -> list[str]:
    """Anything stored that should not be: a task, a stray or missing file, an extra row,
    text that does not fit its column."""
    found = columns_overflowing(running)
    if len(tasks := running.studio.store.tasks()) != expected_tasks:
        found.append(f"{len(tasks)} task row(s), expected {expected_tasks}")
    rows = sorted(asset.file_name for asset in assets(running))
    folder = running.studio.config.assets_dir
    files = sorted(path.name for path in folder.iterdir()) if folder.exists() else []
    if files != rows:
        found.append(f"asset files {files} do not match asset rows {rows}")
    if len(rows) != expected_assets:
        found.append(f"{len(rows)} asset row(s), expected {expected_assets}")
    return found


def explains(message: str, case: Case) -> bool:
    return case.field in message and all(word in message for word in case.words)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_input_gets_a_clear_outcome_and_nothing_half_stored(case, studio, monkeypatch, canary):
    opened: list[object] = []
    if case.no_decoding:

        def spy(*args: Any, **kwargs: Any) -> Image.Image:
            opened.append(args)
            raise OSError("this test forbids decoding here")

        monkeypatch.setattr(Image, "open", spy)
    at = AppTest.from_file(STUDIO, default_timeout=30)  # each step runs it
    at.session_state["who"] = "Ana Lopez"
    seen = Seen()
    with connections() as opened_connections:
        try:
            seen = case.step(at, studio)
        except AssertionError:
            if not at.exception:  # a check in the step failed, not the page
                raise
    monkeypatch.undo()  # the checks below open the stored pictures
    reached = touching(opened_connections, "127.0.0.1", canary.port) + canary.hits
    crashed = bool(at.exception)
    shown = seen.page + messages(at)
    if case.accepted:
        try:
            case.accepted(studio)
            clear = not at.error
        except AssertionError:
            clear = False
    else:
        clear = any(explains(m, case) for m in shown) and all(explains(m, case) for m in seen.lib)
    if case.typed_markup:  # shown as typed: escaped wherever Markdown renders it
        raw = seen.raw + raw_markdown(at)
        clear = clear and not any(case.typed_markup in text for text in raw)
        clear = clear and any(escape_markdown(case.typed_markup) in text for text in raw)
    stored = half_stored(studio, case.assets, case.tasks)
    outcome = Outcome(clear, crashed, stored, bool(case.accepted))
    OUTCOMES[case.id] = outcome

    assert not crashed, at.exception
    assert clear, (shown, seen.lib, raw_markdown(at))
    assert not outcome.half_stored, outcome.half_stored
    assert reached == [], f"a link reached this machine: {reached}"
    assert not opened, "Pillow opened a file that its size alone should have refused"


def test_there_are_at_least_forty_cases_with_distinct_names():
    assert len(CASES) >= 40
    assert len({c.id for c in CASES}) == len(CASES)


def test_the_crafted_files_are_what_they_claim():
    # Guards the table: the bombs really declare those sizes, the WEBP one to Pillow too.
    assert Image.open(io.BytesIO(webp_declaring(8000, 6000))).size == (8000, 6000)
    assert Image.open(io.BytesIO(cmyk_jpeg())).mode == "CMYK"
    assert Image.open(io.BytesIO(images.rotated_jpeg(800, 600))).getexif()[0x0112] == 6
    assert len(fifty_megabytes()) == 50 * MB


def test_in_demo_mode_the_service_fetches_only_the_studios_own_pictures_here(tmp_path):
    # Demo mode: the embedded service runs on this machine and gets only /assets/ links
    # (pasted links are kept by the studio first); nothing else local is let through.
    demo = studio_config(tmp_path).with_port(8501)
    prefixes = embedded_local_prefixes(demo)
    assert prefixes == (
        "http://127.0.0.1:8501/assets/",
        "http://127.0.0.1:8501/api/callbacks/wave/",
        "http://127.0.0.1:8501/sources/",  # issue 18: signed links to videos to restyle
    )
    policy = LinkPolicy.with_local(prefixes)
    assert link_problem("http://127.0.0.1:8501/assets/" + "a" * 64 + ".jpg", policy) is None
    for link in (
        "http://127.0.0.1:8501/api/health",
        "http://127.0.0.1:8502/assets/x.jpg",  # another port: not the studio
        "http://127.0.0.1:8501/assets/../api/health",
        "http://127.0.0.1:8501/wave/v1/tasks",
        "http://127.0.0.1:8501/library/" + "a" * 32 + ".mp4",  # the signed-in people's
    ):
        assert link_problem(link, policy).startswith("points inside a private network"), link
