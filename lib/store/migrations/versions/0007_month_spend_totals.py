"""Running monthly spend totals for the budgets (per team, person and campaign), back-filled
from the existing tasks; the index that served the month's sums at every submit
(ix_tasks_month_spend) is dropped: the check reads the totals now. And a trigram index on
the prompts for History's search (lib/store/search.py): pg_trgm's GIN index on PostgreSQL
(skipped, with a warning, where the extension cannot be created), an FTS5 trigram table
kept by triggers on SQLite. (A later batch migration that copies `tasks` on SQLite drops
its triggers: make them again there; tests/store/test_search.py checks they are kept.)

A task's spend is coalesce(cost, pre-consumed, estimate), in the calendar month (UTC) it
was made (lib/store/month_spend.py keeps them from here on).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02
"""

import logging
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.exc import DBAPIError

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SPEND = "coalesce(cost_quota, pre_consumed_quota, estimate_quota, 0)"


def upgrade() -> None:
    op.create_table(
        "month_spend",
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("scope", sa.String(length=16), nullable=False),
        sa.Column("target", sa.String(length=120), nullable=False),
        sa.Column("spent_quota", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("month", "scope", "target", name=op.f("pk_month_spend")),
    )
    if op.get_bind().dialect.name == "postgresql":
        month = "to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM')"
    else:
        month = "strftime('%Y-%m', created_at)"  # stored as UTC text
    op.execute(
        f"INSERT INTO month_spend (month, scope, target, spent_quota) "
        f"SELECT {month}, 'team', '', sum({SPEND}) FROM tasks GROUP BY {month} "
        f"UNION ALL SELECT {month}, 'person', account_id, sum({SPEND}) FROM tasks "
        f"WHERE account_id IS NOT NULL GROUP BY {month}, account_id "
        f"UNION ALL SELECT {month}, 'campaign', campaign, sum({SPEND}) FROM tasks "
        f"WHERE campaign != '' GROUP BY {month}, campaign"
    )
    op.drop_index("ix_tasks_month_spend", table_name="tasks")
    if op.get_bind().dialect.name == "postgresql":
        _postgres_trigram_index()
    else:
        _sqlite_trigram_table()


def _postgres_trigram_index() -> None:
    bind = op.get_bind()
    try:
        with bind.begin_nested():  # a refusal must not end the migration's transaction
            bind.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    except DBAPIError as refused:
        logging.getLogger("alembic").warning(
            "pg_trgm is not available (%s): History's search reads every prompt", refused
        )
        return
    op.execute("CREATE INDEX ix_tasks_prompt_trgm ON tasks USING gin (prompt gin_trgm_ops)")


SQLITE_TRIGGERS = {
    "tasks_prompt_fts_insert": "AFTER INSERT ON tasks BEGIN "
    "INSERT INTO tasks_prompt_fts (task_id, prompt) VALUES (new.id, new.prompt); END",
    "tasks_prompt_fts_delete": "AFTER DELETE ON tasks BEGIN "
    "DELETE FROM tasks_prompt_fts WHERE task_id = old.id; END",
    "tasks_prompt_fts_update": "AFTER UPDATE OF prompt ON tasks BEGIN "
    "DELETE FROM tasks_prompt_fts WHERE task_id = old.id; "
    "INSERT INTO tasks_prompt_fts (task_id, prompt) VALUES (new.id, new.prompt); END",
}


def _sqlite_trigram_table() -> None:
    op.execute(
        "CREATE VIRTUAL TABLE tasks_prompt_fts USING fts5(task_id UNINDEXED, prompt, "
        "tokenize = 'trigram')"
    )
    op.execute("INSERT INTO tasks_prompt_fts (task_id, prompt) SELECT id, prompt FROM tasks")
    for name, body in SQLITE_TRIGGERS.items():
        op.execute(f"CREATE TRIGGER {name} {body}")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_tasks_prompt_trgm")
    else:
        for name in SQLITE_TRIGGERS:
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
        op.execute("DROP TABLE IF EXISTS tasks_prompt_fts")
    op.create_index(
        "ix_tasks_month_spend",
        "tasks",
        [
            "created_at",
            "account_id",
            "campaign",
            "cost_quota",
            "pre_consumed_quota",
            "estimate_quota",
        ],
    )
    op.drop_table("month_spend")
