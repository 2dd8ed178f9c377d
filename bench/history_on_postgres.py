"""History's first render with 100,000 stored videos on PostgreSQL, beside the same store
on SQLite, in one run (issue 15).

    .venv/bin/python bench/history_on_postgres.py [--tasks 100000] [--cold 3] [--repeat 5]

The same seeded videos (bench/seed_store.py, same seed) go into the data folder's SQLite
file and into a PostgreSQL database of a throwaway server (tests/services/postgres.py:
Debian's PostgreSQL, durability off as in the tests, on this machine). Then
bench/page_render.py's History measurement runs on each, fresh processes as after a
restart: first run and warm runs per view. Target: first render <= 0.3 s on both.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.page_render import TARGETS, Variant, collect, ensure_store  # noqa: E402
from bench.seed_store import seed_store  # noqa: E402
from lib.store.tasks import Store  # noqa: E402
from tests.services.postgres import running_postgres  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=100_000)
    parser.add_argument("--cold", type=int, default=3)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="bench-history-pg-"))
    print(f"load average at start: {os.getloadavg()[0]:.2f}", flush=True)
    ensure_store(folder / "sqlite", args.tasks)
    with running_postgres() as server:
        url = server.create_database(template="template0")
        store = Store.open(url)
        seeded = seed_store(store, args.tasks)
        # What autovacuum does to a live database: statistics for the planner, and the
        # visibility map that index-only scans need (a bulk-loaded table has neither).
        with store.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
            c.exec_driver_sql("VACUUM ANALYZE")
        store.engine.dispose()
        print(f"seeded {args.tasks:,} videos into PostgreSQL in {seeded.seconds:.1f} s")
        results = {
            "SQLite": collect(Variant("history"), folder / "sqlite", args.cold, args.repeat),
            "PostgreSQL": collect(
                Variant("history"), folder / "postgres", args.cold, args.repeat, url
            ),
        }
    target = TARGETS["history"]
    print(f"\nHistory with {args.tasks:,} videos — seconds per run (target <= {target} s)")
    print(
        f"{'view':<28} {'database':<11} {'first':>7} {'(script)':>8} {'warm med':>9}"
        f" {'warm max':>9}"
    )
    met = True
    for name in results["SQLite"]["views"]:
        for database, result in results.items():
            runs = result["views"][name]
            first = statistics.median(runs["first"])
            warm = statistics.median(runs["warm"])
            met &= first <= target and warm <= target
            # (script): the page script's own time in the first run; the rest of "first"
            # is AppTest setting itself up (bench/page_render.py, time_the_script).
            script = statistics.median(runs["script"])
            print(
                f"{name:<28} {database:<11} {first:>7.3f} {script:>8.3f} {warm:>9.3f}"
                f" {max(runs['warm']):>9.3f}"
            )
    print(
        f"target {'MET' if met else 'NOT MET'}; load average at the end: {os.getloadavg()[0]:.2f}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
