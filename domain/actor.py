"""The person behind a command, as the trial knows them."""

from __future__ import annotations

from dataclasses import dataclass, field

from domain.roles import OrganizationKind, Role


@dataclass(frozen=True, slots=True, kw_only=True)
class Actor:
    """Who issues a command: identity, organization and the roles held in this trial.

    The server builds it from the trial workspace (``domain.workspace.actor_in``) after
    authenticating the user; the domain trusts it and judges governance rules with it.
    """

    user_id: str
    printed_name: str
    organization_id: str
    organization_kind: OrganizationKind
    roles: frozenset[Role] = field(default_factory=frozenset)

    def holds_any(self, roles: frozenset[Role]) -> bool:
        """True when the actor holds at least one of ``roles``."""
        return not self.roles.isdisjoint(roles)
