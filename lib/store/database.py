"""Connecting to the store and bringing its schema up to date with Alembic."""

from __future__ import annotations

import logging
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url

MIGRATIONS = Path(__file__).parent / "migrations"
# PostgreSQL advisory lock key for migrating: any fixed number all servers agree on
# ("IS-MIGR" in ASCII), so servers starting together migrate one after the other.
MIGRATION_LOCK_KEY = 0x49534D49475200
# An execution option: this connection's transactions write, so they lock at BEGIN.
WRITE_LOCK_OPTION = "studio_write_lock"


def make_engine(url: str) -> Engine:
    """An engine for any SQLAlchemy URL; SQLite gets the settings a shared server needs."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return create_engine(url, pool_pre_ping=True)
    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})

    @event.listens_for(engine, "connect")
    def _sqlite_pragmas(dbapi_connection, _record) -> None:
        # Python's sqlite3 starts a transaction only at the first write, so the reads of
        # a read-modify-write ran outside it and two writers could interleave (a lost
        # update). SQLAlchemy begins every transaction itself instead (below).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        # WAL: readers (pages) never wait for the writer (tracker); two server processes
        # can share one file. busy_timeout rides out the other process's short writes.
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _sqlite_begin(connection) -> None:
        # Writers (Store.writing) take the write lock when they begin, waiting their turn
        # (busy_timeout); readers begin a snapshot that never waits for anyone (WAL).
        # (Straight to the driver, as sqlite3 itself did: not a statement of ours.)
        immediate = connection.get_execution_options().get(WRITE_LOCK_OPTION, False)
        connection.connection.driver_connection.execute("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


def alembic_config(engine: Engine | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    if engine is not None:
        config.set_main_option("sqlalchemy.url", engine.url.render_as_string(hide_password=False))
    return config


def migrate(engine: Engine) -> None:
    """Apply every migration not yet applied (a no-op when the schema is current)."""
    logging.getLogger("alembic").setLevel(logging.WARNING)  # one line per plugin otherwise
    config = alembic_config()
    # Locked from the start: two servers starting together migrate one after the other.
    # SQLite: the write lock at BEGIN. PostgreSQL: a transaction's advisory lock (a row
    # lock is not enough: on an empty database there is no row yet, and two servers
    # creating the same table at once fail on PostgreSQL's catalog, issue 15). The
    # second server then finds the schema current and applies nothing.
    with engine.execution_options(**{WRITE_LOCK_OPTION: True}).begin() as connection:
        if engine.dialect.name == "postgresql":
            connection.execute(
                text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK_KEY}
            )
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
