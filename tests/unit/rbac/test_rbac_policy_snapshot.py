"""A policy's snapshot reads back as the same policy; bytes that are not one are refused."""

from __future__ import annotations

import msgspec
import pytest

from domain.roles import Role
from rbac import Action, Policy
from rbac.policy import ENCODE_SLICE


def test_a_snapshot_reads_back_as_the_policy_it_was_taken_of() -> None:
    policy = Policy()
    trials = [f"t{n}" for n in range(ENCODE_SLICE * 2 + 3)]  # more than one slice
    for trial in trials:
        policy.grant(trial, "ada", Role.TRIAL_ADMIN)
        policy.grant(trial, "bo", Role.SITE_STAFF)
        policy.grant(trial, "bo", Role.AUDITOR)
    policy.revoke("t7", "bo", Role.SITE_STAFF)
    taken = policy.snapshot()
    held = {
        (user, trial): policy.roles_of(user, trial) for user in ("ada", "bo") for trial in trials
    }
    # after the snapshot, so not in it: a grant, a revoke, a new trial
    policy.grant("t1", "cy", Role.INVESTIGATOR)
    policy.revoke("t2", "ada", Role.TRIAL_ADMIN)
    policy.grant("t-new", "ada", Role.TRIAL_ADMIN)

    restored = Policy.restored(taken.encode())
    assert restored.grants == len(trials) * 3 - 1
    assert {key: restored.roles_of(*key) for key in held} == held
    assert restored.roles_of("ada", "t2") == {Role.TRIAL_ADMIN}
    assert restored.roles_of("cy", "t1") == frozenset()
    assert restored.roles_of("ada", "t-new") == frozenset()
    assert restored.enforce("bo", "t7", Action.AUDIT)
    assert not restored.enforce("bo", "t7", Action.EDIT_PROTOCOL)
    assert restored.who_can("t3", Action.ADMINISTER) == {"ada"}


def test_an_empty_policy_has_a_snapshot_too() -> None:
    assert Policy.restored(Policy().snapshot().encode()).grants == 0


@pytest.mark.parametrize(
    "data",
    [
        b'{"t1":{"ada":["emperor"]}}',
        b'{"t1":{"ada":["trial_admin","trial_admin"]}}',
        b'{"t1":{"ada":[]}}',
        b'{"t1":["ada"]}',
        b"not json",
    ],
    ids=["unknown role", "a role twice", "no roles", "not a map", "not json"],
)
def test_bytes_that_are_not_a_policy_are_refused(data: bytes) -> None:
    with pytest.raises((ValueError, msgspec.DecodeError)):
        Policy.restored(data)
