"""Projection snapshots: a projection's state (the directory, the authorization policy,
...) saved at a log position, so a process starts from it and reads only the log after it.

Derived data (events/snapshots.py): the log stays the record, and a snapshot that does not
check out against it is ignored. See docs/event-store.md.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "projection_snapshots",
        sa.Column("name", sa.String(200), primary_key=True),
        sa.Column(
            "position",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            primary_key=True,
            autoincrement=False,
        ),
        sa.Column("schema_version", sa.Integer, nullable=False),
        sa.Column("log_hash", sa.String(64), nullable=False),
        sa.Column("digest", sa.String(64), nullable=False),
        sa.Column("data", sa.LargeBinary, nullable=False),
        sa.Column("saved_at", sa.String(27), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("projection_snapshots")
