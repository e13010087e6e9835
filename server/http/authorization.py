"""The one place a request is authorized: Casbin's decision for the caller in the trial.

A trial the caller may not read answers exactly as a trial that does not exist (404
``trial-not-found``): otherwise the difference between 403 and 404 would tell anyone which
trial ids exist. A member who may read the trial but not do what they ask gets 403.
"""

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
        raise _no_such_trial(trial_id)
    return entry


def authorize(services: Services, principal: Principal, trial_id: str, action: Action) -> None:
    """404 for an unknown trial and for one the caller may not read; 403 unless the
    caller's roles in it allow ``action``."""
    known_trial(services, trial_id)
    user_id = principal.user.user_id
    if action is not Action.READ and services.authorizer.allows(user_id, trial_id, action):
        return
    if not services.authorizer.allows(user_id, trial_id, Action.READ):
        raise _no_such_trial(trial_id)
    if action is not Action.READ:
        raise Problem(
            403,
            "not-authorized",
            f"your roles in trial {trial_id} do not allow {action.value}",
            title="Not authorized",
            action=action.value,
        )


def _no_such_trial(trial_id: str) -> Problem:
    return Problem(404, "trial-not-found", f"there is no trial {trial_id}")
