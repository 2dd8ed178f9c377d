"""History: every video, newest first, as a gallery of cards that update while they are
made. The queries, the words and the actions live in lib/history/."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import streamlit as st

from lib.domain import urls
from lib.domain.markdown import escape_markdown
from lib.domain.restyle import MODE as RESTYLE
from lib.domain.statuses import shown_state
from lib.engine.runtime import current
from lib.history import actions, batches, keys, player, queries, restyle, reviewing
from lib.history import progress as flight
from lib.history import words as card_words
from lib.history.queries import EVERYONE
from lib.review import hiding
from lib.review.states import change_review
from lib.store.schema import Review, Task
from lib.ui import live_progress
from lib.ui.identity import current_actor, current_person
from lib.ui.navigation import go_to
from lib.ui.restyle import restyle_form
from lib.ui.review_links import link_maker, links_panel
from lib.ui.share import share_button

studio = current()
store = studio.store
actor = current_actor()  # once per run: every card asks whether its buttons show
state = st.session_state
timezone = st.context.timezone


def notify(message: str, ok: bool) -> None:
    state[keys.NOTICE] = (str(message), ok)
    st.rerun()


def card(
    task: Task,
    progress: flight.Progress | None,
    address: str,
    review: Review | None = None,
    comments: int = 0,
    favourite: bool = False,
) -> None:
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
        card_review(task, review, comments, favourite)
        card_hiding(task)
        card_actions(task, address)


SELECTION_CHANGED = "history.selection_changed"


def selection_changed() -> None:
    state[SELECTION_CHANGED] = True


def card_review(task: Task, review: Review | None, comments: int, favourite: bool) -> None:
    """Issue 17: the review line, its reason, the video's own page with its comment
    count, "Send to review" and "Select"."""
    line = reviewing.review_line(task, review, timezone)
    if line is None:
        return
    st.markdown(line)
    st.page_link(
        "views/video.py",
        label=reviewing.open_words(comments),
        icon=":material/forum:",
        query_params={urls.VIDEO_PARAM: task.id},
    )
    if review is not None and review.reason:
        st.text(review.reason)
    with st.container(horizontal=True, vertical_alignment="center"):
        if reviewing.can_send(actor, task, review) and st.button(
            "Send to review", key=f"send-{task.id}"
        ):
            outcome = change_review(store, current_actor(), [task.id], "in_review")
            notify(outcome.message, outcome.ok)
        st.checkbox("Select", key=reviewing.select_key(task.id), on_change=selection_changed)
        if state.pop(SELECTION_CHANGED, False):
            st.rerun(scope="app")  # a live gallery's fragment: the selection bar is outside it
        if actor is not None and actor.account_id is not None:
            star = ":material/star:" if favourite else ":material/star_border:"
            words = "Favourite" if favourite else "Mark as favourite"
            if st.button(words, key=f"fav-{task.id}", icon=star, type="tertiary"):
                store.set_favourite(actor.account_id, task.id, not favourite, datetime.now(UTC))
                st.rerun()


def card_hiding(task: Task) -> None:
    """Issue 17: Hide (maker or admin); on the hidden list, Restore and Delete files
    (admins, deleting after one confirmation)."""
    if not state.get("history.hidden"):
        if actions.may_act(actor, task) and st.button(
            "Hide", key=f"hide-{task.id}", icon=":material/visibility_off:", type="tertiary"
        ):
            notify(*hiding.hide_video(store, current_actor(), task.id))
        return
    with st.container(horizontal=True):
        if st.button("Restore", key=f"restore-{task.id}"):
            notify(*hiding.restore_video(store, current_actor(), task.id))
        if task.video_file and st.button("Delete files", key=f"delete-{task.id}"):
            state["history.deleting"] = task.id
    if state.get("history.deleting") == task.id:
        st.warning("Delete this video's files for good? Its record and cost stay.")
        if st.button("Yes, delete the files", key=f"delete-yes-{task.id}", type="primary"):
            state.pop("history.deleting", None)
            notify(*hiding.delete_files(store, studio.storage, current_actor(), task.id))


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
            again = restyle.retry_restyle if task.mode == RESTYLE else actions.retry_task
            retry = again(studio, task.id, current_actor())
            if retry.task is not None and urls.TASK_PARAM in st.query_params:
                st.query_params[urls.TASK_PARAM] = retry.task.id  # follow the new video
            notify(retry.message, retry.task is not None)
        card_restyle(task)


def card_restyle(task: Task) -> None:
    """Issue 18: Restyle, on a finished, saved video short enough (none on the others)."""
    chance = restyle.offer(task)
    if chance.price_quota is None or actor is None or not actor.can_spend:
        return
    # Lazy: the form is drawn only while the popover is open (24 cards, one form each,
    # would weigh on every History page).
    popover = st.popover(
        "Restyle", icon=":material/palette:", key=f"restyle-{task.id}", on_change="rerun"
    )
    if popover.open:
        with popover:
            restyle_form(studio, task, chance, notify, follow_new_video)


def follow_new_video(task_id: str) -> None:
    """A deep link (?task=<id>) follows the new video, as Try again does."""
    if urls.TASK_PARAM in st.query_params:
        st.query_params[urls.TASK_PARAM] = task_id


def gallery(tasks: list[Task], columns: int = queries.COLUMNS) -> None:
    """The cards, a row at a time; each card still changing is live (`live_card`)."""
    progress = flight.progress_for(store, tasks, studio.tracker.reports_steps)
    address = urls.studio_address(st.context.url, studio.config.public_url)
    marks = store.card_marks([t.id for t in tasks], actor.account_id if actor else None)
    reviews, counts, starred = marks.reviews, marks.comments, marks.favourites
    for start in range(0, len(tasks), columns):
        row = tasks[start : start + columns]
        for column, task in zip(st.columns(columns), row, strict=False):
            with column:
                review, comments = reviews.get(task.id), counts.get(task.id, 0)
                extra = (review, comments, task.id in starred)
                if flight.in_flight(task):
                    live_card(task, progress.get(task.id), address, *extra)
                else:
                    card(task, progress.get(task.id), address, *extra)


def live_card(
    task: Task,
    progress: flight.Progress | None,
    address: str,
    review: Review | None,
    comments: int,
    favourite: bool,
) -> None:
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
        card(fresh[0], bar, address, review, comments, favourite)

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
    chosen = queries.filters_from_widgets(words, campaign, person, mine, me, text)
    return review_filter(chosen)


def review_filter(chosen: queries.Filters) -> queries.Filters:
    """Issue 17: the review state, and this person's favourites."""
    left, right = st.columns([2, 1], vertical_alignment="bottom")
    picked = left.multiselect(
        "Review",
        list(reviewing.REVIEW_CHOICES),
        key="history.review",
        placeholder="Any review state",
        on_change=reset_page,
    )
    favourites = right.toggle(
        "Only my favourites",
        key="history.favourites",
        on_change=reset_page,
        disabled=actor is None or actor.account_id is None,
    )
    mine = actor.account_id if favourites and actor is not None else None
    hidden = bool(
        actor is not None
        and actor.is_admin
        and right.toggle("Only hidden videos", key="history.hidden", on_change=reset_page)
    )
    return replace(
        chosen, reviews=reviewing.states_from_choices(picked), favourites_of=mine, hidden=hidden
    )


def bulk_bar() -> None:
    """Issue 17: change the review state of the ticked cards, after one confirmation."""
    chosen = reviewing.selected(state)
    if not chosen:
        return
    with st.container(border=True):
        st.markdown(f"**{len(chosen)} selected**")
        with st.container(horizontal=True, vertical_alignment="bottom"):
            what = st.selectbox(
                "Change their review", list(reviewing.BULK_ACTIONS), key="bulk.what"
            )
            reason = st.text_input("Reason (needed to ask for changes)", key="bulk.reason")
            if st.button("Apply to the selection", key="bulk.apply"):
                state["bulk.pending"] = (what, reason, chosen)
            if st.button(
                "Compare",
                key="bulk.compare",
                disabled=not 2 <= len(chosen) <= 4,
                help="Two to four videos side by side, played together.",
            ):
                go_to("views/compare.py", ids=",".join(chosen))
            if st.button("Clear the selection", key="bulk.clear", type="tertiary"):
                clear_selection()
                st.rerun()
        st.link_button(
            "Download the approved ones (ZIP)",
            urls.approved_zip_path(task_ids=chosen),
            icon=":material/folder_zip:",
        )
        with st.expander("Share the selection for review"):
            link_maker("selection", "bulk.link", task_ids=chosen)
        pending = state.get("bulk.pending")
        if pending:
            what, reason, ids = pending
            st.warning(f"{what}: {len(ids)} videos. Are you sure?")
            yes, no = st.columns(2)
            if yes.button("Yes, change them", key="bulk.yes", type="primary"):
                state.pop("bulk.pending", None)
                target = reviewing.BULK_ACTIONS[what]
                outcome = change_review(store, current_actor(), ids, target, reason)
                if outcome.changed:
                    clear_selection()
                notify(outcome.message, outcome.ok)
            if no.button("No", key="bulk.no"):
                state.pop("bulk.pending", None)
                st.rerun()


def clear_selection() -> None:
    for task_id in reviewing.selected(state):
        del state[reviewing.select_key(task_id)]


def review_links_section(campaign: str | None) -> None:
    """Issue 17: the review links made, and one for the campaign chosen in the filter."""
    with st.expander("Review links for guests", icon=":material/link:"):
        if campaign:
            st.link_button(
                "Download its approved videos (ZIP)",
                urls.approved_zip_path(campaign=campaign),
                icon=":material/folder_zip:",
            )
            st.markdown(f"**A link to campaign {escape_markdown(campaign)}**")
            link_maker("campaign", "campaign.link", campaign=campaign)
        links_panel(timezone)


def show_all() -> None:
    chosen = filters()
    review_links_section(chosen.campaign)
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
    tasks = queries.page_of_tasks(store, chosen, page, found=total)
    summary.caption(card_words.showing_words(page, pages, len(tasks), total))
    with shown:
        bulk_bar()
        batch_links(tasks)
        gallery(tasks)


def show_one(task_id: str) -> None:
    """A deep link (?task=<id>): that video alone, with the way back to all of them."""
    if st.button("Show all videos", icon=":material/arrow_back:"):
        del st.query_params[urls.TASK_PARAM]
        st.rerun()
    task = queries.find_task(store, task_id)
    if task is not None and not hiding.may_see(store, actor, task.id):
        task = None  # hidden (issue 17): its maker and admins only
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


# ----- batches (issue 18: lib/history/batches.py) --------------------------------------------
def batch_links(tasks: list[Task]) -> None:
    """The batches the cards on this page belong to, each opening its takes together."""
    for batch in batches.batches_among(store, tasks):
        st.page_link(
            "views/history.py",
            label=batches.BatchSummary(batch, []).title,
            icon=":material/grid_view:",
            query_params={urls.BATCH_PARAM: batch.id},
        )


def show_batch(batch_id: str) -> None:
    """?batch=<id>: a batch's takes together, its progress, what the content rules
    blocked, Compare and Cancel the batch."""
    if st.button("Show all videos", icon=":material/arrow_back:", key="batch.back"):
        del st.query_params[urls.BATCH_PARAM]
        st.rerun()
    found = batches.summary(store, batch_id, actor)
    if found is None:
        st.warning("We couldn't find that batch.", icon=":material/search_off:")
        return
    waiting = found.changing

    @st.fragment(run_every=2 if waiting else None)
    def heading() -> None:
        now = batches.summary(store, batch_id, actor) or found
        st.subheader(now.title)
        st.markdown(f"**{now.progress_words()}**")
        st.caption(now.money_words())
        blocked = now.blocked_words()
        if blocked:
            st.warning(blocked, icon=":material/block:")
        if waiting and not now.changing:
            st.rerun(scope="app")  # every take settled: the cards and Compare follow

    heading()
    with st.container(horizontal=True):
        chosen = found.to_compare()
        if len(chosen) >= 2 and st.button("Compare", key="batch.compare"):
            go_to("views/compare.py", ids=",".join(chosen))
        mine = bool(found.takes) and actions.may_act(actor, found.takes[0])  # a hint only
        if found.still_queued and mine and st.button("Cancel the batch", key="batch.cancel"):
            said = batches.cancel_batch(studio, batch_id, current_actor())
            notify(said, said.ok)
    gallery(found.takes)


st.title("History")
notice = state.pop(keys.NOTICE, None)
if notice:
    st.toast(notice[0], icon="✅" if notice[1] else "ℹ️")

linked = st.query_params.get(urls.TASK_PARAM)
grouped = st.query_params.get(urls.BATCH_PARAM)
if linked:
    show_one(linked)
elif grouped:
    show_batch(grouped)
else:
    show_all()
