"""The shared prompt library (issue 18): every saved recipe, found by words or tag, with
how often it was used, its cost per video and its approval rate; "Use this recipe" fills
Create. Thin: the logic is lib/create/recipes.py."""

from __future__ import annotations

import streamlit as st

from lib.create import recipes
from lib.domain.markdown import escape_markdown
from lib.engine.runtime import current
from lib.ui.identity import current_actor
from lib.ui.navigation import go_to

studio = current()
store = studio.store
actor = current_actor()
state = st.session_state
NOTICE = "recipes.notice"

st.title("Recipes")
st.caption(
    "Prompts with their settings, pictures and brand kit, saved by your team from Create "
    "(“Save as recipe”). Use one to start a video or a batch from it."
)
notice = state.pop(NOTICE, None)
if notice:
    st.info(escape_markdown(notice), icon=":material/info:")

everything = store.recipes()
search_col, tag_col = st.columns([3, 2])
search = search_col.text_input("Search", key="recipes.search", placeholder="title, prompt or tag")
tag = tag_col.selectbox(
    "Tag",
    recipes.all_tags(everything),
    index=None,
    key="recipes.tag",
    placeholder="All tags",
)
found = recipes.matching(everything, search, tag)
if not everything:
    st.info("No recipe yet: save one from Create.", icon=":material/menu_book:")
elif not found:
    st.info("No recipe matches: try fewer words or another tag.", icon=":material/search_off:")

for row in recipes.recipe_rows(store, found):
    recipe = row.recipe
    settings = recipe.settings or {}
    with st.container(border=True, key=f"recipe-{recipe.id}"):
        st.markdown(f"**{escape_markdown(recipe.title)}**")
        if recipe.tags:  # plain text, never markup
            st.caption("Tags: " + " · ".join(escape_markdown(t) for t in recipe.tags))
        st.text(str(settings.get("prompt") or "(no prompt: pictures only)"))
        st.caption(
            escape_markdown(f"{row.uses} · {row.cost} · {row.approval} · by {recipe.author_name}")
        )
        with st.container(horizontal=True):
            if st.button("Use this recipe", key=f"recipes.use-{recipe.id}", type="primary"):
                recipes.use_recipe(studio, state, recipe)
                go_to("views/create.py")
            mine = actor is not None and (
                actor.is_admin or actor.owns(recipe.author_id, recipe.author_name)
            )
            if mine:  # a hint: the change and the delete check again
                with st.popover("Change title or tags"):
                    title = st.text_input(
                        "Title", value=recipe.title, key=f"recipes.title-{recipe.id}"
                    )
                    tags = st.text_input(
                        "Tags (comma-separated)",
                        value=", ".join(recipe.tags or []),
                        key=f"recipes.tags-{recipe.id}",
                    )
                    if st.button("Save", key=f"recipes.save-{recipe.id}"):
                        problems = recipes.change_recipe(store, actor, recipe.id, title, tags)
                        if problems:
                            for message in problems.values():
                                st.error(escape_markdown(message))
                        else:
                            state[NOTICE] = "Recipe changed."
                            st.rerun()
                if st.button("Delete", key=f"recipes.delete-{recipe.id}", type="tertiary"):
                    refusal = recipes.delete_recipe(store, actor, recipe.id)
                    state[NOTICE] = refusal or f"Recipe “{recipe.title}” deleted."
                    st.rerun()
