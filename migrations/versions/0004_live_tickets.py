"""Live tickets: single-use, short-lived tickets that open a websocket for a script.

Stored as SHA-256 digests, like sessions and API tokens; any server process on the same
database can redeem one. See docs/live.md.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-21
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "live_tickets",
        sa.Column("ticket_hash", sa.String(64), primary_key=True),
        sa.Column("user_id", sa.String(40), sa.ForeignKey("users.id"), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("live_tickets_expiry", "live_tickets", ["expires_at"])


def downgrade() -> None:
    op.drop_index("live_tickets_expiry", table_name="live_tickets")
    op.drop_table("live_tickets")
