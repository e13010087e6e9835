"""An amendment as the fold of its events: the content hash and the history."""

from __future__ import annotations

from dataclasses import replace

from domain import amendment
from domain.amendment_details import AmendmentDetails, ProposedChange
from domain.amendment_events import (
    AmendmentOpened,
    SectionChangeProposed,
    SectionChangeRetracted,
)
from domain.amendment_state import AmendmentContent, AmendmentState, evolve, fold
from domain.content_hash import content_hash
from domain.protocol_events import SectionRemoved


def opened(details: AmendmentDetails, base_version: int = 1) -> AmendmentOpened:
    return AmendmentOpened(
        amendment_id="A-1",
        trial_id="t-1",
        base_version=base_version,
        details=details,
        opened_by="ivy",
    )


def proposed(change: ProposedChange, by: str = "ivy") -> SectionChangeProposed:
    return SectionChangeProposed(amendment_id="A-1", change=change, proposed_by=by)


def test_the_content_hash_covers_base_version_details_and_changes(
    details: AmendmentDetails, age_change: ProposedChange
) -> None:
    state = fold([opened(details), proposed(age_change)])
    expected = AmendmentContent(base_version=1, details=details, changes=(age_change,))
    assert state.content_hash == content_hash(expected)
    assert fold([opened(details, base_version=2), proposed(age_change)]).content_hash != (
        state.content_hash
    )
    summary = replace(details, summary="Other")
    assert fold([opened(summary), proposed(age_change)]).content_hash != state.content_hash


def test_the_hash_does_not_depend_on_the_order_changes_were_proposed(
    details: AmendmentDetails, age_change: ProposedChange
) -> None:
    other = replace(age_change, number="5.3", heading="Exclusion Criteria", text="None")
    one_way = fold([opened(details), proposed(age_change), proposed(other)])
    other_way = fold([opened(details), proposed(other), proposed(age_change)])
    assert one_way.content_hash == other_way.content_hash
    assert list(one_way.changes) == ["5.2", "5.3"]


def test_retracting_the_only_change_gives_back_the_opening_content(
    details: AmendmentDetails, age_change: ProposedChange
) -> None:
    opening = fold([opened(details)])
    retracted = fold(
        [
            proposed(age_change, by="sam"),
            SectionChangeRetracted(amendment_id="A-1", number="5.2", retracted_by="sam"),
        ],
        opening,
    )
    assert retracted.content_hash == opening.content_hash
    assert retracted.authors == {"ivy", "sam"}


def test_the_state_at_any_position_is_the_fold_of_the_events_before_it(
    draft: AmendmentState, submitted: AmendmentState
) -> None:
    assert draft.status is amendment.AmendmentStatus.DRAFT
    assert submitted.status is amendment.AmendmentStatus.SUBMITTED
    assert draft.content_hash == submitted.content_hash


def test_an_event_of_another_stream_changes_nothing(draft: AmendmentState) -> None:
    foreign = SectionRemoved(trial_id="t-1", number="1.1.2", removed_by="ivy")
    assert evolve(draft, foreign) == draft  # type: ignore[arg-type]


def test_the_summary_of_changes_comes_from_the_changes(draft: AmendmentState) -> None:
    [row] = draft.summary_of_changes()
    assert row.sections == ("5.2",)
    assert row.description == "Raise the upper age limit to 75"
