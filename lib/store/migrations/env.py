"""Alembic environment: the studio passes its own connection; the `alembic` command line
(see alembic.ini) connects with STUDIO_DATABASE_URL or the default SQLite file."""

from alembic import context
from sqlalchemy import engine_from_config, pool

from lib.store.schema import Base
from lib.store.search import include_object

config = context.config
target_metadata = Base.metadata


def run(connection) -> None:
    # render_as_batch: SQLite can only change columns by copying the table; batch mode
    # does that copy (keeping the rows) where a plain ALTER is not possible.
    # include_object: the search index's objects are the migrations' own (lib/store/search.py).
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=True,
        include_object=include_object,
    )
    with context.begin_transaction():
        context.run_migrations()


connection = config.attributes.get("connection")
if connection is not None:
    run(connection)
else:
    if not config.get_main_option("sqlalchemy.url"):
        from lib.config import load_config

        config.set_main_option("sqlalchemy.url", load_config(use_secrets=False).database_url)
    engine = engine_from_config(
        config.get_section(config.config_ini_section, {}),
        prefix="sqlalchemy.",
        poolclass=pool.NullPool,
    )
    with engine.connect() as conn:
        run(conn)
