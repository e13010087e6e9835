"""The audit report's pure parts: how times, people and tracked changes print, and how an
event of an amendment or a dispute reads in its history."""

from __future__ import annotations

from datetime import UTC, datetime

from domain.frozen import frozen_map
from domain.personal_data import ERASED
from domain.protocol_diff import tracked_changes
from domain.roles import Role
from domain.workspace import Member, TrialState
from server.audit.report.facts import what_happened, why_given
from server.audit.report.layout import tracked_markup
from server.audit.report.wording import Names, utc


def test_times_print_in_utc_to_the_second_with_z() -> None:
    assert utc("2026-05-01T14:03:22.123456Z") == "2026-05-01 14:03:22 UTC"
    assert utc(datetime(2026, 5, 1, 16, 3, 22, tzinfo=UTC)) == "2026-05-01 16:03:22 UTC"
    assert utc("") == ""
    assert utc(None) == ""


def test_people_are_named_never_by_their_id() -> None:
    members = {
        "u-1": Member(
            user_id="u-1",
            printed_name="Dr Ivy Chen",
            organization_id="o",
            roles=frozenset({Role.INVESTIGATOR}),
        ),
        "u-2": Member(user_id="u-2", printed_name="", organization_id="o"),
    }
    names = Names(TrialState(trial_id="t", members=frozen_map(members)))
    assert names("u-1") == "Dr Ivy Chen"
    assert names("u-2") == ERASED
    assert names("operator:demo") == "the server's operator"
    assert names("u-3") == "someone outside the trial"
    assert names(None) == names("") == ""
    assert names.all(["u-1", "u-3"]) == "Dr Ivy Chen, someone outside the trial"
    assert Names(None)("u-1") == "someone outside the trial"


def test_tracked_changes_strike_what_went_and_underline_what_came_keeping_some_context() -> None:
    old = " ".join(f"w{i}" for i in range(40)) + " end"
    new = old.replace("w20", "W20 & more")
    marked = tracked_markup(tracked_changes(old, new), context=3)
    assert '<strike><font color="#a40000">w20</font></strike>' in marked
    assert '<u><font color="#0b4f9c">W20 &amp; more</font></u>' in marked
    assert marked.startswith("… w17 w18 w19 <strike>")
    assert marked.endswith("</u> w21 w22 w23 …")
    assert tracked_markup(tracked_changes("a\nb", "a\nc")) == (
        'a<br/><strike><font color="#a40000">b</font></strike><u><font color="#0b4f9c">c</font></u>'
    )


def test_each_step_of_a_record_reads_in_words_with_its_reason() -> None:
    conflict = {"sections": ["5.2", "5.3"], "protocol_version": 3}
    assert what_happened("AmendmentConflictDetected", conflict) == (
        "conflict with version 3 in section(s) 5.2, 5.3"
    )
    rebased = {"from_version": 2, "onto_version": 3, "note": "Kept our 5.2"}
    assert what_happened("AmendmentRebased", rebased) == "rebased from version 2 onto 3"
    assert why_given(rebased) == "Kept our 5.2"
    assert what_happened("SiteActivated", {}) == "site activated"
    assert what_happened("AmendmentWithdrawn", {"reason": "x"}) == "withdrawn"
    assert why_given({"change": {"rationale": "Slow recruitment"}}) == "Slow recruitment"
    assert why_given({"change": {"text": None}}) == ""
    assert why_given({"reason": ""}) == ""
