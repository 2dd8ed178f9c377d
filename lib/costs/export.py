"""The CSV ledger of Costs: one row per video, exact amounts in dollars and in quota, safe
to open in a spreadsheet."""

from __future__ import annotations

import io
from collections.abc import Iterable
from datetime import date

import numpy as np
import pandas as pd

from lib.costs.filters import filter_tasks
from lib.costs.loading import task_frame
from lib.domain.csv_cells import FORMULA_STARTS  # one rule with the campaign ZIP's manifest
from lib.domain.money import QUOTA_PER_USD, csv_usd
from lib.store.tasks import Store


def defuse(texts: pd.Series) -> pd.Series:
    """Text a spreadsheet could run as a formula (=, +, -, @, tab, return first) gets a
    leading single quote, so Excel or Sheets shows it as plain text."""
    texts = texts.fillna("").astype(str)
    return texts.where(~texts.str.startswith(FORMULA_STARTS), "'" + texts)


def usd_text(quota: pd.Series) -> pd.Series:
    """`money.csv_usd` of a whole column at once ("0.044626"; 1 quota = $0.000002), blank
    where the store has no amount yet. Computed in integers: 100,000 rows take
    milliseconds, where a Decimal each takes a second."""
    known = quota.notna().to_numpy()
    if 10**6 % QUOTA_PER_USD:  # a price list whose quota is not a whole millionth
        texts = [csv_usd(int(q)) if ok else "" for q, ok in zip(quota, known, strict=True)]
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
            "kit": rows["kit_name"],
            "model": rows["model"],
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
    for name in (
        "id",
        "person",
        "campaign",
        "kit",
        "model",
        "mode",
        "resolution",
        "status",
        "prompt",
    ):
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
    models: Iterable[str] = (),
) -> bytes:
    """The CSV of the tasks the page shows (one more query, with the prompts)."""
    frame = task_frame(store, ledger=True, start=start, end=end)
    return ledger_csv(filter_tasks(frame, start, end, people, campaigns, models))


def csv_file_name(start: date | None, end: date | None) -> str:
    first = start.isoformat() if start else "start"
    last = end.isoformat() if end else "today"
    return f"imagine-studio-costs-{first}-to-{last}.csv"
