"""Server time of the History and Costs pages with big stores (AppTest runs).

    .venv/bin/python bench/page_render.py [--stores DIR] [--cold 3] [--repeat 5]

Seeds two stores with bench/seed_store.py (10,000 videos for History, 100,000 for Costs;
`--stores DIR` keeps them there and reuses them on the next run) and measures the wall time
of `AppTest.run()`, which is the server's time for one run of the page script (sidebar
included; the browser's drawing is not in it).

Every measurement starts in a fresh Python process, like a server after a restart: the
studio is started as app.py starts it (store, embedded API on a free port, the start-up
warm-up of lib/server/warmup.py, run to its end as if the first visitor came a moment later,
and the heap set aside from full garbage collections after it, as the server does; the
tracker is not started, so that the seeded videos stay as seeded). Then, per view:

- first: the first run of that view (for the first view: the process's first run, cold);
  (script): the part of it spent in the page script itself; the rest is AppTest's own
  set-up (mostly on its first run), which a server does once when it starts;
- warm: `--repeat` more runs of the same view (median and max); for each run the child
  also gives the seconds spent in Python's garbage collector and its full collections
  (`gc_first`, `gc_warm`), which tell a slow warm run that waited for one.

Views: History page 1, filtered (Finished + "fox"), page 2; Costs this month, all time,
all time for one person. Each run is checked against the store (counts, sums), so a fast
wrong page fails the benchmark (exit 1).

Side by side, in the same run (one fresh process each): the naive way, History loading
every task and slicing the page in Python, Costs with no cache, loading every task into
pandas on each run; and the first run without the start-up warm-up (a visit before it
finished).

Targets: History with 10,000 videos <= 0.3 s; Costs with 100,000 <= 0.5 s (cold and warm).
Timings on a shared machine are noisy: the load average is printed with the figures.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

# The checkout whose code is measured: this one, or (a child started by `run_child` with
# another `root`) the code before a change, measured by this same child.
CODE_ROOT = "BENCH_CODE_ROOT"
ROOT = Path(os.environ.get(CODE_ROOT) or Path(__file__).resolve().parents[1])
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # run as a script: make `lib`, `bench` and `tests` importable

STUDIO_SCRIPT = str(ROOT / "studio.py")
TARGETS = {"history": 0.3, "costs": 0.5}
SEARCH_WORD = "fox"  # in some of the seeded prompts ("a red fox ...")
RESULT = "RESULT "  # the child's line of figures on stdout


# ----- the parent: seeding, child processes, the table -------------------------------------
@dataclass(frozen=True)
class Variant:
    page: str  # history | costs
    naive: bool = False
    warm_up: bool = True

    @property
    def args(self) -> list[str]:
        return (
            ["--child", self.page]
            + ["--naive"] * self.naive
            + ["--no-warm-up"] * (not self.warm_up)
        )


def ensure_store(folder: Path, tasks: int) -> Path:
    """A data folder holding a seeded store of `tasks` videos (made if missing)."""
    from bench.seed_store import count_rows, database_url, seed_store
    from lib.store.tasks import Store

    store = Store.open(database_url(folder))
    existing = count_rows(store)
    if existing not in (0, tasks):
        raise SystemExit(f"{folder} holds {existing:,} videos, not {tasks:,}: use another --stores")
    if existing == 0:
        seeded = seed_store(store, tasks)
        print(f"seeded {tasks:,} videos into {folder} in {seeded.seconds:.1f} s")
    else:
        print(f"reusing {folder} ({tasks:,} videos)")
    store.engine.dispose()
    return folder


def run_child(
    variant: Variant,
    data_dir: Path,
    repeat: int,
    database_url: str | None = None,
    root: Path = ROOT,
) -> dict[str, Any]:
    """One fresh process measuring `variant`; `root`: the checkout whose code runs (its
    studio, its settings), measured by this file's child in either case, so that both
    sides of a comparison are timed the same way."""
    script = Path(__file__).resolve()
    command = [sys.executable, str(script), *variant.args, "--data-dir", str(data_dir)]
    command += ["--repeat", str(repeat)]
    if database_url:  # another database than the data folder's SQLite file (PostgreSQL)
        command += ["--database-url", database_url]
    environment = {**os.environ, CODE_ROOT: str(root)}
    done = subprocess.run(
        command, cwd=root, env=environment, capture_output=True, text=True, timeout=900
    )
    lines = [line for line in done.stdout.splitlines() if line.startswith(RESULT)]
    if done.returncode != 0 or not lines:
        sys.stderr.write(done.stdout[-3000:] + done.stderr[-6000:])
        raise SystemExit(f"the {variant} measurement failed (exit {done.returncode})")
    return json.loads(lines[-1].removeprefix(RESULT))


def collect(
    variant: Variant,
    data_dir: Path,
    processes: int,
    repeat: int,
    database_url: str | None = None,
    root: Path = ROOT,
) -> dict[str, Any]:
    """Per view: the first runs (one per process) and all warm runs together."""
    views: dict[str, dict[str, list[float]]] = {}
    warm_ups: list[float] = []
    for _ in range(processes):
        result = run_child(variant, data_dir, repeat, database_url, root)
        warm_ups.append(result["warm_up"])
        for name, runs in result["views"].items():
            view = views.setdefault(
                name,
                {"first": [], "script": [], "script_cpu": [], "warm": [], "warm_cpu": [], "gc": []},
            )
            view["first"].append(runs["first"])
            view["script"].append(runs["script"])
            view["script_cpu"].append(runs["script_cpu"])
            view["warm"].extend(runs["warm"])
            view["warm_cpu"].extend(runs["warm_cpu"])
            view["gc"].extend(runs["gc_warm"])  # [seconds, full collections] per warm run
    return {"views": views, "warm_up": warm_ups}


def print_table(title: str, tasks: int, page: str, fast: dict, naive: dict, cold: dict) -> bool:
    target = TARGETS[page]
    print(f"\n{title} with {tasks:,} videos — seconds per run (target <= {target} s)")
    header = (
        f"{'view':<28} {'first':>7} {'(script)':>8} {'warm med':>9} {'warm max':>9}  "
        f"{'verdict':<9} {'naive first':>11} {'naive warm':>11}"
    )
    print(header)
    print("-" * len(header))
    met = True
    for name, runs in fast["views"].items():
        first = statistics.median(runs["first"])
        warm = statistics.median(runs["warm"])
        ok = first <= target and warm <= target
        met &= ok
        slow = naive["views"][name]
        script = statistics.median(runs["script"])
        print(
            f"{name:<28} {first:>7.3f} {script:>8.3f} {warm:>9.3f} {max(runs['warm']):>9.3f}  "
            f"{'MET' if ok else 'NOT MET':<9} {statistics.median(slow['first']):>11.3f}"
            f" {statistics.median(slow['warm']):>11.3f}"
        )
    first_view = next(iter(cold["views"]))
    print(
        f"start-up warm-up (background): {statistics.median(fast['warm_up']):.2f} s; "
        f"a first run before it finished ({first_view}): "
        f"{statistics.median(cold['views'][first_view]['first']):.3f} s"
    )
    return met


def parent(args: argparse.Namespace) -> int:
    load = os.getloadavg()[0]
    print(f"{os.cpu_count()} CPUs, load average {load:.1f} at start (timings are wall time)")
    with tempfile.TemporaryDirectory(prefix="page-render-") as scratch:
        base = args.stores or Path(scratch)
        history_dir = ensure_store(base / f"history-{args.history_tasks}", args.history_tasks)
        costs_dir = ensure_store(base / f"costs-{args.costs_tasks}", args.costs_tasks)
        results = {}
        for page, folder in (("history", history_dir), ("costs", costs_dir)):
            fast = collect(Variant(page), folder, args.cold, args.repeat)
            naive = collect(Variant(page, naive=True), folder, 1, args.repeat)
            cold = collect(Variant(page, warm_up=False), folder, 1, 0)
            results[page] = (fast, naive, cold)
    met = print_table("History", args.history_tasks, "history", *results["history"])
    met &= print_table("Costs", args.costs_tasks, "costs", *results["costs"])
    print(
        f"\nfirst: median over {args.cold} fresh processes (the first view's is the process's"
        f" first run; naive: one process); (script): of which the page script itself, without"
        f" AppTest's own set-up; warm: {args.repeat} repeats per process. Load average now "
        f"{os.getloadavg()[0]:.1f}."
    )
    print("All targets met." if met else "Some targets NOT met (see above).")
    return 0  # a measurement: slow is a figure, not a failure


# ----- the child: one fresh process, one page ----------------------------------------------
@dataclass
class View:
    name: str
    prepare: Callable[[Any], None]  # sets the widgets for this view
    check: Callable[[Any], None]  # raises when the page does not show what the store has


def child(args: argparse.Namespace) -> int:
    from streamlit.testing.v1 import AppTest

    from lib.engine.runtime import set_current
    from lib.engine.tracker import Tracker
    from lib.server import warmup
    from lib.server.warmup import warm_up
    from tests.studio_harness import running_studio

    # The tracker does not run here: it would follow the seeded unfinished videos (ids the
    # embedded API never issued) and change the store under the measurement.
    Tracker.start = lambda self: None  # type: ignore[method-assign]
    settle_the_heap = getattr(warmup, "settle_the_heap", None)  # None in older checkouts
    time_the_script()
    clock_the_collector()
    database = {"database_url": args.database_url} if args.database_url else None
    with running_studio(args.data_dir, config_changes=database) as running:
        store = running.studio.store
        set_current(running.studio)
        if args.naive:
            install_naive(args.child)
        warm = warm_up(store) if not args.no_warm_up else 0.0
        if not args.no_warm_up and not args.keep_heap and settle_the_heap is not None:
            settle_the_heap()  # as the server does after its warm-up (not before issue 15)
        at = AppTest.from_file(STUDIO_SCRIPT, default_timeout=300)
        at.switch_page(f"views/{args.child}.py")
        views = history_views(store) if args.child == "history" else costs_views(store)
        figures: dict[str, dict[str, Any]] = {}
        for view in views:
            view.prepare(at)
            first = timed_run(at)
            first_script, first_cpu, first_gc = SCRIPT_SECONDS[-1], SCRIPT_CPU[-1], GC_PER_RUN[-1]
            view.check(at)
            warm_runs = [timed_run(at) for _ in range(args.repeat)]
            view.check(at)
            figures[view.name] = {
                "first": first,
                "script": first_script,
                "script_cpu": first_cpu,
                "warm": warm_runs,
                "warm_cpu": SCRIPT_CPU[-args.repeat :] if args.repeat else [],
                "gc_first": first_gc,
                "gc_warm": GC_PER_RUN[-args.repeat :] if args.repeat else [],
            }
    print(RESULT + json.dumps({"views": figures, "warm_up": warm}), flush=True)
    return 0


SCRIPT_SECONDS: list[float] = []  # the page script's own time, per AppTest run
# ... and its thread's CPU time: what it costs on a quiet machine, little changed by other
# processes' load (SQLite's work is in it; a PostgreSQL server's is not).
SCRIPT_CPU: list[float] = []


def time_the_script() -> None:
    """Also time the script thread alone: AppTest does set-up of its own around it (on its
    first run most of all) that a server does once at start, not per run."""
    from streamlit.testing.v1.local_script_runner import LocalScriptRunner

    run_script = LocalScriptRunner._run_script_thread

    def timed(self: Any) -> None:
        started, cpu = time.perf_counter(), time.thread_time()
        try:
            run_script(self)
        finally:
            SCRIPT_SECONDS.append(time.perf_counter() - started)
            SCRIPT_CPU.append(time.thread_time() - cpu)

    LocalScriptRunner._run_script_thread = timed  # type: ignore[method-assign]


GC_PER_RUN: list[list[float]] = []  # per AppTest run: [seconds collecting, full collections]
_collector = {"started": 0.0, "seconds": 0.0, "full": 0}


def clock_the_collector() -> None:
    """Time Python's garbage collector (every thread's: a collection stops them all), so
    that a slow run can be told from one that waited for a full collection."""
    import gc

    def clock(phase: str, info: dict[str, int]) -> None:
        now = time.perf_counter()
        if phase == "start":
            _collector["started"] = now
            return
        _collector["seconds"] += now - _collector["started"]
        _collector["full"] += info["generation"] == 2

    gc.callbacks.append(clock)


def timed_run(at: Any) -> float:
    _collector.update(seconds=0.0, full=0)
    started = time.perf_counter()
    at.run()
    elapsed = time.perf_counter() - started
    GC_PER_RUN.append([_collector["seconds"], _collector["full"]])
    if at.exception:
        raise SystemExit(f"the page failed: {at.exception}")
    return elapsed


def sql_one(store: Any, sql: str, **params: Any) -> Any:
    from sqlalchemy import text

    with store.engine.connect() as connection:
        return connection.execute(text(sql), params).scalar_one()


def caption_with(at: Any, words: str) -> None:
    captions = [caption.value for caption in at.caption]
    if not any(words in caption for caption in captions):
        raise SystemExit(f"expected a caption with {words!r}, got {captions[:3]}")


def history_views(store: Any) -> list[View]:
    total = sql_one(store, "SELECT count(*) FROM tasks")
    found = sql_one(
        store,
        "SELECT count(*) FROM tasks WHERE status = 'completed' AND prompt LIKE :word",
        word=f"%{SEARCH_WORD}%",
    )

    def cards(at: Any) -> int:
        return sum(1 for button in at.button if (button.key or "").startswith("reuse-"))

    def page_one(at: Any) -> None:
        caption_with(at, f"Showing 1–24 of {total:,} videos")
        assert cards(at) == 24, cards(at)

    def filtered(at: Any) -> None:
        at.multiselect(key="history.status").set_value(["Finished"])
        at.text_input(key="history.search").input(SEARCH_WORD)

    def filtered_check(at: Any) -> None:
        caption_with(at, f"of {found:,} videos")
        assert cards(at) == min(24, found), cards(at)

    def page_two(at: Any) -> None:
        at.multiselect(key="history.status").set_value([])
        at.text_input(key="history.search").input("")
        at.run()  # clearing the filters starts again at page 1
        at.pagination[0].select(2)

    return [
        View("page 1", lambda at: None, page_one),
        View(f'filtered (Finished, "{SEARCH_WORD}")', filtered, filtered_check),
        View("page 2", page_two, lambda at: caption_with(at, f"Showing 25–48 of {total:,}")),
    ]


def costs_views(store: Any) -> list[View]:
    # lib.costs (and with it pandas) is imported only after the first run, as in a server
    # where the Costs page is the first to need it.
    month = datetime.now(UTC).date().replace(day=1).isoformat()  # "This month" (UTC)
    person = sql_one(
        store, "SELECT person FROM tasks GROUP BY person ORDER BY count(*) DESC LIMIT 1"
    )

    def expect(at: Any, since: str, who: str | None) -> None:
        from lib.costs import frames
        from lib.domain import money

        where = "wave_task_id IS NOT NULL AND created_at >= :since"
        where += " AND person = :who" if who else ""
        videos = sql_one(store, f"SELECT count(*) FROM tasks WHERE {where}", since=since, who=who)
        settled = sql_one(
            store,
            "SELECT coalesce(sum(cost_quota), 0) FROM tasks WHERE status IN "
            f"('completed', 'failed', 'cancelled') AND {where}",
            since=since,
            who=who,
        )
        shown = {metric.label: metric.value for metric in at.main.metric}
        wanted = {
            "Videos": f"{videos:,}",
            "Settled": money.usd_label(frames.Totals(0, settled, 0, 0).settled_usd),
        }
        if {name: shown.get(name) for name in wanted} != wanted:
            raise SystemExit(f"Costs shows {shown}, the store has {wanted}")

    def all_time(at: Any) -> None:
        at.segmented_control(key="costs.period").set_value("All time")

    def one_person(at: Any) -> None:
        at.multiselect(key="costs.people").set_value([person])

    return [
        View("this month", lambda at: None, lambda at: expect(at, month, None)),
        View("all time", all_time, lambda at: expect(at, "0001", None)),
        View("all time, one person", one_person, lambda at: expect(at, "0001", person)),
    ]


def install_naive(page: str) -> None:
    """Replace the page's data functions by the naive way (bench only, this process)."""
    if page == "history":
        from lib.history import queries

        queries.page_of_tasks = naive_page_of_tasks
    else:
        from lib.ui import cached

        cached.overview = naive_overview
        cached.report = naive_report


def naive_page_of_tasks(
    store: Any, filters: Any, page: int = 1, page_size: int = 24, found: int | None = None
) -> list:
    """Every task (with its pictures), filtered and sliced in Python."""
    from sqlalchemy import select
    from sqlalchemy.orm import selectinload

    from lib.store.schema import Task

    query = select(Task).order_by(Task.created_at.desc(), Task.id.desc())
    with store.session() as session:
        everything = list(session.scalars(query.options(selectinload(Task.images))))
    text = filters.text.casefold()
    kept = [
        task
        for task in everything
        if (not filters.statuses or task.status in filters.statuses)
        and (filters.campaign is None or task.campaign == filters.campaign)
        and (not filters.person or task.person == filters.person)
        and (not text or text in task.prompt.casefold())
    ]
    first = (max(page, 1) - 1) * page_size
    return kept[first : first + page_size]


def naive_overview(store: Any) -> Any:
    """The overview with no cache: counts and lists from every task, each run."""
    from lib.costs import cache, filters, loading

    frame = loading.task_frame(store)
    names = {name for name in frame["campaign"] if name}
    campaigns = sorted(names) + ([filters.NO_CAMPAIGN] if (frame["campaign"] == "").any() else [])
    people = sorted({name for name in frame["person"] if name})
    return cache.Overview(len(frame), people, campaigns, ("naive", time.time()))


def naive_report(
    store: Any,
    start: date | None,
    end: date | None,
    people: Any = (),
    campaigns: Any = (),
    version: Any = None,
    models: Any = (),
) -> Any:
    """The report with no cache: every task into pandas, then filtered, each run."""
    from lib.costs import frames, loading

    frame = loading.task_frame(store)
    return frames.build_report(frame, start, end, people, campaigns, models)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stores", type=Path, help="keep the seeded stores here, reuse them")
    parser.add_argument("--history-tasks", type=int, default=10_000)
    parser.add_argument("--costs-tasks", type=int, default=100_000)
    parser.add_argument("--cold", type=int, default=3, help="fresh processes per variant (3)")
    parser.add_argument("--repeat", type=int, default=5, help="warm runs per view (5)")
    parser.add_argument("--child", choices=("history", "costs"), help=argparse.SUPPRESS)
    parser.add_argument("--data-dir", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--database-url", help=argparse.SUPPRESS)
    parser.add_argument("--naive", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--no-warm-up", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--keep-heap", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return child(args)
    return parent(args)


if __name__ == "__main__":
    sys.exit(main())
