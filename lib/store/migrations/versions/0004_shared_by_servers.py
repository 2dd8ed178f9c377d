"""What several servers sharing one database must share (issue 15): the recent clicks on
Create (double-click protection across servers) and the facts all servers agree on.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "recent_submissions",
        sa.Column("digest", sa.String(64), nullable=False),
        sa.Column("idempotency_key", sa.String(64), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("digest", name=op.f("pk_recent_submissions")),
    )
    op.create_index(
        op.f("ix_recent_submissions_sent_at"), "recent_submissions", ["sent_at"], unique=False
    )
    op.create_table(
        "cluster_facts",
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("value", sa.String(255), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_cluster_facts")),
    )


def downgrade() -> None:
    op.drop_table("cluster_facts")
    op.drop_index(op.f("ix_recent_submissions_sent_at"), table_name="recent_submissions")
    op.drop_table("recent_submissions")
