"""What happens to accounts: the events of the system streams, and the account's fold.

Each account has its own stream, ``system/account/{user_id}`` (:func:`account_stream`):
its creation, disabling and enabling, password changes and resets, system roles, training
attested at system level, API tokens issued and revoked; its sign-ins and sign-outs are in
``system/account/{user_id}/sign-ins`` (:func:`sign_ins_stream`). A refused
sign-in under a username no account has goes to ``system/sign-ins``
(:data:`SIGN_INS_STREAM`), without the username typed (it may be a password typed into
the wrong field). No password, hash or token secret is ever part of an event.

``by`` fields hold the acting user's id, or ``operator:{name}`` for a command run on the
server's machine (``concord user ...``), or ``self`` where the person acted for
themselves without being signed in (a sign-in).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from enum import StrEnum

from domain.event import Event
from domain.frozen import frozen_map, with_entry, without_entry

SYSTEM_SEGMENT = "system"
SIGN_INS_STREAM = "system/sign-ins"
"""Refused or throttled sign-ins under a username no account has."""


def account_stream(user_id: str) -> str:
    """The stream of one account: everything that happened to it."""
    return f"{SYSTEM_SEGMENT}/account/{user_id}"


def sign_ins_stream(user_id: str) -> str:
    """The account's sign-ins and sign-outs, beside its stream: they are most of what
    happens to an account, and reading what it is (its roles, whether it is disabled)
    need not read them."""
    return f"{account_stream(user_id)}/sign-ins"


def account_of(stream_id: str) -> str | None:
    """The user id an account stream belongs to, or None for any other stream."""
    prefix = f"{SYSTEM_SEGMENT}/account/"
    if not stream_id.startswith(prefix) or "/" in stream_id[len(prefix) :]:
        return None
    return stream_id[len(prefix) :] or None


class SystemRole(StrEnum):
    """A role that holds across the whole installation, not one trial."""

    SYSTEM_ADMIN = "system_admin"
    """Creates, disables and enables accounts, resets passwords, grants system roles,
    attests a person's training at system level, reads account trails."""
    TRIAL_CREATOR = "trial_creator"
    """Founds trials (and becomes each one's first trial admin)."""
    ACCOUNT_AUDITOR = "account_auditor"
    """Reads any person's account trail; changes nothing."""


class SignInRefusal(StrEnum):
    """Why a sign-in was refused (the person is told only "wrong username or password")."""

    WRONG_PASSWORD = "wrong_password"
    ACCOUNT_DISABLED = "account_disabled"
    UNKNOWN_USERNAME = "unknown_username"


@dataclass(frozen=True, slots=True, kw_only=True)
class AccountCreated(Event):
    """An account was opened. ``must_change_password``: its password was set by someone
    else than its owner, who must replace it at the first sign-in."""

    user_id: str
    username: str
    printed_name: str
    created_by: str
    must_change_password: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class AccountDisabled(Event):
    """The account can no longer sign in, sign or use its tokens; its sessions ended."""

    user_id: str
    reason: str
    disabled_by: str


@dataclass(frozen=True, slots=True, kw_only=True)
class AccountEnabled(Event):
    """A disabled account may sign in again."""

    user_id: str
    reason: str
    enabled_by: str


@dataclass(frozen=True, slots=True, kw_only=True)
class PasswordChanged(Event):
    """The owner replaced their password (after entering the current one)."""

    user_id: str


@dataclass(frozen=True, slots=True, kw_only=True)
class PasswordReset(Event):
    """Someone else set a one-time password, to be changed at the next sign-in before
    anything else. Every session of the account ended."""

    user_id: str
    reset_by: str


@dataclass(frozen=True, slots=True, kw_only=True)
class PrintedNameChanged(Event):
    """The name shown in the account's future signature manifestations changed."""

    user_id: str
    printed_name: str
    changed_by: str


@dataclass(frozen=True, slots=True, kw_only=True)
class SystemRoleGranted(Event):
    """The account received a system role; ``reason`` says why."""

    user_id: str
    role: SystemRole
    reason: str
    granted_by: str


@dataclass(frozen=True, slots=True, kw_only=True)
class SystemRoleRevoked(Event):
    """The account lost a system role; ``reason`` says why."""

    user_id: str
    role: SystemRole
    reason: str
    revoked_by: str


@dataclass(frozen=True, slots=True, kw_only=True)
class AccountTrainingAttested(Event):
    """Someone other than the person attested that they completed a course on
    ``completed_on`` (an ISO date): what a trial's founder brings to their trial."""

    user_id: str
    course: str
    completed_on: str
    attested_by: str


@dataclass(frozen=True, slots=True, kw_only=True)
class AccountTrainingWithdrawn(Event):
    """A mistaken system-level training attestation was withdrawn; the record stays."""

    user_id: str
    course: str
    reason: str
    withdrawn_by: str


@dataclass(frozen=True, slots=True, kw_only=True)
class ApiTokenIssued(Event):
    """The owner created an API token (its secret is never recorded)."""

    user_id: str
    token_id: str
    name: str
    expires_at: str


@dataclass(frozen=True, slots=True, kw_only=True)
class ApiTokenRevoked(Event):
    """An API token stopped working for good."""

    user_id: str
    token_id: str
    revoked_by: str


@dataclass(frozen=True, slots=True, kw_only=True)
class SignInSucceeded(Event):
    """The person signed in from ``client``, opening session ``session_id``."""

    user_id: str
    session_id: str
    client: str


@dataclass(frozen=True, slots=True, kw_only=True)
class SessionEnded(Event):
    """The person ended session ``session_id``."""

    user_id: str
    session_id: str


@dataclass(frozen=True, slots=True, kw_only=True)
class SignInRefused(Event):
    """A sign-in was refused after its password was checked. ``user_id`` is empty for a
    username no account has (the stream is then :data:`SIGN_INS_STREAM`)."""

    user_id: str
    client: str
    refusal: SignInRefusal


@dataclass(frozen=True, slots=True, kw_only=True)
class SignInThrottled(Event):
    """Too many failed sign-ins locked the username or the client out for
    ``retry_after`` seconds; recorded once when the lockout begins."""

    user_id: str
    client: str
    retry_after: int


AccountEvent = (
    AccountCreated
    | AccountDisabled
    | AccountEnabled
    | PasswordChanged
    | PasswordReset
    | PrintedNameChanged
    | SystemRoleGranted
    | SystemRoleRevoked
    | AccountTrainingAttested
    | AccountTrainingWithdrawn
    | ApiTokenIssued
    | ApiTokenRevoked
    | SignInSucceeded
    | SessionEnded
    | SignInRefused
    | SignInThrottled
)
"""Any event of an account's streams or of the sign-ins stream."""

SIGN_IN_EVENTS: tuple[type[Event], ...] = (
    SignInSucceeded,
    SignInRefused,
    SignInThrottled,
    SessionEnded,
)
"""The events of an account's sign-ins stream."""


@dataclass(frozen=True, slots=True)
class AttestedTraining:
    """A course someone attested the person completed."""

    course: str
    completed_on: str
    attested_by: str


@dataclass(frozen=True, slots=True)
class AccountState:
    """What an account's stream says of it now."""

    user_id: str = ""
    disabled: bool = False
    system_roles: frozenset[SystemRole] = frozenset()
    training: Mapping[str, AttestedTraining] = field(default_factory=frozen_map)


def evolve_account(state: AccountState, event: Event) -> AccountState:
    """The account after ``event`` (events that change nothing here return ``state``)."""
    match event:
        case AccountCreated(user_id=user_id):
            return replace(state, user_id=user_id)
        case AccountDisabled():
            return replace(state, disabled=True)
        case AccountEnabled():
            return replace(state, disabled=False)
        case SystemRoleGranted(role=role):
            return replace(state, system_roles=state.system_roles | {role})
        case SystemRoleRevoked(role=role):
            return replace(state, system_roles=state.system_roles - {role})
        case AccountTrainingAttested(course=course, completed_on=on, attested_by=by):
            attested = AttestedTraining(course, on, by)
            return replace(state, training=with_entry(state.training, course, attested))
        case AccountTrainingWithdrawn(course=course):
            return replace(state, training=without_entry(state.training, course))
        case _:
            return state
