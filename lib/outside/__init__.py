"""Where bytes from outside come in: links fetched, pictures checked, videos decoded,
request bodies read, each within limits. No studio state (no store, no Streamlit): the
embedded Wave API uses it too. Imports only lib.domain."""
