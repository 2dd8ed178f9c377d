"""Loading the tasks the Costs page counts into pandas: one query, read straight from the
database driver, each column typed in one go (fast for 100,000 rows), and a cheap
fingerprint of the store (`store_version`) that says when to load again."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from operator import itemgetter
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import (
    ColumnElement,
    Select,
    String,
    case,
    func,
    select,
    type_coerce,
)

from lib.domain.statuses import TERMINAL_STATUSES, unfinished
from lib.store.schema import Task
from lib.store.tasks import Store

# The definitions, as SQL: every task row carries its settled, pending and refunded quota
# (0 where a definition does not apply), so that a sum over any group is that group's total.
TERMINAL = Task.status.in_(TERMINAL_STATUSES)
UNFINISHED = Task.status.in_(unfinished())
_MONEY_SQL = {
    "settled": case((TERMINAL, func.coalesce(Task.cost_quota, 0)), else_=0),
    "pending": case(
        (TERMINAL, 0), else_=func.coalesce(Task.pre_consumed_quota, Task.estimate_quota, 0)
    ),
    "refunded": case((TERMINAL, func.coalesce(Task.refunded_quota, 0)), else_=0),
}
MONEY = tuple(_MONEY_SQL)
SPEND_SQL = _MONEY_SQL["settled"] + _MONEY_SQL["pending"]  # a task's spend (issue 17)

# What the page needs, and what the CSV ledger adds. Kinds: time (read as the database
# keeps it, so that pandas parses the whole column at once instead of one row at a time),
# text, int (never NULL), quota (an integer that may be NULL, as stored).
_PAGE_COLUMNS = {
    "created_at": ("time", type_coerce(Task.created_at, String)),
    "person": ("text", Task.person),
    "campaign": ("text", Task.campaign),
    "resolution": ("text", Task.resolution),
    "duration": ("int", Task.duration),
    "model": ("text", Task.model),
    **{name: ("int", expression) for name, expression in _MONEY_SQL.items()},
}
_LEDGER_COLUMNS = {
    "id": ("text", Task.id),
    "mode": ("text", Task.mode),
    "status": ("text", Task.status),
    "estimate_quota": ("quota", Task.estimate_quota),
    "pre_consumed_quota": ("quota", Task.pre_consumed_quota),
    "cost_quota": ("quota", Task.cost_quota),
    "refunded_quota": ("quota", Task.refunded_quota),
    "prompt": ("text", Task.prompt),
    "kit_name": ("text", Task.kit_name),  # issue 18: the brand kit used, as named then
}


def store_version(store: Store) -> tuple[Any, ...]:
    """A cheap fingerprint of what the Costs page shows (and the sidebar's balance): three
    figures that indexes answer without reading the table, each in a few index entries.

    It is complete because of how the store writes money: amounts only appear when a task
    is created (the newest creation time moves), accepted (it gets its service id and
    pre-consumed amount: the count of tasks without a service id drops) or settled (it
    turns terminal, with its cost and refund: the count of unfinished tasks drops), and a
    terminal task never changes again; the only tasks ever deleted are never-accepted ones
    (no money shown). Whatever happens at once between two looks, a creation moves the
    newest time, and the two counts only fall back to the same figures by one, which
    only a creation does. Progress updates of running videos leave it alone, so they
    reload nothing. (The caches also expire after a few minutes, as a safety net.)
    Counting every task and every accepted one (before) read a whole index: 20–70 ms at
    100,000 videos, on every run of every page (the sidebar's balance is keyed on it).
    """
    query = select(
        select(func.count()).select_from(Task).where(Task.wave_task_id.is_(None)).scalar_subquery(),
        select(func.count()).select_from(Task).where(UNFINISHED).scalar_subquery(),
        select(func.max(type_coerce(Task.created_at, String))).scalar_subquery(),
    )
    with store.engine.connect() as connection:
        row = connection.execute(query).one()
    return tuple(None if value is None else str(value) for value in row)


def task_frame(
    store: Store,
    *,
    ledger: bool = False,
    start: date | None = None,
    end: date | None = None,
    where: Sequence[ColumnElement[bool]] = (),
) -> pd.DataFrame:
    """Every accepted task (`wave_task_id IS NOT NULL`), one row each, in one query;
    optionally only those created from `start` to `end` (UTC days, both included) and
    meeting the conditions `where`.

    Columns: created_at (UTC), person, campaign, resolution, duration (seconds), then the
    definitions in integer quota: settled, pending, refunded (0 where they do not apply)
    and spend. With `ledger`, also id, mode, status, prompt and the amounts as stored
    (estimate_quota, pre_consumed_quota, cost_quota, refunded_quota; <NA> when NULL).
    """
    columns = {**_PAGE_COLUMNS, **(_LEDGER_COLUMNS if ledger else {})}
    query = select(*(expression.label(name) for name, (_, expression) in columns.items()))
    query = query.where(Task.wave_task_id.is_not(None), *where)
    if start is not None:
        query = query.where(Task.created_at >= day_start(start))
    if end is not None:
        query = query.where(Task.created_at < day_start(end + timedelta(days=1)))
    rows = _fetch_all(store, query)
    frame = pd.DataFrame(
        {
            name: _typed(kind, list(map(itemgetter(position), rows)))
            for position, (name, (kind, _)) in enumerate(columns.items())
        }
    )
    frame["spend"] = frame["settled"] + frame["pending"]
    return frame


def _fetch_all(store: Store, query: Select[Any]) -> list[tuple[Any, ...]]:
    """The rows as plain tuples straight from the database driver, without SQLAlchemy's
    Row objects (bench/README.md: Costs at 100,000 videos). The statement is
    rendered with its values inline, which is safe here: they are only constants and
    times, never text a person typed (person and campaign filters are applied in pandas)."""
    sql = str(query.compile(dialect=store.engine.dialect, compile_kwargs={"literal_binds": True}))
    with store.engine.connect() as connection:
        cursor = connection.connection.cursor()
        try:
            cursor.execute(sql)
            return cursor.fetchall()
        finally:
            cursor.close()


def _typed(kind: str, values: list[Any]) -> Any:
    """One column of rows as a typed array, built in one go (fast for 100,000 rows)."""
    if kind == "int":
        return np.fromiter(values, dtype="int64", count=len(values))
    if kind == "quota":
        return pd.array(values, dtype="Int64")
    if kind == "text":
        return pd.Series(pd.array(values, dtype="str")).fillna("").array
    texts = values and isinstance(values[0], str)  # SQLite keeps times as UTC text
    return pd.to_datetime(values, utc=True, format="ISO8601" if texts else None)


def day_start(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)
