"""The team's rules as the pages use them: the budget line on Create, the admin's
changes (roles, caps, one-video passes) checked and logged, the audit log as a table and
a CSV. No Streamlit; the checks of who may act are in lib/domain/access.py."""
