"""The audit trail's first rows, a trial's founding, name the founder and the role the
founding gave them (the founder is nobody's member when the founding's events begin)."""

from __future__ import annotations

from events import EventStore
from server.audit.trail import audit_trail
from server.demo import DEMO_TRIAL, DemoPerson


async def test_the_founding_rows_name_the_founder_and_their_role(
    store: EventStore, demo: dict[str, DemoPerson]
) -> None:
    founder = demo["alex"]
    rows = [entry async for entry in audit_trail(store, DEMO_TRIAL)]
    founding = [row for row in rows if row.position <= rows[0].position + 4]
    assert founding[0].event == "TrialCreated"
    for row in founding:
        assert (row.user_id, row.printed_name) == (founder.user_id, founder.printed_name)
        assert "trial_admin" in row.roles
        assert row.organization
    later = rows[len(founding)]
    assert later.printed_name  # the rows after the founding are named as before
