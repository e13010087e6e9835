"""Per-person keys for crypto-shredding: personal data in events is stored encrypted under
its subject's key, and erasing the key (``key`` set to NULL, ``erased_at`` set) makes
that data unreadable while the log and its hash chain stay as they are. Never exported,
never logged. See docs/event-store.md ("Personal data: encrypted, erasable").

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "personal_data_keys",
        sa.Column("key_id", sa.String(40), primary_key=True),
        sa.Column("subject_id", sa.String(200), nullable=False),
        sa.Column("key", sa.LargeBinary, nullable=True),
        sa.Column("created_at", sa.String(27), nullable=False),
        sa.Column("erased_at", sa.String(27), nullable=True),
    )
    op.create_index(
        "personal_data_keys_subject", "personal_data_keys", ["subject_id", "created_at"]
    )


def downgrade() -> None:
    op.drop_index("personal_data_keys_subject", table_name="personal_data_keys")
    op.drop_table("personal_data_keys")
