"""Making review links for guests, and the sharer's list of them (openings, last opened,
withdraw), for History (a selection, a campaign) and a video's own page (issue 17). The
rules are in lib/review/links.py; the link is shown once, right after it is made."""

from __future__ import annotations

from collections.abc import Sequence

import streamlit as st

from lib.domain import urls
from lib.engine.runtime import current
from lib.history.reviewing import link_rows
from lib.review import links
from lib.ui.identity import current_actor

# The link just made, in this session only (the store keeps its hash): until the next.
MADE = "review_links.made"
SAID = "review_links.said"


def link_maker(scope: str, key: str, task_ids: Sequence[str] = (), campaign: str = "") -> None:
    """The options and the "Make a review link" button for what is chosen."""
    actor = current_actor()
    if actor is None or not actor.can_spend:
        return
    with st.container(horizontal=True, vertical_alignment="bottom"):
        comments = st.checkbox("Guests may comment", True, key=f"{key}.comments")
        approval = (
            st.checkbox("Guests may approve", False, key=f"{key}.approval")
            if actor.is_admin
            else False
        )
        prompts = st.checkbox("Show the prompts", False, key=f"{key}.prompts")
        days = st.number_input(
            "Days open", 1, links.MAX_DAYS, links.DEFAULT_DAYS, key=f"{key}.days"
        )
        if st.button("Make a review link", key=f"{key}.make"):
            made = links.make_link(
                current().store,
                current_actor(),
                scope,
                task_ids=task_ids,
                campaign=campaign,
                allow_comments=comments,
                allow_approval=approval,
                show_prompts=prompts,
                days=int(days),
            )
            if made.token is None:
                st.warning(made.message)
            else:
                address = urls.studio_address(st.context.url, current().config.public_url)
                st.session_state[MADE] = (key, urls.review_link(address, made.token))
    shown = st.session_state.get(MADE)
    shown = shown[1] if shown and shown[0] == key else None  # in the maker that made it
    if shown:
        st.success("Review link made. Copy it now: it is shown only once.")
        st.code(shown, language=None)


def links_panel(timezone: str | None) -> None:
    """The review links this person made (an admin: everyone's), and withdrawing one."""
    actor = current_actor()
    if actor is None or not actor.can_spend:
        return
    said = st.session_state.pop(SAID, None)
    if said:
        st.toast(said)
    store = current().store
    made = store.review_links(None if actor.is_admin else actor.account_id)
    if not made:
        st.caption("No review links yet: tick videos and make one from the selection.")
        return
    st.dataframe(link_rows(made, timezone), hide_index=True, key="review_links.table")
    open_ones = {
        f"{link.title} (made by {link.created_by_name})": link.id
        for link in made
        if link.revoked_at is None
    }
    if open_ones:
        with st.container(horizontal=True, vertical_alignment="bottom"):
            chosen = st.selectbox("Withdraw a link", list(open_ones), key="review_links.pick")
            if st.button("Withdraw", key="review_links.revoke"):
                st.session_state[SAID] = links.revoke_link(
                    store, current_actor(), open_ones[chosen]
                )
                st.rerun()  # the table above shows it withdrawn
