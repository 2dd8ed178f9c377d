"""The studio's shell: navigation, and the sidebar every page shares.

The pages live in views/, not pages/: beside the main script, a folder called pages/
puts Streamlit (and AppTest) in its old folder-of-pages mode until st.navigation has
run once, so the first visit after a restart to a link to /history ran that page alone,
without this shell (and the server stayed in that mode)."""

import streamlit as st

from lib.domain import urls
from lib.ui.identity import person_field
from lib.ui.sidebar import demo_notice, sidebar_status

st.set_page_config(page_title="Imagine Studio", page_icon="🎬", layout="wide")

pages = [
    st.Page("views/create.py", title="Create", icon=":material/movie:", default=True),
    st.Page(
        "views/history.py",
        title="History",
        icon=":material/video_library:",
        url_path=urls.HISTORY_PAGE,
    ),
    st.Page("views/costs.py", title="Costs", icon=":material/payments:", url_path=urls.COSTS_PAGE),
]
page = st.navigation(pages)
with st.sidebar:
    person_field()
    sidebar_status()
demo_notice()
page.run()
