"""The sidebar's facts: which service makes the videos, the balance, this month's spend."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import streamlit as st

from lib.pricing import format_usd, quota_to_usd
from lib.studio import current
from lib.wave import Balance, WaveError


@st.cache_data(ttl=60, show_spinner=False)
def account_balance(base_url: str) -> Balance | None:
    """The balance of the service at `base_url`, asked at most once a minute for all
    sessions together."""
    try:
        return current().client.balance()
    except WaveError:
        return None


def month_spend_usd(now: datetime | None = None) -> Decimal:
    now = now or datetime.now(UTC)
    start = now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    return quota_to_usd(current().store.spent_quota_since(start))


def sidebar_status() -> None:
    studio = current()
    st.caption(f"Videos made by: **{studio.config.backend_label}**")
    balance = account_balance(studio.config.wave_base_url)
    if balance is not None:
        st.metric("Account balance", f"${balance.total_available_usd:,.2f}")
    st.metric(
        "Spent this month",
        format_usd(month_spend_usd()),
        help="Videos made this month, plus those still being made. Failed ones cost nothing.",
    )
