"""The Create page's logic, testable without a browser: the form's fields and session
keys, the draft, its messages, and sending it once. No Streamlit imports."""
