"""The store, the one source of truth for every page: tables, writes, reads, the tracker's
leases, Alembic migrations and the "a video is done" signal. SQLAlchemy, SQLite by default
or any database URL. No Streamlit, no network: imports only lib.domain."""
