"""Compare 2–4 takes side by side (?ids=a,b,c), with one play/pause/seek for all, each
with its settings and cost; pick the winner from here. Logic: lib/history/compare.py."""

from __future__ import annotations

import streamlit as st

from lib.domain.review import ReviewState
from lib.engine.runtime import current
from lib.history import compare, queries, reviewing
from lib.history import words as card_words
from lib.review.states import change_review
from lib.ui.identity import current_actor

store = current().store
actor = current_actor()
state = st.session_state

st.page_link("views/history.py", label="All videos", icon=":material/arrow_back:")
st.title("Compare takes")
notice = state.pop("compare.notice", None)
if notice:
    st.toast(notice[0], icon="✅" if notice[1] else "ℹ️")

ids = compare.chosen_ids(st.query_params.get(compare.IDS_PARAM))
tasks = [t for t in queries.fresh_tasks(store, ids) if reviewing.reviewable(t)]
problem = compare.compare_problem(len(tasks))
if problem:
    st.info(problem)
    st.stop()

st.html(compare.compare_html(tasks), unsafe_allow_javascript=True)
reviews = store.reviews_of([task.id for task in tasks])
for number, (column, task) in enumerate(zip(st.columns(len(tasks)), tasks, strict=True), 1):
    with column:
        st.markdown(f"**Take {number}**")
        st.markdown(reviewing.review_line(task, reviews.get(task.id)) or "")
        st.caption(card_words.settings_line(task))
        st.caption(card_words.money_line(task))
        with st.expander("Prompt"):
            st.text(task.prompt or "(no prompt)")
        if (
            actor is not None
            and actor.is_admin
            and st.button("Approve this one", key=f"win-approve-{task.id}", type="primary")
        ):
            outcome = change_review(store, current_actor(), [task.id], ReviewState.APPROVED)
            state["compare.notice"] = (outcome.message, outcome.ok)
            st.rerun()
        if reviewing.can_send(actor, task, reviews.get(task.id)) and st.button(
            "Send this one to review", key=f"win-send-{task.id}"
        ):
            outcome = change_review(store, current_actor(), [task.id], ReviewState.IN_REVIEW)
            state["compare.notice"] = (outcome.message, outcome.ok)
            st.rerun()
