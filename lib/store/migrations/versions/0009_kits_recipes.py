"""Brand kits and the shared prompt library (issue 18): the kits and recipes tables, and
on each task the kit it used (id, and its name then) and the recipe it was started from.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

WHEN = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "kits",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("before_words", sa.Text(), nullable=False),
        sa.Column("after_words", sa.Text(), nullable=False),
        sa.Column("banned", sa.JSON(), nullable=False),
        sa.Column("model", sa.String(length=64), nullable=True),
        sa.Column("aspect_ratio", sa.String(length=8), nullable=True),
        sa.Column("resolution", sa.String(length=8), nullable=True),
        sa.Column("duration", sa.Integer(), nullable=True),
        sa.Column("pictures", sa.JSON(), nullable=False),
        sa.Column("updated_by", sa.String(length=120), nullable=False),
        sa.Column("updated_at", WHEN, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_kits")),
        sa.UniqueConstraint("name", name=op.f("uq_kits_name")),
    )
    op.create_table(
        "recipes",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("title", sa.String(length=120), nullable=False),
        sa.Column("tags", sa.JSON(), nullable=False),
        sa.Column("settings", sa.JSON(), nullable=False),
        sa.Column("pictures", sa.JSON(), nullable=False),
        sa.Column("kit_id", sa.String(length=32), nullable=True),
        sa.Column("author_id", sa.String(length=32), nullable=True),
        sa.Column("author_name", sa.String(length=120), nullable=False),
        sa.Column("created_at", WHEN, nullable=False),
        sa.Column("updated_at", WHEN, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recipes")),
    )
    op.create_index(op.f("ix_recipes_created_at"), "recipes", ["created_at"], unique=False)
    # Plain ADD COLUMN (no batch copy of `tasks`): SQLite keeps 0007's search triggers.
    op.add_column("tasks", sa.Column("kit_id", sa.String(length=32), nullable=True))
    op.add_column(
        "tasks",
        sa.Column("kit_name", sa.String(length=80), nullable=False, server_default=""),
    )
    op.add_column("tasks", sa.Column("recipe_id", sa.String(length=32), nullable=True))
    op.create_index(op.f("ix_tasks_recipe_id"), "tasks", ["recipe_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_tasks_recipe_id"), table_name="tasks")
    with op.batch_alter_table("tasks") as batch:
        batch.drop_column("recipe_id")
        batch.drop_column("kit_name")
        batch.drop_column("kit_id")
    op.drop_index(op.f("ix_recipes_created_at"), table_name="recipes")
    op.drop_table("recipes")
    op.drop_table("kits")
