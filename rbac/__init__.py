"""Governance roles: the Casbin model (RBAC with domains, the domain is the trial), the
policy as a projection of RoleGranted / RoleRevoked events, and who could do what at any
position of the log; the system roles (who may found trials, administer accounts, read
account trails) in one more domain, ``@system``. See docs/rbac.md."""

from __future__ import annotations

from rbac.actions import PERMISSIONS, SYSTEM_DOMAIN, SYSTEM_PERMISSIONS, Action, SystemAction
from rbac.authorizer import Authorizer, AuthorizerStopped
from rbac.history import policy_at, system_policy_at, who_can, who_could_system
from rbac.model import MODEL_TEXT, policy_text
from rbac.policy import POLICY_EVENT_TYPES, ROLE_EVENT_TYPES, SYSTEM_ROLE_EVENT_TYPES, Policy

__all__ = [
    "MODEL_TEXT",
    "PERMISSIONS",
    "POLICY_EVENT_TYPES",
    "ROLE_EVENT_TYPES",
    "SYSTEM_DOMAIN",
    "SYSTEM_PERMISSIONS",
    "SYSTEM_ROLE_EVENT_TYPES",
    "Action",
    "Authorizer",
    "AuthorizerStopped",
    "Policy",
    "SystemAction",
    "policy_at",
    "policy_text",
    "system_policy_at",
    "who_can",
    "who_could_system",
]
