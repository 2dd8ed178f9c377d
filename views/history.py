"""History: every video, newest first, as a gallery of cards that update while they are
made. The queries, the words and the actions live in lib/history/."""

from __future__ import annotations

import streamlit as st

from lib.domain import urls
from lib.domain.markdown import escape_markdown
from lib.domain.statuses import shown_state
from lib.engine.runtime import current
from lib.history import actions, keys, player, queries
from lib.history import progress as flight
from lib.history import words as card_words
from lib.history.queries import EVERYONE
from lib.store.schema import Task
from lib.ui import live_progress
from lib.ui.identity import current_actor, current_person
from lib.ui.navigation import go_to
from lib.ui.share import share_button

studio = current()
store = studio.store
actor = current_actor()  # once per run: every card asks whether its buttons show
state = st.session_state
timezone = st.context.timezone


def notify(message: str, ok: bool) -> None:
    state[keys.NOTICE] = (str(message), ok)
    st.rerun()


def card(task: Task, progress: flight.Progress | None, address: str) -> None:
    with st.container(border=True, key=keys.card(task.id)):
        if player.playable(task):
            st.html(player.player_html(task))
        else:
            st.html(player.placeholder_html(task))
        if progress:
            live_progress.live_bar(task.id, shown_state(task.status, task.archive_state), progress)
            if progress.estimated:
                st.caption(flight.ESTIMATED_NOTE)
        else:
            st.markdown(f"**{card_words.status_words(task)}**")
        problem = card_words.problem_of(task)
        if problem:
            st.warning(problem.text, icon=":material/info:")
            if problem.detail:
                st.caption(f"{problem.detail_from}: {escape_markdown(problem.detail)}")
        shown, cut = card_words.prompt_preview(task)
        st.text(shown or "(no prompt)")
        if cut:
            with st.expander("Full prompt"):
                st.text(task.prompt)
        st.caption(card_words.settings_line(task))
        st.caption(card_words.byline(task, timezone))
        st.caption(card_words.money_line(task))
        card_actions(task, address)


def card_actions(task: Task, address: str) -> None:
    with st.container(horizontal=True, vertical_alignment="center"):
        if player.playable(task):
            st.html(player.download_html(task), width="content")
        share_button(urls.share_link(address, task.id), key=keys.share(task.id))
        if st.button("Use these settings", key=keys.reuse(task.id), type="tertiary"):
            actions.use_settings(state, task, studio)
            go_to("views/create.py")
        mine = actions.may_act(actor, task)  # a hint: the actions check again
        if mine and actions.can_cancel(task) and st.button("Cancel", key=keys.cancel(task.id)):
            message = actions.cancel_task(studio, task.id, current_actor())
            notify(message, message.ok)
        if mine and actions.can_retry(task) and st.button("Try again", key=keys.retry(task.id)):
            retry = actions.retry_task(studio, task.id, current_actor())
            if retry.task is not None and urls.TASK_PARAM in st.query_params:
                st.query_params[urls.TASK_PARAM] = retry.task.id  # follow the new video
            notify(retry.message, retry.task is not None)


def gallery(tasks: list[Task], columns: int = queries.COLUMNS) -> None:
    """The cards, a row at a time; each card still changing is live (`live_card`)."""
    progress = flight.progress_for(store, tasks, studio.tracker.reports_steps)
    address = urls.studio_address(st.context.url, studio.config.public_url)
    for start in range(0, len(tasks), columns):
        row = tasks[start : start + columns]
        for column, task in zip(st.columns(columns), row, strict=False):
            with column:
                if flight.in_flight(task):
                    live_card(task, progress.get(task.id), address)
                else:
                    card(task, progress.get(task.id), address)


def live_card(task: Task, progress: flight.Progress | None, address: str) -> None:
    """A card whose video is still changing, in its own fragment: its bar moves in the
    page (lib/ui/live_progress.py), which reruns this card alone when the video changes
    state; the rest of the page (filters, paging, other cards) is not run again."""
    live = queries.LiveTasks(store, [task])

    @st.fragment
    def one_card() -> None:
        first = live.first
        fresh = live.read()
        if not fresh:
            return  # gone from the store (a submit the service refused outright)
        bar = progress
        if not first:
            if flight.money_moved([task], fresh):
                st.rerun(scope="app")  # the sidebar's balance and spend change too
            bar = flight.progress_for(store, fresh, studio.tracker.reports_steps).get(task.id)
        card(fresh[0], bar, address)

    one_card()


def reset_page() -> None:
    state[urls.PAGE_PARAM] = 1


def filters() -> queries.Filters:
    me = current_person()
    left, middle, right, search = st.columns([2, 2, 2, 3], vertical_alignment="bottom")
    words = left.multiselect(
        "Status",
        list(queries.STATUS_CHOICES),
        key=keys.STATUS,
        placeholder="Any status",
        on_change=reset_page,
    )
    campaign = middle.selectbox(
        "Campaign",
        [EVERYONE, *store.campaigns()],
        key=keys.CAMPAIGN,
        format_func=card_words.campaign_choice,
        on_change=reset_page,
    )
    with right:
        mine = st.toggle(
            "Only mine",
            key=keys.MINE,
            on_change=reset_page,
            disabled=not me,
            help="Your name is set in the sidebar." if me else "Enter your name in the sidebar.",
        )
        person = st.selectbox(
            "Person",
            [EVERYONE, *store.people()],
            key=keys.PERSON,
            format_func=card_words.person_choice,
            on_change=reset_page,
            disabled=bool(mine and me),
            label_visibility="collapsed",
        )
    text = search.text_input(
        "Search the prompts",
        key=keys.SEARCH,
        placeholder="e.g. sunset",
        icon=":material/search:",
        on_change=reset_page,
    )
    return queries.filters_from_widgets(words, campaign, person, mine, me, text)


def show_all() -> None:
    chosen = filters()
    total = queries.count_tasks(store, chosen)
    if total == 0:
        if chosen.active:
            st.info("No videos match these filters. Try fewer filters or other words.")
        else:
            st.info(
                "No videos yet. Make your first one: it appears here while it is being made.",
                icon=":material/movie:",
            )
            st.page_link("views/create.py", label="Create a video", icon=":material/movie:")
        return
    pages = queries.page_count(total)
    summary = st.empty()
    shown = st.container()
    page = 1
    if pages > 1:
        asked = st.pagination(pages, key=urls.PAGE_PARAM, bind="query-params", max_visible_pages=7)
        page = queries.shown_page(asked, pages)
    tasks = queries.page_of_tasks(store, chosen, page)
    summary.caption(card_words.showing_words(page, pages, len(tasks), total))
    with shown:
        gallery(tasks)


def show_one(task_id: str) -> None:
    """A deep link (?task=<id>): that video alone, with the way back to all of them."""
    if st.button("Show all videos", icon=":material/arrow_back:"):
        del st.query_params[urls.TASK_PARAM]
        st.rerun()
    task = queries.find_task(store, task_id)
    if task is None:
        st.warning(
            "We couldn't find that video. The link may be incomplete, or it was made in "
            "another studio.",
            icon=":material/search_off:",
        )
        return
    left, _ = st.columns([1, 1])
    with left:
        gallery([task], columns=1)


st.title("History")
notice = state.pop(keys.NOTICE, None)
if notice:
    st.toast(notice[0], icon="✅" if notice[1] else "ℹ️")

linked = st.query_params.get(urls.TASK_PARAM)
if linked:
    show_one(linked)
else:
    show_all()
