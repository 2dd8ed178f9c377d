"""Running monthly totals of spend, per team, person and campaign (issue 16's budgets).

A video's spend is what the budgets count: its settled charge, else the money held for it
(what the service pre-consumed, else the estimate) — `coalesce(cost, pre-consumed,
estimate)` — in the calendar month (UTC) it was made. Summing that over a month's tasks at
every submit grew with the month (the budget check, lib/store/budgets.py); the totals are
kept instead, moved in the same transaction as the task's money: every write session of
the store flushes its task changes through `keep_totals` (an ORM `before_flush` hook), so
no write that records an estimate, settles a charge, fails, cancels or forgets a task can
leave them behind. `recount` rebuilds them from the tasks (tools that bulk-insert tasks;
the tests compare the two).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, delete, event, func, literal, select, union_all
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, attributes, sessionmaker

from lib.store.schema import MonthSpend, Task

TEAM, PERSON, CAMPAIGN = "team", "person", "campaign"
_MONEY = ("cost_quota", "pre_consumed_quota", "estimate_quota")
_KEYS = ("created_at", "account_id", "campaign")


def month_of(when: datetime) -> str:
    """ "2026-12": the calendar month in UTC, the totals' key."""
    return when.astimezone(UTC).strftime("%Y-%m")


def totals_keys(created_at: datetime, account_id: str | None, campaign: str) -> list[tuple]:
    """The (month, scope, target) rows a video counts in."""
    month = month_of(created_at)
    keys = [(month, TEAM, "")]
    if account_id:
        keys.append((month, PERSON, account_id))
    if campaign:
        keys.append((month, CAMPAIGN, campaign))
    return keys


def _spend(cost: int | None, pre: int | None, estimate: int | None) -> int:
    for value in (cost, pre, estimate):
        if value is not None:
            return int(value)
    return 0


def _before(task: Task, name: str) -> Any:
    """The value a loaded task had when read (before this flush's change)."""
    history = attributes.get_history(task, name)
    if history.deleted:
        return history.deleted[0]
    return history.unchanged[0] if history.unchanged else getattr(task, name)


def _counted(task: Task, now: bool) -> tuple[int, list[tuple]]:
    read = (lambda name: getattr(task, name)) if now else (lambda name: _before(task, name))
    amount = _spend(*(read(name) for name in _MONEY))
    return amount, totals_keys(read("created_at"), read("account_id"), read("campaign") or "")


def _changes(session: Session) -> dict[tuple, int]:
    moves: dict[tuple, int] = defaultdict(int)
    for task in session.new:
        if isinstance(task, Task):
            amount, keys = _counted(task, now=True)
            for key in keys:
                moves[key] += amount
    for task in session.deleted:
        if isinstance(task, Task):
            amount, keys = _counted(task, now=False)
            for key in keys:
                moves[key] -= amount
    for task in session.dirty:
        if not isinstance(task, Task) or not session.is_modified(task):
            continue
        changed = any(attributes.get_history(task, n).has_changes() for n in _MONEY + _KEYS)
        if not changed:
            continue
        for now, sign in ((False, -1), (True, 1)):
            amount, keys = _counted(task, now)
            for key in keys:
                moves[key] += sign * amount
    return {key: amount for key, amount in moves.items() if amount}


def _upsert(dialect: str) -> Any:
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(MonthSpend)
    return statement.on_conflict_do_update(
        index_elements=["month", "scope", "target"],
        set_={"spent_quota": MonthSpend.spent_quota + statement.excluded.spent_quota},
    )


def move_totals(session: Session, moves: dict[tuple, int]) -> None:
    """Add these amounts to their rows (made when new), in one statement; in key order,
    so that two transactions moving the same rows lock them in the same order."""
    if not moves:
        return
    rows = [
        {"month": month, "scope": scope, "target": target, "spent_quota": amount}
        for (month, scope, target), amount in sorted(moves.items())
    ]
    connection = session.connection()
    connection.execute(_upsert(connection.dialect.name).values(rows))


def _before_flush(session: Session, _context: Any, _instances: Any) -> None:
    move_totals(session, _changes(session))


def keep_totals(sessions: sessionmaker) -> None:
    """Every session of this factory moves the totals with the tasks it writes."""
    event.listen(sessions, "before_flush", _before_flush)


def spent_in(session: Session, keys: Iterable[tuple]) -> dict[tuple, int]:
    """The totals of these (month, scope, target) rows: primary-key reads (0 if none)."""
    keys = list(keys)
    if not keys:
        return {}
    rows = session.execute(
        select(MonthSpend.month, MonthSpend.scope, MonthSpend.target, MonthSpend.spent_quota).where(
            MonthSpend.month == keys[0][0],
            MonthSpend.scope.in_({scope for _, scope, _ in keys}),
            MonthSpend.target.in_({target for _, _, target in keys}),
        )
    ).all()
    found = {(m, s, t): int(v) for m, s, t, v in rows}
    return {key: found.get(key, 0) for key in keys}


def recount(connection: Connection) -> None:
    """Rebuild every total from the tasks (one statement per scope's group)."""
    spend = func.coalesce(Task.cost_quota, Task.pre_consumed_quota, Task.estimate_quota, 0)
    if connection.dialect.name == "postgresql":
        month = func.to_char(func.timezone("UTC", Task.created_at), "YYYY-MM")
    else:
        month = func.strftime("%Y-%m", Task.created_at)
    groups = union_all(
        select(month, literal(TEAM), literal(""), func.sum(spend)).group_by(month),
        select(month, literal(PERSON), Task.account_id, func.sum(spend))
        .where(Task.account_id.is_not(None))
        .group_by(month, Task.account_id),
        select(month, literal(CAMPAIGN), Task.campaign, func.sum(spend))
        .where(Task.campaign != "")
        .group_by(month, Task.campaign),
    )
    connection.execute(delete(MonthSpend))
    connection.execute(
        MonthSpend.__table__.insert().from_select(
            ["month", "scope", "target", "spent_quota"], groups
        )
    )
