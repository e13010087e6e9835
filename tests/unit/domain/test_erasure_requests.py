"""The rules of an erasure request (domain.erasure_requests), the charter's erasure
approvers, and erasures recorded before requests existed."""

from __future__ import annotations

from dataclasses import replace

import pytest

from domain import errors
from domain.catalog import from_data, to_data
from domain.charter import DEFAULT_CHARTER, Charter, check_charter
from domain.codec import decode, encode
from domain.erasure_requests import (
    NO_REQUEST,
    ErasureApprover,
    ErasureRequestState,
    PersonalDataErasureApproved,
    decide_approval,
    decide_request,
    decide_withdrawal,
    eligible_approvers,
    evolve_erasure,
)
from domain.frozen import frozen_map
from domain.personal_data import ErasureApproval, PersonalDataErased
from domain.roles import Role
from domain.workspace_state import Member, TrialState

SUBJECTS = ("user:u-sam",)


def _trial(
    trial_id: str, *members: tuple[str, Role], approvers: set[Role] | None = None
) -> TrialState:
    charter = DEFAULT_CHARTER
    if approvers is not None:
        charter = replace(charter, erasure_approvers=frozenset(approvers))
    return TrialState(
        trial_id=trial_id,
        charter=charter,
        members=frozen_map(
            {
                user: Member(
                    user_id=user, printed_name=user, organization_id="o", roles=frozenset({role})
                )
                for user, role in members
            }
        ),
    )


def _requested(*trials: str) -> ErasureRequestState:
    event = decide_request(
        NO_REQUEST, user_id="u-sam", reason="ticket", requested_by="u-vera", trials=trials
    )
    return evolve_erasure(NO_REQUEST, event)


def _approve(
    state: ErasureRequestState, trial_id: str | None, approver: ErasureApprover
) -> ErasureRequestState:
    for event in decide_approval(state, trial_id=trial_id, approver=approver, subjects=SUBJECTS):
        state = evolve_erasure(state, event)
    return state


A = _trial(
    "a", ("u-alex", Role.TRIAL_ADMIN), ("u-ivy", Role.INVESTIGATOR), ("u-sam", Role.TRIAL_ADMIN)
)
B = _trial("b", ("u-mia", Role.TRIAL_ADMIN), ("u-vera", Role.TRIAL_ADMIN))


def test_a_request_needs_a_reason_and_waits_alone() -> None:
    with pytest.raises(errors.RequiredTextMissing):
        decide_request(NO_REQUEST, user_id="u-sam", reason=" ", requested_by="u-vera", trials=())
    state = _requested("a", "b", "a")
    assert state.pending is not None
    assert state.pending.trials == ("a", "b")  # each trial asked once
    with pytest.raises(errors.ErasureAlreadyRequested):
        decide_request(state, user_id="u-sam", reason="again", requested_by="u-vera", trials=())


def test_each_trial_approves_through_its_own_members_and_the_last_approval_erases() -> None:
    state = _requested("a", "b")
    alex_for_b = ErasureApprover(user_id="u-alex", trial=B)
    with pytest.raises(errors.NotAnErasureApprover) as refused:
        decide_approval(state, trial_id="b", approver=alex_for_b, subjects=SUBJECTS)
    assert (refused.value.trial_id, refused.value.roles) == ("b", ("trial_admin",))
    state = _approve(state, "a", ErasureApprover(user_id="u-alex", trial=A))
    assert state.pending is not None
    assert state.pending.awaiting == ("b",)
    with pytest.raises(errors.ErasureAlreadyApproved):
        decide_approval(
            state,
            trial_id="a",
            approver=ErasureApprover(user_id="u-alex", trial=A),
            subjects=SUBJECTS,
        )
    last = decide_approval(
        state, trial_id="b", approver=ErasureApprover(user_id="u-mia", trial=B), subjects=SUBJECTS
    )
    approved, erased = last
    assert isinstance(erased, PersonalDataErased)
    assert (erased.reason, erased.requested_by, erased.approved_by) == ("ticket", "u-vera", "u-mia")
    assert [a.trial_id for a in erased.approvals] == ["a", "b"]
    done = evolve_erasure(evolve_erasure(state, approved), erased)
    assert (done.pending, done.erasures) == (None, 1)


@pytest.mark.parametrize(
    ("trial_id", "approver", "error"),
    [
        ("a", ErasureApprover(user_id="u-sam", trial=A), errors.ErasedPersonCannotApprove),
        ("b", ErasureApprover(user_id="u-vera", trial=B), errors.ErasureRequesterCannotApprove),
        ("a", ErasureApprover(user_id="u-ivy", trial=A), errors.NotAnErasureApprover),
        ("a", ErasureApprover(user_id="u-mia", trial=A), errors.NotAnErasureApprover),
        ("c", ErasureApprover(user_id="u-alex", trial=A), errors.TrialNotConcerned),
        (None, ErasureApprover(user_id="u-alex", system_admin=True), errors.TrialNotConcerned),
    ],
    ids=[
        "the person",
        "the requester",
        "an investigator",
        "no member",
        "another trial",
        "no trial",
    ],
)
def test_who_may_not_approve(
    trial_id: str | None, approver: ErasureApprover, error: type[Exception]
) -> None:
    with pytest.raises(error):
        decide_approval(
            _requested("a", "b"), trial_id=trial_id, approver=approver, subjects=SUBJECTS
        )


def test_the_charter_decides_which_roles_approve() -> None:
    lead_only = _trial(
        "a",
        ("u-alex", Role.TRIAL_ADMIN),
        ("u-lee", Role.SPONSOR_LEAD),
        approvers={Role.SPONSOR_LEAD},
    )
    state = _requested("a")
    with pytest.raises(errors.NotAnErasureApprover) as refused:
        decide_approval(
            state,
            trial_id="a",
            approver=ErasureApprover(user_id="u-alex", trial=lead_only),
            subjects=SUBJECTS,
        )
    assert refused.value.roles == ("sponsor_lead",)
    assert state.pending is not None
    assert eligible_approvers(state.pending, "a", lead_only) == ("u-lee",)
    assert eligible_approvers(state.pending, "a", None) == ()


def test_someone_in_no_trial_needs_a_second_system_admin() -> None:
    state = _requested()
    assert state.pending is not None
    assert state.pending.awaiting == (None,)
    with pytest.raises(errors.NotAnErasureApprover) as refused:
        decide_approval(
            state, trial_id=None, approver=ErasureApprover(user_id="u-ivy"), subjects=SUBJECTS
        )
    assert refused.value.roles == ("system_admin",)
    with pytest.raises(errors.ErasureRequesterCannotApprove):
        decide_approval(
            state,
            trial_id=None,
            approver=ErasureApprover(user_id="u-vera", system_admin=True),
            subjects=SUBJECTS,
        )
    assert eligible_approvers(state.pending, None, None, ["u-vera", "u-alex"]) == ("u-alex",)
    done = _approve(state, None, ErasureApprover(user_id="u-alex", system_admin=True))
    assert done.erasures == 1


def test_a_withdrawn_request_awaits_nothing() -> None:
    with pytest.raises(errors.NoPendingErasure):
        decide_withdrawal(NO_REQUEST, reason="r", withdrawn_by="u-alex")
    state = _requested("a")
    with pytest.raises(errors.RequiredTextMissing):
        decide_withdrawal(state, reason="", withdrawn_by="u-alex")
    withdrawn = evolve_erasure(
        state, decide_withdrawal(state, reason="wrong person", withdrawn_by="u-alex")
    )
    assert withdrawn == NO_REQUEST
    with pytest.raises(errors.NoPendingErasure):
        decide_approval(
            withdrawn,
            trial_id="a",
            approver=ErasureApprover(user_id="u-alex", trial=A),
            subjects=SUBJECTS,
        )
    stray = PersonalDataErasureApproved(user_id="u-sam", trial_id="a", approved_by="u-alex")
    assert evolve_erasure(withdrawn, stray) == withdrawn  # evolve never fails


def test_an_erasure_recorded_before_requests_existed_still_reads() -> None:
    old = {"user_id": "u-sam", "subjects": ["user:u-sam"], "reason": "r", "approved_by": "u-alex"}
    event = from_data("PersonalDataErased", old, 1)
    assert isinstance(event, PersonalDataErased)
    assert (event.requested_by, event.approvals) == ("", ())
    new = replace(
        event,
        requested_by="u-vera",
        approvals=(ErasureApproval(trial_id=None, approved_by="u-alex"),),
    )
    assert from_data("PersonalDataErased", to_data(new), 1) == new


def test_a_charter_names_its_erasure_approvers_and_old_charters_name_the_trial_admin() -> None:
    old = encode(DEFAULT_CHARTER)
    assert isinstance(old, dict)
    del old["erasure_approvers"]
    assert decode(Charter, old).erasure_approvers == frozenset({Role.TRIAL_ADMIN})
    lead = replace(DEFAULT_CHARTER, erasure_approvers=frozenset({Role.SPONSOR_LEAD}))
    check_charter(lead)
    data = encode(lead)
    assert isinstance(data, dict)
    assert data["erasure_approvers"] == ["sponsor_lead"]
    assert decode(Charter, data) == lead
    with pytest.raises(
        errors.InvalidCharter, match="erasure approvers must name at least one role"
    ):
        check_charter(replace(DEFAULT_CHARTER, erasure_approvers=frozenset()))
