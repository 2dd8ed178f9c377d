"""The studio's shell: navigation, and the sidebar every page shares.

The pages live in views/, not pages/: beside the main script, a folder called pages/
puts Streamlit (and AppTest) in its old folder-of-pages mode until st.navigation has
run once, so the first visit after a restart to a link to /history ran that page alone,
without this shell (and the server stayed in that mode)."""

import streamlit as st

from lib.domain import urls
from lib.ui.gate import gate
from lib.ui.identity import identity, person_field
from lib.ui.sidebar import demo_notice, sidebar_status

st.set_page_config(page_title="Imagine Studio", page_icon="🎬", layout="wide")
who = identity()
if gate(who):  # nobody may use the studio yet: the sign-in or operator's page instead
    st.stop()

pages = [
    st.Page("views/create.py", title="Create", icon=":material/movie:", default=True),
    st.Page(
        "views/history.py",
        title="History",
        icon=":material/video_library:",
        url_path=urls.HISTORY_PAGE,
    ),
    st.Page("views/costs.py", title="Costs", icon=":material/payments:", url_path=urls.COSTS_PAGE),
    # Issue 17: one video's own page, reached from its card (never in the menu).
    st.Page(
        "views/video.py",
        title="Video",
        icon=":material/smart_display:",
        url_path=urls.VIDEO_PAGE,
        visibility="hidden",
    ),
    st.Page(
        "views/compare.py",
        title="Compare",
        icon=":material/compare:",
        url_path=urls.COMPARE_PAGE,
        visibility="hidden",
    ),
    # Issue 18: the shared recipes, and brand kits (made by admins, listed for them).
    st.Page(
        "views/recipes.py",
        title="Recipes",
        icon=":material/menu_book:",
        url_path=urls.RECIPES_PAGE,
    ),
    st.Page(
        "views/kits.py",
        title="Brand kits",
        icon=":material/style:",
        url_path=urls.KITS_PAGE,
        visibility="visible" if who.actor and who.actor.is_admin else "hidden",
    ),
    # Listed for admins; others who open its address are refused there (and logged).
    st.Page(
        "views/admin.py",
        title="Admin",
        icon=":material/admin_panel_settings:",
        url_path=urls.ADMIN_PAGE,
        visibility="visible" if who.actor and who.actor.is_admin else "hidden",
    ),
]
page = st.navigation(pages)
with st.sidebar:
    person_field()
    sidebar_status()
demo_notice()
page.run()
