"""Everything a request handler needs, wired once by :mod:`server.bootstrap`."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from events import EventStore
from events.following import LogFollower
from events.merkle_store import MerkleTree
from rbac import Authorizer
from server.accounts.account_log import AccountLog
from server.accounts.passwords import PasswordPolicy
from server.accounts.sessions import Sessions
from server.accounts.tokens import ApiTokens
from server.accounts.users import Accounts
from server.audit.checkpoints import Checkpoints
from server.audit.history import TrialHistory
from server.coediting.documents import SharedDocuments
from server.commands.directory import Directory
from server.commands.service import CommandService
from server.commands.state_cache import StateCache
from server.inbox.items import Inbox
from server.live.connection import LiveSettings
from server.live.feed import LiveFeed
from server.live.tickets import LiveTickets
from server.notifications.notifier import Notifier
from server.notifications.settings import MailSettings


def data_dir() -> Path:
    """Where Concord keeps its files: CONCORD_DATA_DIR, else ./data."""
    return Path(os.environ.get("CONCORD_DATA_DIR", "data"))


def default_signing_key() -> Path:
    """CONCORD_SIGNING_KEY, else ``signing-key.pem`` in the data folder."""
    return Path(os.environ.get("CONCORD_SIGNING_KEY") or data_dir() / "signing-key.pem")


@dataclass(frozen=True, slots=True)
class Settings:
    """How this server runs."""

    secure_cookies: bool = False
    """Mark the session cookie Secure (set when served over https)."""
    allowed_origins: frozenset[str] = frozenset()
    """Origins besides the server's own from which a session may open a live connection."""
    live: LiveSettings = field(default_factory=LiveSettings)
    signing_key: Path = field(default_factory=default_signing_key)
    """The server's Ed25519 key file (created on first use)."""
    checkpoint_every: float | None = None
    """Sign the log's head every this many seconds (None: only on export)."""
    history_wait: float = 10.0
    """How long an audit request waits for a trial's projection to be built (then 503)."""
    warm_up_wait: float | None = 10.0
    """How long a request waits for a stream's state to be read from the log the first
    time (then 503 while the reading goes on; None: as long as it takes)."""
    password_policy: PasswordPolicy = field(default_factory=PasswordPolicy)
    """What a new password must be (length, guessability, optional expiry)."""
    mail: MailSettings | None = None
    """Where notification mails go (``--smtp``; None: no mail is sent or queued)."""


@dataclass(frozen=True, slots=True)
class Services:
    """The composition root's product: one of each, shared by every request."""

    store: EventStore
    follower: LogFollower
    """The process's one follower of the log: it keeps the projections below current."""
    states: StateCache
    directory: Directory
    authorizer: Authorizer
    commands: CommandService
    accounts: Accounts
    account_log: AccountLog
    """What happened to accounts, in the log's system streams (domain/account_events.py)."""
    sessions: Sessions
    tokens: ApiTokens
    live: LiveFeed
    live_tickets: LiveTickets
    history: TrialHistory
    checkpoints: Checkpoints
    merkle: MerkleTree
    """The log's RFC 9162 Merkle tree, kept by the follower (its proofs: docs/log-format.md)."""
    texts: SharedDocuments
    """The sections' shared texts this process has open (kept current by the follower)."""
    clock: Callable[[], datetime]
    settings: Settings
    notifications: Notifier
    """Each person's choice of notification mails; queues and sends them (with ``--smtp``)."""
    inbox: Inbox
    """What waits for each person in the trials they may read (``GET /api/inbox``)."""
