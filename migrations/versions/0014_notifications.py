"""Email notifications: each person's choice (immediate, a daily digest, or off) and
address, which inbox items they were told about, and the mails queued and sent.

Operational data beside the log, like the account tables (server/notifications/): the
address is personal and never enters the log; an erasure of the person deletes their rows
(server/personal_data.py). See docs/notifications.md.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

MOMENT = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "notification_preferences",
        sa.Column("user_id", sa.String(40), primary_key=True),
        sa.Column("mode", sa.String(16), nullable=False),
        sa.Column("email", sa.String(254), nullable=True),
        sa.Column("updated_at", MOMENT, nullable=False),
        sa.Column("last_digest_at", MOMENT, nullable=True),
    )
    op.create_table(
        "notification_mails",
        sa.Column("mail_id", sa.String(40), primary_key=True),
        sa.Column("user_id", sa.String(40), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("to_address", sa.String(254), nullable=False),
        sa.Column("subject", sa.String(400), nullable=False),
        sa.Column("body_text", sa.Text, nullable=False),
        sa.Column("body_html", sa.Text, nullable=False),
        sa.Column("created_at", MOMENT, nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("next_attempt_at", MOMENT, nullable=False),
        sa.Column("claimed_until", MOMENT, nullable=True),
        sa.Column("sent_at", MOMENT, nullable=True),
        sa.Column("given_up_at", MOMENT, nullable=True),
        sa.Column("last_error", sa.String(400), nullable=True),
    )
    op.create_index("notification_mails_due", "notification_mails", ["sent_at", "next_attempt_at"])
    op.create_index("notification_mails_by_user", "notification_mails", ["user_id"])
    op.create_table(
        "notification_items",
        sa.Column("user_id", sa.String(40), primary_key=True),
        sa.Column("item_key", sa.String(64), primary_key=True),
        sa.Column("trial_id", sa.String(200), nullable=False),
        sa.Column("noticed_at", MOMENT, nullable=False),
        sa.Column("mail_id", sa.String(40), nullable=True),
    )
    op.create_index("notification_items_by_trial", "notification_items", ["user_id", "trial_id"])


def downgrade() -> None:
    op.drop_index("notification_items_by_trial", "notification_items")
    op.drop_table("notification_items")
    op.drop_index("notification_mails_by_user", "notification_mails")
    op.drop_index("notification_mails_due", "notification_mails")
    op.drop_table("notification_mails")
    op.drop_table("notification_preferences")
