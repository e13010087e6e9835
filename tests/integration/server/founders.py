"""Making someone able to found trials, as a system administrator or the operator would:
the system role trial_creator and Good Clinical Practice attested for their account, both
recorded in the account log."""

from __future__ import annotations

from datetime import date, timedelta

from domain.account_events import SystemRole
from domain.actor import Actor
from domain.charter import GCP_TRAINING
from domain.workspace import CreateTrial
from server.accounts.account_log import operator_actor
from server.accounts.account_training import AccountTraining, founder_training
from server.accounts.system_roles import SystemRoles
from server.services import Services

OPERATOR = {"actor": operator_actor("tests"), "via": "cli"}


async def make_trial_creator(
    services: Services, user_id: str, *, trained_on: date | None = None
) -> None:
    """Grant ``user_id`` trial_creator and attest their GCP training (30 days ago unless
    ``trained_on``), as the operator; returns once the live policy knows."""
    await grant_system_role(services, user_id, SystemRole.TRIAL_CREATOR)
    await attest_training(services, user_id, trained_on=trained_on)


async def grant_system_role(services: Services, user_id: str, role: SystemRole) -> None:
    """Grant ``role`` to ``user_id`` as the operator; returns once the live policy knows."""
    roles = SystemRoles(services.account_log, services.accounts)
    granted = await roles.grant(user_id, role, reason="needed in tests", meta=OPERATOR)
    await services.authorizer.wait_for(granted.last_position)


async def attest_training(
    services: Services, user_id: str, *, course: str = GCP_TRAINING, trained_on: date | None = None
) -> None:
    """Attest ``user_id``'s ``course`` at system level, as the operator."""
    training = AccountTraining(services.account_log, services.accounts, clock=services.clock)
    day = trained_on or services.clock().date() - timedelta(days=30)
    await training.attest(user_id, course, day, meta=OPERATOR)


async def founding(
    services: Services, founder: Actor, trial_id: str, title: str, organization_name: str
) -> CreateTrial:
    """The command founding ``trial_id`` as the server makes it: the founder's training
    taken from their account's system-level attestations."""
    account = await services.account_log.state(founder.user_id)
    return CreateTrial(
        actor=founder,
        trial_id=trial_id,
        title=title,
        organization_name=organization_name,
        founder_training=founder_training(founder.user_id, account),
        founded_at=services.clock(),
    )
