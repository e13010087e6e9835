"""Training attested at system level: what a trial's founder brings to their trial.

A system administrator attests that a person completed a course (AccountTrainingAttested in
the person's account stream) and may withdraw a mistaken attestation with a reason
(AccountTrainingWithdrawn; the record stays in the log). The rules are those of a trial's
attestations: nobody attests their own training, and no completion date lies in the future
(later than today anywhere on Earth at the server's clock).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime

from domain.account_events import (
    AccountState,
    AccountTrainingAttested,
    AccountTrainingWithdrawn,
)
from domain.timestamps import date_text, latest_date_anywhere
from domain.workspace import TrainingRecord
from events import AppendResult
from server.accounts.account_log import AccountLog, Meta
from server.accounts.system_roles import UnknownAccount, checked_reason
from server.accounts.users import Accounts, clean_label

COURSE_MAX = 200


class TrainingRefused(ValueError):
    """A training attestation or withdrawal that was not recorded; the message says why."""


class SelfAttestation(TrainingRefused):
    """Nobody attests their own training."""


class CompletionInFuture(TrainingRefused):
    """The completion date is later than today anywhere on Earth."""


class NoSuchAttestation(TrainingRefused):
    """The account has no attested training in that course."""


class AccountTraining:
    """Records system-level training attestations in the accounts' streams of ``log``."""

    def __init__(
        self, log: AccountLog, accounts: Accounts, *, clock: Callable[[], datetime]
    ) -> None:
        self._log = log
        self._accounts = accounts
        self._clock = clock

    async def attest(
        self, user_id: str, course: str, completed_on: date, *, meta: Meta
    ) -> AppendResult:
        """Record that ``user_id`` completed ``course`` on ``completed_on``, attested by
        ``meta["actor"]`` (a refresher replaces the earlier record). Raises
        :class:`UnknownAccount`, :class:`SelfAttestation`, :class:`CompletionInFuture` or
        :class:`TrainingRefused` (a blank course), recording nothing."""
        course = _checked_course(course)
        by = str(meta.get("actor", ""))
        if await self._accounts.get(user_id) is None:
            raise UnknownAccount(user_id)
        if by == user_id:
            raise SelfAttestation(
                f"you cannot attest your own training in {course}: another system"
                " administrator attests it"
            )
        latest = latest_date_anywhere(self._clock(), "the server's clock")
        if completed_on > latest:
            raise CompletionInFuture(
                f"{course} completed on {date_text(completed_on)} lies in the future (today"
                f" is {date_text(latest)} at the latest)"
            )
        event = AccountTrainingAttested(
            user_id=user_id, course=course, completed_on=date_text(completed_on), attested_by=by
        )
        return await self._log.record(user_id, event, meta=meta)

    async def withdraw(self, user_id: str, course: str, *, reason: str, meta: Meta) -> AppendResult:
        """Withdraw the attestation of ``user_id``'s ``course`` for ``reason``. Raises
        :class:`UnknownAccount`, :class:`NoSuchAttestation` or a
        :class:`server.accounts.system_roles.ReasonRequired`, recording nothing. Trials the
        person founded keep the training they were founded with."""
        reason = checked_reason(reason)
        if await self._accounts.get(user_id) is None:
            raise UnknownAccount(user_id)
        if course not in (await self._log.state(user_id)).training:
            raise NoSuchAttestation(f"{user_id} has no attested training in {course!r}")
        event = AccountTrainingWithdrawn(
            user_id=user_id, course=course, reason=reason, withdrawn_by=str(meta.get("actor", ""))
        )
        return await self._log.record(user_id, event, meta=meta)


def _checked_course(course: str) -> str:
    try:
        return clean_label(course, what="course", max_length=COURSE_MAX)
    except ValueError as error:
        raise TrainingRefused(str(error)) from None


def founder_training(user_id: str, account: AccountState) -> tuple[TrainingRecord, ...]:
    """The training a founder brings to a trial: their system-level attestations, each by
    someone else (an attestation of one's own, which the account log should never hold, is
    left out)."""
    return tuple(
        TrainingRecord(
            course=attested.course,
            completed_on=date.fromisoformat(attested.completed_on),
            attested_by=attested.attested_by,
        )
        for attested in account.training.values()
        if attested.attested_by and attested.attested_by != user_id
    )
