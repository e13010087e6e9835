"""Governance roles: the Casbin model (RBAC with domains, the domain is the trial), the
policy as a projection of RoleGranted / RoleRevoked events, and who could do what at any
position of the log. See docs/rbac.md."""

from __future__ import annotations

from rbac.actions import PERMISSIONS, Action
from rbac.authorizer import Authorizer, AuthorizerStopped
from rbac.history import policy_at, who_can
from rbac.model import MODEL_TEXT, policy_text
from rbac.policy import ROLE_EVENT_TYPES, Policy

__all__ = [
    "MODEL_TEXT",
    "PERMISSIONS",
    "ROLE_EVENT_TYPES",
    "Action",
    "Authorizer",
    "AuthorizerStopped",
    "Policy",
    "policy_at",
    "policy_text",
    "who_can",
]
