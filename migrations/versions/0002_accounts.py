"""Accounts: users, sessions, API tokens, login throttle.

Users are never deleted and their id, username and creation time never change (triggers
reject it), so a user id is never reused and a username stays taken forever. Sessions and
API tokens are stored as SHA-256 digests only. See docs/accounts.md.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-21
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NEVER_DELETED = "users are never deleted: disable the account instead"
FIXED_IDENTITY = "a user's id, username and created_at never change"
FIXED_IDENTITY_SQL = FIXED_IDENTITY.replace("'", "''")  # inside a SQL string literal


def _timestamp() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "users",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("username", sa.String(64), nullable=False),
        sa.Column("username_key", sa.String(256), nullable=False),
        sa.Column("printed_name", sa.String(200), nullable=False),
        sa.Column("password_hash", sa.String(255), nullable=False),
        sa.Column("created_at", _timestamp(), nullable=False),
        sa.Column("password_changed_at", _timestamp(), nullable=False),
        sa.Column("disabled", sa.Boolean, nullable=False),
        sa.Column("disabled_at", _timestamp(), nullable=True),
    )
    op.create_index("users_username_key", "users", ["username_key"], unique=True)

    op.create_table(
        "user_sessions",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("user_id", sa.String(40), sa.ForeignKey("users.id"), nullable=False),
        sa.Column("csrf_token", sa.String(64), nullable=False),
        sa.Column("created_at", _timestamp(), nullable=False),
        sa.Column("last_seen_at", _timestamp(), nullable=False),
    )
    op.create_index("user_sessions_token_hash", "user_sessions", ["token_hash"], unique=True)
    op.create_index("user_sessions_user", "user_sessions", ["user_id"])

    op.create_table(
        "api_tokens",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("user_id", sa.String(40), sa.ForeignKey("users.id"), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("created_at", _timestamp(), nullable=False),
        sa.Column("last_used_at", _timestamp(), nullable=True),
        sa.Column("revoked_at", _timestamp(), nullable=True),
    )
    op.create_index("api_tokens_token_hash", "api_tokens", ["token_hash"], unique=True)
    op.create_index("api_tokens_user", "api_tokens", ["user_id"])

    op.create_table(
        "login_throttle",
        sa.Column("key", sa.String(64), primary_key=True),
        sa.Column("failures", sa.Integer, nullable=False),
        sa.Column("window_started_at", _timestamp(), nullable=True),
        sa.Column("last_failure_at", _timestamp(), nullable=True),
        sa.Column("locked_until", _timestamp(), nullable=True),
        sa.Column("lockouts", sa.Integer, nullable=False),
    )

    if op.get_bind().dialect.name == "postgresql":
        _postgres_guard_users()
    else:
        _sqlite_guard_users()


def _sqlite_guard_users() -> None:
    op.execute(
        "CREATE TRIGGER users_no_delete BEFORE DELETE ON users "
        f"BEGIN SELECT RAISE(ABORT, '{NEVER_DELETED}'); END"
    )
    op.execute(
        "CREATE TRIGGER users_fixed_identity BEFORE UPDATE ON users "
        "WHEN NEW.id IS NOT OLD.id OR NEW.username IS NOT OLD.username "
        "OR NEW.username_key IS NOT OLD.username_key OR NEW.created_at IS NOT OLD.created_at "
        f"BEGIN SELECT RAISE(ABORT, '{FIXED_IDENTITY_SQL}'); END"
    )


def _postgres_guard_users() -> None:
    op.execute(
        f"""
        CREATE FUNCTION concord_guard_users() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP IN ('DELETE', 'TRUNCATE') THEN
                RAISE EXCEPTION '{NEVER_DELETED} (% rejected)', TG_OP
                    USING ERRCODE = 'insufficient_privilege';
            END IF;
            IF NEW.id IS DISTINCT FROM OLD.id
                OR NEW.username IS DISTINCT FROM OLD.username
                OR NEW.username_key IS DISTINCT FROM OLD.username_key
                OR NEW.created_at IS DISTINCT FROM OLD.created_at THEN
                RAISE EXCEPTION '{FIXED_IDENTITY_SQL}'
                    USING ERRCODE = 'insufficient_privilege';
            END IF;
            RETURN NEW;
        END
        $$
        """
    )
    op.execute(
        "CREATE TRIGGER users_guard BEFORE UPDATE OR DELETE ON users "
        "FOR EACH ROW EXECUTE FUNCTION concord_guard_users()"
    )
    op.execute(
        "CREATE TRIGGER users_no_truncate BEFORE TRUNCATE ON users "
        "FOR EACH STATEMENT EXECUTE FUNCTION concord_guard_users()"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS users_guard ON users")
        op.execute("DROP TRIGGER IF EXISTS users_no_truncate ON users")
        op.execute("DROP FUNCTION IF EXISTS concord_guard_users()")
    else:
        op.execute("DROP TRIGGER IF EXISTS users_no_delete")
        op.execute("DROP TRIGGER IF EXISTS users_fixed_identity")
    op.drop_table("login_throttle")
    op.drop_table("api_tokens")
    op.drop_table("user_sessions")
    op.drop_table("users")
