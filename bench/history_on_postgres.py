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
time in it (what a server spends), the warm runs' median and maximum, the seconds the
slowest warm run spent in Python's garbage collector, and the full collections.
With `--root`, another checkout (the code before a change) is measured on the same
databases, its processes alternating with this checkout's, and both are printed side by
side with the ratio of the page scripts' first runs. `--stores`: keep the SQLite store
there and reuse it (PostgreSQL's server is a throwaway one: seeded every time).
"""

from __future__ import annotations

import argparse
import json
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
    print(
        f"{'view':<28} {'database':<11} {'first':>7} {'(script)':>8} {'warm med':>9}"
        f" {'warm max':>9} {'(its gc)':>9} {'full gc':>7}"
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
                f" {slowest(runs['warm'], runs['gc'])}"
            )
    print(
        "(its gc): of the slowest warm run, the seconds in Python's garbage collector; "
        "full gc: full collections in all the warm runs"
    )
    print(
        f"target {'MET' if met else 'NOT MET'}; load average at the end: {os.getloadavg()[0]:.2f}"
    )
    return 0


def slowest(warm: list[float], collected: list[list[float]]) -> str:
    """The slowest warm run, the collector's seconds in it, and the full collections of
    all warm runs (from bench/page_render.py's child; an older checkout's has none)."""
    if len(collected) != len(warm):
        return f"{max(warm):>9.3f} {'-':>9} {'-':>7}"
    worst = max(range(len(warm)), key=warm.__getitem__)
    full = sum(int(runs) for _, runs in collected)
    return f"{warm[worst]:>9.3f} {collected[worst][0]:>9.3f} {full:>7}"


def side_by_side(args: argparse.Namespace, folder: Path, url: str) -> int:
    """This checkout and `--root` on the same two databases, processes alternating."""
    roots = {"this": ROOT, "other": args.root.resolve()}
    runs: dict[tuple[str, str], list[dict]] = {}
    for _ in range(args.cold):
        for database, data, address in (
            ("SQLite", folder / "sqlite", None),
            ("PostgreSQL", folder / "postgres", url),
        ):
            for name in ("other", "this"):
                result = collect(Variant("history"), data, 1, args.repeat, address, roots[name])
                runs.setdefault((database, name), []).append(result["views"])
    print("runs:", json.dumps({f"{d} {n}": r for (d, n), r in runs.items()}), flush=True)
    target = TARGETS["history"]
    print(
        f"\nHistory with {args.tasks:,} videos, this checkout beside {roots['other']}: "
        f"seconds, median over {args.cold} fresh processes each (target <= {target} s)"
    )
    print(
        f"{'view':<28} {'database':<11} {'first (script)':>16} {'warm':>7} |"
        f" {'other: first (script)':>22} {'warm':>7} | {'script ratio':>12} |"
        f" this: {'warm max':>9} {'(its gc)':>9} {'full gc':>7}"
    )

    def figures(database: str, name: str, view: str) -> tuple[float, float, float]:
        done = [views[view] for views in runs[database, name]]  # collect()'s lists
        return (
            statistics.median(x for v in done for x in v["first"]),
            statistics.median(x for v in done for x in v["script"]),
            statistics.median(x for v in done for x in v["warm"]),
        )

    met = True
    for view in runs["SQLite", "this"][0]:
        for database in ("SQLite", "PostgreSQL"):
            first, script, warm = figures(database, "this", view)
            o_first, o_script, o_warm = figures(database, "other", view)
            met &= script <= target and warm <= target
            done = [views[view] for views in runs[database, "this"]]
            warm_runs = [x for v in done for x in v["warm"]]
            collected = [x for v in done for x in v.get("gc", [])]
            print(
                f"{view:<28} {database:<11} {first:>7.3f} ({script:.3f}) {warm:>7.3f} |"
                f" {o_first:>13.3f} ({o_script:.3f}) {o_warm:>7.3f} | {script / o_script:>12.2f} |"
                f" {slowest(warm_runs, collected)}"
            )
    print(
        f"target (the page script's first run and the warm median) "
        f"{'MET' if met else 'NOT MET'}; load average at the end: {os.getloadavg()[0]:.2f}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
