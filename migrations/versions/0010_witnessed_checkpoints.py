"""Checkpoints as C2SP signed notes, and the cosignatures of witnesses.

``checkpoints.note`` holds the whole signed note of a checkpoint in the C2SP
tlog-checkpoint format (origin, tree size, Merkle root, the server's signature line); it
is NULL for the checkpoints signed before this revision (position and hash only), which
stay as they were and are still verified. ``cosignatures`` holds each witness's
cosignature (C2SP tlog-cosignature) of the checkpoint of one tree size, append-only as the
log is. See docs/audit.md.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Plain ADD COLUMN: no batch copy of the table on SQLite, which would drop the
    # triggers that keep checkpoints from being changed or deleted.
    op.add_column("checkpoints", sa.Column("note", sa.Text, nullable=True))
    op.create_table(
        "cosignatures",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("tree_size", sa.BigInteger, nullable=False),
        sa.Column("witness", sa.String(200), nullable=False),
        sa.Column("key_id", sa.String(8), nullable=False),
        sa.Column("timestamp", sa.BigInteger, nullable=False),
        sa.Column("signature", sa.String(128), nullable=False),
        sa.Column("received_at", sa.String(27), nullable=False),
        sa.UniqueConstraint("tree_size", "witness", "key_id", name="cosignatures_once"),
    )
    if op.get_bind().dialect.name == "postgresql":
        # concord_reject_change() comes with revision 0001.
        op.execute(
            "CREATE TRIGGER cosignatures_append_only BEFORE UPDATE OR DELETE ON cosignatures "
            "FOR EACH ROW EXECUTE FUNCTION concord_reject_change()"
        )
    else:
        for action in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER cosignatures_no_{action.lower()} BEFORE {action} ON cosignatures"
                f" BEGIN SELECT RAISE(ABORT, 'cosignatures is append-only: {action} rejected');"
                " END"
            )


def downgrade() -> None:
    op.drop_table("cosignatures")
    op.drop_column("checkpoints", "note")
