"""Shared-text snapshots: a section's co-edited document saved at a stream version.

Derived data (server/coediting/snapshots.py): the log stays the record, and a snapshot
that does not check out is ignored. See docs/coediting.md.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "shared_text_snapshots",
        sa.Column("stream_id", sa.String(400), primary_key=True),
        sa.Column("stream_version", sa.Integer, nullable=False),
        sa.Column("format", sa.Integer, nullable=False),
        sa.Column("state", sa.LargeBinary, nullable=False),
        sa.Column("fold", sa.Text, nullable=False),
        sa.Column("digest", sa.String(64), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("shared_text_snapshots")
