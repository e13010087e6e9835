"""Erasing a person from the accounts table, once their personal data in the log is
erased (:func:`server.personal_data.erase_personal_data`).

The log's copies of their names are sealed and their keys erased; the ``users`` row held
them in clear. :func:`erase_account_identity` replaces the username by ``erased-`` + the
user id (the old username is free again: nothing here can be looked up by it) and the
printed name by ``[erased]``, keeps the account disabled for good, ends its sessions and
forgets its failed sign-ins. The database allows this change once and no other
(migration 0012): an erased account is never enabled or renamed again. Its id stays, so
the log's references to it still resolve, to ``[erased]``.
"""

from __future__ import annotations

from sqlalchemy import delete, update
from sqlalchemy.ext.asyncio import AsyncEngine

from domain.personal_data import ERASED
from server.accounts.tables import read_clock, user_sessions, users
from server.accounts.users import ERASED_USERNAME_PREFIX, Accounts, User


def erased_username(user_id: str) -> str:
    """The username an erased account is left with."""
    return ERASED_USERNAME_PREFIX + user_id


async def erase_account_identity(accounts: Accounts, engine: AsyncEngine, user: User) -> None:
    """Replace ``user``'s username and printed name by placeholders, disable the account
    for good and end its sessions (nothing is recorded here: the erasure is, before)."""
    if user.erased:
        return
    placeholder = erased_username(user.user_id)
    now = read_clock(accounts.clock)
    async with engine.begin() as conn:
        await conn.execute(
            update(users)
            .where(users.c.id == user.user_id, users.c.erased_at.is_(None))
            .values(
                username=placeholder,
                username_key=placeholder,
                printed_name=ERASED,
                disabled=True,
                disabled_at=now if not user.disabled else users.c.disabled_at,
                erased_at=now,
            )
        )
        await conn.execute(delete(user_sessions).where(user_sessions.c.user_id == user.user_id))
    await accounts.throttle.unlock(user.username)
    accounts.forget_credentials(user.user_id)
