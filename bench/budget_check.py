"""What the budget check adds to a submit, and whether concurrent submits can overspend.

    .venv/bin/python bench/budget_check.py [--tasks 100000] [--repeat 300]

For SQLite and for PostgreSQL (a throwaway server, tests/services/postgres.py), in one
run each: a store seeded with `--tasks` videos (bench/seed_store.py: a year of realistic
videos, a dozen people, linked to their accounts as migration 0005 links them), then
`Store.create_task` — the store's part of a submit: the transaction that records the
task before it is sent — timed `--repeat` times without budgets and, alternating with
it, with a team, a per-person and a per-campaign cap (each cap high enough to pass, so
that every cap is checked). Printed: median and 90th percentile of both, and the
difference (target: <= 5 ms). A second pass does the same with all the videos in the
current month (the worst case when the check summed the month: 100,000 rows; since
migration 0007 it reads the running totals, lib/store/month_spend.py, whatever the month
holds).

Then 20 submits at the same instant (threads, one barrier) against a team cap that
allows exactly 10: how many were made (target: exactly 10), on both databases.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import threading
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from sqlalchemy import text  # noqa: E402

from bench.seed_store import seed_store  # noqa: E402
from lib.domain.budgets import OverBudget, Scope  # noqa: E402
from lib.store.budgets import BudgetCheck  # noqa: E402
from lib.store.month_spend import recount  # noqa: E402
from lib.store.tasks import NewTask, Store  # noqa: E402
from lib.store.team import name_login  # noqa: E402

PRICE = 22313
REQUEST = {
    "model": "grok-imagine-1.0-video",
    "action": "generate",
    "prompt": "Budget benchmark",
    "aspect_ratio": "16:9",
    "resolution": "480p",
    "duration": 6,
}
TARGET_MS = 5.0
# Late in a month, so that the month holds its share of a year's videos (about 8 %).
NOW = datetime(2026, 11, 28, 15, 0, tzinfo=UTC)
CHECK = BudgetCheck("Ana Lopez", ("Alex Admin",))


def link_accounts(store: Store, now: datetime) -> None:
    """Accounts for the seeded names, tasks linked by id (as migration 0005 does)."""
    with store.session() as session:
        names = [n for (n,) in session.execute(text("SELECT DISTINCT person FROM tasks")) if n]
    for name in names:
        store.account_for(name_login(name), name, "member", now)
    with store.engine.begin() as connection:
        connection.execute(
            text(
                "UPDATE tasks SET account_id = (SELECT accounts.id FROM accounts "
                "WHERE accounts.login = 'name:' || tasks.person)"
            )
        )
        recount(connection)  # the budgets' running totals, now per account too
        connection.execute(text("ANALYZE"))


def timed_submits(store: Store, repeat: int, now: datetime) -> tuple[list[float], list[float]]:
    """create_task without and with budgets, alternating. -> milliseconds each."""
    plain, checked = [], []
    for i in range(repeat * 2):
        with_budget = i % 2 == 1
        new = NewTask(uuid.uuid4().hex, REQUEST, "Ana Lopez", "Spring launch", PRICE)
        started = time.perf_counter()
        store.create_task(new, now, CHECK if with_budget else None)
        (checked if with_budget else plain).append((time.perf_counter() - started) * 1000)
    return plain, checked


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(int(len(ordered) * share), len(ordered) - 1)]


def measure(store: Store, label: str, repeat: int, now: datetime) -> bool:
    month_rows = (
        store.session()
        .execute(
            text("SELECT count(*) FROM tasks WHERE created_at >= :start"),
            {"start": now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)},
        )
        .scalar()
    )
    store.set_budget(Scope.TEAM, "", 10**12, "bench", now)
    store.set_budget(Scope.PERSON_DEFAULT, "", 10**12, "bench", now)
    store.set_budget(Scope.CAMPAIGN, "Spring launch", 10**12, "bench", now)
    timed_submits(store, 20, now)  # warm-up: caches, prepared plans
    plain, checked = timed_submits(store, repeat, now)
    added = statistics.median(checked) - statistics.median(plain)
    print(
        f"  {label}: {month_rows:,} videos this month | submit without budgets "
        f"median {statistics.median(plain):.2f} ms (p90 {percentile(plain, 0.9):.2f}) | "
        f"with 3 caps {statistics.median(checked):.2f} ms (p90 {percentile(checked, 0.9):.2f}) "
        f"| the check adds {added:.2f} ms (target <= {TARGET_MS:.0f}): "
        f"{'met' if added <= TARGET_MS else 'NOT MET'}"
    )
    for scope, target in (
        (Scope.TEAM, ""),
        (Scope.PERSON_DEFAULT, ""),
        (Scope.CAMPAIGN, "Spring launch"),
    ):
        store.set_budget(scope, target, None, "bench", now)
    return added <= TARGET_MS


def concurrent(store: Store, now: datetime) -> int:
    """20 submits at once against a cap for 10 (on top of this month's spend)."""
    with store.session() as session:
        spent = session.execute(
            text(
                "SELECT coalesce(sum(coalesce(cost_quota, pre_consumed_quota, estimate_quota)), 0)"
                " FROM tasks WHERE created_at >= :start"
            ),
            {"start": now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)},
        ).scalar()
    store.set_budget(Scope.TEAM, "", int(spent) + 10 * PRICE, "bench", now)
    barrier = threading.Barrier(20)
    made: list[int] = []
    refused: list[int] = []

    def submit(i: int) -> None:
        barrier.wait()
        try:
            store.create_task(NewTask(uuid.uuid4().hex, REQUEST, "Bo Chen", "", PRICE), now, CHECK)
            made.append(i)
        except OverBudget:
            refused.append(i)

    threads = [threading.Thread(target=submit, args=(i,)) for i in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    store.set_budget(Scope.TEAM, "", None, "bench", now)
    return len(made)


def run_on(url: str, label: str, tasks: int, repeat: int, days: int) -> bool:
    store = Store.open(url)
    now = NOW
    started = time.perf_counter()
    seed_store(store, tasks, now=now, days=days)
    link_accounts(store, now)
    took = time.perf_counter() - started
    print(f"  ({label}: seeded {tasks:,} videos over {days} days in {took:.0f} s)")
    ok = measure(store, f"{label}, {days}-day spread", repeat, now)
    made = concurrent(store, now)
    print(
        f"  {label}: 20 concurrent submits against a cap for 10 -> {made} made "
        f"({'met' if made == 10 else 'NOT MET'})"
    )
    store.engine.dispose()
    return ok and made == 10


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tasks", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=300)
    args = parser.parse_args()
    from tests.services.postgres import running_postgres

    print(f"load average at start: {os.getloadavg()[0]:.2f}")
    results = []

    with tempfile.TemporaryDirectory() as folder:
        for days in (365, 30):
            url = f"sqlite:///{Path(folder) / f'bench-{days}.sqlite3'}"
            results.append(run_on(url, "SQLite", args.tasks, args.repeat, days))
        with running_postgres() as server:
            for days in (365, 30):
                url = server.create_database()
                results.append(run_on(url, "PostgreSQL", args.tasks, args.repeat, days))
    print(f"load average at end: {os.getloadavg()[0]:.2f}")
    return 0 if all(results) else 1


if __name__ == "__main__":
    raise SystemExit(main())
