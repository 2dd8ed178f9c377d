"""Streamlit helpers the pages share: the sidebar, who is using the studio, live refresh,
sharing, navigation and the st.cache wrappers. The only package that imports Streamlit
besides lib.server."""
