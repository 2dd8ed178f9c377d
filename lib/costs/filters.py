"""Choosing what to look at on Costs: the periods a person picks, the dates they cover,
and the tasks of some people and campaigns."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd

from lib.costs.loading import day_start

NO_CAMPAIGN = "(no campaign)"
NO_NAME = "(no name)"

# Periods a person can pick; the first is the default.
THIS_MONTH = "This month"
LAST_7_DAYS = "Last 7 days"
LAST_30_DAYS = "Last 30 days"
ALL_TIME = "All time"
CUSTOM = "Pick dates"
PERIODS = (THIS_MONTH, LAST_7_DAYS, LAST_30_DAYS, ALL_TIME, CUSTOM)


def utc_today(now: datetime | None = None) -> date:
    return (now or datetime.now(UTC)).astimezone(UTC).date()


def period_range(period: str, today: date) -> tuple[date | None, date | None]:
    """The UTC days (first, last; both included, None = open) a named period covers."""
    if period == THIS_MONTH:
        return today.replace(day=1), today
    if period == LAST_7_DAYS:
        return today - timedelta(days=6), today
    if period == LAST_30_DAYS:
        return today - timedelta(days=29), today
    if period == ALL_TIME:
        return None, None
    raise ValueError(f"unknown period {period!r}")


def picked_range(picked: Any) -> tuple[date | None, date | None]:
    """What st.date_input returned for a range: (), (first,) while picking, or (first,
    last). One day picked so far means that day only."""
    days = [day for day in (picked if isinstance(picked, tuple | list) else (picked,)) if day]
    if not days:
        return None, None
    return min(days), max(days)


def filter_tasks(
    frame: pd.DataFrame,
    start: date | None = None,
    end: date | None = None,
    people: Iterable[str] = (),
    campaigns: Iterable[str] = (),
    models: Iterable[str] = (),
) -> pd.DataFrame:
    """The tasks created from `start` to `end` (UTC days, both included), by any of
    `people`, in any of `campaigns` (empty = no limit; NO_CAMPAIGN picks "") and made
    with any of `models` (ids)."""
    keep = np.ones(len(frame), dtype=bool)
    if start is not None:
        keep &= (frame["created_at"] >= day_start(start)).to_numpy()
    if end is not None:
        keep &= (frame["created_at"] < day_start(end + timedelta(days=1))).to_numpy()
    people = list(people)
    if people:
        keep &= frame["person"].isin(people).to_numpy()
    campaigns = ["" if name == NO_CAMPAIGN else name for name in campaigns]
    if campaigns:
        keep &= frame["campaign"].isin(campaigns).to_numpy()
    models = list(models)
    if models:
        keep &= frame["model"].isin(models).to_numpy()
    return frame[keep]
