"""Audit checkpoints: the states of a trial's streams at checkpoints of its history, so
that a restarted server need not fold a trial from its first event to replay it.

Derived data (server/audit/checkpoint_store.py): the log stays the record, and a row that
does not check out against it (schema version, the hash of the log's event at its
position, the digest of its bytes) is ignored and rebuilt from the log. See docs/audit.md.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

POSITION = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "audit_checkpoints",
        sa.Column("trial_id", sa.String(200), primary_key=True),
        sa.Column("count", POSITION, primary_key=True, autoincrement=False),
        sa.Column("stream_id", sa.String(200), primary_key=True),
        sa.Column("position", POSITION, nullable=False),
        sa.Column("stream_version", POSITION, nullable=False),
        sa.Column("schema_version", sa.Integer, nullable=False),
        sa.Column("log_hash", sa.String(64), nullable=False),
        sa.Column("digest", sa.String(64), nullable=False),
        sa.Column("data", sa.LargeBinary, nullable=False),
    )
    op.create_index("audit_checkpoints_by_position", "audit_checkpoints", ["position"])


def downgrade() -> None:
    op.drop_index("audit_checkpoints_by_position", "audit_checkpoints")
    op.drop_table("audit_checkpoints")
