"""What happens at an investigator site: the events of its stream (one stream per site of
a trial, ``trial/{trial}/site/{site}``, so that sites never contend with each other or
with the amendments)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from domain.event import Event


class ApprovalBody(StrEnum):
    """Who approves a protocol version for a site (``charter.SiteOversight``)."""

    ETHICS = "ethics"
    """The ethics committee covering the site."""
    REGULATOR = "regulator"
    """The regulator the charter names for the site."""


@dataclass(frozen=True, slots=True, kw_only=True)
class SiteApprovalRecorded(Event):
    """An ethics committee or a regulator approved a published protocol version for one
    site: ``organization_id`` is the body's organization, ``approved_on`` the date of
    its decision and ``reference`` where it is minuted (a letter, minutes, a decision
    number); ``recorded_by`` is the reviewer who recorded it at ``recorded_at``."""

    trial_id: str
    site_id: str
    version: int
    amendment_id: str | None
    """The amendment merged as ``version`` (None for version 1, the original protocol)."""
    body: ApprovalBody
    organization_id: str
    approved_on: str
    reference: str
    recorded_by: str
    recorded_at: str


@dataclass(frozen=True, slots=True, kw_only=True)
class SiteActivated(Event):
    """A published protocol version took effect at one site: from ``activated_at`` it is
    the version in force there."""

    trial_id: str
    site_id: str
    version: int
    amendment_id: str | None
    activated_by: str
    activated_at: str


SiteEvent = SiteApprovalRecorded | SiteActivated
