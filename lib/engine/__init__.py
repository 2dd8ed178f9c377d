"""The studio's running parts, shared by every browser tab: the Studio object, sending a
request once, the tracker, copying finished videos, keeping pictures, learning the pace.
Background work: never imports Streamlit or a page's logic."""
