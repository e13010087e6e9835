"""Signed checkpoints of the log's head (see docs/audit.md).

A checkpoint is the server's Ed25519 signature over a position and the hash the chain
has there. Kept outside the events table, it shows when events were cut off the end of
the log. Append-only, as the log is.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-21
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "checkpoints",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("position", sa.BigInteger, nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.Column("signed_at", sa.String(27), nullable=False),
        sa.Column("key_id", sa.String(64), nullable=False),
        sa.Column("signature", sa.String(128), nullable=False),
    )
    if op.get_bind().dialect.name == "postgresql":
        # concord_reject_change() comes with revision 0001.
        op.execute(
            "CREATE TRIGGER checkpoints_append_only BEFORE UPDATE OR DELETE ON checkpoints "
            "FOR EACH ROW EXECUTE FUNCTION concord_reject_change()"
        )
    else:
        for action in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER checkpoints_no_{action.lower()} BEFORE {action} ON checkpoints "
                f"BEGIN SELECT RAISE(ABORT, 'checkpoints is append-only: {action} rejected'); END"
            )


def downgrade() -> None:
    op.drop_table("checkpoints")
