"""Review (issue 17): each video's review state, comments, where a video came from
(retries of failed videos: found by their idempotency key "retry-<id>"), review links,
favourites, hidden videos.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

WHEN = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "reviews",
        sa.Column("task_id", sa.String(length=32), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("by_id", sa.String(length=32), nullable=True),
        sa.Column("by_name", sa.String(length=120), nullable=False),
        sa.Column("by_guest", sa.Boolean(), nullable=False),
        sa.Column("at", WHEN, nullable=False),
        sa.ForeignKeyConstraint(
            ["task_id"], ["tasks.id"], name=op.f("fk_reviews_task_id_tasks"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("task_id", name=op.f("pk_reviews")),
    )
    op.create_index(op.f("ix_reviews_state"), "reviews", ["state"], unique=False)
    op.create_table(
        "comments",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("task_id", sa.String(length=32), nullable=False),
        sa.Column("author_id", sa.String(length=32), nullable=True),
        sa.Column("author_name", sa.String(length=120), nullable=False),
        sa.Column("by_guest", sa.Boolean(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("at_seconds", sa.Float(), nullable=True),
        sa.Column("created_at", WHEN, nullable=False),
        sa.Column("edited_at", WHEN, nullable=True),
        sa.ForeignKeyConstraint(
            ["task_id"], ["tasks.id"], name=op.f("fk_comments_task_id_tasks"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_comments")),
    )
    op.create_index(op.f("ix_comments_task_id"), "comments", ["task_id"], unique=False)
    op.create_table(
        "task_parents",
        sa.Column("task_id", sa.String(length=32), nullable=False),
        sa.Column("parent_id", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.ForeignKeyConstraint(
            ["task_id"],
            ["tasks.id"],
            name=op.f("fk_task_parents_task_id_tasks"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("task_id", name=op.f("pk_task_parents")),
    )
    op.create_index(op.f("ix_task_parents_parent_id"), "task_parents", ["parent_id"], unique=False)
    op.create_table(
        "review_links",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("token_sha256", sa.String(length=64), nullable=False),
        sa.Column("scope", sa.String(length=16), nullable=False),
        sa.Column("campaign", sa.String(length=120), nullable=False),
        sa.Column("task_ids", sa.JSON(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("allow_comments", sa.Boolean(), nullable=False),
        sa.Column("allow_approval", sa.Boolean(), nullable=False),
        sa.Column("show_prompts", sa.Boolean(), nullable=False),
        sa.Column("created_by_id", sa.String(length=32), nullable=True),
        sa.Column("created_by_name", sa.String(length=120), nullable=False),
        sa.Column("created_at", WHEN, nullable=False),
        sa.Column("expires_at", WHEN, nullable=False),
        sa.Column("revoked_at", WHEN, nullable=True),
        sa.Column("opens", sa.Integer(), nullable=False),
        sa.Column("last_opened_at", WHEN, nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_review_links")),
        sa.UniqueConstraint("token_sha256", name=op.f("uq_review_links_token_sha256")),
    )
    op.create_table(
        "favourites",
        sa.Column("account_id", sa.String(length=32), nullable=False),
        sa.Column("task_id", sa.String(length=32), nullable=False),
        sa.Column("at", WHEN, nullable=False),
        sa.ForeignKeyConstraint(
            ["task_id"], ["tasks.id"], name=op.f("fk_favourites_task_id_tasks"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("account_id", "task_id", name=op.f("pk_favourites")),
    )
    op.create_table(
        "hidden_videos",
        sa.Column("task_id", sa.String(length=32), nullable=False),
        sa.Column("by_id", sa.String(length=32), nullable=True),
        sa.Column("by_name", sa.String(length=120), nullable=False),
        sa.Column("at", WHEN, nullable=False),
        sa.ForeignKeyConstraint(
            ["task_id"],
            ["tasks.id"],
            name=op.f("fk_hidden_videos_task_id_tasks"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("task_id", name=op.f("pk_hidden_videos")),
    )
    # Retries made before this: their key says which video they tried again.
    op.execute(
        "INSERT INTO task_parents (task_id, parent_id, kind) "
        "SELECT t.id, substr(t.idempotency_key, 7), 'retry' FROM tasks t "
        "WHERE t.idempotency_key LIKE 'retry-%' "
        "AND substr(t.idempotency_key, 7) IN (SELECT id FROM tasks)"
    )


def downgrade() -> None:
    op.drop_table("hidden_videos")
    op.drop_table("favourites")
    op.drop_table("review_links")
    op.drop_index(op.f("ix_task_parents_parent_id"), table_name="task_parents")
    op.drop_table("task_parents")
    op.drop_index(op.f("ix_comments_task_id"), table_name="comments")
    op.drop_table("comments")
    op.drop_index(op.f("ix_reviews_state"), table_name="reviews")
    op.drop_table("reviews")
