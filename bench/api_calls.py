"""API calls per finished video, and how soon a finished video shows on an open History page.

    .venv/bin/python bench/api_calls.py [--tasks 5] [--sessions 1 10] [--modes ...]

For each way the studio learns that a video is done, it starts the studio for real
(`streamlit run app.py`, demo mode: the embedded Wave API in the same process, with its
counters switched on by STUDIO_EMBEDDED_ADMIN=on):

- `callbacks`: the service calls the studio back (the studio's own origin is reachable);
- `wait`: no callbacks; the tracker holds `Prefer: wait` requests;
- `polling`: no callbacks, and the service ignores `Prefer: wait` (the embedded API's
  `ignore_prefer_wait` switch): the tracker's plain adaptive polling.

Then, once with each number of `--sessions`: `--tasks` videos are made through the Create
page (one Chromium page per video, the clicks close together), and that many Chromium
pages open History and watch them arrive. Measured:

- API calls: the embedded API's own counters (submit, GET, cancel), from the first click
  until every video is archived, per finished video. Target: at most 2 with callbacks (a
  submit, then a GET when the service calls back "done": the studio asks for no other
  callback, each would cost a GET; the cards estimate the step from time) and with
  `Prefer: wait`, and the same for 1 and for 10 sessions.
- The naive way, side by side in the same run: one loop per open session (threads of this
  script) GETs every unfinished video every 2 s over HTTP from the API, as pages polling
  by themselves would, from each submit until that session sees the video finished. Their
  requests are counted by the loops and subtracted from the API's counters; the naive
  figure is those requests plus one submit per video.
- Completion -> visible: from the provider's `completed_at` (GET /v1/tasks/{id}, read after
  the counting) to the moment each History page shows the video's player: a
  MutationObserver in the page notes `performance.timeOrigin + performance.now()` (wall
  clock, the same clock as the server's) when a <video> for that file is laid out. Only
  pages that were open before the video was completed count. Target: 1 s with callbacks,
  3 s without. Along the way: "knows" (the studio stored the provider's "completed"),
  "saved" (its own copy archived) and "sent" (the websocket message with the new card
  reached the page: the server's part ends there, the rest is the browser drawing it; all
  the pages run in one Chromium on this machine, beside the studio).

The machine's load changes the latency figures; the call counts should not move. Exits 1
only when a video does not arrive (a real failure), not when a target is missed.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # run as a script: make `lib` and `tests` importable

import requests  # noqa: E402
from playwright.sync_api import Error as PlaywrightError  # noqa: E402
from playwright.sync_api import sync_playwright  # noqa: E402
from sqlalchemy import select  # noqa: E402

from lib.config import StudioConfig  # noqa: E402
from lib.domain.statuses import TERMINAL_STATUSES  # noqa: E402
from lib.domain.urls import EMBEDDED_PREFIX  # noqa: E402
from lib.store.schema import TaskEvent  # noqa: E402
from lib.store.tasks import Store  # noqa: E402
from tests.browser.conftest import (  # noqa: E402
    CHROMIUM,
    CHROMIUM_FLAGS,
    StudioProcess,
    remember_name,
)

SCREENSHOTS = ROOT / "test-artifacts" / "bench-api-calls"  # on failure (git-ignored)
NAIVE_INTERVAL = 2.0  # seconds: "a per-session polling loop every 2 s"
BROWSER_BINARY = "/usr/lib/chromium/chromium"  # what Debian's /usr/bin/chromium script runs
BROWSER_TIMEOUT_MS = 90_000
TASK_ENDPOINTS = ("submit", "get", "cancel")
# The key the studio sends to the embedded API in demo mode (every key opens an account).
DEMO_KEY = StudioConfig(data_dir=Path("."), database_url="").api_key()
# Many pages at once in one headless browser: none of them may be slowed as a background tab.
BENCH_FLAGS = [
    "--disable-background-timer-throttling",
    "--disable-renderer-backgrounding",
    "--disable-backgrounding-occluded-windows",
]
PERSON = "Bench Runner"
PROMPTS = (
    "A lighthouse at dusk, waves below, slow pan",
    "Fresh coffee poured in slow motion, warm morning light",
    "A paper boat on a rainy street, close-up",
    "City skyline timelapse from day to night",
    "A red kite over a windy beach, drone shot",
    "Autumn leaves falling in a quiet park",
    "A cyclist on a mountain road at sunrise",
    "Neon signs reflected in puddles at night",
)

# Records, in the page itself, the wall-clock time each <video> (by its file) is laid out,
# and when the websocket message carrying it arrived (the server's part ends there; the
# rest is the browser drawing it).
SEEN_SCRIPT = r"""
window.__videoSeen = {};
window.__videoDelivered = {};
const NativeSocket = window.WebSocket;
window.WebSocket = function (...args) {
  const socket = new NativeSocket(...args);
  socket.addEventListener('message', (event) => {
    if (!(event.data instanceof ArrayBuffer)) return;
    const at = performance.timeOrigin + performance.now();
    const text = new TextDecoder('latin1').decode(event.data);
    for (const found of text.matchAll(/\/library\/[0-9a-f]{32}\.mp4/g)) {
      if (!(found[0] in window.__videoDelivered)) window.__videoDelivered[found[0]] = at;
    }
  });
  return socket;
};
window.WebSocket.prototype = NativeSocket.prototype;
Object.assign(window.WebSocket, NativeSocket);
const note = () => {
  for (const video of document.querySelectorAll('video')) {
    const src = video.getAttribute('src') || '';
    if (src && !(src in window.__videoSeen) && video.getClientRects().length > 0) {
      window.__videoSeen[src] = performance.timeOrigin + performance.now();
    }
  }
};
new MutationObserver(note).observe(document, {childList: true, subtree: true, attributes: true});
"""


@dataclass(frozen=True)
class Mode:
    name: str
    label: str
    callbacks: bool
    ignore_wait: bool = False
    calls_target: float | None = None
    latency_target: float = 3.0


MODES = {
    "callbacks": Mode("callbacks", "callbacks", True, calls_target=2, latency_target=1.0),
    "wait": Mode("wait", "Prefer: wait", False, calls_target=2),
    "polling": Mode("polling", "polling (no Prefer: wait)", False, ignore_wait=True),
}


# ----- the naive way ---------------------------------------------------------------------
class NaivePolling:
    """What every open page would do if it followed videos by itself: one loop per session
    that GETs every unfinished video it knows of every `interval` seconds, until it sees
    each one finished. Counts every request it sends."""

    def __init__(self, api_url: str, api_key: str, sessions: int, interval: float):
        self.api_url = api_url.rstrip("/")
        self.api_key = api_key
        self.interval = interval
        self._tasks: list[str] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._requests = [0] * sessions
        self._finished = [0] * sessions
        self._threads = [
            threading.Thread(target=self._loop, args=(n,), daemon=True, name=f"naive-{n}")
            for n in range(sessions)
        ]

    def follow(self, wave_task_id: str) -> None:
        with self._lock:
            if wave_task_id not in self._tasks:
                self._tasks.append(wave_task_id)

    def start(self) -> None:
        for thread in self._threads:
            thread.start()

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=15)

    @property
    def requests(self) -> int:
        with self._lock:
            return sum(self._requests)

    def all_finished(self, tasks: int) -> bool:
        """Every session has seen `tasks` videos finished."""
        with self._lock:
            return all(count >= tasks for count in self._finished)

    def _loop(self, number: int) -> None:
        finished: set[str] = set()
        with requests.Session() as http:
            http.headers["Authorization"] = f"Bearer {self.api_key}"
            tick = time.monotonic()
            while not self._stop.is_set():
                with self._lock:
                    due = [task for task in self._tasks if task not in finished]
                for task in due:
                    with self._lock:
                        self._requests[number] += 1
                    try:
                        reply = http.get(f"{self.api_url}/tasks/{task}", timeout=10)
                        if reply.ok and reply.json().get("status") in TERMINAL_STATUSES:
                            finished.add(task)
                    except requests.RequestException:
                        pass  # counted all the same: the request was sent
                with self._lock:
                    self._finished[number] = len(finished)
                tick += self.interval
                self._stop.wait(max(tick - time.monotonic(), 0.0))


# ----- where the CPU goes ------------------------------------------------------------------
def cpu_seconds(match: str | int) -> float:
    """CPU time (user + system) used so far by the process `match` (a pid), or by every
    process whose command line contains `match` (text), from /proc."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if isinstance(match, int):
                if int(entry.name) != match:
                    continue
            elif match not in (entry / "cmdline").read_bytes().decode(errors="replace"):
                continue
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:  # the process ended meanwhile
            continue
        total += (int(fields[11]) + int(fields[12])) / ticks  # utime, stime
    return total


# ----- one scenario ----------------------------------------------------------------------
@dataclass
class Scenario:
    mode: Mode
    sessions: int
    tasks: int
    calls: dict[str, int] = field(default_factory=dict)
    naive_requests: int = 0
    studio_calls_in_store: int = 0
    seconds: float = 0.0
    # Seconds from the provider's completion: per (video, page) to the player on the page,
    # and per video to the studio knowing it ("notice") and to its copy being saved.
    latencies: list[float] = field(default_factory=list)
    delivered: list[float] = field(default_factory=list)  # to the page's websocket
    noticed: list[float] = field(default_factory=list)
    archived: list[float] = field(default_factory=list)
    unobserved: int = 0  # (video, page) pairs where the page opened after completion
    # CPU seconds from the first click until every video shows: the studio's server
    # process (the embedded API's renders included) and the browser's processes.
    server_cpu: float = 0.0
    browser_cpu: float = 0.0
    # The studio's CPU seconds over `steady_seconds` while the videos were in flight and
    # every page showed them: from the moment every page showed the cards and every
    # video was rendered to the first video done (bench/live_history.py). None: no window.
    steady_cpu: float | None = None
    steady_seconds: float = 0.0

    @property
    def task_calls(self) -> int:
        """The studio's own task calls: the API's count less the naive loops' requests."""
        api = sum(self.calls.get(f"requests.{name}", 0) for name in TASK_ENDPOINTS)
        return api - self.naive_requests

    @property
    def naive_per_task(self) -> float:
        return (self.calls.get("requests.submit", 0) + self.naive_requests) / self.tasks


class Bench:
    def __init__(self, browser: Any, server: StudioProcess, naive: bool = True):
        self.browser = browser
        self.server = server
        # The naive loops GET the embedded API, in the studio's own process: off where the
        # studio's CPU is what is measured (bench/live_history.py).
        self.naive = naive
        self.admin = f"{server.url}{EMBEDDED_PREFIX}/_embedded"
        self.api_url = f"{server.url}{EMBEDDED_PREFIX}/v1"
        self.store = Store.open(f"sqlite:///{server.data_dir / 'studio.sqlite3'}")
        self.made = 0  # videos made so far in this studio, for distinct prompts
        self.console_errors: set[str] = set()  # what the pages' consoles said went wrong

    def _note_console_error(self, message: Any) -> None:
        if message.type == "error":
            self.console_errors.add(message.text[:300])

    def run(self, mode: Mode, sessions: int, tasks: int) -> Scenario:
        """Creators and watchers are opened first (on Create: no timers there), so that
        once the videos are sent the watchers only switch to History, as a person would."""
        result = Scenario(mode, sessions, tasks)
        known = {task.id for task in self.store.tasks()}
        # One browser context: separate pages (sessions) that share the cached bundle.
        context = self.browser.new_context(viewport={"width": 1400, "height": 1000})
        remember_name(context, self.server.url, PERSON)
        context.add_init_script(SEEN_SCRIPT)
        try:
            creators = self._open(context, tasks)
            watchers = self._open(context, sessions)
            loops = sessions if self.naive else 0
            naive = NaivePolling(self.api_url, DEMO_KEY, loops, NAIVE_INTERVAL)
            requests.post(f"{self.admin}/counters/reset", timeout=10).raise_for_status()
            server_cpu = cpu_seconds(self.server.process.pid)
            browser_cpu = cpu_seconds(BROWSER_BINARY)
            started = time.monotonic()
            naive.start()
            try:
                ours = self._submit(creators, known, naive)
                for page in watchers:
                    page.get_by_role("link", name="History").click()
                opened_at = [self._wait_cards(page, ours) for page in watchers]
                self._steady(result, ours)
                self._wait_visible(watchers, ours, naive)
                result.seconds = time.monotonic() - started
                result.server_cpu = cpu_seconds(self.server.process.pid) - server_cpu
                result.browser_cpu = cpu_seconds(BROWSER_BINARY) - browser_cpu
                result.calls = requests.get(f"{self.admin}/counters", timeout=10).json()
                result.naive_requests = naive.requests
            finally:
                naive.stop()
            seen = [page.evaluate("() => window.__videoSeen") for page in watchers]
            delivered = [page.evaluate("() => window.__videoDelivered") for page in watchers]
        finally:
            context.close()
        self._latencies(result, ours, seen, delivered, opened_at)
        return result

    def _open(self, context: Any, count: int) -> list[Any]:
        pages = []
        for _ in range(count):
            page = context.new_page()
            page.on("console", self._note_console_error)
            page.set_default_timeout(BROWSER_TIMEOUT_MS)
            page.goto(f"{self.server.url}/", wait_until="commit")
            pages.append(page)
        for page in pages:
            page.get_by_role("heading", name="Create a video").wait_for()
        return pages

    def _submit(self, creators: list[Any], known: set[str], naive: NaivePolling) -> list[str]:
        """One video per Create page, the clicks close together. -> the new task ids."""
        for page in creators:
            prompt = PROMPTS[self.made % len(PROMPTS)] + f" (take {self.made + 1})"
            self.made += 1
            page.get_by_role("textbox", name="Prompt").fill(prompt)
        for page in creators:
            page.get_by_role("button", name="Generate 6 s", exact=False).click()
        return self._wait_submitted(known, len(creators), naive)

    def _wait_submitted(self, known: set[str], tasks: int, naive: NaivePolling) -> list[str]:
        """The new videos' ids once the service has accepted each (the loops follow them)."""
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            new = [task for task in self.store.tasks() if task.id not in known]
            for task in new:
                if task.wave_task_id:
                    naive.follow(task.wave_task_id)
            if len(new) >= tasks and all(task.wave_task_id for task in new):
                return [task.id for task in new]
            time.sleep(0.05)
        raise BenchFailure(f"only {len(new)} of {tasks} videos were accepted within 90 s")

    def _wait_cards(self, page: Any, ours: list[str]) -> float:
        """When the page shows a card for each new video: wall-clock ms."""
        try:
            for task_id in ours:
                page.locator(f".st-key-card-{task_id}").wait_for(state="attached")
        except PlaywrightError as exc:
            self._keep_screens(page.context.pages)
            raise BenchFailure(f"History did not show the new videos: {exc}") from None
        return time.time() * 1000

    def _steady(self, result: Scenario, ours: list[str]) -> None:
        """The studio's CPU while nothing changes: every page shows the cards (the caller
        waited for that), every video is rendered (the embedded API's renders run in the
        studio's process: left out), until the first video is done (ended: a "being made"
        the studio learns, as the code before issue 19 did by callback, does not end the
        window). No window if one was done first."""

        def done() -> bool:
            return any(t.status in TERMINAL_STATUSES for t in self.store.tasks() if t.id in ours)

        wave_ids = [t.wave_task_id for t in self.store.tasks() if t.id in ours]
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline and not done():
            rendered = all(any(self.server.data_dir.rglob(f"*-{w}.mp4")) for w in wave_ids)
            if rendered:
                break
            time.sleep(0.1)
        if done():
            return
        cpu, started = cpu_seconds(self.server.process.pid), time.monotonic()
        while not done() and time.monotonic() < deadline:
            time.sleep(0.05)
        result.steady_cpu = cpu_seconds(self.server.process.pid) - cpu
        result.steady_seconds = time.monotonic() - started

    def _wait_visible(self, watchers: list[Any], ours: list[str], naive: NaivePolling) -> None:
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline:
            tasks = {task.id: task for task in self.store.tasks() if task.id in ours}
            if any(task.status in ("failed", "cancelled") for task in tasks.values()):
                raise BenchFailure(f"a video failed; see {self.server.log_path}")
            blank = [
                number
                for number, page in enumerate(watchers)
                if page.evaluate("() => document.body.innerText.trim().length") == 0
            ]
            if blank:  # Streamlit's page fell over (an error in the browser's console)
                self._keep_screens(watchers)
                raise BenchFailure(f"History went blank in page(s) {blank}")
            archived = all(task.archive_state == "archived" for task in tasks.values())
            files = [f"/library/{task.video_file}" for task in tasks.values()]
            shown = archived and all(
                set(files) <= set(page.evaluate("() => Object.keys(window.__videoSeen)"))
                for page in watchers
            )
            if shown and naive.all_finished(len(ours)):
                return
            time.sleep(0.25)
        self._keep_screens(watchers)
        states = sorted((task.status, task.archive_state) for task in tasks.values())
        missing = [
            len(set(files) - set(page.evaluate("() => Object.keys(window.__videoSeen)")))
            for page in watchers
        ]
        raise BenchFailure(
            f"the videos did not all show on every page within 240 s: stored {states}, "
            f"videos missing per page {missing}, naive loops done: {naive.all_finished(len(ours))}"
        )

    def _keep_screens(self, pages: list[Any]) -> None:
        """What each page showed when the bench gave up, for the person reading the failure."""
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        for number, page in enumerate(pages):
            page.screenshot(path=str(SCREENSHOTS / f"page-{number}.png"), full_page=True)
        print(f"screenshots of the pages: {SCREENSHOTS}")
        for text in sorted(self.console_errors):
            print(f"browser console: {text}")

    def _latencies(
        self,
        result: Scenario,
        ours: list[str],
        seen: list[dict],
        delivered: list[dict],
        opened_at: list[float],
    ) -> None:
        tasks = {task.id: task for task in self.store.tasks() if task.id in ours}
        result.studio_calls_in_store = sum(task.api_calls for task in tasks.values())
        with self.store.session() as session:  # when the studio recorded "completed"
            rows = session.execute(
                select(TaskEvent.task_id, TaskEvent.at).where(
                    TaskEvent.task_id.in_(ours),
                    TaskEvent.status == "completed",
                    TaskEvent.source == "service",
                )
            )
            noticed = {task_id: at.timestamp() for task_id, at in rows}
        with requests.Session() as http:
            http.headers["Authorization"] = f"Bearer {DEMO_KEY}"
            for task in tasks.values():
                reply = http.get(f"{self.api_url}/tasks/{task.wave_task_id}", timeout=10)
                completed = float(reply.json()["completed_at"]) / 1000
                result.noticed.append(noticed[task.id] - completed)
                result.archived.append(task.archived_at.timestamp() - completed)
                src = f"/library/{task.video_file}"
                for page_seen, page_got, opened in zip(seen, delivered, opened_at, strict=True):
                    if opened / 1000 > completed:
                        result.unobserved += 1
                    else:
                        result.latencies.append(page_seen[src] / 1000 - completed)
                        result.delivered.append(page_got[src] / 1000 - completed)


class BenchFailure(Exception):
    pass


# ----- report ------------------------------------------------------------------------------
def verdict(value: float, target: float | None) -> str:
    if target is None:
        return "-"
    return f"<= {target:g}: {'MET' if value <= target else 'NOT MET'}"


def print_head(title: str, columns: str) -> None:
    print(f"\n{title}\n{columns}\n{'-' * len(columns)}")


def print_calls(results: Iterable[Scenario]) -> None:
    print_head(
        "API calls per finished video (embedded API counters; naive: measured alongside)",
        f"{'scenario':<26} {'sessions':>8} {'tasks':>5} {'API calls':>9} {'calls/task':>10} "
        f"{'naive calls/task':>16}  {'submit/get':>10} {'store says':>10} "
        f"{'downloads':>9} {'balance':>7}  target",
    )
    for r in results:
        per_task = r.task_calls / r.tasks
        gets = r.calls.get("requests.get", 0) - r.naive_requests
        print(
            f"{r.mode.label:<26} {r.sessions:>8} {r.tasks:>5} {r.task_calls:>9} "
            f"{per_task:>10.2f} {r.naive_per_task:>16.2f}  "
            f"{r.calls.get('requests.submit', 0):>4}/{gets:<5} {r.studio_calls_in_store:>10} "
            f"{r.calls.get('requests.file', 0):>9} {r.calls.get('requests.balance', 0):>7}  "
            f"{verdict(per_task, r.mode.calls_target)}"
        )


def print_latency(results: Iterable[Scenario]) -> None:
    print_head(
        "Completion -> visible on an open History page, seconds after the provider's "
        "completed_at\n(knows: the studio has the 'completed' reply; saved: its copy is "
        "archived; sent: the new card reached the page's websocket; medians)",
        f"{'scenario':<26} {'sessions':>8} {'samples':>7} {'median':>7} {'max':>7} "
        f"{'knows':>6} {'saved':>6} {'sent':>6} {'sent max':>8}  target (median, max)",
    )
    for r in results:
        if not r.latencies:
            print(f"{r.mode.label:<26} {r.sessions:>8} {0:>7}  (no page was open in time)")
            continue
        median, worst = statistics.median(r.latencies), max(r.latencies)
        target = r.mode.latency_target
        print(
            f"{r.mode.label:<26} {r.sessions:>8} {len(r.latencies):>7} {median:>7.2f} "
            f"{worst:>7.2f} {statistics.median(r.noticed):>6.2f} "
            f"{statistics.median(r.archived):>6.2f} {statistics.median(r.delivered):>6.2f} "
            f"{max(r.delivered):>8.2f}  <= {target:g}: "
            f"{'MET' if median <= target else 'NOT MET'}, {'MET' if worst <= target else 'NOT MET'}"
            + (f"; {r.unobserved} not watched" if r.unobserved else "")
        )


def print_cpu(results: Iterable[Scenario]) -> None:
    print_head(
        f"Where the CPU went ({os.cpu_count()} cores), from the first click until every page "
        "showed every video",
        f"{'scenario':<26} {'sessions':>8} {'seconds':>7} {'studio CPU s':>12} "
        f"{'browser CPU s':>13}",
    )
    for r in results:
        print(
            f"{r.mode.label:<26} {r.sessions:>8} {r.seconds:>7.1f} {r.server_cpu:>12.1f} "
            f"{r.browser_cpu:>13.1f}"
        )


# ----- main ----------------------------------------------------------------------------------
def run_mode(browser: Any, mode: Mode, sessions: list[int], tasks: int, scale: float, work: Path):
    env = {
        "STUDIO_EMBEDDED_ADMIN": "on",
        "STUDIO_CALLBACKS": "on" if mode.callbacks else "off",
        "STUDIO_EMBEDDED_TIME_SCALE": str(scale),
    }
    server = StudioProcess(work / mode.name / "data", env=env)
    server.data_dir.mkdir(parents=True)
    try:
        server.start()
        if mode.ignore_wait:
            faults = {"ignore_prefer_wait": True}
            url = f"{server.url}{EMBEDDED_PREFIX}/_embedded/faults"
            requests.put(url, json=faults, timeout=10).raise_for_status()
        bench = Bench(browser, server)
        results = []
        for count in sessions:
            result = bench.run(mode, count, tasks)
            print(
                f"  {mode.label}, {count} session(s): {result.task_calls} calls for {tasks} "
                f"videos, naive {result.naive_requests} GETs, {result.seconds:.0f} s",
                flush=True,
            )
            results.append(result)
        return results
    finally:
        server.stop()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=5, help="videos per scenario (default 5)")
    parser.add_argument(
        "--sessions", type=int, nargs="+", default=[1, 10], help="open History pages"
    )
    parser.add_argument("--modes", nargs="+", choices=list(MODES), default=list(MODES))
    parser.add_argument(
        "--time-scale",
        type=float,
        default=1.5,
        help="the embedded API's pace: 1.5 (default) = a 6 s video takes ~19 s to make, "
        "time for 10 pages to open History while it is made",
    )
    args = parser.parse_args()

    results: list[Scenario] = []
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="bench-api-calls-") as tmp, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS + BENCH_FLAGS)
        try:
            for name in args.modes:
                results += run_mode(
                    browser, MODES[name], args.sessions, args.tasks, args.time_scale, Path(tmp)
                )
        except BenchFailure as exc:
            print(f"FAILED: {exc}")
            return 1
        finally:
            browser.close()
    print_calls(results)
    print_latency(results)
    print_cpu(results)
    print(f"\n{len(results)} scenarios in {time.monotonic() - started:.0f} s.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
