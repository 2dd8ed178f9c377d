"""Costs: what the team's videos cost, per day, person, campaign, model and format."""

from functools import partial

import streamlit as st

from lib.costs import approved, export, filters, frames, keys
from lib.domain import money
from lib.domain.catalog import display_name
from lib.engine.runtime import current
from lib.ui import cached

store = current().store


def money_column(label: str, help: str) -> st.column_config.NumberColumn:
    return st.column_config.NumberColumn(label, help=help, format=money.TABLE_FORMAT)


COLUMNS = {
    "Day": st.column_config.DateColumn("Day", format="YYYY-MM-DD", help="UTC day"),
    "Videos": st.column_config.NumberColumn("Videos", format="%d"),
    "Seconds": st.column_config.NumberColumn("Seconds", format="%d s", help="Video length"),
    "Settled": money_column("Settled", "Final charges for finished videos"),
    "Pending": money_column("Pending", "Held for videos still being made"),
    "Refunded": money_column("Refunded", "Held money given back"),
    "Spend": money_column("Spend", "Settled plus pending"),
}


def per_approved_video(start, end) -> None:
    """Issue 17: what each approved video really cost, per campaign, in this period."""
    st.dataframe(
        approved.table(approved.per_approved(store, start, end)),
        hide_index=True,
        key="costs.approved",
        column_config={
            "Spend": money_column("Spend", "All takes: failed, rejected and unreviewed too"),
            "Per approved video": money_column(
                "Per approved video", "The campaign's spend divided by its approved videos"
            ),
        },
    )
    st.caption(
        "Per campaign, for the period chosen above: the spend of every take (failed, "
        "rejected and not yet reviewed ones too) divided by the videos approved."
    )


def show_table(table) -> None:
    st.dataframe(frames.dollar_table(table), hide_index=True, column_config=COLUMNS)


st.title("Costs")
st.caption(
    "What your team's videos cost: final charges, money held for videos still being made, "
    "and money given back. Dates are in UTC."
)

everything = cached.overview(store)
if everything.videos == 0:
    st.info(
        "No videos yet, so nothing has been spent. Costs show up here as soon as the first "
        "video is on its way.",
        icon=":material/savings:",
    )
    st.page_link("views/create.py", label="Make a video", icon=":material/movie:")
else:
    # The period on a row of its own: in a column beside the filters, a laptop screen
    # (1280 px) cut its last choices off.
    today = filters.utc_today()
    period = st.segmented_control(
        "Period", filters.PERIODS, default=filters.THIS_MONTH, required=True, key=keys.PERIOD
    )
    period = period or filters.THIS_MONTH
    custom = period == filters.CUSTOM
    *dates_col, people_col, campaign_col, model_col = st.columns(4 if custom else 3)
    if custom:
        picked = dates_col[0].date_input(
            "From – to (UTC)",
            value=(today.replace(day=1), today),
            format="YYYY-MM-DD",
            key=keys.DATES,
        )
        start, end = filters.picked_range(picked)
    else:
        start, end = filters.period_range(period, today)
    people = people_col.multiselect(
        "People", everything.people, placeholder="Everyone", key=keys.PEOPLE
    )
    campaigns = campaign_col.multiselect(
        "Campaigns", everything.campaigns, placeholder="All campaigns", key=keys.CAMPAIGNS
    )

    models = model_col.multiselect(
        "Models",
        everything.models,
        format_func=display_name,
        placeholder="All models",
        key=keys.MODELS,
    )

    found = cached.report(store, start, end, people, campaigns, everything.version, models)
    total = found.totals
    cards = st.columns(5)
    explained = (
        ("Spend", total.spend_usd, "Settled plus pending."),
        (
            "Settled",
            total.settled_usd,
            "Final charges for videos that finished. Failed or cancelled videos cost nothing.",
        ),
        (
            "Pending",
            total.pending_usd,
            "Held for videos still being made: it becomes a final charge when they finish, "
            "or comes back if they fail.",
        ),
        (
            "Refunded",
            total.refunded_usd,
            "Money held at the start and given back, e.g. for videos that failed or were "
            "cancelled.",
        ),
    )
    for card, (label, amount, meaning) in zip(cards, explained, strict=False):
        card.metric(
            label,
            money.usd_label(amount),
            help=f"{meaning} Exactly {money.usd_exact(amount)}.",
            border=True,
        )
    cards[4].metric("Videos", f"{total.videos:,}", help="Videos the service accepted.", border=True)

    if total.videos == 0:
        st.info("No videos in this period. Try a longer period or clear the filters.")
    else:
        st.subheader("Spend per day")
        st.bar_chart(
            found.daily,
            x="Day",
            y=["Settled", "Pending"],
            y_label="US dollars",
            x_label="Day (UTC)",
            color=["#2e7d32", "#f9a825"],
            stack=True,
        )
        by_day, by_person, by_campaign, by_model, by_format, by_approved = st.tabs(
            [
                "Per day",
                "Per person",
                "Per campaign",
                "Per model",
                "Per resolution & length",
                "Per approved video",
            ]
        )
        with by_day:
            show_table(found.per_day)
        with by_person:
            show_table(found.per_person)
        with by_campaign:
            show_table(found.per_campaign)
        with by_model:
            show_table(found.per_model)
        with by_format:
            show_table(found.per_format)
        with by_approved:
            per_approved_video(start, end)
        st.caption(
            "The video service charges in whole quota units: 500,000 quota = $1, so a 10 s "
            "video is 37,188 quota = $0.074376. Amounts here are rounded to 4 decimals "
            "($0.0744); the totals above add up the exact amounts, so a column can differ "
            "from its total in the last digit. The CSV has the exact amounts, in dollars "
            "and in quota. Only videos the service accepted are counted."
        )

    st.download_button(
        "Download the ledger (CSV)",
        # Made only when clicked (a big period makes a big file), for exactly this view.
        data=partial(
            export.ledger_csv_for,
            store,
            start,
            end,
            tuple(people),
            tuple(campaigns),
            tuple(models),
        ),
        file_name=export.csv_file_name(start, end),
        mime="text/csv",
        on_click="ignore",
        icon=":material/download:",
        help=(
            "One row per video in this period, with exact amounts in dollars and in quota: "
            "the service charges whole quota units, 500,000 quota = $1 (the quota_per_usd "
            "column)."
        ),
        disabled=total.videos == 0,
    )
