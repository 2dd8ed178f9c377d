"""Ready for the first visit after a (re)start: the work a first page run would otherwise
do while someone waits, done in the background as the server starts (app.py's lifespan).

- Import what the pages use but the server does not load at start: pandas and Arrow (the
  Costs numbers, st.dataframe) and Altair (st.bar_chart imports it on first use).
- Streamlit's one-time emoji pattern (the page icon) and the modules the shell and
  History import on their first run.
- Streamlit's one-time check on the first element a process draws, which walks the stack
  and reads source files. In a server started by `streamlit run` it only decides that no
  "use streamlit run" warning is needed.
- History's first queries, once (SQLAlchemy compiles a statement on its first use).
- The Costs page's settled past and first view (`lib.ui.cached.first_costs_view`); then
  its chart once, off screen: Altair compiles its patterns and loads its schema on the
  first chart a process draws.
- Then (the server only, `start_warm_up`): what start-up made is set aside from Python's
  full garbage collections (`settle_the_heap`).

What each of these saves the first visit is in bench/README.md (bench/page_render.py).

Nothing here changes what a page shows: a page that runs before the warm-up is done does
the same work itself (and the Costs data waits for the load in progress rather than
repeating it).
"""

from __future__ import annotations

import gc
import importlib
import logging
import threading
import time

from lib.store.tasks import Store

log = logging.getLogger(__name__)

# The pages' logic: Costs (pandas with it) and History.
MODULES = (
    "pandas",
    "pyarrow",
    "altair",
    "lib.ui.cached",
    "lib.costs.export",
    "lib.history.actions",
    "lib.history.player",
    # What the shell and History import on a first run (issue 15: History's first render).
    "lib.history.batches",
    "lib.history.compare",
    "lib.history.keys",
    "lib.history.restyle",
    "lib.history.reviewing",
    "lib.history.words",
    "lib.create.submit",
    "lib.review.hiding",
    "lib.review.states",
    "lib.ui.gate",
    "lib.ui.live_progress",
    "lib.ui.navigation",
    "lib.ui.restyle",
    "lib.ui.review_links",
    "lib.ui.share",
    "lib.ui.sidebar",
    # The list of Material icon names, read when a page first draws an icon.
    "streamlit.material_icon_names",
)
PAGE_ICON = "🎬"  # studio.py's st.set_page_config(page_icon=...)


def warm_up(store: Store) -> float:
    """Do it all now, in this thread. -> seconds taken."""
    started = time.perf_counter()
    for name in MODULES:
        importlib.import_module(name)
    _first_element_check()
    _page_icon_check()
    from lib.history import queries as history
    from lib.ui import cached

    history.first_queries(store)
    first_view = cached.first_costs_view(store)
    _first_chart(first_view.daily)
    return time.perf_counter() - started


def start_warm_up(store: Store) -> threading.Thread:
    """Warm up in a background thread (never fails the server: on error the pages just
    do the work themselves)."""
    thread = threading.Thread(target=_warm_up_quietly, args=(store,), name="warm-up", daemon=True)
    thread.start()
    return thread


def _warm_up_quietly(store: Store) -> None:
    try:
        log.info("warm-up done in %.2f s", warm_up(store))
    except Exception:
        log.exception("warm-up failed; the first page visits will do this work instead")
    settle_the_heap()


def settle_the_heap() -> int:
    """Set aside what start-up made (modules, classes, caches: it lives as long as the
    process) from Python's full garbage collections, which otherwise walk all of it
    again: one paused a History run 0.13-0.19 s, 0.07 s once set aside (about one run in
    twenty has one; bench/history_on_postgres.py prints them). Garbage is collected
    first, so nothing dead is kept; what is made later is collected as usual.
    -> the objects set aside."""
    gc.collect()
    gc.freeze()
    return gc.get_freeze_count()


def _first_chart(daily) -> None:
    """The Costs chart's kind (stacked bars of dollars per day), built and validated by
    Altair as st.bar_chart does, and thrown away."""
    import altair as alt

    melted = daily.melt("Day", var_name="Kind", value_name="Dollars")
    chart = alt.Chart(melted).mark_bar()
    chart.encode(x="Day:T", y="sum(Dollars):Q", color="Kind:N").to_dict(validate=True)


def _page_icon_check() -> None:
    # st.set_page_config asks whether the page's icon is an emoji: the first time in a
    # process, Streamlit imports its list of every emoji and compiles one pattern of them
    # all (a tenth of a second or more, paid by the first page run otherwise).
    from streamlit.string_util import is_emoji

    is_emoji(PAGE_ICON)


def _first_element_check() -> None:
    # A private Streamlit function, called once per process before the first element is
    # drawn (it sets a flag so that it never runs again); if a release renames it, the
    # first page run simply pays for it as before.
    from streamlit import delta_generator

    check = getattr(delta_generator, "_maybe_print_use_warning", None)
    if check is not None:
        check()
