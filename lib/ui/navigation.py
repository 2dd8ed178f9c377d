"""Moving between the studio's pages from Python."""

from __future__ import annotations

from typing import NoReturn

import streamlit as st


def go_to(page: str, **query_params: str) -> NoReturn:
    """Open `page` with exactly these query parameters (none by default).

    Plain `st.switch_page(page)` clears the address, and refuses (a red error box) when
    a widget is bound to it, like History's `?page=`. Handing it the new parameters
    replaces the old ones whatever is bound: a bound widget of the page left behind
    has nothing to keep there."""
    st.switch_page(page, query_params=query_params)
