"""Who takes part in a trial: the kinds of organization and the governance roles.

Role names are part of the governance vocabulary; ``rbac/`` imports them to write the
Casbin policy, so their values are stable identifiers, never display text.
"""

from __future__ import annotations

from enum import StrEnum


class OrganizationKind(StrEnum):
    """What an organization admitted to a trial is."""

    SPONSOR = "sponsor"
    SITE = "site"
    ADVOCACY = "advocacy"
    CRO = "cro"
    ETHICS = "ethics"
    REGULATOR = "regulator"


class Role(StrEnum):
    """A governance role a member holds in one trial."""

    TRIAL_ADMIN = "trial_admin"
    SPONSOR_LEAD = "sponsor_lead"
    SPONSOR_MEMBER = "sponsor_member"
    INVESTIGATOR = "investigator"
    SITE_STAFF = "site_staff"
    PATIENT_ADVOCATE = "patient_advocate"
    ETHICS_REVIEWER = "ethics_reviewer"
    AUDITOR = "auditor"
    """Reads and replays everything, changes nothing."""
