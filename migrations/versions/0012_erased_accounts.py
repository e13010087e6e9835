"""Erased accounts: ``users.erased_at``, and the guard on the users table lets an erasure
replace the account's username and printed name, once.

An erasure of a person's personal data (docs/event-store.md, "Personal data") also
removes them from the accounts table: the username becomes ``erased-`` + the user id
(so the old one is free again and nothing here can be looked up by it), the printed name
``[erased]``, and the account stays disabled for good. The guard still refuses every
other change of the id, username or creation time, and any change at all to an erased
account's username, printed name, disabled flag or erasure time.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NEVER_DELETED = "users are never deleted: disable the account instead"
FIXED_IDENTITY = "a user's id, username and created_at never change (but by an erasure, once)"
FIXED_IDENTITY_SQL = FIXED_IDENTITY.replace("'", "''")
OLD_FIXED_IDENTITY_SQL = "a user''s id, username and created_at never change"

_ERASING = (
    "OLD.erased_at IS NULL AND NEW.erased_at IS NOT NULL AND NEW.disabled"
    " AND NEW.username = 'erased-' || OLD.id AND NEW.username_key = 'erased-' || OLD.id"
    " AND NEW.printed_name = '[erased]'"
)
_SQLITE_REFUSED = (
    "NEW.id IS NOT OLD.id OR NEW.created_at IS NOT OLD.created_at"
    " OR ((NEW.username IS NOT OLD.username OR NEW.username_key IS NOT OLD.username_key)"
    f" AND NOT ({_ERASING}))"
    " OR (OLD.erased_at IS NOT NULL AND (NEW.erased_at IS NOT OLD.erased_at"
    " OR NEW.username IS NOT OLD.username OR NEW.printed_name IS NOT OLD.printed_name"
    " OR NEW.disabled IS NOT OLD.disabled))"
)
_POSTGRES_REFUSED = _SQLITE_REFUSED.replace("IS NOT OLD", "IS DISTINCT FROM OLD")


def upgrade() -> None:
    # Plain ADD COLUMN (a batch copy of the table on SQLite would drop its triggers).
    op.add_column("users", sa.Column("erased_at", sa.DateTime(timezone=True)))
    if op.get_bind().dialect.name == "postgresql":
        _postgres_guard(_POSTGRES_REFUSED, FIXED_IDENTITY_SQL)
    else:
        _sqlite_guard(_SQLITE_REFUSED, FIXED_IDENTITY_SQL)


def downgrade() -> None:
    old = (
        "NEW.id IS NOT OLD.id OR NEW.username IS NOT OLD.username "
        "OR NEW.username_key IS NOT OLD.username_key OR NEW.created_at IS NOT OLD.created_at"
    )
    if op.get_bind().dialect.name == "postgresql":
        _postgres_guard(old.replace("IS NOT OLD", "IS DISTINCT FROM OLD"), OLD_FIXED_IDENTITY_SQL)
    else:
        _sqlite_guard(old, OLD_FIXED_IDENTITY_SQL)
    op.drop_column("users", "erased_at")


def _sqlite_guard(refused: str, message: str) -> None:
    op.execute("DROP TRIGGER IF EXISTS users_fixed_identity")
    op.execute(
        "CREATE TRIGGER users_fixed_identity BEFORE UPDATE ON users "
        f"WHEN {refused} BEGIN SELECT RAISE(ABORT, '{message}'); END"
    )


def _postgres_guard(refused: str, message: str) -> None:
    op.execute(
        f"""
        CREATE OR REPLACE FUNCTION concord_guard_users() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP IN ('DELETE', 'TRUNCATE') THEN
                RAISE EXCEPTION '{NEVER_DELETED} (% rejected)', TG_OP
                    USING ERRCODE = 'insufficient_privilege';
            END IF;
            IF {refused} THEN
                RAISE EXCEPTION '{message}'
                    USING ERRCODE = 'insufficient_privilege';
            END IF;
            RETURN NEW;
        END
        $$
        """
    )
