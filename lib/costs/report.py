"""What the videos cost: the numbers behind the Costs page, in pandas.

Definitions (the page, the CSV and the tests all follow these exactly):

- Only tasks the service accepted count: `wave_task_id IS NOT NULL`. A submit that was
  never accepted costs nothing and appears nowhere here.
- A task is *terminal* when its status is completed, failed or cancelled.
- settled  = sum(cost_quota) of terminal tasks (the price for completed, 0 otherwise).
- pending  = sum(pre_consumed_quota, falling back to estimate_quota when it is NULL) of
  tasks that are not terminal yet: money held now, settled (or given back) later.
- refunded = sum(refunded_quota) of terminal tasks.
- spend    = settled + pending.
- A task belongs to the UTC calendar day of its `created_at` ("Dates are in UTC").

Money stays in integer quota (500,000 quota = $1; the service charges whole units) in
every frame and is turned into dollars only at the end: `Totals` gives exact `Decimal`s,
`dollar_table` gives the tables' dollar columns (each row's exact integer sum, rounded
once), and the CSV ledger writes exact decimals as text.

On screen, dollars are rounded half up to 4 decimals by the one rule of the studio
(`lib.domain.money.round_usd`: a video shows the same amount on its card and in every table),
so a column of rounded amounts may differ from its rounded total in the last digit; the
totals underneath are exact, and so is the CSV.

The page reads everything through `overview` and `report`, cached per store *version*
(four counts the indexes answer, see `store_version`): a rerun that finds the store
unchanged recomputes nothing. When it has changed, only what can have changed is read
again: the settled past (terminal tasks created before yesterday, which never change)
stays in memory (`settled_tasks`, loaded once, and at start-up by `warm_up`), and only
the tasks since yesterday and unfinished ones are read from the database
(`period_tasks`). Every read is answered by one covering index (`ix_tasks_status_costs`),
never by the wide rows.
"""

from __future__ import annotations

import io
import threading
import weakref
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from operator import itemgetter
from typing import Any

import numpy as np
import pandas as pd
import streamlit as st
from sqlalchemy import (
    ColumnElement,
    Engine,
    Select,
    String,
    and_,
    case,
    func,
    or_,
    select,
    type_coerce,
)

from lib.domain.catalog import GROK_IMAGINE_VIDEO, TERMINAL_STATUSES
from lib.domain.money import quota_to_usd, round_usd
from lib.store.schema import Task
from lib.store.tasks import STATUS_RANK, Store

QUOTA_PER_USD = GROK_IMAGINE_VIDEO.quota_per_usd
NO_CAMPAIGN = "(no campaign)"
NO_NAME = "(no name)"

# Periods a person can pick; the first is the default.
THIS_MONTH = "This month"
LAST_7_DAYS = "Last 7 days"
LAST_30_DAYS = "Last 30 days"
ALL_TIME = "All time"
CUSTOM = "Pick dates"
PERIODS = (THIS_MONTH, LAST_7_DAYS, LAST_30_DAYS, ALL_TIME, CUSTOM)

# A spreadsheet treats a cell starting with one of these as a formula (CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

# The definitions, as SQL: every task row carries its settled, pending and refunded quota
# (0 where a definition does not apply), so that a sum over any group is that group's total.
_TERMINAL = Task.status.in_(TERMINAL_STATUSES)
_UNFINISHED = Task.status.in_([status for status in STATUS_RANK if status not in TERMINAL_STATUSES])
_MONEY_SQL = {
    "settled": case((_TERMINAL, func.coalesce(Task.cost_quota, 0)), else_=0),
    "pending": case(
        (_TERMINAL, 0), else_=func.coalesce(Task.pre_consumed_quota, Task.estimate_quota, 0)
    ),
    "refunded": case((_TERMINAL, func.coalesce(Task.refunded_quota, 0)), else_=0),
}
MONEY = tuple(_MONEY_SQL)

# What the page needs, and what the CSV ledger adds. Kinds: time (read as the database
# keeps it, so that pandas parses the whole column at once instead of one row at a time),
# text, int (never NULL), quota (an integer that may be NULL, as stored).
_PAGE_COLUMNS = {
    "created_at": ("time", type_coerce(Task.created_at, String)),
    "person": ("text", Task.person),
    "campaign": ("text", Task.campaign),
    "resolution": ("text", Task.resolution),
    "duration": ("int", Task.duration),
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
}


# ----- loading ------------------------------------------------------------------------------
def store_version(store: Store) -> tuple[Any, ...]:
    """A cheap fingerprint of what the Costs page shows: four counts the indexes answer
    without reading the table (milliseconds at 100,000 tasks).

    It is complete because of how the store writes money: amounts only appear when a task
    is created (count), accepted (it gets its service id and pre-consumed amount: accepted
    count) or settled (it turns terminal, with its cost and refund: the count of unfinished
    tasks drops), and a terminal task never changes again. Progress updates of running
    videos leave it alone, so they reload nothing. (The caches also expire after a few
    minutes, as a safety net.) Unfinished tasks are counted rather than terminal ones: the
    index finds the few of them at once, where counting the many finished ones means
    reading most of it.
    """
    query = select(
        select(func.count()).select_from(Task).scalar_subquery(),
        select(func.count(Task.wave_task_id)).scalar_subquery(),
        select(func.count()).select_from(Task).where(_UNFINISHED).scalar_subquery(),
        select(func.max(type_coerce(Task.created_at, String))).scalar_subquery(),
    )
    with store.engine.connect() as connection:
        row = connection.execute(query).one()
    return tuple(None if value is None else str(value) for value in row)


def load_tasks(
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
        query = query.where(Task.created_at >= _day_start(start))
    if end is not None:
        query = query.where(Task.created_at < _day_start(end + timedelta(days=1)))
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
    """The rows as plain tuples straight from the database driver: at 100,000 rows this
    saves about a third of the time SQLAlchemy's Row objects take. The statement is
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


def _day_start(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


# ----- choosing what to look at ---------------------------------------------------------------
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
) -> pd.DataFrame:
    """The tasks created from `start` to `end` (UTC days, both included), by any of
    `people` and in any of `campaigns` (empty = no limit; NO_CAMPAIGN picks "")."""
    keep = np.ones(len(frame), dtype=bool)
    if start is not None:
        keep &= (frame["created_at"] >= _day_start(start)).to_numpy()
    if end is not None:
        keep &= (frame["created_at"] < _day_start(end + timedelta(days=1))).to_numpy()
    people = list(people)
    if people:
        keep &= frame["person"].isin(people).to_numpy()
    campaigns = ["" if name == NO_CAMPAIGN else name for name in campaigns]
    if campaigns:
        keep &= frame["campaign"].isin(campaigns).to_numpy()
    return frame[keep]


# ----- totals and tables ----------------------------------------------------------------------
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


def usd_label(amount: Decimal) -> str:
    """`$1,234.5678`: rounded as everywhere (`round_usd`), with thousands separated."""
    return f"${round_usd(amount):,}"


def usd_exact(amount: Decimal) -> str:
    """`$0.089252`: every digit (1 quota = $0.000002, so 6 decimals are exact)."""
    return f"${amount:,.6f}"


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
    per_format: pd.DataFrame
    daily: pd.DataFrame  # dollars, for the chart


def build_report(
    frame: pd.DataFrame,
    start: date | None = None,
    end: date | None = None,
    people: Iterable[str] = (),
    campaigns: Iterable[str] = (),
) -> Report:
    """Totals, the four tables and the chart of the tasks the filters keep."""
    chosen = filter_tasks(frame, start, end, people, campaigns)
    days = per_day(chosen)
    return Report(
        totals=totals(chosen),
        per_day=days,
        per_person=per_person(chosen),
        per_campaign=per_campaign(chosen),
        per_format=per_format(chosen),
        daily=daily_spend(days, start, end),
    )


@dataclass(frozen=True)
class Overview:
    """The store at a glance: how many videos count, who made videos (for the filters),
    and the version the cached numbers belong to."""

    videos: int
    people: list[str]
    campaigns: list[str]  # "(no campaign)" last, when some videos have none
    version: tuple[Any, ...]


def _database(store: Store) -> str:
    return store.engine.url.render_as_string(hide_password=True)


# ----- the settled past, kept in memory -------------------------------------------------------
@dataclass(frozen=True)
class Settled:
    """The terminal accepted tasks created before `before`: they never change again, so
    the set only grows (when an older task finally settles), and its size is a complete
    fingerprint of it. `version`: a `store_version` at which it was known to be exact."""

    before: datetime
    frame: pd.DataFrame  # as load_tasks makes it; never changed in place
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
    return and_(_TERMINAL, Task.created_at < before)


def _recent_where(before: datetime) -> ColumnElement[bool]:
    """Exactly the tasks `_settled_where` leaves out (every status is terminal or
    unfinished), said so that two indexes find them rather than reading all of one."""
    return or_(_UNFINISHED, Task.created_at >= before)


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
        before = _day_start(utc_today(now) - timedelta(days=1))
        fresh = Settled(before, load_tasks(store, where=[_settled_where(before)]), version)
        _settled[store.engine] = fresh
        return fresh


def period_tasks(
    store: Store,
    start: date | None,
    end: date | None,
    now: datetime | None = None,
    version: tuple[Any, ...] | None = None,
) -> pd.DataFrame:
    """What `load_tasks(store, start=start, end=end)` gives, but only the tasks that can
    have changed are read from the database: the settled past comes from memory."""
    settled = settled_tasks(store, now, version)
    recent = load_tasks(store, start=start, end=end, where=[_recent_where(settled.before)])
    past = settled.frame
    if start is not None or end is not None:
        past = filter_tasks(past, start, end)
    if recent.empty:
        return past
    return recent if past.empty else pd.concat([past, recent], ignore_index=True)


def warm_up(store: Store) -> Report:
    """At start-up: load the settled past and work out the page's first view (this month,
    everyone), so that the first visit to Costs after a restart finds both ready."""
    settled_tasks(store)
    start, end = period_range(THIS_MONTH, utc_today())
    return report(store, start, end, version=overview(store).version)


CACHE_TTL = timedelta(minutes=5)


@st.cache_data(max_entries=8, ttl=CACHE_TTL, show_spinner=False)
def _cached_overview(_store: Store, database: str, version: tuple[Any, ...]) -> Overview:
    accepted = int(version[1] or 0)
    with _store.engine.connect() as connection:  # the indexes answer these two
        people = connection.scalars(select(Task.person).distinct()).all()
        campaigns = connection.scalars(select(Task.campaign).distinct()).all()
    named = sorted({name for name in campaigns if name})
    if any(not name for name in campaigns):
        named.append(NO_CAMPAIGN)
    return Overview(accepted, sorted({name for name in people if name}), named, version)


@st.cache_data(max_entries=64, ttl=CACHE_TTL, show_spinner=False)
def _cached_report(
    _store: Store,
    database: str,
    version: tuple[Any, ...],
    start: date | None,
    end: date | None,
    people: tuple[str, ...],
    campaigns: tuple[str, ...],
) -> Report:
    frame = period_tasks(_store, start, end, version=version)
    return build_report(frame, start, end, people, campaigns)


def overview(store: Store) -> Overview:
    """Cached until the store changes (the database address is part of every key)."""
    return _cached_overview(store, _database(store), store_version(store))


def report(
    store: Store,
    start: date | None,
    end: date | None,
    people: Iterable[str] = (),
    campaigns: Iterable[str] = (),
    version: tuple[Any, ...] | None = None,
) -> Report:
    """`build_report` of the tasks created from `start` to `end` (see `period_tasks`),
    cached until the store changes. `version`: the one `overview` saw, if at hand."""
    version = version if version is not None else store_version(store)
    key = (tuple(sorted(people)), tuple(sorted(campaigns)))
    return _cached_report(store, _database(store), version, start, end, *key)


# ----- the CSV ledger -----------------------------------------------------------------------
def defuse(texts: pd.Series) -> pd.Series:
    """Text a spreadsheet could run as a formula (=, +, -, @, tab, return first) gets a
    leading single quote, so Excel or Sheets shows it as plain text."""
    texts = texts.fillna("").astype(str)
    return texts.where(~texts.str.startswith(FORMULA_STARTS), "'" + texts)


def usd_text(quota: pd.Series) -> pd.Series:
    """Exact dollars as text with 6 decimals ("0.044626"; 1 quota = $0.000002), blank
    where the store has no amount yet."""
    known = quota.notna().to_numpy()
    if 10**6 % QUOTA_PER_USD:  # a price list whose quota is not a whole millionth
        exact = [quota_to_usd(int(q)) if ok else None for q, ok in zip(quota, known, strict=True)]
        texts = ["" if amount is None else f"{amount:.6f}" for amount in exact]
        return pd.Series(texts, index=quota.index, dtype=object)
    micro = quota.fillna(0).to_numpy("int64") * (10**6 // QUOTA_PER_USD)
    sign = np.where(micro < 0, "-", "")
    whole = pd.Series(np.abs(micro) // 10**6, index=quota.index).astype(str)
    part = pd.Series(np.abs(micro) % 10**6, index=quota.index).astype(str).str.zfill(6)
    texts = (sign + whole + "." + part).astype(object)
    return texts.where(known, "")


def ledger(frame: pd.DataFrame) -> pd.DataFrame:
    """One row per task (newest first), as the store has it: amounts in exact dollars and
    in the service's whole quota units (`quota_per_usd` of them make a dollar), blank
    where not known yet (a running task has no settled amount)."""
    rows = frame.sort_values(["created_at", "id"], ascending=[False, True])  # needs ledger=True
    out = pd.DataFrame(
        {
            "id": rows["id"],
            "created_utc": rows["created_at"].dt.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "person": rows["person"],
            "campaign": rows["campaign"],
            "mode": rows["mode"],
            "resolution": rows["resolution"],
            "duration_s": rows["duration"],
            "status": rows["status"],
        }
    )
    amounts = {
        "estimate": "estimate_quota",
        "pre_consumed": "pre_consumed_quota",
        "settled": "cost_quota",
        "refunded": "refunded_quota",
    }
    for name, column in amounts.items():
        out[f"{name}_usd"] = usd_text(rows[column])
    for name, column in amounts.items():
        out[f"{name}_quota"] = rows[column]
    # Charges are whole quota units: this column says what one is worth, in every row.
    out["quota_per_usd"] = QUOTA_PER_USD
    out["prompt"] = rows["prompt"]
    for name in ("id", "person", "campaign", "mode", "resolution", "status", "prompt"):
        out[name] = defuse(out[name])
    return out.reset_index(drop=True)


def ledger_csv(frame: pd.DataFrame) -> bytes:
    """The ledger as CSV, UTF-8 with a byte-order mark so that Excel reads accents."""
    buffer = io.StringIO()
    ledger(frame).to_csv(buffer, index=False, lineterminator="\r\n")
    return buffer.getvalue().encode("utf-8-sig")


def ledger_csv_for(
    store: Store,
    start: date | None,
    end: date | None,
    people: Iterable[str] = (),
    campaigns: Iterable[str] = (),
) -> bytes:
    """The CSV of the tasks the page shows (one more query, with the prompts)."""
    frame = load_tasks(store, ledger=True, start=start, end=end)
    return ledger_csv(filter_tasks(frame, start, end, people, campaigns))


def csv_file_name(start: date | None, end: date | None) -> str:
    first = start.isoformat() if start else "start"
    last = end.isoformat() if end else "today"
    return f"imagine-studio-costs-{first}-to-{last}.csv"
