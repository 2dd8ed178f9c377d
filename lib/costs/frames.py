"""Totals and tables of what the videos cost, in integer quota until the end: the totals
as exact Decimals, the tables' dollars rounded by the studio's one rule (`round_usd`)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import pandas as pd

from lib.costs.filters import NO_CAMPAIGN, NO_NAME, filter_tasks
from lib.costs.loading import MONEY
from lib.domain.catalog import display_name
from lib.domain.money import QUOTA_PER_USD, quota_to_usd, round_usd


@dataclass(frozen=True)
class Totals:
    """Counts and money in integer quota; the `_usd` properties are exact Decimals."""

    videos: int
    settled: int
    pending: int
    refunded: int

    @property
    def spend(self) -> int:
        return self.settled + self.pending

    @property
    def settled_usd(self) -> Decimal:
        return quota_to_usd(self.settled)

    @property
    def pending_usd(self) -> Decimal:
        return quota_to_usd(self.pending)

    @property
    def refunded_usd(self) -> Decimal:
        return quota_to_usd(self.refunded)

    @property
    def spend_usd(self) -> Decimal:
        return quota_to_usd(self.spend)


def totals(frame: pd.DataFrame) -> Totals:
    """settled, pending and refunded of these tasks, exactly as the definitions say."""
    return Totals(
        videos=len(frame),
        settled=int(frame["settled"].sum()),
        pending=int(frame["pending"].sum()),
        refunded=int(frame["refunded"].sum()),
    )


def _summary(frame: pd.DataFrame, keys: Sequence[str]) -> pd.DataFrame:
    """One row per group: videos, then settled, pending, refunded and spend in quota."""
    grouped = frame.groupby(list(keys), sort=False, dropna=False)
    table = grouped[[*MONEY, "spend"]].sum()
    table.insert(0, "videos", grouped.size())
    return table.reset_index().astype({name: "int64" for name in ("videos", *MONEY, "spend")})


def _by_spend(table: pd.DataFrame, keys: Sequence[str]) -> pd.DataFrame:
    """Most spend first; ties by more videos, then by name, so the order is stable."""
    order = table.sort_values(
        ["spend", "videos", *keys], ascending=[False, False, *([True] * len(keys))]
    )
    return order.reset_index(drop=True)


def per_day(frame: pd.DataFrame) -> pd.DataFrame:
    """Per UTC day of `created_at`, newest day first. Columns: day (a date), videos,
    settled, pending, refunded, spend (quota)."""
    days = frame.assign(day=frame["created_at"].dt.floor("D"))
    table = _summary(days, ["day"]).sort_values("day", ascending=False, ignore_index=True)
    table["day"] = [stamp.date() for stamp in table["day"]]
    return table


def per_person(frame: pd.DataFrame) -> pd.DataFrame:
    """Per person, most spend first."""
    people = frame.assign(person=frame["person"].where(frame["person"] != "", NO_NAME))
    return _by_spend(_summary(people, ["person"]), ["person"])


def per_campaign(frame: pd.DataFrame) -> pd.DataFrame:
    """Per campaign, most spend first; tasks without one are "(no campaign)"."""
    named = frame.assign(campaign=frame["campaign"].where(frame["campaign"] != "", NO_CAMPAIGN))
    return _by_spend(_summary(named, ["campaign"]), ["campaign"])


def per_model(frame: pd.DataFrame) -> pd.DataFrame:
    """Per model (the marketer's name for it), most spend first."""
    named = frame.assign(model=frame["model"].map(display_name))
    return _by_spend(_summary(named, ["model"]), ["model"])


def per_format(frame: pd.DataFrame) -> pd.DataFrame:
    """Per resolution × duration (seconds), most spend first."""
    return _by_spend(_summary(frame, ["resolution", "duration"]), ["resolution", "duration"])


def daily_spend(days: pd.DataFrame, start: date | None, end: date | None) -> pd.DataFrame:
    """For the chart, from a `per_day` table: settled and pending dollars per UTC day,
    every day of the period (days without videos are 0). Columns: Day (midnight UTC,
    without a zone), Settled, Pending. An open or very long period is cut to the days that
    have videos."""
    if days.empty:
        return pd.DataFrame({"Day": pd.to_datetime([]), "Settled": [], "Pending": []})
    first, last = min(days["day"]), max(days["day"])
    low, high = start or first, end or last
    if (high - low).days > 731:
        low, high = first, last
    every_day = pd.date_range(low, high, freq="D")
    indexed = days.set_index(pd.to_datetime(days["day"]))[["settled", "pending"]]
    filled = indexed.reindex(every_day, fill_value=0)
    return pd.DataFrame(
        {
            "Day": every_day,
            "Settled": filled["settled"].to_numpy() / QUOTA_PER_USD,
            "Pending": filled["pending"].to_numpy() / QUOTA_PER_USD,
        }
    )


# Table column names as a person reads them.
HEADINGS = {
    "day": "Day",
    "person": "Person",
    "campaign": "Campaign",
    "model": "Model",
    "resolution": "Resolution",
    "duration": "Seconds",
    "videos": "Videos",
    "settled": "Settled",
    "pending": "Pending",
    "refunded": "Refunded",
    "spend": "Spend",
}


def dollar_table(table: pd.DataFrame) -> pd.DataFrame:
    """A table for people: headings in words, money in dollars, each value its exact
    integer quota sum rounded by the studio's one rule (`round_usd`). Rounded here, not by
    the browser: its "%.4f" of a binary float turns $0.14875 into 0.1487, where the
    video's card says $0.1488."""
    shown = table.copy()
    for name in (*MONEY, "spend"):
        shown[name] = [float(round_usd(quota_to_usd(int(q)))) for q in shown[name]]
    return shown.rename(columns=HEADINGS)


# ----- the report the page shows ------------------------------------------------------------
@dataclass(frozen=True)
class Report:
    totals: Totals
    per_day: pd.DataFrame  # quota; see dollar_table
    per_person: pd.DataFrame
    per_campaign: pd.DataFrame
    per_model: pd.DataFrame
    per_format: pd.DataFrame
    daily: pd.DataFrame  # dollars, for the chart


def build_report(
    frame: pd.DataFrame,
    start: date | None = None,
    end: date | None = None,
    people: Iterable[str] = (),
    campaigns: Iterable[str] = (),
    models: Iterable[str] = (),
) -> Report:
    """Totals, the five tables and the chart of the tasks the filters keep."""
    chosen = filter_tasks(frame, start, end, people, campaigns, models)
    days = per_day(chosen)
    return Report(
        totals=totals(chosen),
        per_day=days,
        per_person=per_person(chosen),
        per_campaign=per_campaign(chosen),
        per_model=per_model(chosen),
        per_format=per_format(chosen),
        daily=daily_spend(days, start, end),
    )
