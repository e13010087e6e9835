"""Account lifecycle: a password someone else set must be changed at the next sign-in,
and API tokens expire.

``users.must_change_password`` is true after an administrator's reset and for accounts
created with a password chosen by someone else than their owner. ``api_tokens.expires_at``
is when a token stops resolving; tokens issued before this revision get 90 days from the
upgrade. See docs/accounts.md.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-04
"""

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

EXISTING_TOKENS_LIFETIME = timedelta(days=90)


def upgrade() -> None:
    # Plain ADD COLUMN (no batch copy of the table on SQLite: it would drop the triggers
    # that keep users from being deleted). expires_at stays nullable in the schema; the
    # code always writes one.
    op.add_column(
        "users",
        sa.Column("must_change_password", sa.Boolean, nullable=False, server_default=sa.false()),
    )
    op.add_column("api_tokens", sa.Column("expires_at", sa.DateTime(timezone=True)))
    expires = datetime.now(UTC) + EXISTING_TOKENS_LIFETIME
    value = expires.replace(tzinfo=None) if op.get_bind().dialect.name == "sqlite" else expires
    tokens = sa.table("api_tokens", sa.column("expires_at", sa.DateTime(timezone=True)))
    op.execute(tokens.update().values(expires_at=value))


def downgrade() -> None:
    op.drop_column("api_tokens", "expires_at")
    op.drop_column("users", "must_change_password")
