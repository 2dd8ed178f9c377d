"""Issue 17's targets: the compare view's bytes before play and how closely its four
players start, 50 guests opening a review link at once, and the server's memory while it
streams a ZIP of 100 approved videos.

    .venv/bin/python bench/review.py [--data-dir DIR] [--guests 50] [--zip-videos 100]
        [--root OTHER_CHECKOUT [--rounds 3]] [--guests-only]

A data folder with 4 real archived videos is made (bench/archived_videos.py) or reused;
96 more approved takes of campaign "Bench" are added to the store, each with its own
copy of a real MP4 (so the ZIP really reads 100 files). Then `streamlit run app.py`
serves it and:

- Compare (Chromium, DevTools Network events, bench/page_weight.py's meter): bytes the
  /compare page of 4 takes moves until it settles, split into Streamlit's own app bundle,
  page data (websocket), posters and video. Target: <= 500 kB before play (bundle apart:
  it is the same for every page and cached). Then "Play all" is pressed: the spread of the
  four players' `playing` events. Target: within 100 ms.
- Guests: N threads GET the review link's page at the same moment (each a new visitor:
  no cookie); each page's time, and the server's RSS before, at its peak and after.
  Target: no page over 0.3 s, memory flat. With `--root`, the other checkout (the code
  before a change) serves a copy of the same data folder beside this one, and the 50
  guests go to each in turn, `--rounds` times: both columns and their ratio are printed.
- ZIP: GET /api/approved.zip?campaign=Bench read in 1 MB pieces; the server's RSS at
  rest and at its peak while streaming. Target: peak within +50 MB of rest.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import threading
import time
import zipfile
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import requests  # noqa: E402

from bench.archived_videos import ensure_archived_videos  # noqa: E402
from bench.page_weight import NetworkMeter, peak_rss, steady_rss  # noqa: E402
from lib.domain.access import Actor, Role  # noqa: E402
from lib.domain.review import ReviewState  # noqa: E402
from lib.review import links  # noqa: E402
from lib.storage import LIBRARY  # noqa: E402
from lib.store.reviews import Reviewer  # noqa: E402
from lib.store.tasks import Store  # noqa: E402
from lib.store.team import name_login  # noqa: E402
from tests.browser.conftest import CHROMIUM, CHROMIUM_FLAGS, StudioProcess  # noqa: E402
from tests.factories import make  # noqa: E402

PERSON = "Bench Admin"


def prepare(data_dir: Path, zip_videos: int) -> tuple[list[str], str, int]:
    """-> (the 4 real videos' ids, a review link's token, bytes of the ZIP's videos)."""
    real = ensure_archived_videos(data_dir, 4)[:4]
    store = Store.open(f"sqlite:///{data_dir / 'studio.sqlite3'}")
    try:
        account = store.account_for(name_login(PERSON), PERSON, Role.ADMIN, datetime.now(UTC))
        admin = Actor(account.id, PERSON, Role.ADMIN)
        bench = [t.id for t in store.tasks() if t.campaign == "Bench"]
        for number in range(len(bench), zip_videos):
            video = make(store, "archived", campaign="Bench", prompt=f"Bench take {number}")
            source = real[number % len(real)].video
            shutil.copyfile(source, data_dir / LIBRARY / f"{video}.mp4")
            bench.append(video)
        by = Reviewer(admin.account_id, admin.name)
        store.change_reviews(bench, ReviewState.APPROVED, "", by, datetime.now(UTC))
        ids = [v.task_id for v in real]
        made = links.make_link(store, admin, "selection", task_ids=ids)
        assert made.token, made.message
        size = sum((data_dir / LIBRARY / f"{v}.mp4").stat().st_size for v in bench)
        return ids, made.token, size
    finally:
        store.engine.dispose()


def compare_figures(server: StudioProcess, ids: list[str]) -> tuple[dict, float]:
    from urllib.parse import quote

    from playwright.sync_api import sync_playwright

    from lib.ui.identity import COOKIE

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        context = browser.new_context(viewport={"width": 1400, "height": 1000})
        context.add_cookies([{"name": COOKIE, "value": quote(PERSON), "url": server.url}])
        page = context.new_page()
        meter = NetworkMeter()
        meter.attach(context.new_cdp_session(page))
        page.goto(f"{server.url}/compare?ids={','.join(ids)}")
        page.wait_for_function(
            "() => document.querySelectorAll('#compare-root video').length === 4",
            timeout=90_000,
        )
        meter.settle(page, 3.0)
        before = dict(meter.bytes)
        page.evaluate(
            """() => { window.__starts = [];
            document.querySelectorAll('#compare-root video').forEach(v =>
              v.addEventListener('playing', () => window.__starts.push(performance.now()),
                                 {once: true})); }"""
        )
        page.locator(".compare-play").click()
        page.wait_for_function("() => window.__starts.length === 4", timeout=60_000)
        starts = page.evaluate("() => window.__starts")
        browser.close()
    return before, max(starts) - min(starts)


def guests_figures(server: StudioProcess, token: str, guests: int) -> tuple[list[float], list[int]]:
    url = f"{server.url}/review/{token}"
    requests.get(url, timeout=30).raise_for_status()  # warm: the first page compiles queries
    alone = []
    for _ in range(10):  # one guest at a time, for comparison
        start = time.perf_counter()
        requests.get(url, timeout=30).raise_for_status()
        alone.append(time.perf_counter() - start)
    print(f"one guest at a time: page time median {statistics.median(alone):.3f} s")
    times: list[float] = [0.0] * guests
    ready = threading.Barrier(guests)

    def guest(number: int) -> None:
        with requests.Session() as session:
            ready.wait()
            start = time.perf_counter()
            answer = session.get(url, timeout=60)
            times[number] = time.perf_counter() - start
            assert answer.status_code == 200 and "Review: 4 videos" in answer.text

    rest = steady_rss(server.process.pid)
    with peak_rss(server.process.pid) as peak:
        threads = [threading.Thread(target=guest, args=(n,)) for n in range(guests)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    after = steady_rss(server.process.pid)
    return times, [rest, peak[0], after]


def process_cpu(pid: int) -> float:
    """CPU seconds (user + system) the process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def cpu_per_page(server: StudioProcess, token: str, pages: int = 300) -> float:
    """The server's CPU seconds per review page, one guest after another, less what the
    server uses idle meanwhile (its start-up warm-up is waited out first)."""
    url = f"{server.url}/review/{token}"
    pid = server.process.pid
    for _ in range(20):
        requests.get(url, timeout=30).raise_for_status()
    time.sleep(5)  # the start-up warm-up (lib/server/warmup.py) is done by then
    start, wall = process_cpu(pid), time.monotonic()
    time.sleep(3)
    idle = (process_cpu(pid) - start) / (time.monotonic() - wall)
    start, wall = process_cpu(pid), time.monotonic()
    with requests.Session() as session:
        for _ in range(pages):
            session.get(url, timeout=30).raise_for_status()
    return (process_cpu(pid) - start - idle * (time.monotonic() - wall)) / pages


def guests_side_by_side(data_dir: Path, other: Path, token: str, guests: int, rounds: int) -> None:
    """The guests' figures of this checkout and of `other`, rounds alternating."""
    copy = data_dir.parent / "other-data"
    shutil.rmtree(copy, ignore_errors=True)
    shutil.copytree(data_dir, copy)
    servers = {
        "this checkout": StudioProcess(data_dir),
        "other (--root)": StudioProcess(copy, cwd=other),
    }
    times: dict[str, list[float]] = {name: [] for name in servers}
    growth: dict[str, list[int]] = {name: [] for name in servers}
    try:
        for server in servers.values():
            server.start()
        cpu = {name: cpu_per_page(server, token) for name, server in servers.items()}
        for _ in range(rounds):
            for name in ("other (--root)", "this checkout"):
                took, memory = guests_figures(servers[name], token, guests)
                times[name] += took
                growth[name].append(memory[2] - memory[0])
    finally:
        for server in servers.values():
            server.stop()
    print(f"{guests} guests at once, {rounds} rounds each, alternating")
    print(
        f"{'checkout':<16} {'CPU ms/page':>11} {'median s':>9} {'p90 s':>7} {'max s':>7} "
        f"{'RSS growth':>11}"
    )
    for name, took in times.items():
        ordered = sorted(took)
        p90 = ordered[int(0.9 * (len(ordered) - 1))]
        print(
            f"{name:<16} {cpu[name] * 1000:>11.2f} {statistics.median(took):>9.3f} "
            f"{p90:>7.3f} {max(took):>7.3f} {mb(max(growth[name])):>11}"
        )
    print(f"CPU per page, ratio this / other: {cpu['this checkout'] / cpu['other (--root)']:.2f}")
    mine, theirs = (statistics.median(times[n]) for n in ("this checkout", "other (--root)"))
    print(
        f"ratio this / other: median {mine / theirs:.2f}, max "
        f"{max(times['this checkout']) / max(times['other (--root)']):.2f}; target: no page "
        f"over 0.3 s: {'met' if max(times['this checkout']) <= 0.3 else 'NOT met'}"
    )


def zip_figures(server: StudioProcess) -> tuple[int, int, list[int], float]:
    rest = steady_rss(server.process.pid)
    received = 0
    start = time.perf_counter()
    with tempfile.TemporaryFile() as kept, peak_rss(server.process.pid) as peak:
        with requests.get(
            f"{server.url}/api/approved.zip", params={"campaign": "Bench"}, stream=True, timeout=300
        ) as answer:
            answer.raise_for_status()
            for piece in answer.iter_content(1024 * 1024):
                kept.write(piece)
                received += len(piece)
        seconds = time.perf_counter() - start
        kept.seek(0)
        count = sum(1 for n in zipfile.ZipFile(kept).namelist() if n.endswith(".mp4"))
    return received, count, [rest, peak[0]], seconds


def mb(value: float) -> str:
    return f"{value / 1e6:.1f} MB"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=None)
    parser.add_argument("--guests", type=int, default=50)
    parser.add_argument("--zip-videos", type=int, default=100)
    parser.add_argument("--root", type=Path, help="another checkout, for the guests beside it")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--guests-only", action="store_true", help="only the guests' figures")
    args = parser.parse_args()
    data_dir = (args.data_dir or Path(tempfile.mkdtemp(prefix="review-bench-")) / "data").resolve()
    zip_videos = 0 if args.guests_only else args.zip_videos
    ids, token, zip_bytes = prepare(data_dir, zip_videos)
    print(f"data: {data_dir} (4 real videos; ZIP of {zip_videos}: {mb(zip_bytes)} of video)")
    if args.root is not None:
        guests_side_by_side(data_dir, args.root.resolve(), token, args.guests, args.rounds)
    if args.guests_only:
        if args.root is None:
            server = StudioProcess(data_dir)
            server.start()
            try:
                times, memory = guests_figures(server, token, args.guests)
            finally:
                server.stop()
            print(
                f"{args.guests} guests at once: page time median "
                f"{statistics.median(times):.3f} s, max {max(times):.3f} s; server RSS "
                f"{mb(memory[0])} before, {mb(memory[1])} peak, {mb(memory[2])} after"
            )
        return 0
    server = StudioProcess(data_dir)
    server.start()
    try:
        before, spread = compare_figures(server, ids)
        shown = {k: v for k, v in before.items() if k != "app bundle"}
        total = sum(shown.values())
        parts = ", ".join(f"{k} {v / 1000:.0f} kB" for k, v in sorted(shown.items()))
        verdict = "met" if total <= 500_000 else "NOT met"
        print(
            f"compare, 4 takes, bytes before play: {total / 1000:.0f} kB ({parts}); "
            f"app bundle apart: {before.get('app bundle', 0) / 1000:.0f} kB; "
            f"target <= 500 kB: {verdict}"
        )
        verdict = "met" if spread <= 100 else "NOT met"
        print(
            f"compare, Play all: the four players started within {spread:.0f} ms; "
            f"target <= 100 ms: {verdict}"
        )

        times, memory = guests_figures(server, token, args.guests)
        verdict = "met" if max(times) <= 0.3 else "NOT met"
        print(
            f"{args.guests} guests at once: page time median {statistics.median(times):.3f} s, "
            f"max {max(times):.3f} s (target <= 0.3 s: {verdict}); server RSS "
            f"{mb(memory[0])} before, {mb(memory[1])} peak, {mb(memory[2])} after"
        )

        received, count, memory, seconds = zip_figures(server)
        growth = memory[1] - memory[0]
        verdict = "met" if growth <= 50e6 else "NOT met"
        print(
            f"ZIP of {count} approved videos: {mb(received)} in {seconds:.1f} s; server RSS "
            f"{mb(memory[0])} at rest, {mb(memory[1])} peak (+{mb(growth)}; "
            f"target <= +50 MB: {verdict})"
        )
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
