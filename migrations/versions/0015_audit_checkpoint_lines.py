"""Audit checkpoint lines: beside the state of a stream that replays list (an amendment,
a motion, a dispute), the line listing it, so that a replay of a trial with thousands of
motions reads their lines instead of decoding their states.

Derived data (server/audit/checkpoint_store.py, server/audit/listed_lines.py): a line is
checked as its row is (schema version, the hash of the log's event at its position) and
against its own digest. Rows saved before are of the rows' format 1 (the markers'
positions were JSON): ignored, pruned and saved again. See docs/audit.md.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-05
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("audit_checkpoints", sa.Column("line", sa.LargeBinary, nullable=True))
    op.add_column("audit_checkpoints", sa.Column("line_digest", sa.String(64), nullable=True))


def downgrade() -> None:
    op.drop_column("audit_checkpoints", "line_digest")
    op.drop_column("audit_checkpoints", "line")
