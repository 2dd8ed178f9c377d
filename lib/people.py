"""Who is using the studio: Streamlit login when configured, else a trusted header from a
single-sign-on proxy, else the name the person types in the sidebar (kept in the URL so
that a refresh or a bookmark keeps it)."""

from __future__ import annotations

import streamlit as st

from lib.history import escape_markdown
from lib.studio import current
from lib.text_fields import PERSON, fit

NAME_KEY = "who"  # the sidebar field, bound to ?who=... in the address
MAX_NAME = PERSON.max_length


def clean_name(value: str | None) -> str:
    """A display name, cleaned as every text field is (lib/text_fields.py: one line, no
    control or direction-override characters) and cut to the column's 120 characters."""
    return fit(PERSON, value)


def signed_in_name() -> str | None:
    """The name from Streamlit login or the SSO proxy header; None if neither is set up."""
    try:
        if st.user.is_logged_in:
            return clean_name(st.user.get("name") or st.user.get("email")) or None
    except Exception:  # login not configured: st.user has nothing to say
        pass
    header = current().config.trusted_user_header
    if header:
        return clean_name(st.context.headers.get(header)) or None
    return None


def current_person() -> str | None:
    """Who is acting now, or None when nobody has said."""
    return signed_in_name() or clean_name(st.session_state.get(NAME_KEY)) or None


def person_field() -> None:
    """The sidebar field where a person without a login says who they are."""
    name = signed_in_name()
    if name:
        # The name comes from outside (login, SSO): its characters show as typed.
        st.sidebar.markdown(f"Signed in as **{escape_markdown(name)}**")
        return
    st.sidebar.text_input(
        "Your name",
        key=NAME_KEY,
        bind="query-params",
        max_chars=MAX_NAME,
        placeholder="e.g. Ana Lopez",
        help="Shown on your videos and in the spending report.",
    )
