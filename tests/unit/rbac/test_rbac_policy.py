"""The policy folded from role events, with Casbin deciding: no store, just the fold."""

from __future__ import annotations

import itertools
import logging
from datetime import UTC, datetime
from typing import Any

import pytest

from domain.catalog import SchemaVersionMismatch, from_data, to_data
from domain.codec import DataDoesNotFit
from domain.roles import Role
from domain.workspace_events import MemberAdded, RoleGranted, RoleRevoked
from events import RecordedEvent
from rbac import MODEL_TEXT, PERMISSIONS, Action, Policy
from rbac.model import TrialRoles, new_enforcer
from rbac.policy import read_role_change

_positions = itertools.count(1)


def recorded(
    event: Any, *, stream: str | None = None, data: dict[str, Any] | None = None
) -> RecordedEvent:
    """The event as the log would hand it back."""
    return RecordedEvent(
        position=next(_positions),
        stream_id=stream or f"trial/{event.trial_id}",
        stream_version=1,
        type=event.event_type,
        schema_version=event.schema_version,
        data=data if data is not None else to_data(event),
        meta={},
        recorded_at=datetime(2026, 3, 2, tzinfo=UTC),
        prev_hash="",
        hash="",
    )


def granted(trial: str, user: str, role: Role) -> RoleGranted:
    return RoleGranted(trial_id=trial, user_id=user, role=role, reason="needed", granted_by="ada")


def revoked(trial: str, user: str, role: Role) -> RoleRevoked:
    return RoleRevoked(trial_id=trial, user_id=user, role=role, reason="left", revoked_by="ada")


def test_the_model_is_rbac_with_domains_and_a_trial_wildcard() -> None:
    assert "g = _, _, _" in MODEL_TEXT
    assert 'p.dom == "*"' in MODEL_TEXT


def test_nobody_may_do_anything_in_an_empty_policy() -> None:
    policy = Policy()
    assert not any(policy.enforce("ada", "t1", action) for action in Action)
    assert policy.grants == 0


@pytest.mark.parametrize("role", list(Role))
def test_each_role_may_attempt_exactly_its_actions(role: Role) -> None:
    policy = Policy()
    policy.grant("t1", "holder", role)
    allowed = {action for action in Action if policy.enforce("holder", "t1", action)}
    assert allowed == PERMISSIONS[role]


def test_two_roles_give_the_union_of_their_actions() -> None:
    policy = Policy()
    policy.grant("t1", "ivy", Role.SITE_STAFF)
    policy.grant("t1", "ivy", Role.AUDITOR)
    allowed = {action for action in Action if policy.enforce("ivy", "t1", action)}
    assert allowed == PERMISSIONS[Role.SITE_STAFF] | PERMISSIONS[Role.AUDITOR]


@pytest.mark.parametrize("other", ["t10", "t", "T1", "t1/protocol", "*", ""])
def test_a_role_in_one_trial_grants_nothing_in_another(other: str) -> None:
    policy = Policy()
    policy.grant("t1", "ada", Role.TRIAL_ADMIN)
    assert not any(policy.enforce("ada", other, action) for action in Action)


def test_the_trial_wildcard_is_not_a_trial_a_grant_can_name() -> None:
    policy = Policy()
    policy.grant("*", "mallory", Role.TRIAL_ADMIN)
    assert not policy.enforce("mallory", "t1", Action.READ)


@pytest.mark.parametrize("role", list(Role))
def test_a_user_named_like_a_role_holds_nothing_until_granted(role: Role) -> None:
    policy = Policy()
    assert not policy.enforce(role.value, "t1", Action.READ)
    policy.grant("t1", "someone", role)
    assert not policy.enforce(role.value, "t1", Action.READ)


@pytest.mark.parametrize("action", ["@trial_admin", "trial:READ", "", "*"])
def test_what_is_not_an_action_is_denied(action: str) -> None:
    policy = Policy()
    policy.grant("t1", "ada", Role.TRIAL_ADMIN)
    assert not policy.enforce("ada", "t1", action)  # type: ignore[arg-type]


def test_a_revoke_takes_back_only_that_role() -> None:
    policy = Policy()
    policy.grant("t1", "sam", Role.SPONSOR_LEAD)
    policy.grant("t1", "sam", Role.AUDITOR)
    assert policy.revoke("t1", "sam", Role.SPONSOR_LEAD)
    assert policy.roles_of("sam", "t1") == {Role.AUDITOR}
    assert policy.enforce("sam", "t1", Action.AUDIT)
    assert not policy.enforce("sam", "t1", Action.SIGN_AMENDMENT)


def test_grants_are_a_set_and_a_missing_revoke_changes_nothing() -> None:
    policy = Policy()
    assert policy.grant("t1", "sam", Role.SPONSOR_LEAD)
    assert not policy.grant("t1", "sam", Role.SPONSOR_LEAD)
    assert policy.grants == 1
    assert policy.revoke("t1", "sam", Role.SPONSOR_LEAD)
    assert not policy.enforce("sam", "t1", Action.READ)
    assert not policy.revoke("t1", "sam", Role.SPONSOR_LEAD)
    assert not policy.revoke("t2", "nobody", Role.AUDITOR)
    assert policy.grants == 0
    assert policy.members("t1") == frozenset()


def test_who_can_asks_casbin_member_by_member() -> None:
    policy = Policy()
    policy.grant("t1", "sam", Role.SPONSOR_LEAD)
    policy.grant("t1", "eve", Role.ETHICS_REVIEWER)
    policy.grant("t1", "pat", Role.PATIENT_ADVOCATE)
    policy.grant("t10", "tom", Role.SPONSOR_LEAD)
    assert policy.who_can("t1", Action.REJECT_AMENDMENT) == {"sam", "eve"}
    assert policy.who_can("t1", Action.READ) == {"sam", "eve", "pat"}
    assert policy.who_can("t10", Action.REJECT_AMENDMENT) == {"tom"}
    assert policy.members("t1") == {"sam", "eve", "pat"}


def test_apply_folds_grants_and_revokes_and_says_whose_roles_changed() -> None:
    policy = Policy()
    assert policy.apply(recorded(granted("t1", "sam", Role.SPONSOR_LEAD))) == ("t1", "sam")
    assert policy.apply(recorded(granted("t1", "sam", Role.SPONSOR_LEAD))) is None
    assert policy.enforce("sam", "t1", Action.PUBLISH_PROTOCOL)
    assert policy.apply(recorded(revoked("t1", "sam", Role.SPONSOR_LEAD))) == ("t1", "sam")
    assert policy.apply(recorded(revoked("t1", "sam", Role.SPONSOR_LEAD))) is None
    assert not policy.enforce("sam", "t1", Action.READ)


def test_apply_ignores_other_events() -> None:
    policy = Policy()
    added = MemberAdded(
        trial_id="t1", user_id="sam", printed_name="Sam", organization_id="acme", added_by="ada"
    )
    assert policy.apply(recorded(added)) is None
    assert policy.grants == 0


def test_only_the_trials_own_stream_speaks_for_it(caplog: pytest.LogCaptureFixture) -> None:
    policy = Policy()
    with caplog.at_level(logging.WARNING, logger="rbac.policy"):
        elsewhere = recorded(granted("t1", "mallory", Role.TRIAL_ADMIN), stream="trial/t10")
        assert policy.apply(elsewhere) is None
    assert not policy.enforce("mallory", "t1", Action.READ)
    assert not policy.enforce("mallory", "t10", Action.READ)
    assert "names trial 't1' but is in stream 'trial/t10'" in caplog.text


def test_data_that_does_not_decode_stops_the_fold() -> None:
    policy = Policy()
    data = to_data(revoked("t1", "sam", Role.SPONSOR_LEAD)) | {"role": "overlord"}
    with pytest.raises(DataDoesNotFit, match="overlord"):
        policy.apply(recorded(revoked("t1", "sam", Role.SPONSOR_LEAD), data=data))


def test_the_enforcer_is_built_before_any_grant() -> None:
    roles = TrialRoles()
    roles.add_link("sam", "sponsor_lead", "t1")
    with pytest.raises(ValueError, match="before granting"):
        new_enforcer(roles)


def test_the_trial_role_manager_answers_casbins_questions() -> None:
    roles = TrialRoles()
    roles.add_link("sam", "sponsor_lead", "t1")
    roles.add_link("sam", "sponsor_lead", "t1")
    roles.add_link("eve", "sponsor_lead", "t1")
    assert roles.links == 2
    assert roles.has_link("sam", "sponsor_lead", "t1")
    assert not roles.has_link("sam", "sponsor_lead", "t2")
    assert not roles.has_link("sam", "sam", "t1")
    assert roles.get_roles("sam", "t1") == ["sponsor_lead"]
    assert roles.get_users("sponsor_lead", "t1") == ["eve", "sam"]
    roles.delete_link("sam", "sponsor_lead", "t1")
    roles.delete_link("sam", "sponsor_lead", "t1")
    assert roles.links == 1
    with pytest.raises(ValueError, match="exactly one trial"):
        roles.add_link("sam", "sponsor_lead")
    roles.clear()
    assert roles.links == 0
    assert list(roles.members("t1")) == []


@pytest.mark.parametrize("role", list(Role))
def test_reading_three_fields_agrees_with_the_domains_codec(role: Role) -> None:
    for event in (granted("t-9", "sam", role), revoked("t-9", "sam", role)):
        record = recorded(event)
        decoded = from_data(record.type, record.data, record.schema_version)
        assert isinstance(decoded, RoleGranted | RoleRevoked)
        assert read_role_change(record) == (decoded.trial_id, decoded.user_id, decoded.role)


@pytest.mark.parametrize(
    ("change", "error"),
    [
        ({"role": "overlord"}, "'overlord' is not a Role"),
        ({"role": ["auditor"]}, "is not a Role"),
        ({"user_id": 7}, "must be text"),
        ({"trial_id": None}, "must be text"),
    ],
)
def test_reading_refuses_what_the_codec_refuses(change: dict[str, Any], error: str) -> None:
    data = to_data(granted("t1", "sam", Role.AUDITOR)) | change
    with pytest.raises(DataDoesNotFit, match=error):
        read_role_change(recorded(granted("t1", "sam", Role.AUDITOR), data=data))


def test_reading_refuses_another_schema_version() -> None:
    record = recorded(granted("t1", "sam", Role.AUDITOR))._replace(schema_version=2)
    with pytest.raises(SchemaVersionMismatch, match="version 2"):
        read_role_change(record)
