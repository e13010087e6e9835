"""The one table of which role may attempt what, and the policy lines written from it."""

from __future__ import annotations

import pytest

from domain.account_events import SystemRole
from domain.roles import Role
from rbac import PERMISSIONS, SYSTEM_PERMISSIONS, Action, SystemAction, policy_text
from rbac.model import action_group_lines, permission_lines

EVERYONE_ELSE = frozenset(Action)


def test_action_values_are_stable_identifiers() -> None:
    assert {action.name: action.value for action in Action} == {
        "READ": "trial:read",
        "AUDIT": "audit:read",
        "EXPORT": "audit:export",
        "ADMINISTER": "workspace:administer",
        "EDIT_PROTOCOL": "protocol:edit",
        "PUBLISH_PROTOCOL": "protocol:publish",
        "AUTHOR_AMENDMENT": "amendment:author",
        "REVIEW_AMENDMENT": "amendment:review",
        "SIGN_AMENDMENT": "amendment:sign",
        "REJECT_AMENDMENT": "amendment:reject",
        "MERGE_AMENDMENT": "amendment:merge",
        "TABLE_MOTION": "motion:table",
        "VOTE": "motion:vote",
        "RAISE_DISPUTE": "dispute:raise",
        "HANDLE_DISPUTE": "dispute:handle",
        "COMMENT": "comment:post",
        "DISPOSITION_FEEDBACK": "feedback:disposition",
        "APPROVE_FOR_SITE": "site:approve",
        "ACTIVATE_SITE": "site:activate",
    }


def test_the_table_is_the_issues_table() -> None:
    table = {role.value: sorted(a.value for a in actions) for role, actions in PERMISSIONS.items()}
    assert table == {
        "trial_admin": sorted([
            "trial:read", "audit:read", "audit:export", "workspace:administer", "amendment:merge",
            "motion:table", "motion:vote", "dispute:raise", "dispute:handle", "comment:post",
            "feedback:disposition", "amendment:review",
        ]),
        "sponsor_lead": sorted([
            "trial:read", "audit:read", "protocol:edit", "protocol:publish", "amendment:author",
            "amendment:review", "amendment:sign", "amendment:reject", "amendment:merge",
            "motion:table", "motion:vote", "dispute:raise", "dispute:handle", "comment:post",
            "feedback:disposition", "site:activate",
        ]),
        "sponsor_member": sorted([
            "trial:read", "protocol:edit", "amendment:author", "amendment:review",
            "amendment:sign", "motion:vote", "dispute:raise", "comment:post",
            "feedback:disposition",
        ]),
        "investigator": sorted([
            "trial:read", "protocol:edit", "amendment:author", "amendment:review",
            "amendment:sign", "motion:vote", "dispute:raise", "dispute:handle", "comment:post",
            "feedback:disposition", "site:activate",
        ]),
        "site_staff": sorted([
            "trial:read", "protocol:edit", "amendment:review", "motion:vote", "dispute:raise",
            "comment:post",
        ]),
        "patient_advocate": sorted([
            "trial:read", "amendment:review", "amendment:sign", "motion:vote", "dispute:raise",
            "comment:post",
        ]),
        "ethics_reviewer": sorted([
            "trial:read", "audit:read", "audit:export", "amendment:review", "amendment:sign",
            "amendment:reject", "motion:vote", "dispute:raise", "dispute:handle", "comment:post",
            "site:approve",
        ]),
        "auditor": ["audit:export", "audit:read", "trial:read"],
    }  # fmt: skip


def test_every_role_has_an_entry() -> None:
    assert list(PERMISSIONS) == list(Role)


@pytest.mark.parametrize("role", list(Role))
def test_every_role_reads_the_trial(role: Role) -> None:
    assert Action.READ in PERMISSIONS[role]


def test_the_auditor_reads_replays_and_exports_and_changes_nothing() -> None:
    assert PERMISSIONS[Role.AUDITOR] == {Action.READ, Action.AUDIT, Action.EXPORT}


def test_auditors_trial_admins_and_ethics_export() -> None:
    exporters = {role for role, actions in PERMISSIONS.items() if Action.EXPORT in actions}
    assert exporters == {Role.AUDITOR, Role.TRIAL_ADMIN, Role.ETHICS_REVIEWER}


def test_only_the_trial_admin_administers_the_workspace() -> None:
    assert {role for role, actions in PERMISSIONS.items() if Action.ADMINISTER in actions} == {
        Role.TRIAL_ADMIN
    }


def test_every_action_is_open_to_some_role() -> None:
    assert frozenset().union(*PERMISSIONS.values()) == EVERYONE_ELSE


def test_the_table_cannot_be_changed_at_run_time() -> None:
    with pytest.raises(TypeError):
        PERMISSIONS[Role.AUDITOR] = EVERYONE_ELSE  # type: ignore[index]


def test_one_permission_line_per_role_for_every_trial_and_per_system_role() -> None:
    assert permission_lines() == [[role.value, "*", f"@{role.value}"] for role in Role] + [
        [role.value, "@system", f"@{role.value}"] for role in SystemRole
    ]


def test_one_action_group_line_per_table_entry() -> None:
    lines = action_group_lines()
    entries = [*PERMISSIONS.items(), *SYSTEM_PERMISSIONS.items()]
    assert len(lines) == sum(len(actions) for _, actions in entries)
    assert {(action, group) for action, group in lines} == {
        (action.value, f"@{role.value}") for role, actions in entries for action in actions
    }


def test_system_roles_and_their_groups_are_named_apart_from_trial_roles() -> None:
    assert not {role.value for role in SystemRole} & {role.value for role in Role}
    assert not {action.value for action in SystemAction} & {action.value for action in Action}


def test_the_system_table() -> None:
    assert {
        role.value: sorted(a.value for a in actions) for role, actions in SYSTEM_PERMISSIONS.items()
    } == {
        "system_admin": ["system:administer-accounts", "system:read-account-trails"],
        "trial_creator": ["system:found-trial"],
        "account_auditor": ["system:read-account-trails"],
    }
    with pytest.raises(TypeError):
        SYSTEM_PERMISSIONS[SystemRole.TRIAL_CREATOR] = frozenset(SystemAction)  # type: ignore[index]


def test_policy_text_is_casbin_csv() -> None:
    text = policy_text()
    assert text.startswith("p, trial_admin, *, @trial_admin\n")
    assert "g2, audit:read, @auditor\n" in text
    assert text.count("\n") == len(permission_lines()) + len(action_group_lines())
