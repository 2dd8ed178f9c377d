"""The Restyle action (issue 18), one form for History's cards and a video's own page: a
new instruction, the exact price before the press, and what happened. The checks and the
sending are lib/history/restyle.py's."""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

from lib.domain import restyle as rules
from lib.history import restyle
from lib.store.schema import Task
from lib.ui.identity import current_actor

PLACEHOLDER = "e.g. as watercolor"


def problem_key(task_id: str) -> str:
    return f"restyle.problem.{task_id}"


def restyle_form(
    studio,
    task: Task,
    chance: restyle.Offer,
    notify: Callable[[str, bool], None],
    follow: Callable[[str], None] | None = None,
) -> None:
    """The instruction, the price, and the press (which is checked again on the server).
    A refusal stays beside the form, naming its field; a restyle sent goes to `notify`
    (after `follow`, given the new video's id)."""
    price = chance.price_words
    seconds = f"{task.video_seconds:g}" if task.video_seconds else str(task.duration)
    with st.form(f"restyle-{task.id}", border=False):
        instruction = st.text_area(
            rules.INSTRUCTION.label,
            placeholder=PLACEHOLDER,
            key=f"restyle.instruction.{task.id}",
            help="How the video should change. It keeps its length and shape.",
        )
        st.caption(
            f"Restyling this {seconds} s video costs {price} "
            f"({rules.RESTYLE_MODEL.display_name}), whatever you write."
        )
        pressed = st.form_submit_button(
            f"Restyle for {price}", type="primary", key=f"restyle-send-{task.id}"
        )
    problem = st.session_state.get(problem_key(task.id))
    if problem:
        st.error(problem, icon=":material/error:")
    if not pressed:
        return
    done = restyle.restyle_task(studio, task.id, current_actor(), instruction)
    if done.ok:
        st.session_state.pop(problem_key(task.id), None)
        if follow is not None:
            follow(done.task.id)
        notify(done.message, True)
        return
    st.session_state[problem_key(task.id)] = done.message
    notify(done.message, False)
