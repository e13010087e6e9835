"""Everything a request handler needs, wired once by :mod:`server.bootstrap`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from events import EventStore
from rbac import Authorizer
from server.accounts import Accounts
from server.aggregates import StateCache
from server.api_tokens import ApiTokens
from server.audit.history import TrialHistory
from server.commanding import CommandService
from server.directory import Directory
from server.sessions import Sessions


@dataclass(frozen=True, slots=True)
class Settings:
    """How this server runs."""

    secure_cookies: bool = False
    """Mark the session cookie Secure (set when served over https)."""


@dataclass(frozen=True, slots=True)
class Services:
    """The composition root's product: one of each, shared by every request."""

    store: EventStore
    states: StateCache
    directory: Directory
    authorizer: Authorizer
    commands: CommandService
    accounts: Accounts
    sessions: Sessions
    tokens: ApiTokens
    history: TrialHistory
    clock: Callable[[], datetime]
    settings: Settings
