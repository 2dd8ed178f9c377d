"""A live History for the whole team: what open History pages cost the server while videos
are made, and how soon a finished video shows on each of them.

    .venv/bin/python bench/live_history.py --root /path/to/old/checkout \
        [--pages 1 10 50] [--tasks 5] [--modes callbacks wait] [--clients light chromium] \
        [--busy-core]

Side by side in one run: the studio of another checkout (`--root`, e.g. the code before
issue 19, whose pages rerun their cards every 2 s while a video is made) and this one.
For each, each way the studio learns that a video is done (`callbacks`, `wait`:
`Prefer: wait`) and each number of open History pages, bench/api_calls.py's scenario runs:
`--tasks` videos are made through the Create page (Chromium pages) while that many pages
watch History, until every page shows every video.

The watching pages are, with `--clients light` (the default), bench/light_page.py's light
client: Streamlit's websocket and the bars' held request, without a browser (2 cores
cannot run 10 or 50 Chromium pages: they reached History after the videos were done);
with `chromium`, real Chromium pages; both: each scenario with each, to compare them.
For the light client, "visible" is when the message that carries the video arrives (the
row "sent (websocket)"); for Chromium, when the page lays the player out.

The studio and the clients are pinned to different cores (`os.sched_setaffinity`, as
`taskset` does: the studio on core 0, this script, its light pages and Chromium on core 1),
so the pages' own work does not slow the studio. The studio's CPU is read from /proc for
its process.

Printed, per checkout and mode, the numbers of pages side by side:
- server CPU per open page while videos are in flight ("in flight"): the studio's CPU
  from the moment every page shows the new cards and every video is rendered (the
  embedded API renders in the studio's process) until the first video is done, per
  second; (with N pages − with 1 page) / (N − 1), in % of one core. What a page costs
  while nothing changes: keep-alives, held requests, anything that reruns;
- the same over the whole scenario ("whole run"), each page's opening (a run of Create,
  then of History) and the redraws when videos are done included;
- server CPU per finished video: the studio's CPU over the run / the videos (the embedded
  API's renders included, the same for both checkouts);
- completion → visible, median and max (bench/api_calls.py: the provider's
  `completed_at` to the moment each page lays out the video's player);
- API calls per finished video (the embedded API's own counters).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # run as a script: make `lib`, `tests` and `bench` importable

import requests  # noqa: E402
from playwright.sync_api import sync_playwright  # noqa: E402

from bench.api_calls import (  # noqa: E402
    BENCH_FLAGS,
    DEMO_KEY,
    MODES,
    NAIVE_INTERVAL,
    PERSON,
    Bench,
    BenchFailure,
    Mode,
    NaivePolling,
    Scenario,
    cpu_seconds,
)
from bench.light_page import LightClient, LightPage, keeps_same_request  # noqa: E402
from lib.ui.identity import COOKIE  # noqa: E402
from tests.browser.conftest import (  # noqa: E402
    CHROMIUM,
    CHROMIUM_FLAGS,
    StudioProcess,
    remember_name,
)

STUDIO_CORE = 0
BROWSER_CORE = 1


def run_studio(root: Path, mode: Mode, scale: float, work: Path, client: str):
    """One studio of `root`, pinned to STUDIO_CORE; every number of pages in turn."""
    env = {
        "STUDIO_EMBEDDED_ADMIN": "on",
        "STUDIO_CALLBACKS": "on" if mode.callbacks else "off",
        "STUDIO_EMBEDDED_TIME_SCALE": str(scale),
    }
    server = StudioProcess(work / f"{root.name}-{mode.name}-{client}" / "data", env=env, cwd=root)
    return start_on_core(server, STUDIO_CORE)


def start_on_core(server: StudioProcess, core: int) -> StudioProcess:
    """Start `server` (a new data folder) pinned to `core`: its process and threads
    inherit this process's affinity, set for the moment it starts."""
    server.data_dir.mkdir(parents=True)
    mine = os.sched_getaffinity(0)
    os.sched_setaffinity(0, {core})
    try:
        server.start()
    finally:
        os.sched_setaffinity(0, mine)
    return server


class LightBench(Bench):
    """bench/api_calls.py's scenario with light pages watching History
    (bench/light_page.py); the videos are still made through Chromium's Create pages, as
    with Chromium watchers, so that only the watchers differ."""

    def run(self, mode: Mode, sessions: int, tasks: int) -> Scenario:
        result = Scenario(mode, sessions, tasks)
        known = {task.id for task in self.store.tasks()}
        context = self.browser.new_context(viewport={"width": 1400, "height": 1000})
        remember_name(context, self.server.url, PERSON)
        keeps = keeps_same_request(self.server.cwd)  # as that checkout's page script does
        client = LightClient(self.server.url, COOKIE, PERSON, keeps)
        watchers: list[LightPage] = []
        try:
            creators = self._open(context, tasks)
            watchers = client.open(sessions)  # on Create, as the Chromium watchers
            no_loops = NaivePolling(self.api_url, DEMO_KEY, 0, NAIVE_INTERVAL)
            requests.post(f"{self.admin}/counters/reset", timeout=10).raise_for_status()
            server_cpu = cpu_seconds(self.server.process.pid)
            started = time.monotonic()
            ours = self._submit(creators, known, no_loops)
            client.go_to(watchers, "History", "/history")
            opened_at = [self._light_cards(page, ours) for page in watchers]
            self._steady(result, ours)
            self._light_visible(watchers, ours)
            result.seconds = time.monotonic() - started
            result.server_cpu = cpu_seconds(self.server.process.pid) - server_cpu
            result.calls = requests.get(f"{self.admin}/counters", timeout=10).json()
            # ms, as the browser's records: visible is when the video's message arrived
            delivered = [{k: v * 1000 for k, v in page.delivered.items()} for page in watchers]
            reruns = sum(page.reruns_sent for page in watchers)
            held = sum(page.held_requests for page in watchers)
            failed = sum(page.held_failed for page in watchers)
            print(
                f"    light pages sent {reruns} reruns and {held} held requests "
                f"({failed} refused or cut)",
                flush=True,
            )
        finally:
            client.close(watchers)
            client.stop()
            context.close()
        self._latencies(result, ours, delivered, delivered, opened_at)
        return result

    def _light_cards(self, page: LightPage, ours: list[str]) -> float:
        """When the page has the cards of every new video: wall-clock ms."""
        deadline = time.monotonic() + 90
        while not set(ours) <= page.cards:
            if time.monotonic() > deadline or page.errors:
                raise BenchFailure(f"History did not show the new videos: {page.errors}")
            time.sleep(0.02)
        return time.time() * 1000

    def _light_visible(self, watchers: list[LightPage], ours: list[str]) -> None:
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline:
            tasks = {task.id: task for task in self.store.tasks() if task.id in ours}
            if any(task.status in ("failed", "cancelled") for task in tasks.values()):
                raise BenchFailure(f"a video failed; see {self.server.log_path}")
            broken = [page.errors for page in watchers if page.errors]
            if broken:
                raise BenchFailure(f"a light page lost its websocket: {broken[0]}")
            files = {f"/library/{task.video_file}" for task in tasks.values()}
            archived = all(task.archive_state == "archived" for task in tasks.values())
            if archived and all(files <= set(page.delivered) for page in watchers):
                return
            time.sleep(0.1)
        missing = [len(files - set(page.delivered)) for page in watchers]
        raise BenchFailure(f"the videos did not all reach every page: missing {missing}")


BENCHES = {"light": LightBench, "chromium": Bench}


def measure(
    browser, root: Path, mode: Mode, pages: list[int], tasks: int, scale: float, work, client
):
    server = run_studio(root, mode, scale, work, client)
    try:
        # The naive loops are off: they would load the studio.
        bench = BENCHES[client](browser, server, naive=False)
        results = []
        name = f"{root.name} [{client}]"
        for count in pages:
            try:
                result = bench.run(mode, count, tasks)
            except BenchFailure as exc:  # said, and the other scenarios still run
                print(f"  {name} {mode.label}, {count} page(s): FAILED: {exc}", flush=True)
                continue
            results.append(result)
            print(f"  {row(name, result, results)}", flush=True)
        return results
    finally:
        server.stop()


def per_page(results: list[Scenario], result: Scenario) -> float | None:
    """% of a core each open page beyond the first costs the studio over the whole run."""
    one = next((r for r in results if r.sessions == 1 and r.mode is result.mode), None)
    if one is None or result.sessions <= 1:
        return None
    extra = result.server_cpu - one.server_cpu
    return 100 * extra / (result.sessions - 1) / result.seconds


def steady_rate(result: Scenario) -> float | None:
    """% of a core the studio used while the videos were in flight and nothing changed."""
    if result.steady_cpu is None or result.steady_seconds < 3:
        return None  # no window, or too short to read /proc's 10 ms ticks
    return 100 * result.steady_cpu / result.steady_seconds


def steady_per_page(results: list[Scenario], result: Scenario) -> float | None:
    """% of a core each open page beyond the first costs while nothing changes."""
    one = next((r for r in results if r.sessions == 1 and r.mode is result.mode), None)
    mine, base = steady_rate(result), steady_rate(one) if one else None
    if mine is None or base is None or result.sessions <= 1:
        return None
    return (mine - base) / (result.sessions - 1)


def _figure(value: float | None, digits: int = 2) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def side_by_side(name: str, results: list[Scenario]) -> None:
    """One table per checkout and mode: a column per number of open pages."""
    for mode in dict.fromkeys(r.mode for r in results):
        mine = [r for r in results if r.mode is mode]
        rows = {
            "in flight: studio % of a core": [_figure(steady_rate(r)) for r in mine],
            "in flight: window s": [
                _figure(r.steady_seconds if r.steady_cpu is not None else None, 1) for r in mine
            ],
            "in flight: % of a core per page": [_figure(steady_per_page(mine, r), 3) for r in mine],
            "whole run: % of a core per page": [_figure(per_page(mine, r), 3) for r in mine],
            "whole run: seconds": [_figure(r.seconds, 1) for r in mine],
            "CPU s per video": [_figure(r.server_cpu / r.tasks) for r in mine],
            "completion -> visible, median s": [
                _figure(statistics.median(r.latencies) if r.latencies else None) for r in mine
            ],
            "completion -> visible, max s": [
                _figure(max(r.latencies) if r.latencies else None) for r in mine
            ],
            "studio knows it is done, median s": [
                _figure(statistics.median(r.noticed) if r.noticed else None) for r in mine
            ],
            "its copy saved, median s": [
                _figure(statistics.median(r.archived) if r.archived else None) for r in mine
            ],
            "sent (websocket), median s": [
                _figure(statistics.median(r.delivered) if r.delivered else None) for r in mine
            ],
            "unseen (video, page) pairs": [
                f"{r.unobserved} of {r.tasks * r.sessions}" for r in mine
            ],
            "API calls per video": [_figure(r.task_calls / r.tasks) for r in mine],
        }
        head = f"{name}, {mode.label}: open pages"
        widths = [max(len(head), *(len(k) for k in rows)), *([12] * len(mine))]
        print(f"\n{head:<{widths[0]}}" + "".join(f"{r.sessions:>12}" for r in mine))
        print("-" * sum(widths))
        for label, cells in rows.items():
            print(f"{label:<{widths[0]}}" + "".join(f"{c:>12}" for c in cells))


def report(runs: dict[str, list[Scenario]]) -> None:
    for name, results in runs.items():
        side_by_side(name, results)


def row(name: str, r: Scenario, results: list[Scenario]) -> str:
    """One scenario as soon as it is measured (the tables come at the end)."""
    steady = steady_rate(r)
    median = statistics.median(r.latencies) if r.latencies else float("nan")
    return (
        f"{name} {r.mode.label}, {r.sessions} page(s): {r.seconds:.1f} s, studio "
        f"{r.server_cpu:.1f} CPU s; in flight {_figure(steady)} % of a core over "
        f"{r.steady_seconds:.1f} s; visible median {median:.2f} s; unseen {r.unobserved}; "
        f"calls/video {r.task_calls / r.tasks:.2f}"
    )


def busy_core() -> subprocess.Popen:
    """A process that keeps STUDIO_CORE busy (the studio's CPU, read for its own process,
    is not counted with it; its times are those of a studio given half a core)."""
    spinner = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    os.sched_setaffinity(spinner.pid, {STUDIO_CORE})
    print(f"a process spins on core {STUDIO_CORE} beside the studio", flush=True)
    return spinner


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, help="the other checkout (none: this one alone)")
    parser.add_argument("--pages", type=int, nargs="+", default=[1, 10, 50])
    parser.add_argument("--tasks", type=int, default=5, help="videos per scenario (default 5)")
    parser.add_argument("--modes", nargs="+", choices=["callbacks", "wait"], default=None)
    parser.add_argument("--time-scale", type=float, default=1.5)
    parser.add_argument(
        "--clients",
        nargs="+",
        choices=list(BENCHES),
        default=["light"],
        help="who watches History: light pages (bench/light_page.py) or Chromium pages",
    )
    parser.add_argument(
        "--busy-core",
        action="store_true",
        help="a process spinning on the studio's core the whole run: the studio gets about "
        "half of it (a machine half as fast, or a busy neighbour)",
    )
    args = parser.parse_args()
    modes = [MODES[name] for name in (args.modes or ["callbacks", "wait"])]
    pages = sorted(set([1, *args.pages]))
    if len(os.sched_getaffinity(0)) < 2:
        print("needs 2 cores: the studio on one, the browser on the other")
        return 1
    print(
        f"load before: {os.getloadavg()[0]:.2f}; studio on core {STUDIO_CORE}, "
        f"{' and '.join(args.clients)} pages on core {BROWSER_CORE}"
    )
    started = time.monotonic()
    roots = {"other (--root)": args.root.resolve()} if args.root else {}
    roots["this checkout"] = ROOT
    runs: dict[str, list[Scenario]] = {
        f"{name} [{client}]": [] for name in roots for client in args.clients
    }
    os.sched_setaffinity(0, {BROWSER_CORE})  # this script and Chromium (launched below)
    spinner = busy_core() if args.busy_core else None
    try:
        with (
            tempfile.TemporaryDirectory(prefix="bench-live-history-") as tmp,
            sync_playwright() as pw,
        ):
            browser = pw.chromium.launch(
                executable_path=CHROMIUM, args=CHROMIUM_FLAGS + BENCH_FLAGS
            )
            try:
                for mode in modes:
                    for name, root in roots.items():
                        for client in args.clients:
                            runs[f"{name} [{client}]"] += measure(
                                browser,
                                root,
                                mode,
                                pages,
                                args.tasks,
                                args.time_scale,
                                Path(tmp),
                                client,
                            )
            except BenchFailure as exc:
                print(f"FAILED: {exc}")
                return 1
            finally:
                browser.close()
    finally:
        if spinner:
            spinner.kill()
    report(runs)
    print(f"\nload after: {os.getloadavg()[0]:.2f}; {time.monotonic() - started:.0f} s in all.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
