"""Every trial event type has plain words, and they read as a person would say them."""

from __future__ import annotations

import typing

import pytest

from domain.amendment_events import AmendmentEvent
from domain.catalog import EVENT_TYPES
from domain.dispute import DisputeEvent
from domain.engagement import EngagementEvent
from domain.imports import ImportEvent
from domain.motion import MotionEvent
from domain.protocol_events import ProtocolEvent
from domain.shared_text import SharedTextEvent
from domain.site_events import SiteEvent
from domain.workspace_events import WorkspaceEvent
from server.audit.event_words import (
    AUTOMATIC,
    MARKER_KINDS,
    MARKERS,
    WORDS,
    one_line,
    types_of_kinds,
    words_of,
)

TRIAL_EVENTS = (
    WorkspaceEvent,
    ProtocolEvent,
    AmendmentEvent,
    MotionEvent,
    DisputeEvent,
    EngagementEvent,
    ImportEvent,
    SharedTextEvent,
    SiteEvent,
)
"""What a trial's streams record (the accounts' and erasures' events are the system's)."""


def trial_event_types() -> set[str]:
    found: set[str] = set()
    for union in TRIAL_EVENTS:
        members = typing.get_args(union) or (union,)
        found |= {cls.event_type for cls in members}
    return found


class Known:
    def person(self, user_id: str) -> str:
        return {"u-ivy": "Dr Ivy Chen", "u-sam": "Samira Reyes", "u-pat": "Pat Okafor"}.get(
            user_id, user_id
        )

    def organization(self, organization_id: str) -> str:
        return {"st-marys": "St Mary's University Hospital"}.get(organization_id, organization_id)


def test_every_trial_event_type_has_words_and_no_stale_entry() -> None:
    trial_types = trial_event_types()
    assert len(trial_types) > 40
    assert trial_types - set(WORDS) == set(), "a trial event without plain words"
    assert set(WORDS) - trial_types == set(), "words for an event the domain no longer has"
    assert set(MARKERS) <= trial_types
    assert trial_types >= AUTOMATIC
    assert set(MARKERS.values()) == set(MARKER_KINDS)
    assert set(EVENT_TYPES) >= trial_types


@pytest.mark.parametrize("event_type", sorted(trial_event_types()))
def test_words_hold_even_for_data_missing_its_fields(event_type: str) -> None:
    words = words_of(event_type, {}, Known())
    assert words.action
    assert "{" not in words.action
    assert "\n" not in words.summary


def test_an_approval_is_the_systems_and_names_every_signer() -> None:
    words = words_of(
        "AmendmentApproved",
        {"amendment_id": "A-1", "content_hash": "ab", "signatories": ["u-sam", "u-ivy"]},
        Known(),
    )
    assert words.action == "Amendment A-1 approved (all required signatures given)"
    assert words.summary == "signed by Samira Reyes, Dr Ivy Chen"
    assert "AmendmentApproved" in AUTOMATIC


def test_words_name_people_organizations_and_records() -> None:
    names = Known()
    granted = words_of(
        "RoleGranted",
        {"user_id": "u-pat", "role": "patient_advocate", "reason": "joins\nas advocate"},
        names,
    )
    assert granted.action == "granted Pat Okafor the role patient advocate"
    assert granted.summary == "joins"
    opened = words_of(
        "AmendmentOpened",
        {"amendment_id": "A-1", "details": {"summary": "Widen the upper age limit"}},
        names,
    )
    assert opened == ("opened amendment A-1", "Widen the upper age limit")
    signed = words_of(
        "SignatureApplied",
        {
            "amendment_id": "A-1",
            "signature": {"printed_name": "Samira Reyes", "meaning": "approval"},
        },
        names,
    )
    assert signed.action == "signed amendment A-1 (approval)"
    decided = words_of(
        "MotionDecided",
        {
            "motion_id": "M-1",
            "outcome": "yes",
            "count": {
                "tally": [{"option": "yes", "votes": 3}, {"option": "no", "votes": 1}],
                "votes_cast": 4,
                "eligible_voters": 4,
                "votes_needed": 3,
            },
        },
        names,
    )
    assert decided.action == "closed motion M-1: decided “yes”"
    assert decided.summary == "yes: 3; no: 1 (4 votes cast, 3 needed for a quorum)"


def test_an_unknown_type_reads_as_its_name() -> None:
    assert words_of("SomethingLaterHappened", {}, Known()).action == (
        "recorded “something later happened”"
    )


def test_a_summary_is_one_short_line() -> None:
    assert one_line("first\nsecond") == "first"
    long = one_line("x" * 500)
    assert len(long) == 160
    assert long.endswith("…")


def test_kinds_choose_their_event_types() -> None:
    assert types_of_kinds(["version"]) == {"ProtocolVersionPublished"}
    assert "SignatureApplied" in types_of_kinds(["signature", "decision"])
    assert "MotionDecided" in types_of_kinds(["signature", "decision"])
