"""What the pages keep between runs with Streamlit's cache, for all sessions together:
the Costs numbers, per store version (lib/costs/cache.py), and the account balance."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from typing import Any

import streamlit as st

from lib.costs.cache import Overview, database_key, overview_of, report_of, settled_tasks
from lib.costs.filters import THIS_MONTH, period_range, utc_today
from lib.costs.frames import Report
from lib.costs.loading import store_version
from lib.store.tasks import Store

CACHE_TTL = timedelta(minutes=5)


@st.cache_data(max_entries=8, ttl=CACHE_TTL, show_spinner=False)
def _cached_overview(_store: Store, database: str, version: tuple[Any, ...]) -> Overview:
    return overview_of(_store, version)


@st.cache_data(max_entries=64, ttl=CACHE_TTL, show_spinner=False)
def _cached_report(
    _store: Store,
    database: str,
    version: tuple[Any, ...],
    start: date | None,
    end: date | None,
    people: tuple[str, ...],
    campaigns: tuple[str, ...],
    models: tuple[str, ...] = (),
) -> Report:
    return report_of(_store, version, start, end, people, campaigns, models)


def overview(store: Store) -> Overview:
    """Cached until the store changes (the database address is part of every key)."""
    return _cached_overview(store, database_key(store), store_version(store))


def report(
    store: Store,
    start: date | None,
    end: date | None,
    people: Iterable[str] = (),
    campaigns: Iterable[str] = (),
    version: tuple[Any, ...] | None = None,
    models: Iterable[str] = (),
) -> Report:
    """`build_report` of the tasks created from `start` to `end` (see `period_tasks`),
    cached until the store changes. `version`: the one `overview` saw, if at hand."""
    version = version if version is not None else store_version(store)
    key = (tuple(sorted(people)), tuple(sorted(campaigns)), tuple(sorted(models)))
    return _cached_report(store, database_key(store), version, start, end, *key)


def first_costs_view(store: Store) -> Report:
    """At start-up: load the settled past and work out the page's first view (this month,
    everyone), so that the first visit to Costs after a restart finds both ready."""
    settled_tasks(store)
    start, end = period_range(THIS_MONTH, utc_today())
    return report(store, start, end, version=overview(store).version)
