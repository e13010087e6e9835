"""PostgreSQL: the group commit's write as one server-side function call.

``concord_append`` takes the log's write lock, checks that the head is still the one the
caller computed its batch on (position and hash) and that none of the idempotency keys
the caller believed unused has been used, then inserts the events and appends rows and
rings the doorbell; if a check fails it writes nothing and returns the log's state as
seen under the lock (``concord_log_state``), for the caller to decide the batch again.
Called alone (autocommit), the lock, the check, the inserts and the commit are one round
trip. See docs/event-store.md, "The PostgreSQL writer". SQLite has no such function.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-21
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

LOG_STATE = """
CREATE FUNCTION concord_log_state(stream_ids text[], keys text[]) RETURNS jsonb
LANGUAGE sql STABLE AS $$
    SELECT jsonb_build_object(
        'head', (SELECT jsonb_build_array(e.position, e.hash, e.recorded_at)
                 FROM events e ORDER BY e.position DESC LIMIT 1),
        'versions', (SELECT coalesce(jsonb_object_agg(v.stream_id, v.version), '{}')
                     FROM (SELECT e.stream_id, max(e.stream_version) AS version
                           FROM events e WHERE e.stream_id = ANY(stream_ids)
                           GROUP BY e.stream_id) v),
        'appends', (SELECT coalesce(jsonb_agg(jsonb_build_array(
                        a.idempotency_key, a.request_digest, a.first_position,
                        a.last_position, a.stream_versions)), '[]')
                    FROM appends a WHERE a.idempotency_key = ANY(keys))
    )
$$
"""

APPEND = """
CREATE FUNCTION concord_append(
    expected_position bigint, expected_hash text, stream_ids text[], unused_keys text[],
    e_position bigint[], e_stream_id text[], e_stream_version integer[], e_type text[],
    e_schema_version integer[], e_data text[], e_meta text[], e_recorded_at text[],
    e_prev_hash text[], e_hash text[],
    a_key text[], a_digest text[], a_first bigint[], a_last bigint[], a_versions text[]
) RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
    head_position bigint;
    head_hash text;
BEGIN
    -- Gap-free positions in commit order: held until this transaction commits.
    LOCK TABLE events IN EXCLUSIVE MODE;
    SELECT e.position, e.hash INTO head_position, head_hash
        FROM events e ORDER BY e.position DESC LIMIT 1;
    IF coalesce(head_position, 0) <> expected_position
       OR (head_position IS NOT NULL AND head_hash <> expected_hash)
       OR EXISTS (SELECT 1 FROM appends a WHERE a.idempotency_key = ANY(unused_keys)) THEN
        RETURN concord_log_state(stream_ids, unused_keys);
    END IF;
    INSERT INTO events (position, stream_id, stream_version, type, schema_version,
                        data, meta, recorded_at, prev_hash, hash)
        SELECT * FROM unnest(e_position, e_stream_id, e_stream_version, e_type,
                             e_schema_version, e_data, e_meta, e_recorded_at,
                             e_prev_hash, e_hash);
    INSERT INTO appends (idempotency_key, request_digest, first_position, last_position,
                         stream_versions)
        SELECT * FROM unnest(a_key, a_digest, a_first, a_last, a_versions);
    IF cardinality(e_position) > 0 THEN
        PERFORM pg_notify('concord_events', '');
    END IF;
    RETURN NULL;
END
$$
"""


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(LOG_STATE)
    op.execute(APPEND)


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP FUNCTION IF EXISTS concord_append")
    op.execute("DROP FUNCTION IF EXISTS concord_log_state")
