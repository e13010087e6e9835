"""The one place a request is authorized: Casbin's decision for the caller in the trial."""

from __future__ import annotations

from rbac import Action
from server.commands.directory import TrialEntry
from server.http.authentication import Principal
from server.http.problems import Problem
from server.services import Services


def known_trial(services: Services, trial_id: str) -> TrialEntry:
    """The trial's directory entry, or 404."""
    entry = services.directory.trial(trial_id)
    if entry is None:
        raise Problem(404, "trial-not-found", f"there is no trial {trial_id}")
    return entry


def authorize(services: Services, principal: Principal, trial_id: str, action: Action) -> None:
    """404 for an unknown trial; 403 unless the caller's roles in it allow ``action``."""
    known_trial(services, trial_id)
    if not services.authorizer.allows(principal.user.user_id, trial_id, action):
        raise Problem(
            403,
            "not-authorized",
            f"your roles in trial {trial_id} do not allow {action.value}",
            title="Not authorized",
            action=action.value,
        )
