"""How long a rerun of the Create page takes (what a person waits for after each change),
this checkout beside another one (the code before the model picker, say).

    .venv/bin/python bench/create_rerun.py --root /path/to/other/checkout [--reruns 40]

Each checkout runs in its own process, in turn: a studio (store, tracker, embedded API)
and the page under Streamlit's AppTest, the whole app (navigation, sidebar) as the server
runs it. After a first run, the length box is changed and the page rerun `--reruns`
times; the median and 90th percentile of those reruns are printed side by side. Rounds
alternate between the two checkouts, so that a busy machine weighs on both alike.
A measurement: exits 0.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# Run inside the checkout being measured (its own lib/ and tests/): prints one JSON line.
CHILD = r"""
import json, sys, tempfile, time
from pathlib import Path
sys.path.insert(0, ".")
from streamlit.runtime.scriptrunner.script_cache import ScriptCache
from streamlit.testing.v1 import AppTest, app_test, local_script_runner
from lib.create import keys
from lib.engine.runtime import set_current
from tests.studio_harness import STUDIO, running_studio

reruns = int(sys.argv[1])
# A server compiles each page's script once and keeps the bytecode (its Runtime holds one
# ScriptCache); AppTest makes a new cache on every run, which would time the compiler too.
kept = ScriptCache()
app_test.ScriptCache = local_script_runner.ScriptCache = lambda: kept
with tempfile.TemporaryDirectory() as tmp, running_studio(Path(tmp) / "studio") as running:
    set_current(running.studio)
    at = AppTest.from_file(STUDIO, default_timeout=60)
    at.session_state["who"] = "Ana Lopez"
    at.run()
    at.text_area(key=keys.PROMPT).input("A red fox in fresh snow at dawn").run()
    times = []
    for i in range(reruns):
        box = at.number_input(key=keys.DURATION)
        box.set_value(6 + i % 5)
        start = time.perf_counter()
        at.run()
        times.append(time.perf_counter() - start)
        assert not at.exception, at.exception
    print(json.dumps({"times": times, "button": at.button[0].label}))
"""


def measure(root: Path, reruns: int) -> dict:
    python = root / ".venv" / "bin" / "python"
    done = subprocess.run(
        [str(python if python.exists() else sys.executable), "-c", CHILD, str(reruns)],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=900,
        check=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, required=True, help="the other checkout")
    parser.add_argument("--reruns", type=int, default=40)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    runs: dict[str, list[float]] = {"this checkout": [], "other (--root)": []}
    for _ in range(args.rounds):
        for name, root in (("other (--root)", args.root.resolve()), ("this checkout", ROOT)):
            runs[name] += measure(root, args.reruns)["times"]
    print(f"Create page rerun, {args.rounds} x {args.reruns} reruns each, AppTest")
    print(f"{'checkout':<16} {'median ms':>10} {'p90 ms':>8}")
    for name, times in runs.items():
        ordered = sorted(times)
        p90 = ordered[int(0.9 * (len(ordered) - 1))]
        print(f"{name:<16} {statistics.median(times) * 1000:>10.1f} {p90 * 1000:>8.1f}")
    mine, other = (statistics.median(runs[n]) for n in ("this checkout", "other (--root)"))
    print(f"ratio this / other (median): {mine / other:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
