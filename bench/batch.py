"""A 48-take batch (issue 18): how soon the press answers, how soon every take is sent, API
calls per finished take, and no double charge when the press is repeated, when
connections drop mid-batch, or when 30 % of requests are answered 429/500.

    .venv/bin/python bench/batch.py [--takes 48] [--runs healthy drop flaky]

Each run starts a studio in this process (tests/studio_harness.py: the store, the
tracker with its 8 workers, the studio's routes and the embedded Wave API, over real
HTTP on a free port; callbacks on, the practice service sped up 50 times) and presses
"Make 48 takes" on the Create page itself, run as the server runs it (Streamlit's AppTest,
in this process: 2 prompt lines with {a|b|c} alternatives × 2 shapes × 4 takes each,
Grok Imagine 1 s 480p). Measured:

- press: from the click until the page has run again and shows what it did (every take
  checked, priced and stored with one budget check of the total, the grid drawn again).
  Target <= 1 s.
- again: the button pressed again at once (a double click): the same batch, nothing
  stored or sent again.
- all sent: from the press until every take has the service's task id. Target <= 10 s.
- all ended: until every take is finished and its copy saved (the practice service's
  rendering, on this machine: not a target).
- calls/take: the provider's own counters (submit + GET requests, faults included) per
  finished take. Target <= 2 with callbacks (see bench/README.md: the single-video path
  is at 3 until the callback change of another branch; takes go through the same path).
- provider tasks / second tasks: what the provider made, from its own task store;
  "second tasks" are tasks made again for a key that already had one (a double charge).
  Target: 48 and 0.

Runs: `healthy`; `drop` (30 % of requests carried out, then the connection dropped
before the reply is whole); `flaky` (15 % answered 500, 15 % 429 with Retry-After: 1).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from streamlit.testing.v1 import AppTest  # noqa: E402

from lib.create import keys  # noqa: E402
from lib.embedded_wave.settings import Faults  # noqa: E402
from lib.engine.runtime import set_current  # noqa: E402
from tests.reliability.provider_records import (  # noqa: E402
    provider_tasks,
    second_tasks_for_one_key,
)
from tests.studio_harness import STUDIO, running_studio  # noqa: E402

PROMPT = (
    "A kite over a beach at {dawn|noon|dusk}, drone shot\n"
    "Fresh coffee poured in slow motion, {warm|cold|golden} light"
)
RUNS = {
    "healthy": Faults(),
    "drop": Faults(drop_rate=0.3, seed=18),
    "flaky": Faults(error_500_rate=0.15, rate_limit_rate=0.15, retry_after_seconds=1, seed=18),
}
LIMIT_SECONDS = 600


def state_for(takes_each: int) -> dict:
    return {
        **keys.defaults(),
        keys.MODEL: "grok-imagine-video",
        keys.PROMPT: PROMPT,
        keys.DURATION: 1,
        keys.CAMPAIGN: "Bench",
        keys.VARY: True,
        keys.VARY_RATIOS: ["16:9", "9:16"],
        keys.VARY_TAKES: takes_each,
    }


def run(name: str, faults: Faults, takes_each: int) -> dict:
    with (
        tempfile.TemporaryDirectory() as folder,
        running_studio(Path(folder) / "studio", wave_changes={"faults": faults}) as rs,
    ):
        store = rs.studio.store
        set_current(rs.studio)
        page = AppTest.from_file(STUDIO, default_timeout=120)  # Create, as the server runs it
        page.session_state["who"] = "Bench Runner"
        for key, value in state_for(takes_each).items():
            page.session_state[key] = value
        page.run()
        [button] = [b for b in page.button if b.label.startswith("Make ")]
        started = time.monotonic()
        button.click().run()  # the press, and the page drawn again with what it did
        press = time.monotonic() - started
        result = page.session_state[keys.BATCH_RESULT]
        assert result.batch_id, (result.problems, result.notice, page.exception)
        again_started = time.monotonic()
        [button] = [b for b in page.button if b.label.startswith("Make ")]
        button.click().run()  # a double click
        again_seconds = time.monotonic() - again_started
        again = page.session_state[keys.BATCH_RESULT]
        set_current(None)
        sent = ended = None
        while time.monotonic() - started < LIMIT_SECONDS:
            takes = store.batch_takes(result.batch_id)
            now = time.monotonic() - started
            if sent is None and all(t.wave_task_id for t in takes):
                sent = now
            if all(not t.tracking for t in takes):
                ended = now
                break
            time.sleep(0.05)
        takes = store.batch_takes(result.batch_id)
        counts = rs.counters()
        made = provider_tasks(rs.wave)
        finished = sum(t.status == "completed" for t in takes)
        calls = counts.get("requests.submit", 0) + counts.get("requests.get", 0)
        return {
            "run": name,
            "takes": len(takes),
            "press s": f"{press:.3f}",
            "again": f"{'same batch' if again.batch_id == result.batch_id else 'NEW'} "
            f"{again_seconds:.3f} s",
            "all sent s": f"{sent:.2f}" if sent is not None else "not all",
            "all ended s": f"{ended:.1f}" if ended is not None else "not all",
            "completed": finished,
            "calls/take": f"{calls / max(finished, 1):.2f}",
            "faults": sum(n for k, n in counts.items() if k.startswith("faults.")),
            "provider tasks": len(made),
            "second tasks": second_tasks_for_one_key(made),
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--takes", type=int, default=48, help="takes in the batch (x12)")
    parser.add_argument("--runs", nargs="+", default=list(RUNS), choices=list(RUNS))
    args = parser.parse_args()
    takes_each = max(args.takes // 12, 1)  # 6 prompts x 2 shapes = 12 per take each
    rows = [run(name, RUNS[name], takes_each) for name in args.runs]
    columns = list(rows[0])
    print(" | ".join(columns))
    for row in rows:
        print(" | ".join(str(row[c]) for c in columns))


if __name__ == "__main__":
    main()
