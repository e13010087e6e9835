"""Merkle tree nodes: the RFC 9162 tree over the log, kept as events commit.

One row per saved complete subtree: the node at (``level``, ``node_index``) is the hash
of leaves ``node_index * 2**level`` to ``(node_index + 1) * 2**level - 1`` (leaf i is the
event at log position i + 1). Only levels 4 and up are saved (subtrees of 16 events or
more); smaller ones are hashed again from the events' stored hashes. Derived data
(events/merkle.py defines it, events/merkle_store.py keeps it): the log stays the
record, and the tree can be rebuilt from it. See docs/log-format.md.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "merkle_nodes",
        sa.Column("level", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column(
            "node_index",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            primary_key=True,
            autoincrement=False,
        ),
        sa.Column("hash", sa.LargeBinary(32), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("merkle_nodes")
