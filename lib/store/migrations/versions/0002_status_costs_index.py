"""A covering index for the Costs page, in place of the index on status alone.

`ix_tasks_status_costs` starts with status and creation time (so "the newest finished
videos" and History's status filter still read in order, as with `ix_tasks_status`) and
carries every column the Costs page sums: at 100,000 videos its figures are read from
this index alone instead of from the wide rows (prompts, requests).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = [
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


def upgrade() -> None:
    with op.batch_alter_table("tasks", schema=None) as batch_op:
        batch_op.create_index("ix_tasks_status_costs", COLUMNS, unique=False)
        batch_op.drop_index("ix_tasks_status")


def downgrade() -> None:
    with op.batch_alter_table("tasks", schema=None) as batch_op:
        batch_op.create_index("ix_tasks_status", ["status"], unique=False)
        batch_op.drop_index("ix_tasks_status_costs")
