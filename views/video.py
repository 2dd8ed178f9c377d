"""One video's own page (?id=<video id>): the player, full prompt and settings, model,
cost, review and its thread, and its family. The logic lives in lib/history and lib/review."""

from __future__ import annotations

import streamlit as st

from lib.domain import urls
from lib.domain.access import Actor
from lib.domain.review import ReviewState
from lib.engine.runtime import current
from lib.history import detail, queries, restyle, reviewing
from lib.history import words as card_words
from lib.review import hiding
from lib.review.comments import edit_comment, may_edit, post_comment
from lib.review.states import change_review
from lib.store.schema import Review, Task
from lib.ui.identity import current_actor
from lib.ui.restyle import restyle_form
from lib.ui.review_links import link_maker

studio = current()
store = studio.store
actor = current_actor()
state = st.session_state
timezone = st.context.timezone
NOTICE = "video.notice"
SEEK = "video.seek"


def notify(message: str, ok: bool) -> None:
    state[NOTICE] = (str(message), ok)
    st.rerun()


def review_panel(task: Task, review: Review | None, who: Actor | None) -> None:
    line = reviewing.review_line(task, review, timezone)
    if line is None:
        return
    st.markdown(line)
    if review is not None and review.reason:
        st.text(review.reason)
    with st.container(horizontal=True, vertical_alignment="bottom"):
        if reviewing.can_send(who, task, review) and st.button("Send to review", key="send"):
            outcome = change_review(store, current_actor(), [task.id], ReviewState.IN_REVIEW)
            notify(outcome.message, outcome.ok)
        if who is not None and who.is_admin:
            if st.button("Approve", key="approve", type="primary"):
                outcome = change_review(store, current_actor(), [task.id], ReviewState.APPROVED)
                notify(outcome.message, outcome.ok)
            reason = st.text_input("Reason for changes", key="changes.reason")
            if st.button("Ask for changes", key="changes"):
                outcome = change_review(
                    store, current_actor(), [task.id], ReviewState.CHANGES, reason
                )
                notify(outcome.message, outcome.ok)


def thread(task: Task, who: Actor | None) -> None:
    comments = store.comments_of(task.id)
    st.subheader(f"Comments ({len(comments)})")
    for comment in comments:
        with st.container(border=True, key=f"comment-{comment.id}"):
            st.caption(detail.comment_byline(comment, timezone))
            st.text(comment.text)  # plain text: links and markup show as typed
            label = detail.stamp_label(comment)
            if label and st.button(label, key=f"seek-{comment.id}", type="tertiary"):
                state[SEEK] = comment.at_seconds
                st.rerun()
            if may_edit(who, comment):
                with st.expander("Change this comment"):
                    changed = st.text_area("Comment", comment.text, key=f"edit-{comment.id}")
                    if st.button("Save", key=f"save-{comment.id}"):
                        done = edit_comment(store, current_actor(), comment.id, changed)
                        notify(done.message, done.ok)
    with st.form("new-comment", clear_on_submit=True):
        text = st.text_area(
            "Add a comment",
            placeholder="Start with a moment to point at it, e.g. “0:04 the logo is cut”",
            key="comment.text",
        )
        if st.form_submit_button("Post comment"):
            posted = post_comment(store, current_actor(), task.id, text)
            notify(posted.message, posted.ok)


def family(task: Task) -> None:
    parent, children = store.family(task.id)
    rows = detail.family_rows(parent, children)
    if not rows:
        return
    st.subheader("Family")
    for words, video_id in rows:
        st.page_link(
            "views/video.py",
            label=f"{words} {video_id[:8]}",
            query_params={urls.VIDEO_PARAM: video_id},
        )


def restyle_section(task: Task, who: Actor | None) -> None:
    """Issue 18: restyle a finished, saved video of at most 8.7 s; a longer one says why."""
    chance = restyle.offer(task)
    if who is None or not who.can_spend:
        return
    if chance.price_quota is None:
        if chance.problem:
            st.caption(chance.problem)
        return
    with st.expander("Restyle", icon=":material/palette:"):
        restyle_form(studio, task, chance, notify)


def show(task: Task) -> None:
    review = store.reviews_of([task.id]).get(task.id)
    left, right = st.columns([3, 2])
    with left:
        st.html(detail.player_html(task, state.get(SEEK)))
        st.markdown(f"**{card_words.status_words(task)}**")
        st.caption(card_words.money_line(task))
        st.text(task.prompt or "(no prompt)")
        st.table({label: [value] for label, value in detail.facts(task)}, border="horizontal")
        family(task)
    with right:
        review_panel(task, review, actor)
        restyle_section(task, actor)
        if reviewing.reviewable(task):
            with st.expander("Review link for guests", icon=":material/link:"):
                link_maker("video", "video.link", task_ids=[task.id])
        thread(task, actor)


st.page_link("views/history.py", label="All videos", icon=":material/arrow_back:")
notice = state.pop(NOTICE, None)
if notice:
    st.toast(notice[0], icon="✅" if notice[1] else "ℹ️")
video_id = st.query_params.get(urls.VIDEO_PARAM, "")
found = queries.find_task(store, video_id) if queries.TASK_ID_SHAPE.match(video_id) else None
if found is not None and not hiding.may_see(store, actor, found.id):
    found = None  # hidden: its maker and admins only (and not told apart from "not found")
if found is None:
    st.warning(
        "We couldn't find that video. The link may be incomplete, or it was made in another "
        "studio.",
        icon=":material/search_off:",
    )
else:
    st.title("Video")
    show(found)
