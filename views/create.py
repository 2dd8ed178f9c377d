"""Create: a model chosen in plain words, the form that follows it, the price on the button."""

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from lib.create import batch, draft, form, keys, pictures, price, submit
from lib.create import kits as create_kits
from lib.create import recipes as create_recipes
from lib.domain import urls
from lib.domain.access import Actor
from lib.domain.catalog import MODELS, display_name
from lib.domain.markdown import escape_markdown
from lib.engine.runtime import current
from lib.team.budgets import budget_line
from lib.ui.identity import current_actor, current_person

studio = current()
state = st.session_state
form.prepare(state, studio.offer.default_model())
KIT = create_kits.hold_kit(studio, state)  # issue 18: the brand kit, as the store has it
SPEC = keys.spec_of(state)
# Where each field's message goes; filled at the end, when the whole form is known.
slots: dict[str, DeltaGenerator] = {}


def field_problem(name: str) -> None:
    slots[name] = st.empty()


def changes(key: str) -> dict:
    """A widget's on_change: its field's messages follow it from now on."""
    return {"on_change": form.touch, "args": (state, key)}


def uploads(person: Actor | None) -> list[tuple[str, str | None]]:
    """The uploaded files' messages, then the pictures' thumbnails; -> the pictures."""
    uploaded = pictures.check_uploads(studio, state, person)
    for problem in uploaded.problems:
        st.error(escape_markdown(problem), icon=":material/broken_image:")
    shown = pictures.thumbnails(uploaded.images, state)
    if shown:
        with st.container(horizontal=True, gap="small"):
            for tile in shown:
                with st.container(width="content", horizontal_alignment="center", gap="small"):
                    st.html(tile.html, width="content")
                    if tile.removable:
                        st.button(
                            "Remove",
                            key=f"create.remove-{tile.position}",
                            help=f"Take picture {tile.position} out of this video",
                            type="tertiary",
                            icon=":material/close:",
                            on_click=form.remove_kept_image,
                            args=(state, tile.position - 1),
                        )
    return uploaded.images


def link_pictures(person: Actor | None, first: int) -> None:
    """Each pasted link, fetched in the background: its thumbnail, or its message."""
    pictures.fetch_links(studio, state, person)
    pasted = pictures.pasted_links(state)
    waiting = pasted.pending()

    @st.fragment(run_every=1 if waiting else None)
    def outcomes() -> None:
        view = pictures.link_view(state, first, current_person())
        if view.tiles:
            st.html(view.tiles)
        for message in view.problems:
            st.error(escape_markdown(message), icon=":material/link_off:")
        if view.fetching:
            st.caption(view.fetching)
        if waiting and not pasted.pending():
            st.rerun()  # all fetched: the whole form sees them, and this stops looking

    outcomes()


# ----- variations (issue 18: lib/create/variations.py, lib/create/batch.py) ------------------
def variations_part() -> bool:
    """The "Make variations" switch and, when on, what varies. -> whether it is on."""
    vary = st.toggle(
        "Make variations",
        key=keys.VARY,
        persist_state="session",  # kept while the person visits History and comes back
        help="Several takes at once: one prompt per line, {a|b} for alternatives, and "
        "the shapes, lengths and models to try.",
    )
    if not vary:
        return False
    with st.container(border=True):
        st.caption(
            "Each line of the prompt is a take; {morning|dusk} in a line makes one take "
            "of each (braces don't nest). Leave a list empty to keep the choice above."
        )
        st.multiselect(
            "Shapes",
            options=batch.ALL_RATIOS,
            key=keys.VARY_RATIOS,
            persist_state="session",
            placeholder="Only the shape above",
        )
        st.multiselect(
            "Lengths (seconds)",
            options=batch.ALL_SECONDS,
            key=keys.VARY_DURATIONS,
            persist_state="session",
            placeholder="Only the length above",
        )
        st.multiselect(
            "Models",
            options=list(MODELS),
            format_func=display_name,
            key=keys.VARY_MODELS,
            persist_state="session",
            placeholder="Only the model above",
        )
        field_problem("variations")
        state.setdefault(keys.VARY_TAKES, 1)  # through the state: History may set it too
        st.number_input("Takes of each", key=keys.VARY_TAKES, step=1, persist_state="session")
        field_problem("takes")
    return True


def batch_part(held: draft.Draft, actor: Actor | None, viewer: bool) -> dict[str, str]:
    """Every take with its price, the total, what each budget would have left, and the
    one press that stores them all. -> the messages to show at the fields."""
    plan = batch.plan_of(state)
    assert plan is not None  # variations are on
    if plan.takes:
        st.dataframe(batch.grid_rows(plan), hide_index=True, key="create.batch_grid")
        st.markdown(f"**{batch.total_words(plan)}**")
    left = batch.budgets_left(studio.store, actor, held.campaign, plan.total_quota)
    for budget in left:
        if budget.over:
            st.error(budget.words(), icon=":material/savings:")
        else:
            st.caption(budget.words())
    over = any(budget.over for budget in left)
    st.button(
        batch.button_label(plan),
        type="primary",
        on_click=batch.send,
        args=(studio, state, current_actor()),
        use_container_width=True,
        key="create.make_takes",
        # Hints only: the press checks every take and the budgets again on the server.
        disabled=viewer or not plan.ready or over,
        help="Nothing is sent while a take can't be made or a budget would be crossed.",
    )
    return batch.messages(state, plan, current_person())


def batch_outcome() -> None:
    """What the last "Make N takes" press did, with the way to the batch in History."""
    result = state.get(keys.BATCH_RESULT)
    if result is None:
        return
    if result.notice:
        st.warning(result.notice, icon=":material/warning:")
    if result.batch_id:
        if result.duplicate:
            st.info("You already sent these takes a moment ago: it is the same batch.")
        else:
            st.success(f"{result.takes} takes are on their way.", icon=":material/check_circle:")
        st.page_link(
            "views/history.py",
            label="Watch them arrive in History",
            icon=":material/video_library:",
            query_params={urls.BATCH_PARAM: result.batch_id},
        )


st.title("Create a video")
left, right = st.columns([3, 2], gap="large")


def kit_picker() -> None:
    """Issue 18: a brand kit (its words wrap the prompt; picking it fills the form)."""
    kits = {kit.id: kit for kit in studio.store.kits()}
    if not kits and KIT is None:
        return
    state.setdefault(keys.KIT, "")
    st.selectbox(
        "Brand kit",
        options=["", *kits],
        format_func=lambda kit_id: kits[kit_id].name if kit_id in kits else "No brand kit",
        key=keys.KIT,
        persist_state="session",
        help="A kit adds its brand words to every prompt, refuses its banned words, and "
        "fills in its settings and pictures.",
        on_change=create_kits.pick_kit,
        args=(studio, state),
    )
    for line in state.get(keys.KIT_SAID) or ():
        st.info(escape_markdown(line), icon=":material/style:")
    if KIT is not None:
        words = [
            f"Adds before the prompt: “{KIT.before}”." if KIT.before else "",
            f"Adds after it: “{KIT.after}”." if KIT.after else "",
            f"Refuses: {', '.join(KIT.banned)}." if KIT.banned else "",
        ]
        for line in filter(None, words):
            st.caption(escape_markdown(line))


with left:
    for line in state.get(keys.RECIPE_SAID) or ():  # issue 18: what a recipe brought back
        st.info(escape_markdown(line), icon=":material/menu_book:")
    kit_picker()
    st.selectbox(
        "Model",
        options=list(MODELS),
        format_func=lambda m: form.model_label(m, studio.offer.availability(m).available),
        key=keys.MODEL,
        persist_state="session",
        help="Each model has its own lengths, sizes and price; the form follows the one "
        "you choose.",
        **changes(keys.MODEL),
    )
    st.caption(escape_markdown(SPEC.good_for))
    offered = studio.offer.availability(SPEC.model_id)
    if not offered.available:
        instead = studio.offer.instead_of(SPEC.model_id, state[keys.MODE] == "image")
        st.warning(escape_markdown(offered.reason), icon=":material/block:")
        if instead:
            st.button(
                f"Use {instead.display_name} instead",
                key="create.use-instead",
                on_click=form.switch_model,
                args=(state, instead.model_id),
            )
    for change in state.get(keys.CHANGED) or ():
        st.info(change, icon=":material/tune:")
    field_problem("model")
    st.segmented_control(
        "Mode",
        options=list(form.MODE_LABELS),
        format_func=form.MODE_LABELS.get,
        key=keys.MODE,
        persist_state="session",
        required=True,
        **changes(keys.MODE),
    )
    field_problem("action")
    image_mode = state[keys.MODE] == "image"
    prompt_limit = SPEC.field_spec("prompt").max_length or 0
    st.text_area(
        "Prompt" if not image_mode else "Prompt (optional: how things should move)",
        key=keys.PROMPT,
        persist_state="session",
        # No max_chars: with one, the browser refuses a paste over the limit without a
        # word. The server keeps what fits and says so (form.fit_to_widgets).
        height=120,
        placeholder="A rainy night street under neon lights, slow camera push-in",
        help=f"{SPEC.field_spec('prompt').help} Up to {prompt_limit:,} characters.",
        **changes(keys.PROMPT),
    )
    field_problem("prompt")

    images: list[tuple[str, str | None]] = []
    if image_mode:
        st.file_uploader(
            "Reference pictures",
            # No `type` filter: every file reaches our content check and gets a message that
            # names it and says what to upload (a GIF, an iPhone HEIC...). With a filter the
            # browser only marks such a file with a red icon, and a file whose name slips
            # past the browser makes Streamlit raise an error that stops the page.
            type=None,
            accept_multiple_files=True,
            key=keys.UPLOADS,
            help=SPEC.field_spec("image_urls").help,
            **changes(keys.UPLOADS),
        )
        images = uploads(current_actor())  # pictures are kept under the account
        st.text_area(
            "…or paste links to pictures (one per line)",
            key=keys.LINKS,
            persist_state="session",
            height=80,
            placeholder="https://example.com/product-shot.jpg",
            help="Each picture is fetched and checked as soon as it is pasted; the studio "
            "keeps its own copy, which is what the video service gets.",
            **changes(keys.LINKS),
        )
        link_pictures(current_actor(), first=len(images) + 1)
        st.caption(
            f"Up to {SPEC.max_images} JPG, PNG or WEBP pictures. "
            + (
                "**The video keeps the shape you pick below.**"
                if SPEC.uses_ratio_with_pictures
                else "**The first picture sets the video's shape** (portrait, square or landscape)."
            )
        )
        field_problem("image_urls")
    if not image_mode or SPEC.uses_ratio_with_pictures:
        st.segmented_control(
            "Aspect ratio",
            options=form.ratio_options(SPEC, state[keys.MODE]),
            key=keys.ASPECT_RATIO,
            persist_state="session",
            required=True,
            help=SPEC.field_spec("aspect_ratio").help,
            **changes(keys.ASPECT_RATIO),
        )
        field_problem("aspect_ratio")

    res_col, dur_col = st.columns(2)
    with res_col:
        st.segmented_control(
            "Resolution",
            options=list(SPEC.resolutions),
            key=keys.RESOLUTION,
            persist_state="session",
            required=True,
            help=SPEC.field_spec("resolution").help,
            **changes(keys.RESOLUTION),
        )
        field_problem("resolution")
    with dur_col:
        st.number_input(
            "Duration (seconds)",
            key=keys.DURATION,
            persist_state="session",
            step=1,
            help=SPEC.field_spec("duration").help,
            **changes(keys.DURATION),
        )
        field_problem("duration")

    st.selectbox(
        "Campaign or tag",
        options=form.campaign_options(studio.store.campaigns(), state[keys.CAMPAIGN]),
        index=None,
        key=keys.CAMPAIGN,
        persist_state="session",
        accept_new_options=True,
        placeholder="e.g. Spring launch (optional)",
        help="Group videos by campaign in History and Costs.",
        **changes(keys.CAMPAIGN),
    )
    field_problem("campaign")

    vary = variations_part()
    state[keys.IMAGES] = images
    held = draft.draft_from(state)
    actor = current_actor()
    viewer = actor is not None and not actor.can_spend
    if vary:
        shown_messages = batch_part(held, actor, viewer)
    else:

        def send() -> None:
            submit.send(studio, state, current_actor())

        st.button(
            price.button_label(held),
            type="primary",
            on_click=send,
            use_container_width=True,
            disabled=viewer,  # a hint only: the server refuses a viewer's submit anyway
            help="Viewers cannot make videos. Ask an admin to make you a member."
            if viewer
            else None,
        )
        line = budget_line(
            store=studio.store,
            actor=actor,
            campaign=held.campaign,
            warn_percent=studio.config.budget_warn_percent,
        )
        if line is not None:
            if line.warn:
                st.warning(line.text, icon=":material/savings:")
            else:
                st.caption(line.text)
        shown_messages = draft.messages(state, held, current_person())
    field_problem("person")
    field_problem("form")
    # Messages quote what was typed: shown as typed, never as Markdown.
    for name, message in shown_messages.items():
        (slots.get(name) or slots["form"]).error(escape_markdown(message), icon=":material/error:")

with right:
    if state.get(keys.VARY):
        batch_outcome()
    result = state.get(keys.RESULT)
    if result and result.notice:
        st.warning(result.notice, icon=":material/warning:")
    if result and result.task_id:
        if result.duplicate:
            st.info("You already sent this a moment ago: it is the same video, not a second one.")
        elif result.pending:
            st.info("Sending… the studio keeps trying and the video will appear in History.")
        else:
            st.success("Your video is on its way.", icon=":material/check_circle:")
        st.page_link(
            "views/history.py",
            label="Watch it arrive in History",
            icon=":material/video_library:",
            query_params={urls.TASK_PARAM: result.task_id},
        )
    st.subheader("Price")
    this_video = price.price(held)
    if this_video:
        st.metric(
            "This video",
            this_video,
            help=f"Exactly {price.exact(held)}, charged only if it is made.",
        )
    st.caption(f"{price.rate(SPEC)} Failed or cancelled videos cost nothing.")


def save_as_recipe() -> None:
    """Issue 18: the form as it is now, kept as a recipe with a title and tags."""
    with st.popover("Save as recipe", icon=":material/bookmark_add:"):
        title = st.text_input("Recipe title", key="create.recipe_title")
        tags = st.text_input(
            "Tags (comma-separated)", key="create.recipe_tags", placeholder="e.g. spring, 9:16"
        )
        if st.button("Save recipe", key="create.save_recipe"):
            saved = create_recipes.save_recipe(
                studio.store, current_actor(), draft.draft_from(state), title, tags
            )
            for message in saved.problems.values():
                st.error(escape_markdown(message), icon=":material/error:")
            if saved.recipe is not None:
                st.success(
                    escape_markdown(f"Saved as the recipe “{saved.recipe.title}”."),
                    icon=":material/bookmark_added:",
                )


with right:
    save_as_recipe()
