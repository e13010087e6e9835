"""Who could do what in a trial at a past position: the Casbin policy replayed there."""

from __future__ import annotations

from typing import Any

from domain.workspace import TrialState
from rbac import Action, Policy


def permissions_view(
    policy: Policy, trial_id: str, at: int, workspace: TrialState | None
) -> dict[str, Any]:
    """Each member's roles and allowed actions, and each action's allowed members, as
    Casbin decides them from the policy replayed to ``at``."""
    members = workspace.members if workspace is not None else {}
    users = sorted(policy.members(trial_id))
    return {
        "trial_id": trial_id,
        "at": at,
        "members": [
            {
                "user_id": user,
                "printed_name": members[user].printed_name if user in members else None,
                "roles": sorted(policy.roles_of(user, trial_id)),
                "actions": [a.value for a in Action if policy.enforce(user, trial_id, a)],
            }
            for user in users
        ],
        "actions": {a.value: sorted(policy.who_can(trial_id, a)) for a in Action},
    }
