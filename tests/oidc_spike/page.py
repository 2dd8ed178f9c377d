"""The spike's page: sign in through the test provider with st.login, show who st.user
says is signed in (and every claim, for the test to read), sign out with st.logout."""

import json

import streamlit as st

if st.user.is_logged_in:
    st.markdown(f"Signed in as **{st.user.email}**")
    st.code(json.dumps(st.user.to_dict(), sort_keys=True), language="json")
    if st.button("Sign out"):
        st.logout()
else:
    st.markdown("Signed out")
    if st.button("Sign in"):
        st.login("testidp")
