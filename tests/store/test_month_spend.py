"""The running monthly totals the budget check reads (lib/store/month_spend.py) always equal
the spend recomputed from the tasks — settled charges plus money held — whatever moves the
money: a submit, a hold different from the estimate, a charge different from the hold, a
failure, a cancel, a refund of a hold, a submit the service refused, a month boundary; on
SQLite and PostgreSQL. And migration 0007 back-fills them from the tasks already stored."""

from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import UTC, datetime, timedelta

import pytest
from alembic import command
from sqlalchemy import MetaData, Table, insert, select

from lib.domain.budgets import OverBudget, Scope
from lib.store.budgets import BudgetCheck
from lib.store.database import alembic_config, make_engine, migrate
from lib.store.month_spend import month_of, recount
from lib.store.schema import MonthSpend, Task
from lib.store.tasks import NewTask, Store
from lib.wave import parse_task
from tests.services.postgres import fresh_postgres_url, postgres_server  # noqa: F401

PRICE = 22313
REQUEST = {
    "model": "grok-imagine-1.0-video",
    "action": "generate",
    "prompt": "a cat",
    "aspect_ratio": "16:9",
    "resolution": "480p",
    "duration": 6,
}
LAST_MINUTE = datetime(2026, 11, 30, 23, 59, 30, tzinfo=UTC)  # November, UTC
DECEMBER = datetime(2026, 12, 1, 0, 0, 30, tzinfo=UTC)


def from_tasks(store: Store) -> dict[tuple, int]:
    """The spend recomputed from every task, the budgets' way, by (month, scope, target)."""
    sums: dict[tuple, int] = defaultdict(int)
    for task in store.tasks():
        spent = next(
            (
                v
                for v in (task.cost_quota, task.pre_consumed_quota, task.estimate_quota)
                if v is not None
            ),
            0,
        )
        month = month_of(task.created_at)
        sums[month, "team", ""] += spent
        if task.account_id:
            sums[month, "person", task.account_id] += spent
        if task.campaign:
            sums[month, "campaign", task.campaign] += spent
    return {key: value for key, value in sums.items() if value}


def old_tasks_table(row: dict) -> Table:
    """`tasks` with only the columns of an old row: later columns' defaults (a brand kit's
    name, issue 18) would otherwise be written to a table that has no such column yet."""
    columns = [column._copy() for column in Task.__table__.c if column.name in row]
    return Table("tasks", MetaData(), *columns)


def old_task(key: str, person: str, campaign: str, cost: int | None) -> dict:
    """A task row as stored before 0007 (settled at `cost`, or still holding its estimate)."""
    return {
        "id": key.replace("-", "").ljust(32, "0"),
        "idempotency_key": key,
        "status": "completed" if cost is not None else "processing",
        "progress": 0,
        "request": REQUEST,
        "model": REQUEST["model"],
        "mode": "text",
        "prompt": "a cat",
        "resolution": "480p",
        "duration": 6,
        "person": person,
        "campaign": campaign,
        "estimate_quota": PRICE,
        "cost_quota": cost,
        "created_at": LAST_MINUTE,
        "updated_at": LAST_MINUTE,
        "archive_state": "none",
        "archive_attempts": 0,
        "tracking": False,
        "api_calls": 0,
    }


def kept(store: Store) -> dict[tuple, int]:
    with store.session() as session:
        rows = session.execute(select(MonthSpend)).scalars()
        return {(r.month, r.scope, r.target): r.spent_quota for r in rows if r.spent_quota}


def submit(store: Store, person: str, campaign: str, now: datetime, check: bool = True):
    new = NewTask(uuid.uuid4().hex, REQUEST, person, campaign, PRICE)
    return store.create_task(new, now, BudgetCheck(person) if check else None)[0]


def reply(store: Store, task, now: datetime, **fields) -> None:
    body = {"task_id": task.wave_task_id or f"w-{task.id}", **fields}
    store.apply_state(task.id, parse_task(body), "service", now, now)


def test_the_running_totals_equal_the_tasks_sums_after_every_kind_of_money_move(database_url):
    store = Store.open(database_url)
    steps = []

    def agree(step: str) -> None:
        steps.append(step)
        assert kept(store) == from_tasks(store), steps

    late = submit(store, "Ana", "Launch", LAST_MINUTE)  # November's, settled in December
    agree("a submit holds its estimate")
    reply(store, late, DECEMBER, status="queued", pre_consumed_cost=PRICE + 1000)
    agree("the service held more than the estimate")
    reply(store, late, DECEMBER, status="completed", cost=PRICE - 5000)
    agree("charged less than held, across the month's end")
    assert kept(store)[("2026-11", "team", "")] == PRICE - 5000

    failed = submit(store, "Ana", "", DECEMBER)
    reply(store, failed, DECEMBER, status="queued", pre_consumed_cost=PRICE)
    reply(store, failed, DECEMBER, status="failed", error_code="x", error_message="no")
    agree("a failure releases the hold")
    cancelled = submit(store, "Bo", "Launch", DECEMBER)
    reply(store, cancelled, DECEMBER, status="queued")
    reply(store, cancelled, DECEMBER, status="cancelled")
    agree("a cancel releases the hold")
    refunded = submit(store, "Bo", "Launch", DECEMBER)
    reply(store, refunded, DECEMBER, status="queued", pre_consumed_cost=PRICE)
    store.fail_unsent(refunded.id, "task_not_found", "gone", DECEMBER, sent=True)
    agree("a task the service forgot: its hold comes back")
    refused = submit(store, "Cleo", "Other", DECEMBER)
    store.fail_unsent(refused.id, "bad", "refused on re-send", DECEMBER)
    agree("a re-sent submit refused")
    unsent = submit(store, "Cleo", "Other", DECEMBER, check=False)
    store.discard_unsent(unsent.id)
    agree("a submit refused outright is forgotten")
    held = submit(store, "Bo", "", DECEMBER)
    reply(store, held, DECEMBER, status="processing", pre_consumed_cost=PRICE * 2)
    agree("a video still being made holds what the service held")
    reply(store, held, DECEMBER + timedelta(seconds=5), status="completed", cost=PRICE * 2)
    agree("settled at the hold")

    with store.engine.begin() as connection:
        recount(connection)  # the tools' rebuild gives the same totals
    assert kept(store) == from_tasks(store)
    store.engine.dispose()


def test_the_check_reads_the_totals_so_a_month_boundary_starts_afresh(database_url):
    store = Store.open(database_url)
    store.set_budget(Scope.TEAM, "", 2 * PRICE, "Alex Admin", LAST_MINUTE)
    submit(store, "Ana", "", LAST_MINUTE)
    submit(store, "Ana", "", LAST_MINUTE)
    with pytest.raises(OverBudget):
        submit(store, "Ana", "", LAST_MINUTE)
    assert submit(store, "Ana", "", DECEMBER).id  # a new month
    store.engine.dispose()


@pytest.mark.parametrize("database", ["sqlite", "postgresql"])
def test_migration_0007_back_fills_the_totals_from_the_stored_tasks(database, tmp_path, request):
    if database == "sqlite":
        url = f"sqlite:///{tmp_path / 'old.sqlite3'}"
    else:
        url = request.getfixturevalue("fresh_postgres_url")
    engine = make_engine(url)
    config = alembic_config()
    with engine.begin() as connection:  # a store as issue 16's release left it
        config.attributes["connection"] = connection
        command.upgrade(config, "0005")
        for key, person, campaign, cost in (
            ("key-1", "Ana", "Launch", None),
            ("key-2", "Ana", "", None),
            ("key-3", "Bo", "Launch", 1000),
        ):
            row = old_task(key, person, campaign, cost)
            connection.execute(insert(old_tasks_table(row)), row)
    migrate(engine)
    store = Store(engine)
    assert kept(store) == from_tasks(store)
    assert kept(store) == {
        ("2026-11", "team", ""): 2 * PRICE + 1000,
        ("2026-11", "campaign", "Launch"): PRICE + 1000,
    }  # (no accounts before 0005's names: the old rows have none)
    engine.dispose()
