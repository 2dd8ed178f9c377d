"""What one History card's redraw costs the studio: the rerun an open page asks for when a
shown video changes state (lib/ui/live_progress.py), and the held request it then asks
anew. With 50 open pages and 3 videos finishing together, 150 of them queue on the
studio's core (issue 19), so this cost is what completion → visible waits on.

    .venv/bin/python bench/card_rerun.py [--root /path/to/other/checkout] [--reruns 300]

For this checkout and, with `--root`, another one, side by side in one run, rounds
alternating: a studio pinned to core 0 (`os.sched_setaffinity`, the light page on core 1),
one video being made (slowed down so that it stays in flight), one light History page
(bench/light_page.py) that sends its card's trigger, waits for the fragment's run to end,
and sends it again. Printed: the studio's CPU (from /proc) per card rerun, with the held
request each redraw renews, and the time from the trigger to the run's end, median.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # run as a script: make `lib`, `tests` and `bench` importable

from bench.api_calls import cpu_seconds  # noqa: E402
from bench.light_page import LightClient, LightPage  # noqa: E402
from bench.live_history import BROWSER_CORE as CLIENT_CORE  # noqa: E402
from bench.live_history import STUDIO_CORE, start_on_core  # noqa: E402
from lib.ui.identity import COOKIE  # noqa: E402
from tests.browser.conftest import StudioProcess  # noqa: E402

PERSON = "Card Rerun"


def start_studio(root: Path, work: Path) -> StudioProcess:
    """A studio of `root` on STUDIO_CORE; a 6 s video takes about half an hour in it."""
    env = {"STUDIO_EMBEDDED_TIME_SCALE": "300", "STUDIO_CALLBACKS": "on"}
    return start_on_core(StudioProcess(work / root.name / "data", env=env, cwd=root), STUDIO_CORE)


class Studio:
    """One checkout's studio with a History page showing one video in flight."""

    def __init__(self, root: Path, work: Path):
        self.name = root.name
        self.server = start_studio(root, work)
        self.client = LightClient(self.server.url, COOKIE, PERSON)
        maker, self.page = self.client.open(2)
        self.client.call(maker.press("Generate", {"create.prompt": "A lighthouse at dusk"}))
        self.client.go_to([self.page], "History", "/history")
        if len(self.page.bars) != 1:
            raise SystemExit(f"{self.name}: History shows {len(self.page.bars)} live bars, not 1")
        self.cpu: list[float] = []  # ms of the studio's CPU per rerun, a figure per round
        self.took: list[float] = []  # ms from the trigger to the run's end

    def round(self, reruns: int) -> None:
        time.sleep(0.5)  # the page's held request asked anew after the last round
        before = cpu_seconds(self.server.process.pid)
        took = self.client.call(_reruns(self.page, reruns))
        time.sleep(0.3)  # the last redraw's held request, renewed
        self.cpu.append(1000 * (cpu_seconds(self.server.process.pid) - before) / reruns)
        self.took.extend(took)

    def stop(self) -> None:
        self.client.stop()
        self.server.stop()


async def _reruns(page: LightPage, count: int) -> list[float]:
    """Redraw the page's one live card `count` times, one after the other, as a change
    of its video would (its trigger in a fragment rerun): ms each, to the run's end."""
    took = []
    for _ in range(count):
        [(_task_id, bar)] = page.bars.items()
        before = page.runs_finished
        page.finished.clear()
        started = time.perf_counter()
        page.send_rerun(bar.fragment, trigger=(bar.widget, "changed"))
        while page.runs_finished == before:
            await page.finished.wait()
            page.finished.clear()
        took.append(1000 * (time.perf_counter() - started))
        if page.errors:
            raise SystemExit(f"the page lost its websocket: {page.errors}")
        await asyncio.sleep(0.06)  # the held request is asked anew 50 ms after a redraw
    return took


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, help="the other checkout (none: this one alone)")
    parser.add_argument("--reruns", type=int, default=300, help="per checkout (default 300)")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    os.sched_setaffinity(0, {CLIENT_CORE})
    print(f"load before: {os.getloadavg()[0]:.2f}", flush=True)
    roots = [ROOT] + ([args.root.resolve()] if args.root else [])
    with tempfile.TemporaryDirectory(prefix="card-rerun-") as work:
        studios = []
        try:
            for root in roots:
                studios.append(Studio(root, Path(work)))
            for _ in range(args.rounds):
                for studio in studios:
                    studio.round(args.reruns // args.rounds)
        finally:
            for studio in studios:
                studio.stop()
    print(f"\n{'checkout':<24}{'CPU ms per card rerun':>24}{'trigger -> run end, ms':>26}")
    for studio in studios:
        cpu = statistics.median(studio.cpu)
        took = statistics.median(studio.took)
        rounds = " / ".join(f"{c:.2f}" for c in studio.cpu)
        print(f"{studio.name:<24}{cpu:>24.2f}{took:>26.2f}   rounds: {rounds}")
    if len(studios) == 2:
        ratio = statistics.median(studios[0].cpu) / statistics.median(studios[1].cpu)
        print(f"CPU ratio, this checkout / {studios[1].name}: {ratio:.2f}")
    print(f"load after: {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
