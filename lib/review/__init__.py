"""Review (issue 17): review states changed with their rights checked, comments, review
links for guests, favourites, the campaign download. No Streamlit, no page logic: the
pages (through lib/history) and the HTTP routes (lib/server) both call it. Imports
lib.store, lib.storage and below."""
