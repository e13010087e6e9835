"""Which fields of which events hold personal data, and whose.

A field listed here is stored encrypted under a key of its *subject* (the person it is
about), held outside the log; erasing that key (:class:`PersonalDataErased`) makes the
field read as :data:`ERASED` everywhere while the log and its hash chain stay as they are
(docs/event-store.md, "Personal data"). The server seals these fields when it appends an
event and the store reveals them when it reads one; the domain only says which they are.

A path names a field of the event's data, a nested one with dots
(``signature.printed_name``). A subject is the value of another field of the same event
(``user_id``), prefixed with what kind of id it is: ``user:`` for an account's user id,
``username:`` for a username the event holds before anyone knows its account
(:func:`username_subject`).
"""

from __future__ import annotations

import hashlib
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass

from domain.event import Event
from domain.frozen import frozen_map

ERASED = "[erased]"
"""What a personal field reads as once its subject's key is erased."""

USER_SUBJECT = "user:"
USERNAME_SUBJECT = "username:"


def user_subject(user_id: str) -> str:
    """The subject of the personal data about the account ``user_id``."""
    return USER_SUBJECT + user_id


def username_subject(username: str) -> str:
    """The subject of a username recorded before its account is known (an invitation):
    the SHA-256 of the username as usernames compare (NFKC, case-folded), so the subject
    stored beside the sealed value does not spell the username out (whoever guesses it
    can still confirm the guess)."""
    key = unicodedata.normalize("NFKC", username).casefold()
    return USERNAME_SUBJECT + hashlib.sha256(key.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class PersonalField:
    """``path`` holds personal data about the subject named by the field ``subject``
    (a user id, or a username when ``by_username``)."""

    path: str
    subject: str
    by_username: bool = False

    def subject_of(self, value: str) -> str:
        return username_subject(value) if self.by_username else user_subject(value)


def _user(path: str, subject: str = "user_id") -> PersonalField:
    return PersonalField(path, subject)


_SIGNATURE = (_user("signature.printed_name", "signature.signer_id"),)

PERSONAL_FIELDS: Mapping[str, tuple[PersonalField, ...]] = frozen_map(
    {
        "AccountCreated": (_user("username"), _user("printed_name")),
        "PrintedNameChanged": (_user("printed_name"),),
        "MemberAdded": (_user("printed_name"),),
        "InvitationAccepted": (_user("printed_name"),),
        "MemberInvited": (PersonalField("username", "username", by_username=True),),
        "SignatureApplied": _SIGNATURE,
        "EthicsApprovalRecorded": _SIGNATURE,
    }
)
"""Event type -> its personal fields. Names and usernames so far: every field of an
event that names a person (``tests/unit/domain/test_personal_data.py`` finds each
``printed_name`` and ``username`` of every event and fails on one missing here)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ErasureApproval:
    """One approval of an erasure (``domain.erasure_requests``): for the trial
    ``trial_id`` by a member its charter names, or, with no trial (the person took part
    in none), by a second system admin. ``vouched_by`` is the operator who recorded it on
    the approver's word (``operator:{name}``, ``concord personal-data erase approve``),
    None when the approver recorded it themselves."""

    trial_id: str | None
    approved_by: str
    vouched_by: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class PersonalDataErased(Event):
    """The keys of the personal data about account ``user_id`` (``subjects``: its user id,
    and its username as invitations recorded it) were erased: everything the log holds
    encrypted under them reads as :data:`ERASED` from now on. ``reason`` says why
    (ICH E6(R3) 4.2.2: personal information recorded by mistake; a GDPR erasure request).
    Recorded in the account's stream before the keys are erased, with the approval that
    completed its request (``domain.erasure_requests``): ``requested_by`` is the system
    admin who requested it, ``approvals`` every approval it had (one per trial the person
    took part in, or a second system admin's), ``approved_by`` the approver whose approval
    completed them. Erasures recorded before requests existed have no ``requested_by``
    (empty) nor ``approvals``: their one ``approved_by`` was a system admin (or
    ``operator:{name}``) who approved alone."""

    user_id: str
    subjects: tuple[str, ...]
    reason: str
    approved_by: str
    requested_by: str = ""
    approvals: tuple[ErasureApproval, ...] = ()
