"""History's first render with 100,000 stored videos on PostgreSQL, beside the same store
on SQLite, in one run (issue 15).

    .venv/bin/python bench/history_on_postgres.py [--tasks 100000] [--cold 3] [--repeat 5]
        [--root OTHER_CHECKOUT] [--stores DIR]

The same seeded videos (bench/seed_store.py, same seed) go into the data folder's SQLite
file and into a PostgreSQL database of a throwaway server (tests/services/postgres.py:
Debian's PostgreSQL, durability off as in the tests, on this machine). Then
bench/page_render.py's History measurement runs on each, fresh processes as after a
restart: first run and warm runs per view. Target: first render <= 0.3 s on both.
Printed per view: the first run (AppTest's whole run), "(script)" the page script's own
time in it (what a server spends) and its CPU time (robust to other processes' load), the
warm runs' median and maximum, the seconds the slowest warm run spent in Python's garbage
collector, and the full collections (see LEGEND).
With `--root`, another checkout (the code before a change) is measured on the same
databases, its processes alternating with this checkout's, both timed by this checkout's
bench/page_render.py child (the other's code and settings, this file's timers), and
printed one above the other with the ratio of the page scripts' first-run CPU time.
`--stores`: keep the SQLite store there and reuse it (PostgreSQL's server is a throwaway
one: seeded every time, unless `--postgres-url` names one seeded before, with `--root`).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
from pathlib import Path
from typing import Any

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
    parser.add_argument("--root", type=Path, help="another checkout, measured beside this")
    parser.add_argument("--stores", type=Path, help="keep (and reuse) the SQLite store here")
    parser.add_argument(
        "--postgres-url", help="a PostgreSQL database seeded as this script does, to reuse"
    )
    args = parser.parse_args()
    folder = args.stores or Path(tempfile.mkdtemp(prefix="bench-history-pg-"))
    print(f"load average at start: {os.getloadavg()[0]:.2f}", flush=True)
    ensure_store(folder / "sqlite", args.tasks)
    if args.postgres_url and args.root is not None:
        return side_by_side(args, folder, args.postgres_url)
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
        if args.root is not None:
            return side_by_side(args, folder, url)
        results = {
            "SQLite": collect(Variant("history"), folder / "sqlite", args.cold, args.repeat),
            "PostgreSQL": collect(
                Variant("history"), folder / "postgres", args.cold, args.repeat, url
            ),
        }
    target = TARGETS["history"]
    print(f"\nHistory with {args.tasks:,} videos — seconds per run (target <= {target} s)")
    print(HEADER)
    met = True
    for name in results["SQLite"]["views"]:
        for database, result in results.items():
            runs = result["views"][name]
            met &= statistics.median(runs["script"]) <= target
            met &= statistics.median(runs["warm"]) <= target
            print(f"{name:<28} {database:<11} {figures(runs)}")
    print(LEGEND)
    print(
        f"target (the page script's first run and the warm median) "
        f"{'MET' if met else 'NOT MET'}; load average at the end: {os.getloadavg()[0]:.2f}"
    )
    return 0


HEADER = (
    f"{'view':<28} {'database':<11} {'':<6} {'first':>7} {'(script)':>8} {'(cpu)':>7}"
    f" {'warm med':>9} {'(cpu)':>7} {'warm max':>9} {'(its gc)':>9} {'full gc':>7}"
)
LEGEND = (
    "first: AppTest's whole first run; (script): the page script's own time in it (the rest\n"
    "is AppTest setting itself up); (cpu): the script thread's CPU time, little changed by\n"
    "other processes' load (SQLite's work is in it, a PostgreSQL server's is not); warm max:\n"
    "the slowest warm run, (its gc) its seconds in Python's garbage collector, full gc: the\n"
    "full collections in all warm runs. Medians over the fresh processes."
)


def figures(runs: dict[str, list], side: str = "") -> str:
    """One row of HEADER from collect()'s lists for a view."""
    median = statistics.median
    warm, collected = runs["warm"], runs["gc"]
    worst = max(range(len(warm)), key=warm.__getitem__)
    return (
        f"{side:<6} {median(runs['first']):>7.3f} {median(runs['script']):>8.3f}"
        f" {median(runs['script_cpu']):>7.3f} {median(warm):>9.3f}"
        f" {median(runs['warm_cpu']):>7.3f} {warm[worst]:>9.3f} {collected[worst][0]:>9.3f}"
        f" {sum(int(full) for _, full in collected):>7}"
    )


def side_by_side(args: argparse.Namespace, folder: Path, url: str) -> int:
    """This checkout and `--root` on the same two databases, processes alternating (each
    measured by this checkout's bench/page_render.py child, run on that checkout's code)."""
    roots = {"before": args.root.resolve(), "this": ROOT}
    runs: dict[tuple[str, str], dict[str, Any]] = {}
    for _ in range(args.cold):
        for database, data, address in (
            ("SQLite", folder / "sqlite", None),
            ("PostgreSQL", folder / "postgres", url),
        ):
            for name, root in roots.items():
                result = collect(Variant("history"), data, 1, args.repeat, address, root)
                kept = runs.setdefault((database, name), {})
                for view, lists in result["views"].items():
                    for figure, values in lists.items():
                        kept.setdefault(view, {}).setdefault(figure, []).extend(values)
    print("runs:", json.dumps({f"{d} {n}": r for (d, n), r in runs.items()}), flush=True)
    target = TARGETS["history"]
    print(
        f"\nHistory with {args.tasks:,} videos, this checkout beside {roots['before']} "
        f"(before): seconds, {args.cold} fresh processes each (target <= {target} s)"
    )
    print(HEADER + " | script cpu this / before")
    met = True
    for view in runs["SQLite", "this"]:
        for database in ("SQLite", "PostgreSQL"):
            this, before = runs[database, "this"][view], runs[database, "before"][view]
            met &= statistics.median(this["script"]) <= target
            met &= statistics.median(this["warm"]) <= target
            ratio = statistics.median(this["script_cpu"]) / statistics.median(before["script_cpu"])
            print(f"{view:<28} {database:<11} {figures(before, 'before')}")
            print(f"{view:<28} {database:<11} {figures(this, 'this')} | {ratio:.2f}")
    print(LEGEND)
    print(
        f"this checkout: target (the page script's first run and the warm median) "
        f"{'MET' if met else 'NOT MET'}; load average at the end: {os.getloadavg()[0]:.2f}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
