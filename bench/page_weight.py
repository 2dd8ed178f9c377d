"""Bytes and memory of the History page: what a 24-card page moves before anyone presses
play, and the server's memory with 20 people looking at it and playing videos.

    .venv/bin/python bench/page_weight.py [--sessions 20] [--data-dir DIR] [--no-naive]

A data folder with 24 real archived videos is made first (bench/archived_videos.py: the
studio's own submit code, the embedded API's renderer, the tracker's archive) or reused
with --data-dir. Then `streamlit run app.py` serves it and Debian's Chromium (Playwright)
opens History:

- Bytes: Chrome DevTools `Network` events of one visitor, until the page has settled
  (every card drawn, then no traffic for a while): HTTP bytes as received
  (`loadingFinished.encodedDataLength`, headers included; a stopped media download
  counts what arrived) and websocket message payloads both ways (Streamlit does not
  compress its websocket by default, so payload = wire). Split into Streamlit's own app
  (HTML, JS, CSS, fonts — the same for every page; served uncompressed by Streamlit on
  purpose, so its gzipped size is shown too; a second visit in the same browser shows
  what the cache saves), the page's data (websocket), posters and video.
  Target: posters + page data + video <= 1 MB on the first visit, video ~0.
- Memory: the server process's RSS (/proc/<pid>/status VmRSS) idle, after one visitor,
  with N sessions (N browser tabs, each its own Streamlit session) showing History, and
  while each of them plays a different video and seeks in it (the player asks /library/
  for byte ranges); plus the video bytes Streamlit itself holds in memory (its
  /_stcore/metrics). "Flat": no video bytes held, and playing adds far less than a
  video per session. A viewing session's own cost (its state, its script run) is shown
  beside: it is the same whatever the size of the videos.

Side by side, in the same run: the naive page — a plain Streamlit script showing the
same 24 videos with `st.video(open(path, "rb").read())`, i.e. Streamlit's media file
manager holding the bytes in the server and its player loading them. Figures are
measurements: the script exits non-zero only when a page does not show its videos.
"""

from __future__ import annotations

import argparse
import base64
import gzip
import json
import statistics
import sys
import tempfile
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # run as a script: make `lib`, `bench` and `tests` importable

import requests  # noqa: E402

from bench.archived_videos import LibraryVideo, ensure_archived_videos  # noqa: E402
from tests.browser.conftest import CHROMIUM, CHROMIUM_FLAGS, StudioProcess  # noqa: E402

TARGET_PAGE_BYTES = 1_000_000  # posters + page data + video, first visit
CARDS = 24
VIEWPORT = {"width": 1400, "height": 1000}
CATEGORIES = ("app bundle", "page data", "posters", "video", "other")

# The naive page: Streamlit's own player fed with the file's bytes. The media file
# manager keeps those bytes in the server's memory and serves them from there.
NAIVE_READY = "/_stcore/health"  # a plain Streamlit script has no /api/health
NAIVE_PAGE = '''\
"""History the naive way: every video handed to st.video as bytes."""
import json
import os
from pathlib import Path

import streamlit as st

st.title("History")
videos = json.loads(Path(os.environ["NAIVE_VIDEOS"]).read_text())
for start in range(0, len(videos), 3):
    for column, path in zip(st.columns(3), videos[start : start + 3]):
        with column:
            st.video(open(path, "rb").read(), format="video/mp4")
'''


# ----- bytes -----------------------------------------------------------------------------
def category(url: str, resource_type: str = "", mime: str = "") -> str:
    """Which part of the page a response belongs to, from its address and type."""
    path = urlsplit(url).path
    if path.startswith(("/library/", "/media/")):
        if path.endswith(".mp4") or mime.startswith("video/") or resource_type == "Media":
            return "video"
        if path.endswith((".jpg", ".jpeg", ".png", ".webp")) or mime.startswith("image/"):
            return "posters"
    if resource_type == "Media" or mime.startswith("video/"):
        return "video"
    if urlsplit(url).scheme in ("http", "https"):
        return "app bundle"  # the HTML, /static/ JS, CSS and fonts, /_stcore/ endpoints
    return "other"


def frame_bytes(frame: dict) -> int:
    """A websocket message's payload size: text as UTF-8, binary from its base64."""
    data = frame.get("payloadData", "")
    if frame.get("opcode") == 1:
        return len(data.encode())
    return len(base64.b64decode(data)) if data else 0


@dataclass
class NetworkMeter:
    """Adds up what one page moves, from the DevTools protocol's Network events."""

    requests: dict[str, dict] = field(default_factory=dict)
    bytes: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    counts: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    from_cache: set[str] = field(default_factory=set)  # requests the browser's cache answered
    seconds_to_cards: float = 0.0  # from asking for the page to every card on screen
    bundle_urls: list[str] = field(default_factory=list)
    last_event: float = field(default_factory=time.monotonic)

    def attach(self, cdp) -> None:
        handlers: dict[str, Callable[[dict], None]] = {
            "Network.requestWillBeSent": self._request,
            "Network.responseReceived": self._response,
            "Network.dataReceived": self._data,
            "Network.loadingFinished": self._finished,
            "Network.loadingFailed": self._failed,
            "Network.requestServedFromCache": self._from_cache,
            "Network.webSocketFrameReceived": self._frame,
            "Network.webSocketFrameSent": self._frame,
        }
        for event, handler in handlers.items():
            cdp.on(event, handler)
        cdp.send("Network.enable")
        # Count what really crosses the network: no devtools-side cache disabling.
        cdp.send("Network.setCacheDisabled", {"cacheDisabled": False})

    def _touch(self) -> None:
        self.last_event = time.monotonic()

    def _request(self, event: dict) -> None:
        self._touch()
        self.requests[event["requestId"]] = {
            "url": event["request"]["url"],
            "type": event.get("type", ""),
            "mime": "",
            "received": 0,
            "body": 0,
        }

    def _response(self, event: dict) -> None:
        self._touch()
        request = self.requests.setdefault(
            event["requestId"], {"url": "", "received": 0, "body": 0}
        )
        response = event["response"]
        request.update(url=response["url"], type=event.get("type", ""), mime=response["mimeType"])
        if response.get("fromDiskCache") or response.get("fromPrefetchCache"):
            self.from_cache.add(event["requestId"])

    def _data(self, event: dict) -> None:
        self._touch()
        request = self.requests.get(event["requestId"])
        if request is not None:
            request["received"] += event.get("encodedDataLength", 0)
            request["body"] += event.get("dataLength", 0)

    def _finished(self, event: dict) -> None:
        self._touch()
        request = self.requests.pop(event["requestId"], None)
        if request is not None:
            self._count(request, event.get("encodedDataLength", 0))

    def _failed(self, event: dict) -> None:
        # A media download the player stopped: what arrived until then still moved.
        self._touch()
        request = self.requests.pop(event["requestId"], None)
        if request is not None:
            self._count(request, self._so_far(request))

    @staticmethod
    def _so_far(request: dict) -> int:
        # Chromium reports a media download's chunks with encodedDataLength 0 and the
        # total only when it finishes; a stopped one is counted by its body bytes.
        return request["received"] or request["body"]

    def _from_cache(self, event: dict) -> None:
        self._touch()
        self.from_cache.add(event["requestId"])

    def _frame(self, event: dict) -> None:
        self._touch()
        self.bytes["page data"] += frame_bytes(event["response"])
        self.counts["page data"] += 1

    def _count(self, request: dict, size: int) -> None:
        if not request["url"].startswith(("http:", "https:")):
            return  # data: and blob: addresses move nothing over the network
        kind = category(request["url"], request.get("type", ""), request.get("mime", ""))
        self.bytes[kind] += size
        self.counts[kind] += 1
        if kind == "app bundle" and size:
            self.bundle_urls.append(request["url"])

    def history_bytes(self) -> int:
        """What the History page itself moves: posters, its data and any video."""
        return sum(self.bytes[kind] for kind in ("page data", "posters", "video"))

    def settle(self, page, quiet: float, limit: float = 60) -> None:
        """Wait until nothing has moved for `quiet` seconds."""
        deadline = time.monotonic() + limit
        while time.monotonic() - self.last_event < quiet and time.monotonic() < deadline:
            page.wait_for_timeout(100)
        for request in list(self.requests.values()):  # still open (e.g. a stream): so far
            self._count(request, self._so_far(request))
        self.requests.clear()


def gzipped_bytes(urls: list[str]) -> int:
    """What these responses would weigh gzipped (level 6, as a reverse proxy would send
    them): Streamlit serves its bundle uncompressed on purpose and leaves compression to
    the proxy in front of it."""
    with requests.Session() as session:
        return sum(len(gzip.compress(session.get(url, timeout=30).content, 6)) for url in urls)


def wait_for_cards(page, videos: int, timeout: float = 60_000) -> None:
    page.wait_for_function(
        "n => document.querySelectorAll('video').length >= n", arg=videos, timeout=timeout
    )


def measure_visit(context, url: str, videos: int, quiet: float) -> NetworkMeter:
    """One visit of `url` in this browser context, counted until the page has settled."""
    page = context.new_page()
    meter = NetworkMeter()
    meter.attach(context.new_cdp_session(page))
    start = time.monotonic()
    page.goto(url)
    wait_for_cards(page, videos)
    meter.seconds_to_cards = time.monotonic() - start
    meter.settle(page, quiet)
    page.close()
    return meter


# ----- memory ----------------------------------------------------------------------------
def rss_bytes(pid: int) -> int:
    """Resident memory of a process, from /proc (no psutil needed)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError(f"no VmRSS for process {pid}")


def steady_rss(pid: int, seconds: float = 2.0) -> int:
    """The median of a few readings, so one allocation burst does not decide."""
    readings = []
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        readings.append(rss_bytes(pid))
        time.sleep(0.1)
    return int(statistics.median(readings))


@contextmanager
def peak_rss(pid: int) -> Iterator[list[int]]:
    """Samples RSS every 50 ms on a thread while the block runs; yields [peak]."""
    peak = [rss_bytes(pid)]
    stop = threading.Event()

    def sample() -> None:
        while not stop.is_set():
            peak[0] = max(peak[0], rss_bytes(pid))
            stop.wait(0.05)

    thread = threading.Thread(target=sample, daemon=True)
    thread.start()
    try:
        yield peak
    finally:
        stop.set()
        thread.join()


PLAY_AND_SEEK = """async v => {
    v.muted = true;
    await v.play();
    await new Promise(done => {
        const moved = () => v.currentTime > 1 && done();
        v.addEventListener('timeupdate', moved);
        moved();
    });
    v.currentTime = v.duration * 0.7;  // a seek: the player asks for another byte range
    await new Promise(done => v.addEventListener('seeked', done, {once: true}));
    return {time: v.currentTime, duration: v.duration};
}"""


@dataclass
class MemoryFigures:
    sessions: int
    idle: int = 0
    one_visitor: int = 0
    viewing: int = 0
    playing_peak: int = 0
    playing_after: int = 0
    media_held: int = 0  # video bytes Streamlit's media file manager keeps in memory
    seconds_to_open: float = 0.0  # until every session showed all its cards
    played_bytes: int = 0  # size of the videos the sessions played
    video_requests: int = 0
    partial_replies: int = 0  # 206 answers to byte-range requests

    def per_session(self, stage: int, since: int | None = None) -> float:
        return (stage - (self.one_visitor if since is None else since)) / max(self.sessions, 1)


def streamlit_media_bytes(server_url: str) -> int:
    """Bytes in Streamlit's in-memory media file storage, from its /_stcore/metrics."""
    reply = requests.get(
        f"{server_url}/_stcore/metrics",
        params={"families": "cache_memory_bytes"},
        headers={"Accept": "text/plain"},
        timeout=30,
    )
    reply.raise_for_status()
    # OpenMetrics text; with no session left at all it is just "# EOF" (nothing held).
    if not reply.text.rstrip().endswith("# EOF"):
        raise RuntimeError(f"/_stcore/metrics is not OpenMetrics text: {reply.text[:300]}")
    return sum(
        int(float(line.rsplit(" ", 1)[1]))
        for line in reply.text.splitlines()
        if line.startswith("cache_memory_bytes{") and "media_file" in line
    )


def measure_memory(
    browser, server: StudioProcess, url: str, sessions: int, videos: list[LibraryVideo]
) -> MemoryFigures:
    """RSS with `sessions` people on the page, then each of them playing one video."""
    pid = server.process.pid
    figures = MemoryFigures(sessions)
    pages, statuses = [], []
    # Every tab is its own Streamlit session (its own websocket and script runs); the
    # tabs share one browser context only so that the box does not fetch and compile
    # Streamlit's JavaScript 20 times (the server's memory is what is measured here).
    context = browser.new_context(viewport=VIEWPORT)
    try:
        start = time.monotonic()
        for _ in range(sessions):
            page = context.new_page()
            page.set_default_timeout(180_000)
            page.on(
                "response",
                lambda r: statuses.append(r.status) if category(r.url) == "video" else None,
            )
            page.goto(url, wait_until="commit")
            pages.append(page)
        for page in pages:
            wait_for_cards(page, CARDS, timeout=300_000)
        figures.seconds_to_open = time.monotonic() - start
        progress(f"{sessions} sessions show History after {figures.seconds_to_open:.0f} s")
        time.sleep(2)  # the last reruns finish
        figures.viewing = steady_rss(pid)
        figures.media_held = streamlit_media_bytes(server.url)
        with peak_rss(pid) as peak:
            for number, page in enumerate(pages):  # each person presses play on a card
                page.locator("video").nth(number % CARDS).evaluate(
                    "v => { v.muted = true; v.play(); }"
                )
            for number, page in enumerate(pages):  # ...and then jumps ahead in it
                page.locator("video").nth(number % CARDS).evaluate(PLAY_AND_SEEK)
            time.sleep(1)
        figures.playing_peak = peak[0]
        figures.playing_after = steady_rss(pid)
        figures.played_bytes = sum(videos[n % CARDS].video_bytes for n in range(sessions))
        progress("every session played and sought in a video")
    finally:
        context.close()
    figures.video_requests = len(statuses)
    figures.partial_replies = sum(1 for status in statuses if status == 206)
    return figures


_START = time.monotonic()


def progress(message: str) -> None:
    print(f"[{time.monotonic() - _START:4.0f} s] {message}", flush=True)


# ----- one server, both measurements -----------------------------------------------------
@dataclass
class ServerRun:
    name: str
    first: NetworkMeter
    cached: NetworkMeter
    memory: MemoryFigures | None
    bundle_gzipped: int = 0  # the first visit's app bundle, were a proxy to gzip it


def run_server(
    name: str,
    browser,
    server: StudioProcess,
    path: str,
    sessions: int,
    quiet: float,
    videos: list[LibraryVideo],
    check: Callable[[StudioProcess], None] | None = None,
) -> ServerRun:
    server.start()
    try:
        if check:
            check(server)
        time.sleep(2)
        pid = server.process.pid
        idle = steady_rss(pid)
        url = f"{server.url}{path}"
        context = browser.new_context(viewport=VIEWPORT)
        try:
            first = measure_visit(context, url, CARDS, quiet)
            cached = measure_visit(context, url, CARDS, quiet)
        finally:
            context.close()
        first_bundle_gzipped = gzipped_bytes(first.bundle_urls)
        progress(
            f"{name}: one visit, cards after {first.seconds_to_cards:.1f} s "
            f"(again: {cached.seconds_to_cards:.1f} s)"
        )
        memory = None
        if sessions:
            one_visitor = steady_rss(pid)
            memory = measure_memory(browser, server, url, sessions, videos)
            memory.idle, memory.one_visitor = idle, one_visitor
        return ServerRun(name, first, cached, memory, first_bundle_gzipped)
    finally:
        server.stop()


def range_check(video: LibraryVideo) -> Callable[[StudioProcess], None]:
    def check(server: StudioProcess) -> None:
        answer = check_range_requests(server.url, video)
        print(f"byte range from the middle of a /library/ video: {answer}")

    return check


def check_range_requests(server_url: str, video: LibraryVideo) -> str:
    """One quick look that /library/ answers byte ranges from the middle of a file."""
    size = video.video_bytes
    start, end = size // 2, size // 2 + 999
    reply = requests.get(
        f"{server_url}/library/{video.video.name}",
        headers={"Range": f"bytes={start}-{end}"},
        timeout=10,
    )
    expected = video.video.read_bytes()[start : end + 1]
    ok = reply.status_code == 206 and reply.content == expected
    return f"{reply.status_code} {reply.headers.get('content-range')} ({'ok' if ok else 'WRONG'})"


# ----- the table -------------------------------------------------------------------------
def kb(value: float) -> str:
    return f"{value / 1000:,.1f} kB"


def mb(value: float) -> str:
    return f"{value / 1e6:,.1f} MB"


def print_bytes(runs: list[ServerRun]) -> None:
    columns = []
    for run in runs:
        columns += [(f"{run.name} 1st", run.first), (f"{run.name} again", run.cached)]
    print("\nBytes moved by one visit to History (24 cards), until the page settled")
    print(f"{'':<34}" + "".join(f"{title:>22}" for title, _ in columns))
    for kind in CATEGORIES:
        cells = "".join(
            f"{kb(meter.bytes[kind]):>14} ({meter.counts[kind]:>3}) " for _, meter in columns
        )
        print(f"{kind + ' (bytes, count)':<34}{cells}")
    print(
        f"{'History itself: posters+data+video':<34}"
        + "".join(f"{kb(meter.history_bytes()):>22}" for _, meter in columns)
    )
    print(
        f"{'seconds until every card shows':<34}"
        + "".join(f"{meter.seconds_to_cards:>21.1f}s" for _, meter in columns)
    )
    gzipped = [kb(run.bundle_gzipped) for run in runs]
    print(
        f"{'app bundle, gzipped by a proxy':<34}"
        + "".join(f"{cell:>22}{'':>22}" for cell in gzipped)
    )
    print(
        f"{'responses from the browser cache':<34}"
        + "".join(f"{len(meter.from_cache):>22}" for _, meter in columns)
    )


def print_memory(runs: list[ServerRun], video_size: float) -> None:
    measured = [run for run in runs if run.memory]
    if not measured:
        return
    n = measured[0].memory.sessions
    print(f"\nServer memory (RSS of the server process) with {n} sessions on History")
    print(f"{'':<44}" + "".join(f"{run.name:>16}" for run in measured))
    stages = [
        ("idle (started, nobody on it)", lambda m: mb(m.idle)),
        ("after one visitor (baseline)", lambda m: mb(m.one_visitor)),
        (f"{n} sessions viewing", lambda m: mb(m.viewing)),
        (f"{n} sessions playing a video (peak)", lambda m: mb(m.playing_peak)),
        (f"{n} sessions after playing", lambda m: mb(m.playing_after)),
        ("growth per session, viewing", lambda m: kb(m.per_session(m.viewing))),
        (
            "growth per session, playing (peak-viewing)",
            lambda m: kb(m.per_session(m.playing_peak, since=m.viewing)),
        ),
        ("video bytes held in Streamlit's memory", lambda m: kb(m.media_held)),
        ("video bytes the sessions played", lambda m: kb(m.played_bytes)),
        ("video responses (206 partial)", lambda m: f"{m.video_requests} ({m.partial_replies})"),
        (f"seconds until {n} sessions show History", lambda m: f"{m.seconds_to_open:.0f} s"),
    ]
    for label, value in stages:
        print(f"{label:<44}" + "".join(f"{value(run.memory):>16}" for run in measured))
    print(f"{'one video (median size)':<44}{kb(video_size):>16}")


def verdicts(studio: ServerRun, video_size: float) -> list[str]:
    page = studio.first.history_bytes()
    lines = [
        f"History itself, first visit: {kb(page)} <= {kb(TARGET_PAGE_BYTES)}: "
        + ("MET" if page <= TARGET_PAGE_BYTES else "NOT MET"),
        f"video bytes before play: {kb(studio.first.bytes['video'])} (target ~0): "
        + ("MET" if studio.first.bytes["video"] == 0 else "NOT MET"),
    ]
    memory = studio.memory
    if memory:
        # Videos held in Python would show as media bytes, or as memory that grows with
        # each video played; a session's own state (its widgets, its script run) does not
        # depend on the videos, so it is reported beside, not judged against them.
        playing = memory.per_session(memory.playing_peak, since=memory.viewing)
        flat = memory.media_held == 0 and playing < video_size / 2
        lines.append(
            f"memory: {kb(memory.media_held)} of video held, {kb(playing)} more per session "
            f"while playing a {kb(video_size)} video: " + ("FLAT" if flat else "NOT FLAT")
        )
        lines.append(
            f"  (a viewing session itself costs {kb(memory.per_session(memory.viewing))}: "
            "Streamlit's session state and script run, the same for any size of video)"
        )
    return lines


# ----- main ------------------------------------------------------------------------------
def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=20, help="concurrent sessions (RSS)")
    parser.add_argument("--data-dir", type=Path, help="reuse (or fill) this data folder")
    parser.add_argument("--no-naive", action="store_true", help="skip the naive page")
    parser.add_argument("--quiet", type=float, default=2.0, help="seconds without traffic")
    args = parser.parse_args()

    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory(prefix="page-weight-") as tmp:
        work = Path(tmp)
        data_dir = (args.data_dir or work / "data").resolve()
        started = time.perf_counter()
        videos = ensure_archived_videos(data_dir, CARDS)[:CARDS]
        print(f"{len(videos)} archived videos ready in {time.perf_counter() - started:.0f} s")
        video_size = statistics.median(v.video_bytes for v in videos)
        posters = sum(v.poster_bytes for v in videos)
        print(
            f"on disk: videos {kb(sum(v.video_bytes for v in videos))} "
            f"(median {kb(video_size)}), posters {kb(posters)}"
        )
        listing = work / "naive-videos.json"
        listing.write_text(json.dumps([str(v.video) for v in videos]))
        naive_script = work / "naive_history.py"
        naive_script.write_text(NAIVE_PAGE)

        runs = []
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
            try:
                studio = StudioProcess(data_dir)
                check = range_check(videos[0])
                runs.append(
                    run_server(
                        "studio",
                        browser,
                        studio,
                        "/history",
                        args.sessions,
                        args.quiet,
                        videos,
                        check,
                    )
                )
                if not args.no_naive:
                    naive = StudioProcess(
                        data_dir,
                        script=str(naive_script),
                        env={"NAIVE_VIDEOS": str(listing)},
                        ready_path=NAIVE_READY,
                    )
                    runs.append(
                        run_server("naive", browser, naive, "/", args.sessions, args.quiet, videos)
                    )
            finally:
                browser.close()
        print_bytes(runs)
        print_memory(runs, video_size)
        print()
        for line in verdicts(runs[0], video_size):
            print(line)
        print(f"(whole run {time.perf_counter() - started:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
