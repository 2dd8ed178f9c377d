"""The settled past, kept in memory, and what the page reads.

The page reads everything through `overview_of` and `report_of` (cached per store
*version* by lib/ui/cached.py: a rerun that finds the store unchanged recomputes
nothing). When the store has changed, only what can have changed is read again: the
settled past (terminal tasks created before yesterday, which never change) stays in
memory (`settled_tasks`, loaded once, and at start-up), and only the tasks since yesterday
and unfinished ones are read from the database (`period_tasks`). Every read is answered
by one covering index (`ix_tasks_status_costs`), never by the wide rows."""

from __future__ import annotations

import threading
import weakref
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pandas as pd
from sqlalchemy import (
    ColumnElement,
    Engine,
    and_,
    func,
    or_,
    select,
)

from lib.costs.filters import NO_CAMPAIGN, filter_tasks, utc_today
from lib.costs.frames import Report, build_report
from lib.costs.loading import TERMINAL, UNFINISHED, day_start, task_frame
from lib.domain.catalog import MODELS
from lib.store.schema import Task
from lib.store.tasks import Store


@dataclass(frozen=True)
class Overview:
    """The store at a glance: how many videos count, who made videos (for the filters),
    and the version the cached numbers belong to."""

    videos: int
    people: list[str]
    campaigns: list[str]  # "(no campaign)" last, when some videos have none
    version: tuple[Any, ...]
    models: list[str] = field(default_factory=list)  # ids, in the catalog's order


def database_key(store: Store) -> str:
    return store.engine.url.render_as_string(hide_password=True)


@dataclass(frozen=True)
class Settled:
    """The terminal accepted tasks created before `before`: they never change again, so
    the set only grows (when an older task finally settles), and its size is a complete
    fingerprint of it. `version`: a `store_version` at which it was known to be exact."""

    before: datetime
    frame: pd.DataFrame  # as task_frame makes it; never changed in place
    version: tuple[Any, ...] | None = None

    @property
    def count(self) -> int:
        return len(self.frame)


# Per store (its engine): the settled past, loaded once. A week later it is loaded again,
# so that what `period_tasks` reads from the database each time stays small.
_settled: weakref.WeakKeyDictionary[Engine, Settled] = weakref.WeakKeyDictionary()
_settled_lock = threading.Lock()  # one load at a time: a page waits for the start-up one
SETTLED_RELOAD = timedelta(days=7)


def _settled_where(before: datetime) -> ColumnElement[bool]:
    return and_(TERMINAL, Task.created_at < before)


def _recent_where(before: datetime) -> ColumnElement[bool]:
    """Exactly the tasks `_settled_where` leaves out (every status is terminal or
    unfinished), said so that two indexes find them rather than reading all of one."""
    return or_(UNFINISHED, Task.created_at >= before)


def _settled_count(store: Store, before: datetime) -> int:
    query = select(func.count()).where(Task.wave_task_id.is_not(None), _settled_where(before))
    with store.engine.connect() as connection:
        return int(connection.execute(query).scalar_one())


def settled_tasks(
    store: Store, now: datetime | None = None, version: tuple[Any, ...] | None = None
) -> Settled:
    """The settled past (terminal tasks created before yesterday, UTC), from memory while the
    store still has exactly those, else loaded again. `version`, the `store_version` the
    caller saw before calling: when it is the one last checked, no money has moved since,
    and not even the count (which the index answers) is needed."""
    now = now or datetime.now(UTC)
    with _settled_lock:
        known = _settled.get(store.engine)
        if known is not None and now - known.before < SETTLED_RELOAD:
            if version is not None and version == known.version:
                return known
            if _settled_count(store, known.before) == known.count:
                if version is not None:
                    known = _settled[store.engine] = replace(known, version=version)
                return known
        # Yesterday, not today: a video started late in the evening that settles after
        # midnight would otherwise change the past (and reload it) every night.
        before = day_start(utc_today(now) - timedelta(days=1))
        fresh = Settled(before, task_frame(store, where=[_settled_where(before)]), version)
        _settled[store.engine] = fresh
        return fresh


def period_tasks(
    store: Store,
    start: date | None,
    end: date | None,
    now: datetime | None = None,
    version: tuple[Any, ...] | None = None,
) -> pd.DataFrame:
    """What `task_frame(store, start=start, end=end)` gives, but only the tasks that can
    have changed are read from the database: the settled past comes from memory."""
    settled = settled_tasks(store, now, version)
    recent = task_frame(store, start=start, end=end, where=[_recent_where(settled.before)])
    past = settled.frame
    if start is not None or end is not None:
        past = filter_tasks(past, start, end)
    if recent.empty:
        return past
    return recent if past.empty else pd.concat([past, recent], ignore_index=True)


def overview_of(store: Store, version: tuple[Any, ...]) -> Overview:
    """The store at a glance, at `version` (a `store_version`)."""
    with store.engine.connect() as connection:  # the indexes answer these
        # Read once per version (the overview is kept per version): the fingerprint
        # itself no longer counts the accepted videos at every page run.
        accepted = int(connection.scalar(select(func.count(Task.wave_task_id))) or 0)
        people = connection.scalars(select(Task.person).distinct()).all()
        campaigns = connection.scalars(select(Task.campaign).distinct()).all()
        used = set(connection.scalars(select(Task.model).distinct()).all())
    named = sorted({name for name in campaigns if name})
    if any(not name for name in campaigns):
        named.append(NO_CAMPAIGN)
    models = [m for m in MODELS if m in used] + sorted(used - set(MODELS))
    return Overview(accepted, sorted({name for name in people if name}), named, version, models)


def report_of(
    store: Store,
    version: tuple[Any, ...],
    start: date | None,
    end: date | None,
    people: Iterable[str] = (),
    campaigns: Iterable[str] = (),
    models: Iterable[str] = (),
) -> Report:
    """`build_report` of the tasks created from `start` to `end` (see `period_tasks`)."""
    frame = period_tasks(store, start, end, version=version)
    return build_report(frame, start, end, people, campaigns, models)
