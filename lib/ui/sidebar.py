"""What every page shares: the demo-mode notice at the top, and the sidebar's facts (the
service, the balance, this month's spend), current after every change of money."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import streamlit as st

from lib.costs.loading import store_version
from lib.domain.money import balance_label, format_usd, quota_to_usd
from lib.engine.runtime import current
from lib.wave import Balance, WaveError

DEMO_NOTICE = "Demo mode: practice videos made on this computer, no cost"


@st.cache_data(ttl=60, show_spinner=False)
def account_balance(base_url: str, money_version: tuple[Any, ...]) -> Balance | None:
    """The balance of the service at `base_url`, asked again when money moved in the
    store (`money_version`: a video accepted, charged, refunded or cancelled) and at most
    once a minute otherwise, for all sessions together."""
    try:
        return current().client.balance()
    except WaveError:
        return None


def month_spend_usd(now: datetime | None = None) -> Decimal:
    now = now or datetime.now(UTC)
    start = now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    return quota_to_usd(current().store.spent_quota_since(start))


def demo_notice() -> None:
    """At the top of every page in demo mode: nobody should take practice for real."""
    if current().config.uses_embedded:
        st.info(
            f"**{DEMO_NOTICE}.** To make real videos, start the studio with a Wave API key.",
            icon=":material/science:",
        )


def sidebar_status() -> None:
    studio = current()
    if not studio.config.uses_embedded:
        st.caption(f"Videos made by: **{studio.config.backend_label}**")
    # The fingerprint is kept until this process writes (lib/store/memo.py): four counts
    # at every run of every page otherwise.
    store = studio.store
    money = store.memo.get("store version", lambda: store_version(store))
    balance = account_balance(studio.config.wave_base_url, money)
    if balance is not None:
        st.metric("Account balance", balance_label(balance.total_available_usd))
    st.metric(
        "Spent this month",
        format_usd(month_spend_usd()),
        help="Videos made this month, plus those still being made. Failed ones cost nothing.",
    )
