"""Granting and revoking system roles: who may found trials, administer accounts, read
account trails (:class:`domain.account_events.SystemRole`).

A grant or revoke is one event in the account's own stream (SystemRoleGranted /
SystemRoleRevoked), which the live policy folds (:mod:`rbac`); this module decides whether
the change makes sense, on what the account's stream says now. Who may ask for it is the
caller's business: the administration API asks Casbin (``system_admin``), the command line
is the operator on the server's machine.
"""

from __future__ import annotations

from domain.account_events import SystemRole, SystemRoleGranted, SystemRoleRevoked
from events import AppendResult
from server.accounts.account_log import AccountLog, Meta
from server.accounts.users import REASON_MAX, Accounts, clean_label


class SystemRoleRefused(ValueError):
    """A system role change that was not recorded; the message says why, for people."""


class UnknownAccount(SystemRoleRefused):
    """No account has this user id."""

    def __init__(self, user_id: str) -> None:
        super().__init__(f"there is no account {user_id!r}")
        self.user_id = user_id


class SystemRoleAlreadyHeld(SystemRoleRefused):
    """The account already holds the role."""


class SystemRoleNotHeld(SystemRoleRefused):
    """The account does not hold the role."""


class AccountIsDisabled(SystemRoleRefused):
    """A disabled account receives no system role (enable it first)."""


class LastSystemAdmin(SystemRoleRefused):
    """Revoking would leave no enabled account holding system_admin."""


class ReasonRequired(SystemRoleRefused):
    """The reason is blank, too long or holds control characters."""


def checked_reason(reason: str) -> str:
    """``reason`` without surrounding space, or :class:`ReasonRequired` saying why not."""
    try:
        return clean_label(reason, what="reason", max_length=REASON_MAX)
    except ValueError as error:
        raise ReasonRequired(str(error)) from None


class SystemRoles:
    """Records system role grants and revokes in the accounts' streams of ``log``;
    ``accounts`` says which accounts exist and which are disabled."""

    def __init__(self, log: AccountLog, accounts: Accounts) -> None:
        self._log = log
        self._accounts = accounts

    async def held(self, user_id: str) -> frozenset[SystemRole]:
        """The system roles the account's stream says it holds now."""
        return (await self._log.state(user_id)).system_roles

    async def grant(
        self, user_id: str, role: SystemRole, *, reason: str, meta: Meta
    ) -> AppendResult:
        """Give ``user_id`` the system role ``role`` (``meta["actor"]`` grants it, for
        ``reason``). Raises :class:`UnknownAccount`, :class:`AccountIsDisabled`,
        :class:`SystemRoleAlreadyHeld` or :class:`ReasonRequired` (all
        :class:`SystemRoleRefused`, a ValueError), recording nothing."""
        reason = checked_reason(reason)
        user = await self._accounts.get(user_id)
        if user is None:
            raise UnknownAccount(user_id)
        if user.disabled:
            raise AccountIsDisabled(
                f"the account {user.username!r} is disabled: enable it before granting {role.value}"
            )
        if role in await self.held(user_id):
            raise SystemRoleAlreadyHeld(f"{user.username!r} already holds {role.value}")
        event = SystemRoleGranted(
            user_id=user_id, role=role, reason=reason, granted_by=_actor(meta)
        )
        return await self._log.record(user_id, event, meta=meta)

    async def revoke(
        self, user_id: str, role: SystemRole, *, reason: str, meta: Meta
    ) -> AppendResult:
        """Take the system role ``role`` from ``user_id`` (``meta["actor"]`` revokes it,
        for ``reason``). Raises :class:`UnknownAccount`, :class:`SystemRoleNotHeld`,
        :class:`LastSystemAdmin` (no enabled account would hold system_admin: grant it to
        someone else first) or :class:`ReasonRequired`, recording nothing."""
        reason = checked_reason(reason)
        user = await self._accounts.get(user_id)
        if user is None:
            raise UnknownAccount(user_id)
        if role not in await self.held(user_id):
            raise SystemRoleNotHeld(f"{user.username!r} does not hold {role.value}")
        last_admin = role is SystemRole.SYSTEM_ADMIN and not user.disabled
        if last_admin and not await self._another_enabled_admin(user_id):
            raise LastSystemAdmin(
                f"{user.username!r} is the last enabled system administrator: grant"
                " system_admin to someone else first"
            )
        event = SystemRoleRevoked(
            user_id=user_id, role=role, reason=reason, revoked_by=_actor(meta)
        )
        return await self._log.record(user_id, event, meta=meta)

    async def _another_enabled_admin(self, user_id: str) -> bool:
        for user in await self._accounts.list_users():
            if user.user_id == user_id or user.disabled:
                continue
            if SystemRole.SYSTEM_ADMIN in await self.held(user.user_id):
                return True
        return False


def _actor(meta: Meta) -> str:
    return str(meta.get("actor", ""))
