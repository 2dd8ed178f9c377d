"""Who is using the studio: Streamlit login when configured, else a trusted header from a
single-sign-on proxy, else the name the person types in the sidebar.

A typed name is remembered by the browser (a cookie the page writes, read back when a
new tab or a bookmark opens the studio), never by the address: a link someone shares
must not make its reader that person, nor bill their videos to the sender. An old
link's `?who=` is ignored and taken out of the address.
"""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import unquote

import streamlit as st

from lib.domain.markdown import escape_markdown
from lib.domain.text_fields import PERSON, fit
from lib.engine.runtime import current

NAME_KEY = "who"  # the sidebar field's session key (not in the address: see above)
OLD_LINK_PARAM = "who"  # where links made before issue 11 carried the name
MAX_NAME = PERSON.max_length
COOKIE = "imagine_studio_name"
COOKIE_DAYS = 400  # the longest a browser keeps a cookie (Chrome's cap)
_KEPT = "people.name"  # the field's value, kept where Streamlit does not drop it

# Writes (or, for an empty name, removes) the cookie in the page itself: the server
# only reads cookies, when a tab opens. SameSite=Lax: sent when someone follows a link
# to the studio, never with another site's requests.
_JS = """
export default function ({ data }) {
  const secure = location.protocol === "https:" ? "; Secure" : "";
  const value = data.name ? encodeURIComponent(data.name) : "";
  const age = data.name ? data.max_age : 0;
  document.cookie =
    `${data.cookie}=${value}; Max-Age=${age}; Path=/; SameSite=Lax${secure}`;
}
"""

_cookie_writer = st.components.v2.component("imagine_studio.remember_name", js=_JS)


def clean_name(value: str | None) -> str:
    """A display name, cleaned as every text field is (lib/domain/text_fields.py: one line, no
    control or direction-override characters) and cut to the column's 120 characters."""
    return fit(PERSON, value)


def remembered_name(cookies: Mapping[str, str]) -> str:
    """The name this browser remembered, from its cookies ("" when none)."""
    try:
        return clean_name(unquote(cookies.get(COOKIE) or ""))
    except (TypeError, ValueError):
        return ""


def browser_cookies() -> Mapping[str, str]:
    """The cookies the browser sent when this tab opened."""
    return st.context.cookies


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
    if OLD_LINK_PARAM in st.query_params:
        del st.query_params[OLD_LINK_PARAM]  # a name in a link sets nobody
    name = signed_in_name()
    if name:
        # The name comes from outside (login, SSO): its characters show as typed.
        st.sidebar.markdown(f"Signed in as **{escape_markdown(name)}**")
        return
    state = st.session_state
    if NAME_KEY not in state:
        # A new tab (the browser may remember who this is), or a page switch from a
        # button, after which Streamlit forgets every widget's value: the name is kept.
        kept = state.get(_KEPT)
        state[NAME_KEY] = remembered_name(browser_cookies()) if kept is None else kept
    st.sidebar.text_input(
        "Your name",
        key=NAME_KEY,
        max_chars=MAX_NAME,
        placeholder="e.g. Ana Lopez",
        help="Shown on your videos and in the spending report. This browser remembers it.",
    )
    state[_KEPT] = state[NAME_KEY]
    with st.sidebar:
        _cookie_writer(
            key="remember-name",
            data={
                "cookie": COOKIE,
                "name": clean_name(state.get(NAME_KEY)),
                "max_age": COOKIE_DAYS * 24 * 3600,
            },
            height=0,
        )
