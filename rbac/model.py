"""The Casbin model: RBAC with domains, where the domain is the trial.

Three kinds of line make the policy (docs/rbac.md has the reasoning):

- ``p, trial_admin, *, @trial_admin``: a role may, in any trial (the domain wildcard
  ``*``), attempt the actions of its action group. One line per role, the same for every
  trial, built from :data:`rbac.actions.PERMISSIONS`.
- ``g2, trial:read, @trial_admin``: an action belongs to a role's action group. One line per
  (role, action) of the table, also the same for every trial.
- ``g, alice, trial_admin, t-42``: alice holds trial_admin in trial t-42. One line per
  grant; these are the projection of RoleGranted / RoleRevoked events.

The system roles (who may found trials, administer accounts, read account trails) are the
same three kinds of line in one more domain, ``@system`` (:data:`rbac.actions.SYSTEM_DOMAIN`),
which no trial id can be: ``p, system_admin, @system, @system_admin``,
``g2, system:administer-accounts, @system_admin`` and ``g, alice, system_admin, @system``
(the projection of SystemRoleGranted / SystemRoleRevoked). Their permission lines name
that domain rather than ``*``, so a system role allows nothing in a trial, and the actions
of their groups are no trial's actions, so no trial role allows anything in ``@system``.

The matcher asks ``g`` first, so a request costs one look-up per role line, however many
trials and grants there are. The ``g`` lines are held by :class:`TrialRoles`, the role
manager that ``g()`` consults, rather than also in the enforcer's policy list: that list is
a Python list that Casbin scans on every add and remove, which would make loading
half a million grants quadratic.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import casbin
from casbin.rbac import RoleManager

from rbac.actions import PERMISSIONS, SYSTEM_DOMAIN, SYSTEM_PERMISSIONS

MODEL_TEXT = """
[request_definition]
r = sub, dom, act

[policy_definition]
p = sub, dom, act

[role_definition]
g = _, _, _
g2 = _, _

[policy_effect]
e = some(where (p.eft == allow))

[matchers]
m = g(r.sub, p.sub, r.dom) && (p.dom == "*" || p.dom == r.dom) && g2(r.act, p.act)
"""
"""Request ``(user id, trial id, action)``; ``p`` lines ``(role, trial or *, action group)``;
``g`` user -> role in a trial; ``g2`` action -> action group."""

ANY_TRIAL = "*"
"""The domain wildcard of the permission lines: they hold in every trial."""


def action_group(role: str) -> str:
    """The name of the action group of ``role`` in the policy (``@trial_admin``)."""
    return f"@{role}"


def permission_lines() -> list[list[str]]:
    """The ``p`` lines: each role may, in any trial, attempt its action group; each system
    role may, in :data:`SYSTEM_DOMAIN` only, attempt its own."""
    trial = [[role.value, ANY_TRIAL, action_group(role.value)] for role in PERMISSIONS]
    system = [[role.value, SYSTEM_DOMAIN, action_group(role.value)] for role in SYSTEM_PERMISSIONS]
    return trial + system


def action_group_lines() -> list[list[str]]:
    """The ``g2`` lines: each action a role (or system role) may attempt belongs to its
    action group."""
    tables: list[Mapping[Any, frozenset[Any]]] = [PERMISSIONS, SYSTEM_PERMISSIONS]
    return [
        [action.value, action_group(role.value)]
        for table in tables
        for role, actions in table.items()
        for action in sorted(actions)
    ]


def policy_text() -> str:
    """The written-once part of the policy in Casbin's CSV form (for docs and reviews)."""
    lines = [", ".join(["p", *line]) for line in permission_lines()]
    lines += [", ".join(["g2", *line]) for line in action_group_lines()]
    return "\n".join(lines) + "\n"


_NO_MEMBERS: Mapping[str, tuple[str, ...]] = {}


class TrialRoles(RoleManager):  # type: ignore[misc]  # casbin is untyped
    """Casbin's role manager for ``g = _, _, _``: the roles each user holds in each trial.

    ``has_link(user, role, trial)`` is two dictionary look-ups. Unlike Casbin's default
    domain role manager it keeps nothing for names it is only asked about (so unknown
    users or trials in requests cannot grow it), builds nothing per trial on first use,
    ignores a repeated link instead of storing it twice, and has no identity rule: a user
    whose id happens to be a role's name holds that role only if it was granted.

    A member's roles are a tuple of names, not a set: tuples and dicts that hold only
    strings drop out of the garbage collector's view, so half a million grants do not
    make every full collection walk them.
    """

    def __init__(self) -> None:
        self._trials: dict[str, dict[str, tuple[str, ...]]] = {}
        self._links = 0
        self._shared: set[str] = set()
        """Trials whose members' map a :meth:`frozen` copy also holds: copied before
        their next change."""

    @property
    def links(self) -> int:
        """The number of ``g`` lines held. (Not ``__len__``: Casbin tests a role manager's
        truth, and an empty one would be skipped, its ``g()`` falling back to name equality.)
        """
        return self._links

    def clear(self) -> None:
        self._trials = {}
        self._links = 0
        self._shared = set()

    def add_link(self, name1: str, name2: str, *domain: str) -> None:
        trial = _trial(domain)
        members = self._trials.get(trial)
        roles = members.get(name1, ()) if members is not None else ()
        if name2 in roles:
            return
        if members is None:
            members = self._trials[trial] = {}
        elif trial in self._shared:
            members = self._unshared(trial)
        members[name1] = (*roles, name2)
        self._links += 1

    def delete_link(self, name1: str, name2: str, *domain: str) -> None:
        trial = _trial(domain)
        members = self._trials.get(trial)
        roles = members.get(name1) if members is not None else None
        if members is None or roles is None or name2 not in roles:
            return
        if trial in self._shared:
            members = self._unshared(trial)
        self._links -= 1
        if len(roles) > 1:
            members[name1] = tuple(role for role in roles if role != name2)
        else:
            del members[name1]
            if not members:
                del self._trials[trial]

    def has_link(self, name1: str, name2: str, *domain: str) -> bool:
        return name2 in self._trials.get(domain[0], _NO_MEMBERS).get(name1, ())

    def get_roles(self, name: str, *domain: str) -> list[str]:
        return sorted(self._trials.get(_trial(domain), _NO_MEMBERS).get(name, ()))

    def get_users(self, name: str, *domain: str) -> list[str]:
        members = self._trials.get(_trial(domain), _NO_MEMBERS)
        return sorted(user for user, roles in members.items() if name in roles)

    def print_roles(self) -> None:
        """Casbin calls this after building links; there is nothing worth logging."""

    def frozen(self) -> Mapping[str, Mapping[str, tuple[str, ...]]]:
        """Every grant held now, trial -> user -> roles, in a mapping that later grants
        and revokes leave as it is (so another thread may read it). It costs one entry
        per trial, not per grant: a trial's members are copied on their next change."""
        self._shared = set(self._trials)
        return dict(self._trials)

    def _unshared(self, trial: str) -> dict[str, tuple[str, ...]]:
        members = self._trials[trial] = dict(self._trials[trial])
        self._shared.discard(trial)
        return members

    def load(self, trials: dict[str, dict[str, tuple[str, ...]]]) -> None:
        """Hold exactly the grants of ``trials`` (as :meth:`frozen` gives them), in
        place of any held. ValueError if a member is listed without roles, or with one
        twice."""
        links = 0
        for trial, members in trials.items():
            if not members:
                raise ValueError(f"trial {trial!r} is listed without members")
            for user, roles in members.items():
                if not roles or len(set(roles)) != len(roles):
                    raise ValueError(f"{user!r} in {trial!r} holds {roles!r}")
                links += len(roles)
        self._trials, self._links, self._shared = trials, links, set()

    def roles(self, user: str, trial: str) -> frozenset[str]:
        """The roles ``user`` holds in ``trial``."""
        return frozenset(self._trials.get(trial, _NO_MEMBERS).get(user, ()))

    def members(self, trial: str) -> Iterator[str]:
        """The users holding any role in ``trial``."""
        return iter(tuple(self._trials.get(trial, _NO_MEMBERS)))


def _trial(domain: tuple[str, ...]) -> str:
    if len(domain) != 1:
        raise ValueError(f"a grouping line needs exactly one trial, got {domain!r}")
    return domain[0]


def new_enforcer(roles: TrialRoles) -> Any:
    """A Casbin enforcer with :data:`MODEL_TEXT`, the written-once permission lines, and
    ``roles`` answering ``g()``. Build it before adding grants to ``roles``: Casbin clears
    every role manager while it links them to the model."""
    if roles.links:
        raise ValueError("build the enforcer before granting roles: Casbin clears them")
    model = casbin.Model()
    model.load_model_from_text(MODEL_TEXT)
    enforcer = casbin.Enforcer(model)
    enforcer.set_role_manager(roles)
    enforcer.add_policies(permission_lines())
    enforcer.add_named_grouping_policies("g2", action_group_lines())
    enforcer.build_role_links()
    if enforcer.get_model()["g"]["g"].rm is not roles:
        raise RuntimeError("Casbin did not link the trial role manager to g()")
    return enforcer
