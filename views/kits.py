"""Brand kits (issue 18): admins make, change and delete them; people pick one on Create.
Thin: the rules are lib/domain/kits.py, the rights and the audit log lib/team/kits.py."""

from __future__ import annotations

import streamlit as st

from lib.domain.catalog import MODELS
from lib.domain.kits import MAX_KIT_PICTURES, KitFields, banned_lines
from lib.domain.markdown import escape_markdown
from lib.engine.runtime import current
from lib.team import kits as team_kits
from lib.ui.identity import current_actor

studio = current()
store = studio.store
actor = current_actor()
st.title("Brand kits")
if actor is None or not actor.is_admin:
    st.info(
        "Brand kits are set by admins. Pick one on Create: it adds the brand's words to "
        "your prompt and fills in its settings.",
        icon=":material/lock:",
    )
    st.stop()

NOTICE = "kits.notice"
notice = st.session_state.pop(NOTICE, None)
if notice:
    st.success(escape_markdown(notice), icon=":material/check_circle:")

kits = {kit.id: kit for kit in store.kits()}
if "kits.next" in st.session_state:  # the kit just saved or deleted (before the picker)
    st.session_state["kits.chosen"] = st.session_state.pop("kits.next")
chosen = st.selectbox(
    "Kit",
    options=["", *kits],
    format_func=lambda kit_id: kits[kit_id].name if kit_id in kits else "A new kit",
    key="kits.chosen",
)
kit = kits.get(chosen)
suffix = chosen or "new"
ratios = sorted({r for spec in MODELS.values() for r in spec.aspect_ratios})
resolutions = sorted({r for spec in MODELS.values() for r in spec.resolutions})

with st.form(f"kits.form-{suffix}"):
    name = st.text_input("Kit name", value=kit.name if kit else "", key=f"kits.name-{suffix}")
    name_slot = st.empty()
    before = st.text_area(
        "Words before every prompt", value=kit.before if kit else "", key=f"kits.before-{suffix}"
    )
    after = st.text_area(
        "Words after every prompt", value=kit.after if kit else "", key=f"kits.after-{suffix}"
    )
    words_slot = st.empty()
    banned = st.text_area(
        "Banned words and phrases (one a line)",
        value="\n".join(kit.banned) if kit else "",
        key=f"kits.banned-{suffix}",
        help="Matched as whole words, whatever the case and accents: “cafe” also refuses "
        "“Café”, not “cafeteria”. Plain words only, no patterns.",
    )
    banned_slot = st.empty()
    model = st.selectbox(
        "Default model",
        options=["", *MODELS],
        format_func=lambda m: MODELS[m].display_name if m in MODELS else "None (keep the form's)",
        index=(["", *MODELS].index(kit.model) if kit and kit.model in MODELS else 0),
        key=f"kits.model-{suffix}",
    )
    ratio_col, res_col, length_col = st.columns(3)
    ratio = ratio_col.selectbox(
        "Default shape",
        ["", *ratios],
        index=["", *ratios].index(kit.aspect_ratio) if kit and kit.aspect_ratio in ratios else 0,
        format_func=lambda r: r or "None",
        key=f"kits.ratio-{suffix}",
    )
    resolution = res_col.selectbox(
        "Default resolution",
        ["", *resolutions],
        index=(
            ["", *resolutions].index(kit.resolution) if kit and kit.resolution in resolutions else 0
        ),
        format_func=lambda r: r or "None",
        key=f"kits.resolution-{suffix}",
    )
    duration = length_col.number_input(
        "Default length (seconds, 0: none)",
        min_value=0,
        max_value=60,
        value=(kit.duration or 0) if kit else 0,
        step=1,
        key=f"kits.duration-{suffix}",
    )
    settings_slot = st.empty()
    if kit and kit.pictures:
        st.caption(f"{len(kit.pictures)} reference picture(s) kept with this kit.")
        drop = st.checkbox("Remove the kit's pictures", key=f"kits.drop-{suffix}")
    else:
        drop = False
    uploads = st.file_uploader(
        f"Reference pictures (up to {MAX_KIT_PICTURES})",
        accept_multiple_files=True,
        key=f"kits.pictures-{suffix}",
    )
    pictures_slot = st.empty()
    saved = st.form_submit_button("Save kit", type="primary")

if saved:
    shas = [] if drop or not kit else list(kit.pictures)
    upload_problem = None
    for upload in uploads or []:
        sha, problem = team_kits.keep_kit_picture(studio, actor, upload.getvalue(), upload.name)
        if sha:
            shas.append(sha)
        else:
            upload_problem = problem
    outcome = team_kits.save_kit(
        store,
        actor,
        kit.id if kit else None,
        KitFields(
            name=name,
            before=before,
            after=after,
            banned=banned_lines(banned),
            model=model or None,
            aspect_ratio=ratio or None,
            resolution=resolution or None,
            duration=int(duration) or None,
            pictures=tuple(shas),
        ),
    )
    problems = dict(outcome.problems)
    if upload_problem:
        problems.setdefault("pictures", upload_problem)
    if outcome.refusal:
        st.error(outcome.refusal, icon=":material/lock:")
    elif problems:
        slots = {
            "name": name_slot,
            "before": words_slot,
            "after": words_slot,
            "banned": banned_slot,
            "model": settings_slot,
            "aspect_ratio": settings_slot,
            "resolution": settings_slot,
            "duration": settings_slot,
            "pictures": pictures_slot,
        }
        for field_name, message in problems.items():
            (slots.get(field_name) or pictures_slot).error(
                escape_markdown(message), icon=":material/error:"
            )
        st.error("Nothing was saved: put the fields above right.", icon=":material/error:")
    elif outcome.kit is not None:
        st.session_state[NOTICE] = f"Kit “{outcome.kit.name}” saved."
        st.session_state["kits.next"] = outcome.kit.id
        st.rerun()

if kit is not None and st.button(
    f"Delete the kit “{kit.name}”", key=f"kits.delete-{kit.id}", type="tertiary"
):
    refusal = team_kits.delete_kit(store, actor, kit.id)
    if refusal:
        st.error(refusal)
    else:
        st.session_state[NOTICE] = f"Kit “{kit.name}” deleted; videos made with it keep its name."
        st.session_state["kits.next"] = ""
        st.rerun()
