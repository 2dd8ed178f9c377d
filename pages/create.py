"""Create: the whole model in one form, with the price on the button."""

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from lib.create import draft, form, keys, submit
from lib.create.tiles import picture_tile_html, picture_tiles_html
from lib.domain.catalog import GROK_IMAGINE_VIDEO as SPEC
from lib.domain.markdown import escape_markdown
from lib.domain.money import format_usd, price_usd
from lib.engine.pictures import store_reference_image
from lib.engine.runtime import current
from lib.outside.pictures import ImageRejected
from lib.ui.identity import current_person

studio = current()
state = st.session_state
for key, value in keys.defaults().items():
    state.setdefault(key, value)
# Values no widget can show (an old video's settings, a prompt pasted over the limit)
# are put right and said so, until the field changes.
notes = form.fit_to_widgets(state)
if notes:
    state[keys.NOTES] = {**state.get(keys.NOTES, {}), **notes}
# Where each field's message goes; filled at the end, when the whole form is known.
slots: dict[str, DeltaGenerator] = {}


def field_problem(name: str) -> None:
    slots[name] = st.empty()


def changes(key: str) -> dict:
    """A widget's on_change: its field's messages follow it from now on."""
    return {"on_change": form.touch, "args": (state, key)}


def reference_images(person: str | None) -> list[tuple[str, str | None]]:
    """Uploaded files, checked and stored once each; -> [(public URL, sha256)] in order."""
    checked: dict[str, tuple[str, str] | str] = state.setdefault("create.checked_uploads", {})
    images: list[tuple[str, str | None]] = list(state[keys.KEPT_IMAGES])
    for upload in state.get(keys.UPLOADS) or []:
        if upload.file_id not in checked:
            try:
                asset, url = store_reference_image(
                    studio, upload.getvalue(), upload.name, person or ""
                )
                checked[upload.file_id] = (url, asset.sha256)
            except ImageRejected as exc:
                checked[upload.file_id] = str(exc)
        result = checked[upload.file_id]
        if isinstance(result, str):
            st.error(escape_markdown(result), icon=":material/broken_image:")
        else:
            images.append(result)
    return images


def thumbnails(images: list[tuple[str, str | None]]) -> None:
    """The pictures kept or uploaded, in order; those brought back from an earlier video
    (the first ones) each with a Remove button (uploads have the uploader's own)."""
    uploaded = [(url, sha) for url, sha in images if sha]
    if not uploaded:
        return
    kept = len([item for item in state[keys.KEPT_IMAGES] if item[1]])
    with st.container(horizontal=True, gap="small"):
        for i, (url, _) in enumerate(uploaded, start=1):
            with st.container(width="content", horizontal_alignment="center", gap="small"):
                st.html(picture_tile_html(url, i), width="content")
                if i <= kept:
                    st.button(
                        "Remove",
                        key=f"create.remove-{i}",
                        help=f"Take picture {i} out of this video",
                        type="tertiary",
                        icon=":material/close:",
                        on_click=form.remove_kept_image,
                        args=(state, i - 1),
                    )


def link_pictures(person: str | None, first: int) -> None:
    """Each pasted link, fetched in the background: its thumbnail, or its message."""
    draft.fetch_links(studio, state, person)
    pasted = draft.pasted_links(state)
    waiting = pasted.pending()

    @st.fragment(run_every=1 if waiting else None)
    def outcomes() -> None:
        held = draft.draft_from(state)
        report = draft.link_report(held, first)
        tiles = picture_tiles_html(report.kept, first)
        if tiles:
            st.html(tiles)
        below = draft.messages(state, held, current_person()).get("image_urls")
        for message in report.problems:
            if message != below:  # that one shows below the pictures, once
                st.error(escape_markdown(message), icon=":material/link_off:")
        if report.fetching:
            st.caption(f"Fetching {report.fetching} picture link(s)…")
        if waiting and not pasted.pending():
            st.rerun()  # all fetched: the whole form sees them, and this stops looking

    outcomes()


st.title("Create a video")
left, right = st.columns([3, 2], gap="large")
with left:
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
        images = reference_images(current_person())
        thumbnails(images)
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
        link_pictures(current_person(), first=len(images) + 1)
        st.caption(
            f"Up to {SPEC.max_images} JPG, PNG or WEBP pictures. "
            "**The first picture sets the video's shape** (portrait, square or landscape)."
        )
        field_problem("image_urls")
    else:
        st.segmented_control(
            "Aspect ratio",
            options=list(SPEC.aspect_ratios),
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

    known = [name for name in studio.store.campaigns() if name]
    if state[keys.CAMPAIGN] and state[keys.CAMPAIGN] not in known:
        known = [state[keys.CAMPAIGN], *known]
    st.selectbox(
        "Campaign or tag",
        options=known,
        index=None,
        key=keys.CAMPAIGN,
        persist_state="session",
        accept_new_options=True,
        placeholder="e.g. Spring launch (optional)",
        help="Group videos by campaign in History and Costs.",
        **changes(keys.CAMPAIGN),
    )
    field_problem("campaign")

    state["create.images"] = images
    held = draft.draft_from(state)
    seconds = draft.whole_number(held.duration)
    valid_length = isinstance(seconds, int) and SPEC.min_duration <= seconds <= SPEC.max_duration
    label = (
        f"Generate {seconds} s · {format_usd(price_usd(seconds))}" if valid_length else "Generate"
    )

    def send() -> None:
        # Read the form again: a field typed just before the click arrives with the click.
        person = current_person()
        draft.settle_links(studio, state, person)  # links still being fetched: their outcome
        latest = draft.draft_from(state)
        key = submit.submission_key(latest.request(), person)
        result = submit.submit_draft(studio, latest, person, key)
        state[keys.TRIED] = True
        state[keys.REFUSED] = result.problems if result.refused else {}
        state[keys.RESULT] = result

    st.button(label, type="primary", on_click=send, use_container_width=True)
    field_problem("person")
    field_problem("form")
    # Messages quote what was typed: shown as typed, never as Markdown.
    for name, message in draft.messages(state, held, current_person()).items():
        (slots.get(name) or slots["form"]).error(escape_markdown(message), icon=":material/error:")

with right:
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
            "pages/history.py",
            label="Watch it arrive in History",
            icon=":material/video_library:",
            query_params={"task": result.task_id},
        )
    st.subheader("Price")
    if valid_length:
        st.metric("This video", format_usd(price_usd(seconds)), help="Charged only if it is made.")
    st.caption(
        f"${SPEC.usd_per_second} per second of video, the same at 480p and 720p. "
        "Failed or cancelled videos cost nothing."
    )
