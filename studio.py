"""The studio's pages. Create, History and Costs follow in the next release."""

import streamlit as st

from lib.studio import current

st.set_page_config(page_title="Imagine Studio", page_icon="🎬", layout="wide")

studio = current()
st.title("Imagine Studio")
st.write("Make short videos with Grok Imagine 1.0 — from a description or from your own pictures.")
if studio.config.uses_embedded:
    st.info(
        "Demo mode: videos are made by the built-in practice service, at no cost. "
        "Ask your administrator to add a Wave API key to make real videos."
    )
else:
    st.info("Connected to the Wave video service.")
