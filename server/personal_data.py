"""Personal data in the log: which fields the store seals (the domain's
:data:`domain.personal_data.PERSONAL_FIELDS`), and erasing a person's.

:func:`personal_fields` is the store's sealing policy (``store.personal_data.policy``,
set where the server opens its store). Once :class:`PersonalDataErased` is recorded in
the account's stream (with the approval that completed its request:
:mod:`server.erasure_requests`), :func:`carry_out_erasure` erases the person's keys, then
drops the snapshots beside the log that may hold what they sealed, in clear (the
directory's and the aggregates' states), so nothing rebuilt later starts from them.
:class:`ErasedKeys` is the follower's projection that makes every process treat the keys
as erased as soon as it reads the event. See docs/event-store.md ("Personal data").
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, or_
from sqlalchemy.ext.asyncio import AsyncEngine

from domain.personal_data import (
    PERSONAL_FIELDS,
    PersonalDataErased,
    user_subject,
    username_subject,
)
from events import EventStore, RecordedEvent
from events.canonical import format_timestamp
from events.personal_data import PersonalKeys
from events.snapshots import projection_snapshots
from server.accounts.erased_accounts import erase_account_identity
from server.accounts.users import Accounts, User
from server.commands.directory import Directory
from server.commands.state_snapshots import snapshot_name
from server.notifications.tables import forget_person as forget_notification_address

ERASURE_TYPE = PersonalDataErased.event_type
STATE_SNAPSHOTS = snapshot_name("")
"""How the state cache's snapshots (one a stream) begin: they hold members' names."""
DIRECTORY_SNAPSHOT = Directory.name
"""The directory's snapshot: it holds the usernames of pending invitations."""


def personal_fields(event_type: str, data: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    """The ``(path, subject)`` of each personal value of an event about to be recorded
    (the store's sealing policy)."""
    for field in PERSONAL_FIELDS.get(event_type, ()):
        subject: Any = data
        for name in field.subject.split("."):
            subject = subject.get(name) if isinstance(subject, Mapping) else None
        if isinstance(subject, str) and subject:
            yield field.path, field.subject_of(subject)


def seal_personal_data(store: EventStore) -> None:
    """Make ``store`` seal the domain's personal fields in what it is given to record."""
    store.personal_data.policy = personal_fields


class AccountStillEnabled(ValueError):
    """The account is enabled: it is disabled first, with its own reason."""


@dataclass(frozen=True, slots=True)
class Erasure:
    """What an erasure did: where it is recorded, and how many keys it erased."""

    position: int
    subjects: tuple[str, ...]
    keys_erased: int
    snapshots_dropped: int


def erasure_subjects(user: User) -> tuple[str, ...]:
    """Whose keys erasing ``user``'s personal data erases: their user id's, and their
    username's as invitations sealed it (an account already erased has no username left)."""
    user_id = user.user_id
    username = None if user.erased else user.username
    return (user_subject(user_id),) + ((username_subject(username),) if username else ())


def require_disabled(user: User) -> None:
    """Raise :class:`AccountStillEnabled` unless ``user`` is disabled: an erasure is
    requested and carried out only for a disabled account (disabling is its own recorded
    decision, with its reason)."""
    if not user.disabled:
        raise AccountStillEnabled(
            f"the account {user.username!r} is enabled: disable it first (with its reason),"
            " then erase its personal data"
        )


async def carry_out_erasure(
    store: EventStore,
    engine: AsyncEngine,
    accounts: Accounts,
    *,
    user: User,
    subjects: tuple[str, ...],
    position: int,
) -> Erasure:
    """Erase what the log holds sealed about account ``user``, once
    :class:`PersonalDataErased` is recorded at ``position`` (the approval that completed
    its request, ``domain.erasure_requests``): the ``subjects``' keys made until then are
    erased, the snapshots that may hold the data in clear are dropped, and the accounts
    table keeps only placeholders (:mod:`server.accounts.erased_accounts`). Should it stop
    between the steps, a new request (approved as the first was) erases what is left."""
    (written,) = await store.read_all(after=position - 1, limit=1)
    made_until = format_timestamp(written.recorded_at)
    erased = await store.personal_data.erase(subjects, made_until=made_until)
    dropped = await drop_snapshots_with_personal_data(engine)
    await erase_account_identity(accounts, engine, user)
    await forget_notification_address(engine, user.user_id)  # their address, their mails
    return Erasure(position, subjects, erased, dropped)


async def drop_snapshots_with_personal_data(
    engine: AsyncEngine, *, up_to: int | None = None
) -> int:
    """Delete the projection snapshots that may hold personal data in clear (derived
    data: the projections rebuild from the log, where it now reads as erased); with
    ``up_to``, only those of log positions up to it (saved from what was folded before
    the erasure recorded there)."""
    # here, not at the top: the account commands (``concord user``) import this module,
    # and the audit checkpoints' module brings every aggregate (pycrdt's texts too)
    from server.audit.checkpoint_store import drop_audit_checkpoints

    table = projection_snapshots
    which = or_(
        table.c.name == DIRECTORY_SNAPSHOT,
        table.c.name.startswith(STATE_SNAPSHOTS, autoescape=True),
    )
    if up_to is not None:
        which = and_(which, table.c.position <= up_to)
    async with engine.begin() as conn:
        result = await conn.execute(table.delete().where(which))
    return result.rowcount + await drop_audit_checkpoints(engine, up_to=up_to)


class ErasedKeys:
    """The log follower's first projection: once this process reads a
    :class:`PersonalDataErased`, the keys it names read as erased here too, even while
    the process that recorded it has not erased them yet."""

    name = "erased personal data keys"

    def __init__(self, keys: PersonalKeys) -> None:
        self._keys = keys

    async def catch_up(self, head: int) -> None:
        """Nothing to read: erased keys are erased in the table, read on first use."""

    def apply(self, event: RecordedEvent) -> None:
        if event.type == ERASURE_TYPE:
            subjects = event.data.get("subjects")
            if isinstance(subjects, list):
                at = format_timestamp(event.recorded_at)
                self._keys.forget((str(subject) for subject in subjects), at=at)

    def stopped(self, failure: BaseException | None) -> None:
        """Nothing to release."""
