"""Writing the protocol: drafting, concurrent revisions, edit conflicts, publication."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain import errors, protocol
from domain.actor import Actor
from domain.catalog import from_data, to_data
from domain.m11 import OUTLINE
from domain.protocol import (
    AddSection,
    DraftProtocol,
    PublishProtocol,
    RemoveSection,
    ResolveEditConflict,
    ReviseSection,
)
from domain.protocol_events import (
    ProtocolEvent,
    ProtocolVersionPublished,
    SectionAdded,
    SectionConflictResolved,
    SectionEditConflicted,
    SectionRemoved,
    SectionRevised,
    SectionText,
)
from domain.protocol_state import KEPT_REVISIONS, ProtocolState, document_hash
from tests.unit.domain.steps import runner

CRITERIA = "Age 18 to 65\nConfirmed diagnosis\nSigned consent"


run = runner(protocol.decide, protocol.fold)


def revise(actor: Actor, base: int, text: str, number: str = "5.2") -> ReviseSection:
    return ReviseSection(
        actor=actor, number=number, base_revision=base, text=text, reason="Correct the criteria"
    )


def test_a_draft_has_the_whole_m11_outline_at_revision_1(
    drafted_protocol: ProtocolState,
) -> None:
    document = drafted_protocol.document()
    assert list(document) == [section.number for section in OUTLINE]
    assert document["5.2"].text == CRITERIA
    assert document["6.1"].text == ""
    assert {s.head.revision for s in drafted_protocol.sections.values()} == {1}


def test_a_protocol_is_drafted_once_and_only_with_m11_sections(
    admin: Actor, drafted_protocol: ProtocolState
) -> None:
    draft = DraftProtocol(actor=admin, trial_id="t-1", title="T")
    with pytest.raises(errors.ProtocolAlreadyDrafted):
        protocol.decide(drafted_protocol, draft)
    with pytest.raises(errors.SectionNotFound, match=r"\['15.1'\] are not in the M11 outline"):
        protocol.decide(protocol.NEW_PROTOCOL, replace(draft, texts={"15.1": "x"}))


def test_commands_need_a_drafted_protocol(admin: Actor) -> None:
    with pytest.raises(errors.ProtocolNotDrafted):
        protocol.decide(protocol.NEW_PROTOCOL, revise(admin, 1, "x"))


def test_a_revision_of_the_latest_revision_names_its_base(
    drafted_protocol: ProtocolState, investigator: Actor
) -> None:
    events = protocol.decide(drafted_protocol, revise(investigator, 1, "Age 18 to 75"))
    assert events == [
        SectionRevised(
            trial_id="t-1",
            number="5.2",
            revision=2,
            based_on=1,
            heading="Inclusion Criteria",
            text="Age 18 to 75",
            revised_by="ivy",
            reason="Correct the criteria",
        )
    ]


def test_a_revision_states_why(drafted_protocol: ProtocolState, investigator: Actor) -> None:
    for blank in ("", " \n"):
        command = replace(revise(investigator, 1, "Age 18 to 75"), reason=blank)
        with pytest.raises(errors.RevisionReasonMissing, match=r"say why section 5\.2 changes"):
            protocol.decide(drafted_protocol, command)


def test_adding_removing_and_settling_a_conflict_state_why(
    conflicted: ProtocolState, investigator: Actor, sponsor_lead: Actor
) -> None:
    add = AddSection(actor=investigator, number="5.2.1", heading="Age", text="", reason="")
    remove = RemoveSection(actor=investigator, number="1.1.2", reason=" ")
    settle = ResolveEditConflict(
        actor=sponsor_lead, conflict_number=1, head_revision=2, text="x", reason="\t"
    )
    for command, asked in (
        (add, r"say why subsection 5\.2\.1 is added"),
        (remove, r"say why subsection 1\.1\.2 is removed"),
        (settle, r"say why edit conflict 1 is settled so"),
    ):
        with pytest.raises(errors.RevisionReasonMissing, match=asked):
            protocol.decide(conflicted, command)
    [added] = protocol.decide(conflicted, replace(add, reason="  Age limits "))
    assert isinstance(added, SectionAdded)
    assert added.reason == "Age limits"


def test_revisions_from_the_same_base_touching_different_lines_merge(
    drafted_protocol: ProtocolState, investigator: Actor, sponsor_lead: Actor
) -> None:
    first = run(drafted_protocol, revise(investigator, 1, CRITERIA.replace("65", "75")))
    second = revise(sponsor_lead, 1, CRITERIA.replace("Signed", "Written"))
    [merged] = protocol.decide(first, second)
    assert merged == SectionRevised(
        trial_id="t-1",
        number="5.2",
        revision=3,
        based_on=1,
        heading="Inclusion Criteria",
        text="Age 18 to 75\nConfirmed diagnosis\nWritten consent",
        revised_by="sam",
        merged_with=2,
        reason="Correct the criteria",
    )


def test_revisions_from_the_same_base_changing_the_same_line_conflict(
    drafted_protocol: ProtocolState, investigator: Actor, sponsor_lead: Actor
) -> None:
    first = run(drafted_protocol, revise(investigator, 1, CRITERIA.replace("65", "75")))
    [conflict] = protocol.decide(first, revise(sponsor_lead, 1, CRITERIA.replace("18", "21")))
    assert conflict == SectionEditConflicted(
        trial_id="t-1",
        conflict_number=1,
        number="5.2",
        base_revision=1,
        head_revision=2,
        heading="Inclusion Criteria",
        text=CRITERIA.replace("18", "21"),
        proposed_by="sam",
        reason="Correct the criteria",
    )
    conflicted = protocol.fold([conflict], first)
    assert conflicted.live_section("5.2").head.text == CRITERIA.replace("65", "75")  # type: ignore[union-attr]
    assert list(conflicted.open_conflicts) == [1]


def test_concurrent_renames_of_a_heading_conflict_and_a_rename_merges_with_an_edit(
    drafted_protocol: ProtocolState, investigator: Actor, sponsor_lead: Actor
) -> None:
    renamed = run(
        drafted_protocol,
        replace(revise(investigator, 1, "", number="1.1.2"), heading="Design at a Glance"),
    )
    rival = replace(revise(sponsor_lead, 1, "", number="1.1.2"), heading="Design Overview")
    [conflict] = protocol.decide(renamed, rival)
    assert isinstance(conflict, SectionEditConflicted)
    edit = revise(sponsor_lead, 1, "Parallel groups", number="1.1.2")
    merged = run(renamed, edit).document()["1.1.2"]
    assert (merged.heading, merged.text) == ("Design at a Glance", "Parallel groups")


@pytest.fixture(scope="module")
def conflicted(
    drafted_protocol: ProtocolState, investigator: Actor, sponsor_lead: Actor
) -> ProtocolState:
    return run(
        drafted_protocol,
        revise(investigator, 1, CRITERIA.replace("65", "75")),
        revise(sponsor_lead, 1, CRITERIA.replace("18", "21")),
    )


def test_a_person_resolves_an_edit_conflict_with_a_new_revision(
    conflicted: ProtocolState, sponsor_lead: Actor
) -> None:
    resolve = ResolveEditConflict(
        actor=sponsor_lead,
        conflict_number=1,
        head_revision=2,
        text=CRITERIA.replace("18 to 65", "21 to 75"),
        reason="Both limits widened, as agreed",
    )
    [resolved] = protocol.decide(conflicted, resolve)
    assert resolved == SectionConflictResolved(
        trial_id="t-1",
        conflict_number=1,
        number="5.2",
        revision=3,
        based_on=2,
        heading="Inclusion Criteria",
        text=CRITERIA.replace("18 to 65", "21 to 75"),
        resolved_by="sam",
        reason="Both limits widened, as agreed",
    )
    after = protocol.fold([resolved], conflicted)
    assert after.open_conflicts == {}
    assert after.document()["5.2"].text == CRITERIA.replace("18 to 65", "21 to 75")


def test_keeping_the_head_resolves_a_conflict_without_a_new_revision(
    conflicted: ProtocolState, sponsor_lead: Actor
) -> None:
    keep = ResolveEditConflict(
        actor=sponsor_lead,
        conflict_number=1,
        head_revision=2,
        text=CRITERIA.replace("65", "75"),
        reason="The upper limit is the one agreed",
    )
    after = run(conflicted, keep)
    assert after.open_conflicts == {}
    assert after.live_section("5.2").head.revision == 2  # type: ignore[union-attr]


def test_a_resolution_must_be_based_on_the_latest_revision(
    conflicted: ProtocolState, sponsor_lead: Actor, investigator: Actor
) -> None:
    moved_on = run(conflicted, revise(investigator, 2, CRITERIA.replace("65", "80")))
    resolve = ResolveEditConflict(
        actor=sponsor_lead, conflict_number=1, head_revision=2, text="x", reason="Agreed"
    )
    with pytest.raises(errors.StaleRevision, match=r"section 5\.2 is at revision 3, not 2"):
        protocol.decide(moved_on, resolve)


def test_only_open_conflicts_are_resolved(conflicted: ProtocolState, sponsor_lead: Actor) -> None:
    resolve = ResolveEditConflict(
        actor=sponsor_lead, conflict_number=9, head_revision=2, text="x", reason="Agreed"
    )
    with pytest.raises(errors.EditConflictNotFound):
        protocol.decide(conflicted, resolve)


def test_a_revision_must_name_a_revision_the_section_has(
    drafted_protocol: ProtocolState, investigator: Actor
) -> None:
    with pytest.raises(errors.RevisionNotFound, match="no revision 7"):
        protocol.decide(drafted_protocol, revise(investigator, 7, "x"))


def test_a_section_keeps_its_latest_revisions_and_refuses_a_change_based_on_an_older_one(
    drafted_protocol: ProtocolState, investigator: Actor, sponsor_lead: Actor
) -> None:
    state = drafted_protocol
    for n in range(1, KEPT_REVISIONS + 20):
        state = run(state, revise(investigator, n, f"{CRITERIA}\nrevision {n + 1}"))
    section = state.sections["5.2"]
    head = section.head.revision
    assert head == KEPT_REVISIONS + 20
    assert len(section.revisions) == KEPT_REVISIONS
    # Within what is kept, an old base still merges three ways.
    oldest_kept = head - KEPT_REVISIONS + 1
    base_text = section.revision(oldest_kept).text  # type: ignore[union-attr]
    [merged] = protocol.decide(state, revise(sponsor_lead, oldest_kept, f"Note\n{base_text}"))
    assert isinstance(merged, SectionRevised)
    assert merged.merged_with == head
    with pytest.raises(
        errors.RevisionNotFound, match=rf"more than {KEPT_REVISIONS} revisions old.*reload"
    ):
        protocol.decide(state, revise(sponsor_lead, oldest_kept - 1, "Age 21"))


def test_a_revision_that_changes_nothing_is_refused(
    drafted_protocol: ProtocolState, investigator: Actor
) -> None:
    with pytest.raises(errors.SectionUnchanged):
        protocol.decide(drafted_protocol, revise(investigator, 1, CRITERIA))


def test_level_1_and_2_headings_cannot_be_renamed(
    drafted_protocol: ProtocolState, investigator: Actor
) -> None:
    rename = replace(revise(investigator, 1, CRITERIA), heading="Who Can Join")
    with pytest.raises(errors.FixedHeadingChanged, match="'Inclusion Criteria'"):
        protocol.decide(drafted_protocol, rename)


def test_deeper_headings_can_be_renamed(
    drafted_protocol: ProtocolState, investigator: Actor
) -> None:
    rename = replace(revise(investigator, 1, "", number="1.1.2"), heading="Design at a Glance")
    assert run(drafted_protocol, rename).document()["1.1.2"].heading == "Design at a Glance"


def test_a_renamed_heading_must_not_be_blank(
    drafted_protocol: ProtocolState, investigator: Actor
) -> None:
    rename = replace(revise(investigator, 1, "", number="1.1.2"), heading="  ")
    with pytest.raises(errors.RequiredTextMissing, match=r"heading of section 1\.1\.2"):
        protocol.decide(drafted_protocol, rename)


def test_subsections_are_added_below_level_2_under_an_existing_parent(
    drafted_protocol: ProtocolState, investigator: Actor
) -> None:
    add = AddSection(
        actor=investigator, number="5.2.1", heading="Age", text="18 to 65", reason="Age limits"
    )
    assert protocol.decide(drafted_protocol, add) == [
        SectionAdded(
            trial_id="t-1",
            number="5.2.1",
            revision=1,
            heading="Age",
            text="18 to 65",
            added_by="ivy",
            reason="Age limits",
        )
    ]
    with pytest.raises(errors.FixedSectionAdded):
        protocol.decide(drafted_protocol, replace(add, number="5.7"))
    with pytest.raises(errors.SectionNotFound, match=r"parent section 5\.9"):
        protocol.decide(drafted_protocol, replace(add, number="5.9.1"))
    with pytest.raises(errors.InvalidSectionNumber):
        protocol.decide(drafted_protocol, replace(add, number="5.2.x"))
    with pytest.raises(errors.SectionAlreadyExists):
        protocol.decide(drafted_protocol, replace(add, number="1.1.1"))
    with pytest.raises(errors.RequiredTextMissing, match=r"heading of section 5\.2\.1"):
        protocol.decide(drafted_protocol, replace(add, heading=""))


def test_subsections_are_removed_but_fixed_sections_stay(
    drafted_protocol: ProtocolState, investigator: Actor
) -> None:
    remove = RemoveSection(actor=investigator, number="1.1.2", reason="Said in 1.1.1")
    assert protocol.decide(drafted_protocol, remove) == [
        SectionRemoved(trial_id="t-1", number="1.1.2", removed_by="ivy", reason="Said in 1.1.1")
    ]
    assert "1.1.2" not in run(drafted_protocol, remove).document()
    with pytest.raises(errors.FixedSectionRemoved):
        protocol.decide(drafted_protocol, replace(remove, number="1.1"))
    with pytest.raises(errors.SectionNotFound):
        protocol.decide(run(drafted_protocol, remove), remove)


def test_a_section_with_subsections_is_not_removed(
    drafted_protocol: ProtocolState, investigator: Actor
) -> None:
    nested = run(
        drafted_protocol,
        AddSection(actor=investigator, number="5.2.1", heading="Age", text="", reason="Age"),
        AddSection(
            actor=investigator, number="5.2.1.1", heading="Upper limit", text="", reason="Limit"
        ),
    )
    with pytest.raises(errors.SectionHasSubsections, match=r"\['5.2.1.1'\]"):
        protocol.decide(nested, RemoveSection(actor=investigator, number="5.2.1", reason="Unused"))


def test_a_removed_subsection_can_come_back_with_its_history(
    drafted_protocol: ProtocolState, investigator: Actor
) -> None:
    back = run(
        drafted_protocol,
        RemoveSection(actor=investigator, number="1.1.2", reason="Unused"),
        AddSection(
            actor=investigator,
            number="1.1.2",
            heading="Overall Design",
            text="Parallel",
            reason="Needed after all",
        ),
    )
    section = back.live_section("1.1.2")
    assert section is not None
    assert [r.revision for r in section.revisions] == [1, 2]


def test_a_section_with_an_open_conflict_is_not_removed(
    drafted_protocol: ProtocolState, investigator: Actor, sponsor_lead: Actor
) -> None:
    conflicted = run(
        drafted_protocol,
        revise(investigator, 1, "Parallel", number="1.1.2"),
        revise(sponsor_lead, 1, "Crossover", number="1.1.2"),
    )
    with pytest.raises(
        errors.EditConflictsOpen, match=r"section 1.1.2 has open edit conflicts \[1\]"
    ):
        protocol.decide(
            conflicted, RemoveSection(actor=investigator, number="1.1.2", reason="Unused")
        )


def test_publishing_makes_version_1_with_the_documents_hash(
    drafted_protocol: ProtocolState, admin: Actor
) -> None:
    [published] = protocol.decide(
        drafted_protocol, PublishProtocol(actor=admin, effective_date=date(2026, 1, 1))
    )
    assert published == ProtocolVersionPublished(
        trial_id="t-1",
        version=1,
        effective_date="2026-01-01",
        content_hash=document_hash(drafted_protocol.document()),
        published_by="ada",
        changed_sections=tuple(drafted_protocol.document()),
    )


def test_publishing_waits_for_open_conflicts(conflicted: ProtocolState, admin: Actor) -> None:
    with pytest.raises(errors.EditConflictsOpen, match="the protocol has open edit conflicts"):
        protocol.decide(conflicted, PublishProtocol(actor=admin, effective_date=date(2026, 1, 1)))


def test_after_publication_only_amendments_change_the_protocol(
    published_protocol: ProtocolState, admin: Actor, investigator: Actor
) -> None:
    for command in (
        revise(investigator, 1, "x"),
        AddSection(actor=investigator, number="5.2.1", heading="Age", text="", reason="Age"),
        RemoveSection(actor=investigator, number="1.1.2", reason="Unused"),
        PublishProtocol(actor=admin, effective_date=date(2026, 2, 1)),
    ):
        with pytest.raises(errors.ProtocolUnderChangeControl):
            protocol.decide(published_protocol, command)


def test_an_amended_version_revises_adds_and_removes_then_publishes(
    published_protocol: ProtocolState,
) -> None:
    changes = {
        "5.2": SectionText(number="5.2", heading="Inclusion Criteria", text="Age 18 to 75"),
        "5.2.1": SectionText(number="5.2.1", heading="Age", text="18 to 75"),
        "1.1.2": None,
    }
    events = protocol.amended_version(
        published_protocol,
        amendment_id="A-1",
        changes=changes,
        reasons={n: f"why {n}" for n in changes},
        authors=("ivy", "olu"),
        effective_date=date(2026, 4, 1),
        published_by="sam",
    )
    assert [type(e) for e in events] == [
        SectionRemoved,
        SectionRevised,
        SectionAdded,
        ProtocolVersionPublished,
    ]
    after = protocol.fold(events, published_protocol)
    assert after.current_version == 2
    assert after.versions[-1].content_hash == document_hash(after.document())
    assert after.versions[-1].changed_sections == {"1.1.2", "5.2", "5.2.1"}
    assert after.changed_since(1) == {"1.1.2": ("A-1",), "5.2": ("A-1",), "5.2.1": ("A-1",)}
    assert after.live_section("5.2").head.amendment_id == "A-1"  # type: ignore[union-attr]
    removed, revised, added = events[:3]
    assert isinstance(removed, SectionRemoved)
    assert removed.reason == "why 1.1.2"
    assert isinstance(revised, SectionRevised)
    assert isinstance(added, SectionAdded)
    for event in (revised, added):
        assert (event.reason, event.contributors) == (f"why {event.number}", ("ivy", "olu"))
    # The section says who wrote it (the amendment's authors), not only who merged it.
    head = after.live_section("5.2").head  # type: ignore[union-attr]
    assert (head.author, head.contributors) == ("sam", ("ivy", "olu"))


def test_an_amended_version_cannot_take_effect_before_the_current_one(
    published_protocol: ProtocolState,
) -> None:
    with pytest.raises(errors.EffectiveDateTooEarly, match="takes effect on 2026-01-01"):
        protocol.amended_version(
            published_protocol,
            amendment_id="A-1",
            changes={},
            reasons={},
            authors=(),
            effective_date=date(2025, 12, 31),
            published_by="sam",
        )


def test_an_unpublished_protocol_cannot_be_amended(drafted_protocol: ProtocolState) -> None:
    with pytest.raises(errors.ProtocolNotPublished):
        protocol.amended_version(
            drafted_protocol,
            amendment_id="A-1",
            changes={},
            reasons={},
            authors=(),
            effective_date=date(2026, 1, 1),
            published_by="s",
        )


# -- concurrent drafting, at random -----------------------------------------------------

WORDS = st.sampled_from(["Age 18 to 75", "Signed consent", "Pregnancy", "Visit 4", ""])


def edited(text: str, data: st.DataObject) -> str:
    """``text`` with one line replaced, inserted or deleted."""
    lines = text.split("\n")
    at = data.draw(st.integers(0, len(lines)))
    kind = data.draw(st.sampled_from(["replace", "insert", "delete"]))
    if kind == "insert" or at == len(lines):
        lines.insert(at, data.draw(WORDS))
    elif kind == "replace":
        lines[at] = data.draw(WORDS)
    else:
        del lines[at]
    return "\n".join(lines)


def draw_command(
    state: ProtocolState, people: list[Actor], data: st.DataObject
) -> protocol.ProtocolCommand:
    actor = data.draw(st.sampled_from(people))
    number = data.draw(st.sampled_from(["5.2", "5.3", "1.1.2", "5.2.1"]))
    section = state.sections.get(number)
    kind = data.draw(st.sampled_from(["revise", "revise", "revise", "resolve", "add", "remove"]))
    if kind == "resolve" and state.open_conflicts:
        conflict = data.draw(st.sampled_from(sorted(state.open_conflicts)))
        head = state.sections[state.open_conflicts[conflict].number].head
        return ResolveEditConflict(
            actor=actor,
            conflict_number=conflict,
            head_revision=head.revision - data.draw(st.sampled_from([0, 0, 0, 1])),
            text=edited(head.text, data),
            reason="Settled",
        )
    if kind == "add":
        return AddSection(
            actor=actor, number=number, heading="Added", text=data.draw(WORDS), reason="Needed"
        )
    if kind == "remove":
        return RemoveSection(actor=actor, number=number, reason="Not needed")
    revisions = section.revisions if section else ()
    base = data.draw(st.sampled_from(revisions)) if revisions else None
    return ReviseSection(
        actor=actor,
        number=number,
        base_revision=base.revision if base else 1,
        text=edited(base.text if base else "", data),
        reason="A random edit",
    )


@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_concurrent_drafting_keeps_every_revision_and_folds(
    data: st.DataObject,
    drafted_protocol: ProtocolState,
    investigator: Actor,
    sponsor_lead: Actor,
    advocate: Actor,
) -> None:
    state, log = drafted_protocol, list[ProtocolEvent]()
    for _ in range(data.draw(st.integers(1, 25))):
        command = draw_command(state, [investigator, sponsor_lead, advocate], data)
        try:
            events = protocol.decide(state, command)
        except errors.DomainError:
            assert protocol.fold(log, drafted_protocol) == state
            continue
        for event in events:
            assert from_data(event.event_type, json.loads(json.dumps(to_data(event)))) == event
        log += events
        state = protocol.fold(events, state)
        for section in state.sections.values():
            numbers = [r.revision for r in section.revisions]
            assert numbers == list(range(1, len(numbers) + 1)), "a revision went missing"
            for revision in section.revisions:
                assert revision.based_on is None or revision.based_on < revision.revision
        for conflict in state.open_conflicts.values():
            conflicted = state.live_section(conflict.number)
            assert conflicted is not None, "a section with an open conflict was removed"
            assert conflict.base_revision < conflict.head_revision <= conflicted.head.revision
