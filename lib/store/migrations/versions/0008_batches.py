"""Batches (issue 18): many takes from one press on Create. A `batches` row per press, and
each take's link to it (`tasks.batch_id`, indexed; no foreign key, so that SQLite adds the
column in place rather than copying `tasks`, which would drop 0007's search triggers).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

WHEN = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "batches",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("idempotency_key", sa.String(length=64), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("person", sa.String(length=120), nullable=False),
        sa.Column("account_id", sa.String(length=32), nullable=True),
        sa.Column("campaign", sa.String(length=120), nullable=False),
        sa.Column("takes", sa.Integer(), nullable=False),
        sa.Column("estimate_quota", sa.BigInteger(), nullable=False),
        sa.Column("created_at", WHEN, nullable=False),
        sa.Column("cancelled_at", WHEN, nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_batches")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_batches_idempotency_key")),
    )
    op.create_index(op.f("ix_batches_created_at"), "batches", ["created_at"], unique=False)
    op.add_column("tasks", sa.Column("batch_id", sa.String(length=32), nullable=True))
    op.create_index(op.f("ix_tasks_batch_id"), "tasks", ["batch_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_tasks_batch_id"), table_name="tasks")
    op.drop_column("tasks", "batch_id")
    op.drop_index(op.f("ix_batches_created_at"), table_name="batches")
    op.drop_table("batches")
