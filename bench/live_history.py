"""A live History for the whole team: what open History pages cost the server while videos
are made, and how soon a finished video shows on each of them.

    .venv/bin/python bench/live_history.py --root /path/to/old/checkout \
        [--pages 1 10 50] [--tasks 5] [--modes callbacks wait]

Side by side in one run: the studio of another checkout (`--root`, e.g. the code before
issue 19, whose pages rerun their cards every 2 s while a video is made) and this one.
For each, each way the studio learns that a video is done (`callbacks`, `wait`:
`Prefer: wait`) and each number of open History pages, bench/api_calls.py's scenario runs:
`--tasks` videos are made through the Create page while that many Chromium pages watch
History, until every page shows every video.

The studio and the browser are pinned to different cores (`os.sched_setaffinity`, as
`taskset` does: the studio on core 0, this script and Chromium on core 1), so the pages'
own work does not slow the studio. The studio's CPU is read from /proc for its process.

Printed, per checkout, mode and number of pages:
- server CPU per open page while videos are in flight: (studio CPU with N pages − with 1
  page) / (N − 1) / the seconds the videos took (% of one core);
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
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # run as a script: make `lib`, `tests` and `bench` importable

from playwright.sync_api import sync_playwright  # noqa: E402

from bench.api_calls import (  # noqa: E402
    BENCH_FLAGS,
    MODES,
    Bench,
    BenchFailure,
    Mode,
    Scenario,
)
from tests.browser.conftest import CHROMIUM, CHROMIUM_FLAGS, StudioProcess  # noqa: E402

STUDIO_CORE = 0
BROWSER_CORE = 1


def run_studio(root: Path, mode: Mode, pages: list[int], tasks: int, scale: float, work: Path):
    """One studio of `root`, pinned to STUDIO_CORE; every number of pages in turn."""
    env = {
        "STUDIO_EMBEDDED_ADMIN": "on",
        "STUDIO_CALLBACKS": "on" if mode.callbacks else "off",
        "STUDIO_EMBEDDED_TIME_SCALE": str(scale),
    }
    server = StudioProcess(work / f"{root.name}-{mode.name}" / "data", env=env, cwd=root)
    server.data_dir.mkdir(parents=True)
    mine = os.sched_getaffinity(0)
    os.sched_setaffinity(0, {STUDIO_CORE})  # the studio's process (and threads) inherit it
    try:
        server.start()
    finally:
        os.sched_setaffinity(0, mine)
    return server


def measure(browser, root: Path, mode: Mode, pages: list[int], tasks: int, scale: float, work):
    server = run_studio(root, mode, pages, tasks, scale, work)
    try:
        bench = Bench(browser, server)
        results = []
        for count in pages:
            try:
                result = bench.run(mode, count, tasks)
            except BenchFailure as exc:  # said, and the other scenarios still run
                print(f"  {root.name} {mode.label}, {count} page(s): FAILED: {exc}", flush=True)
                continue
            results.append(result)
            print(f"  {row(root.name, result, results)}", flush=True)
        return results
    finally:
        server.stop()


def per_page(results: list[Scenario], result: Scenario) -> float | None:
    """% of a core each open page beyond the first costs the studio while videos are made."""
    one = next((r for r in results if r.sessions == 1 and r.mode is result.mode), None)
    if one is None or result.sessions <= 1:
        return None
    extra = result.server_cpu - one.server_cpu
    return 100 * extra / (result.sessions - 1) / result.seconds


def report(runs: dict[str, list[Scenario]]) -> None:
    head = (
        f"{'checkout':<14} {'mode':<13} {'pages':>5} {'seconds':>7} {'CPU s':>6} "
        f"{'%core/page':>10} {'CPU s/video':>11} {'visible med':>11} {'max':>6} "
        f"{'sent med':>8} {'unseen':>6} {'calls/video':>11}"
    )
    print(f"\n{head}\n{'-' * len(head)}")
    for name, results in runs.items():
        for r in results:
            print(row(name, r, results))


def row(name: str, r: Scenario, results: list[Scenario]) -> str:
    page_cost = per_page(results, r)
    shown = f"{page_cost:>10.2f}" if page_cost is not None else f"{'-':>10}"
    median = statistics.median(r.latencies) if r.latencies else float("nan")
    worst = max(r.latencies) if r.latencies else float("nan")
    sent = statistics.median(r.delivered) if r.delivered else float("nan")
    return (
        f"{name:<14} {r.mode.label:<13} {r.sessions:>5} {r.seconds:>7.1f} "
        f"{r.server_cpu:>6.1f} {shown} {r.server_cpu / r.tasks:>11.2f} "
        f"{median:>11.2f} {worst:>6.2f} {sent:>8.2f} {r.unobserved:>6} "
        f"{r.task_calls / r.tasks:>11.2f}"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, help="the other checkout (none: this one alone)")
    parser.add_argument("--pages", type=int, nargs="+", default=[1, 10, 50])
    parser.add_argument("--tasks", type=int, default=5, help="videos per scenario (default 5)")
    parser.add_argument("--modes", nargs="+", choices=["callbacks", "wait"], default=None)
    parser.add_argument("--time-scale", type=float, default=1.5)
    args = parser.parse_args()
    modes = [MODES[name] for name in (args.modes or ["callbacks", "wait"])]
    pages = sorted(set([1, *args.pages]))
    if len(os.sched_getaffinity(0)) < 2:
        print("needs 2 cores: the studio on one, the browser on the other")
        return 1
    print(
        f"load before: {os.getloadavg()[0]:.2f}; "
        f"studio on core {STUDIO_CORE}, browser on core {BROWSER_CORE}"
    )
    started = time.monotonic()
    roots = {"other (--root)": args.root.resolve()} if args.root else {}
    roots["this checkout"] = ROOT
    runs: dict[str, list[Scenario]] = {name: [] for name in roots}
    os.sched_setaffinity(0, {BROWSER_CORE})  # this script and Chromium (launched below)
    with tempfile.TemporaryDirectory(prefix="bench-live-history-") as tmp, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS + BENCH_FLAGS)
        try:
            for mode in modes:
                for name, root in roots.items():
                    runs[name] += measure(
                        browser, root, mode, pages, args.tasks, args.time_scale, Path(tmp)
                    )
        except BenchFailure as exc:
            print(f"FAILED: {exc}")
            return 1
        finally:
            browser.close()
    report(runs)
    print(f"\nload after: {os.getloadavg()[0]:.2f}; {time.monotonic() - started:.0f} s in all.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
