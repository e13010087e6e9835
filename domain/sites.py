"""Investigator sites: a protocol version takes effect at a site only after the approvals
relevant to that site (ICH E6(R3) §4.3.5).

The charter's ``site_oversight`` names, per site, the ethics committee covering it and,
where the charter says so, a regulator (``charter.SiteOversight``). An ethics reviewer of
each of those organizations records its approval of a published version for the site
(``RecordSiteApproval``); the site's investigator or the sponsor's lead then activates the
site on it (``ActivateSite``), which is refused until every approval the charter names for
the site is recorded for that version. The version in force at a site is the one it was
last activated on; a site moves only forward.

This is separate from an amendment's ethics approval (``amendment_signing``): that is the
committee's approval of the amendment's content before it merges, for the whole trial;
this is each site's own committee (which may be the same one) approving the version for
its site. Neither implies the other.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime

from domain.actor import Actor
from domain.charter import Charter, SiteOversight
from domain.errors import (
    NotSiteActivator,
    NotSiteApprover,
    ProtocolVersionNotFound,
    SiteApprovalAlreadyRecorded,
    SiteApprovalInFuture,
    SiteApprovalMissing,
    SiteApprovalNotRequired,
    SiteNotFound,
    SiteNotOverseen,
    SiteVersionNotNewer,
    require_text,
)
from domain.event import Command, fold_events, ignore_unknown
from domain.frozen import appended, frozen_list, frozen_map, with_entry
from domain.protocol_state import ProtocolState, PublishedVersion
from domain.roles import OrganizationKind, Role
from domain.site_events import ApprovalBody, SiteActivated, SiteApprovalRecorded, SiteEvent
from domain.timestamps import date_text, instant_text, latest_date_anywhere

__all__ = [
    "NEW_SITE",
    "ActivateSite",
    "ApprovalBody",
    "PendingVersion",
    "RecordSiteApproval",
    "SiteActivated",
    "SiteApprovalRecorded",
    "SiteCommand",
    "SiteContext",
    "SiteEvent",
    "SiteState",
    "decide",
    "evolve",
    "fold",
    "may_activate",
    "pending_versions",
]

# -- commands ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class RecordSiteApproval(Command):
    """Record that ``body`` approved published ``version`` for site ``site_id`` on
    ``approved_on`` (not later than today anywhere on Earth at ``recorded_at``, the
    server's clock), minuted under ``reference``."""

    site_id: str
    version: int
    body: ApprovalBody
    approved_on: date
    reference: str
    recorded_at: datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class ActivateSite(Command):
    """Put published ``version`` in force at site ``site_id`` from ``activated_at`` (the
    server's clock)."""

    site_id: str
    version: int
    activated_at: datetime


SiteCommand = RecordSiteApproval | ActivateSite


@dataclass(frozen=True, slots=True, kw_only=True)
class SiteContext:
    """What a site's decision reads besides its own stream: the charter, the trial's
    organizations (id -> kind) and the protocol's published versions."""

    charter: Charter
    organizations: Mapping[str, OrganizationKind]
    protocol: ProtocolState


# -- state ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class SiteApproval:
    """One body's approval of a version for the site, as recorded."""

    version: int
    body: ApprovalBody
    organization_id: str
    approved_on: str
    reference: str
    recorded_by: str
    recorded_at: str


@dataclass(frozen=True, slots=True, kw_only=True)
class SiteActivation:
    """A version put in force at the site."""

    version: int
    amendment_id: str | None
    activated_by: str
    activated_at: str


@dataclass(frozen=True, slots=True, kw_only=True)
class SiteState:
    """One site's approvals and activations as of some position in its stream."""

    trial_id: str = ""
    site_id: str = ""
    approvals: Mapping[int, tuple[SiteApproval, ...]] = field(default_factory=frozen_map)
    """Version -> the approvals of it recorded for the site, in the order recorded (a
    handful per version: the tuple stays small while the map grows)."""
    activations: Sequence[SiteActivation] = field(default_factory=frozen_list)
    """Every activation, oldest first."""

    @property
    def in_force(self) -> SiteActivation | None:
        """The activation in force: the latest one (None: the site was never activated)."""
        return self.activations[-1] if self.activations else None

    @property
    def version_in_force(self) -> int:
        """The version in force at the site, 0 before its first activation."""
        return self.activations[-1].version if self.activations else 0

    def approval(
        self, version: int, body: ApprovalBody, organization_id: str
    ) -> SiteApproval | None:
        """The approval of ``version`` that ``organization_id`` gave as ``body``, if recorded."""
        return next(
            (
                a
                for a in self.approvals.get(version, ())
                if a.body is body and a.organization_id == organization_id
            ),
            None,
        )


NEW_SITE = SiteState()
"""The state of a site before its stream's first event."""


def evolve(state: SiteState, event: SiteEvent) -> SiteState:
    """The site after ``event``; never fails."""
    match event:
        case SiteApprovalRecorded():
            approval = SiteApproval(
                version=event.version,
                body=event.body,
                organization_id=event.organization_id,
                approved_on=event.approved_on,
                reference=event.reference,
                recorded_by=event.recorded_by,
                recorded_at=event.recorded_at,
            )
            recorded = (*state.approvals.get(event.version, ()), approval)
            approvals = with_entry(state.approvals, event.version, recorded)
            return replace(
                state, trial_id=event.trial_id, site_id=event.site_id, approvals=approvals
            )
        case SiteActivated():
            activation = SiteActivation(
                version=event.version,
                amendment_id=event.amendment_id,
                activated_by=event.activated_by,
                activated_at=event.activated_at,
            )
            activations = appended(state.activations, activation)
            return replace(
                state, trial_id=event.trial_id, site_id=event.site_id, activations=activations
            )
        case _:
            return ignore_unknown(state, event)


def fold(events: Iterable[SiteEvent], state: SiteState = NEW_SITE) -> SiteState:
    """The site after ``events``, starting from ``state``."""
    return fold_events(evolve, state, events)


# -- what a version still needs at a site ------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class PendingVersion:
    """A published version later than the one in force at a site: the approvals it still
    lacks there (body and organization), and so whether the site can be activated on it."""

    version: int
    amendment_id: str | None
    missing: tuple[tuple[ApprovalBody, str], ...]

    @property
    def ready(self) -> bool:
        """True when every approval is recorded: the site awaits only its activation."""
        return not self.missing


def required_approvals(oversight: SiteOversight) -> tuple[tuple[ApprovalBody, str], ...]:
    """The approvals a version needs at a site overseen by ``oversight``."""
    required = [(ApprovalBody.ETHICS, oversight.ethics_committee)]
    if oversight.regulator:
        required.append((ApprovalBody.REGULATOR, oversight.regulator))
    return tuple(required)


def missing_approvals(
    state: SiteState, oversight: SiteOversight, version: int
) -> tuple[tuple[ApprovalBody, str], ...]:
    """The approvals of ``version`` the site still lacks under ``oversight``."""
    return tuple(
        (body, organization)
        for body, organization in required_approvals(oversight)
        if state.approval(version, body, organization) is None
    )


_UNNAMED = ((ApprovalBody.ETHICS, ""),)
"""What a version lacks at a site the charter names no committee for: a committee's
approval (the blank organization: none is named yet)."""


def pending_versions(
    state: SiteState, oversight: SiteOversight | None, protocol: ProtocolState
) -> tuple[PendingVersion, ...]:
    """The published versions later than the one in force at the site, each with the
    approvals it lacks there (all of them, when the charter names no oversight yet: the
    site cannot be activated until it does: an ethics approval from a blank organization)."""
    later = (v for v in protocol.versions if v.version > state.version_in_force)
    return tuple(
        PendingVersion(
            version=v.version,
            amendment_id=v.amendment_id,
            missing=missing_approvals(state, oversight, v.version) if oversight else _UNNAMED,
        )
        for v in later
    )


# -- decide -----------------------------------------------------------------------------


def decide(state: SiteState, command: SiteCommand, context: SiteContext) -> list[SiteEvent]:
    """The events ``command`` causes, or a DomainError naming the rule it breaks."""
    site_id = command.site_id
    if context.organizations.get(site_id) is not OrganizationKind.SITE:
        raise SiteNotFound(f"{site_id!r} is not an investigator site admitted to the trial")
    oversight = context.charter.site_oversight.get(site_id)
    if isinstance(command, RecordSiteApproval):
        return [_approval(state, command, context, _overseen(site_id, oversight))]
    return [_activation(state, command, context, oversight)]


def _overseen(site_id: str, oversight: SiteOversight | None) -> SiteOversight:
    if oversight is None:
        raise SiteNotOverseen(
            f"the charter names no ethics committee for site {site_id}; a trial admin names"
            " one in the charter's site oversight first"
        )
    return oversight


def _published(context: SiteContext, version: int) -> PublishedVersion:
    published = context.protocol.version(version)
    if published is None:
        current = context.protocol.current_version
        raise ProtocolVersionNotFound(
            f"the protocol has no published version {version} (the latest is {current})"
        )
    return published


def _approval(
    state: SiteState, command: RecordSiteApproval, context: SiteContext, oversight: SiteOversight
) -> SiteApprovalRecorded:
    site_id, body, actor = command.site_id, command.body, command.actor
    ethics = body is ApprovalBody.ETHICS
    organization = oversight.ethics_committee if ethics else oversight.regulator
    if not organization:
        raise SiteApprovalNotRequired(
            f"the charter asks no regulator's approval for site {site_id}"
        )
    if Role.ETHICS_REVIEWER not in actor.roles or actor.organization_id != organization:
        raise NotSiteApprover(
            f"an ethics reviewer of {organization} records its approval for site {site_id};"
            f" {actor.user_id} is not one (of {actor.organization_id})"
        )
    published = _published(context, command.version)
    require_text(command.reference, "a reference to the approval (letter, minutes)")
    approved_on = date_text(command.approved_on)
    recorded_at = instant_text(command.recorded_at, "the time of recording")
    latest = date_text(latest_date_anywhere(command.recorded_at, "the time of recording"))
    if approved_on > latest:
        raise SiteApprovalInFuture(
            f"an approval dated {approved_on} lies in the future (today is {latest} at the latest)"
        )
    if state.approval(command.version, body, organization) is not None:
        raise SiteApprovalAlreadyRecorded(
            f"{organization}'s {body.value} approval of version {command.version} for site"
            f" {site_id} is already recorded"
        )
    return SiteApprovalRecorded(
        trial_id=context.protocol.trial_id,
        site_id=site_id,
        version=command.version,
        amendment_id=published.amendment_id,
        body=body,
        organization_id=organization,
        approved_on=approved_on,
        reference=command.reference,
        recorded_by=actor.user_id,
        recorded_at=recorded_at,
    )


def may_activate(actor: Actor, site_id: str) -> bool:
    """The site's own investigator, or the sponsor's lead."""
    investigator = Role.INVESTIGATOR in actor.roles and actor.organization_id == site_id
    sponsor = Role.SPONSOR_LEAD in actor.roles
    return investigator or (sponsor and actor.organization_kind is OrganizationKind.SPONSOR)


def _activation(
    state: SiteState, command: ActivateSite, context: SiteContext, oversight: SiteOversight | None
) -> SiteActivated:
    site_id, actor, version = command.site_id, command.actor, command.version
    if not may_activate(actor, site_id):
        raise NotSiteActivator(
            f"site {site_id} is activated by its own investigator or the sponsor's lead;"
            f" {actor.user_id} is neither"
        )
    published = _published(context, version)
    if version <= state.version_in_force:
        raise SiteVersionNotNewer(
            f"site {site_id} already has version {state.version_in_force} in force; it moves"
            " only to a later version"
        )
    missing = missing_approvals(state, _overseen(site_id, oversight), version)
    if missing:
        lacking = ", ".join(f"{organization}'s ({body.value})" for body, organization in missing)
        raise SiteApprovalMissing(
            f"version {version} is not approved for site {site_id}: {lacking} approval is"
            " not recorded"
        )
    return SiteActivated(
        trial_id=context.protocol.trial_id,
        site_id=site_id,
        version=version,
        amendment_id=published.amendment_id,
        activated_by=actor.user_id,
        activated_at=instant_text(command.activated_at, "the activation time"),
    )
