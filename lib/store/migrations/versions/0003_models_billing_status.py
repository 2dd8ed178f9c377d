"""Several video models: what the service said about billing, and the model in the Costs
index.

- `billing_status` (`settled`, `refunded`, ... as the service's reply says; NULL for videos
  recorded before the service sent it: their `cost_quota` stays what was charged).
- `ix_tasks_status_costs` gains `model`, so that Costs per model is still read from the
  index alone. Every existing row keeps its model (`grok-imagine-1.0-video`, the only one
  there was): the column existed from the start.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OLD_COLUMNS = [
    "status",
    "created_at",
    "wave_task_id",
    "person",
    "campaign",
    "resolution",
    "duration",
    "estimate_quota",
    "pre_consumed_quota",
    "cost_quota",
    "refunded_quota",
]
NEW_COLUMNS = [*OLD_COLUMNS, "model"]


def upgrade() -> None:
    with op.batch_alter_table("tasks", schema=None) as batch_op:
        batch_op.add_column(sa.Column("billing_status", sa.String(length=16), nullable=True))
        batch_op.drop_index("ix_tasks_status_costs")
        batch_op.create_index("ix_tasks_status_costs", NEW_COLUMNS, unique=False)


def downgrade() -> None:
    with op.batch_alter_table("tasks", schema=None) as batch_op:
        batch_op.drop_index("ix_tasks_status_costs")
        batch_op.create_index("ix_tasks_status_costs", OLD_COLUMNS, unique=False)
        batch_op.drop_column("billing_status")
