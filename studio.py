"""The studio's shell: navigation, and the sidebar every page shares."""

import streamlit as st

from lib.domain import urls
from lib.ui.identity import person_field
from lib.ui.sidebar import demo_notice, sidebar_status

st.set_page_config(page_title="Imagine Studio", page_icon="🎬", layout="wide")

pages = [
    st.Page("pages/create.py", title="Create", icon=":material/movie:", default=True),
    st.Page(
        "pages/history.py",
        title="History",
        icon=":material/video_library:",
        url_path=urls.HISTORY_PAGE,
    ),
    st.Page("pages/costs.py", title="Costs", icon=":material/payments:", url_path=urls.COSTS_PAGE),
]
page = st.navigation(pages)
with st.sidebar:
    person_field()
    sidebar_status()
demo_notice()
page.run()
