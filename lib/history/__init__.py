"""The History page's logic, testable without a browser: queries, progress, the words and
player of a card, and its actions. No Streamlit imports."""
