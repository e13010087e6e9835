"""The CDISC terminology Concord writes into USDM files, in one place.

Codes are those of USDM v4.0's controlled terminology (CDISC DDF-RA, release v4.0.0,
``Deliverables/CT/USDM_CT.xlsx``: each codelist named below), written with the code
system and version the CDISC example file uses. ``docs/formats.md`` lists the mapping
and what has no code.
"""

from __future__ import annotations

from dataclasses import dataclass

from domain.m11 import AmendmentReason
from domain.roles import OrganizationKind, Role

CDISC = "http://www.cdisc.org"
CDISC_VERSION = "2024-09-27"
"""The code system version the CDISC example file (``CDISC_Pilot_Study.json``) writes."""
ISO_LANGUAGE = "ISO 639-1"
ISO_COUNTRY = "ISO 3166 1 alpha3"
"""As the CDISC example names the code system of country codes."""


@dataclass(frozen=True, slots=True)
class Term:
    """A CDISC code and its decode."""

    code: str
    decode: str
    system: str = CDISC
    version: str = CDISC_VERSION


# StudyAmendmentReason.code, codelist C207415: the M11 reasons, one code each.
AMENDMENT_REASONS: dict[AmendmentReason, Term] = {
    AmendmentReason.REGULATORY_AGENCY_REQUEST: Term(
        "C207612", "Regulatory Agency Request To Amend"
    ),
    AmendmentReason.NEW_REGULATORY_GUIDANCE: Term("C207608", "New Regulatory Guidance"),
    AmendmentReason.IRB_IEC_FEEDBACK: Term("C207605", "IRB/IEC Feedback"),
    AmendmentReason.NEW_SAFETY_INFORMATION: Term("C207609", "New Safety Information Available"),
    AmendmentReason.MANUFACTURING_CHANGE: Term("C207606", "Manufacturing Change"),
    AmendmentReason.IMP_ADDITION: Term("C207602", "IMP Addition"),
    AmendmentReason.CHANGE_IN_STRATEGY: Term("C207601", "Change In Strategy"),
    AmendmentReason.CHANGE_IN_STANDARD_OF_CARE: Term("C207600", "Change In Standard Of Care"),
    AmendmentReason.NEW_DATA_AVAILABLE: Term(
        "C207607", "New Data Available (Other Than Safety Data)"
    ),
    AmendmentReason.INVESTIGATOR_SITE_FEEDBACK: Term("C207604", "Investigator/Site Feedback"),
    AmendmentReason.RECRUITMENT_DIFFICULTY: Term("C207611", "Recruitment Difficulty"),
    AmendmentReason.PROTOCOL_INCONSISTENCY_OR_ERROR: Term(
        "C207603", "Inconsistency And/Or Error In The Protocol"
    ),
    AmendmentReason.PROTOCOL_DESIGN_ERROR: Term("C207610", "Protocol Design Error"),
    AmendmentReason.OTHER: Term("C17649", "Other"),
}

# StudyAmendmentImpact.type, codelist C215481: one impact per M11 question.
SAFETY_OR_RIGHTS_IMPACT = Term("C215665", "Study Subject Safety")
DATA_RELIABILITY_IMPACT = Term("C215667", "Study Data Reliability")

# GovernanceDate.type, codelist C207413.
APPROVAL_DATE = Term("C71476", "Approval Date")
EFFECTIVE_DATE = Term("C215663", "Effective Date")
ISSUED_DATE = Term("C215664", "Issued Date")

# GeographicScope.type, codelist C207412.
GLOBAL = Term("C68846", "Global")
COUNTRY = Term("C25464", "Country")

# StudyDefinitionDocumentVersion.status, codelist C188723.
FINAL = Term("C25508", "Final")
DRAFT = Term("C85255", "Draft")

# StudyDefinitionDocument.type, codelist C215477.
PROTOCOL_DOCUMENT = Term("C70817", "Protocol")
ENGLISH = Term("en", "English", ISO_LANGUAGE, "2002")

# StudyTitle.type, codelist C207419.
OFFICIAL_TITLE = Term("C207616", "Official Study Title")
BRIEF_TITLE = Term("C207615", "Brief Study Title")

PERCENT = Term("C25613", "Percentage")
"""The unit of an enrollment given as a percentage (NCI Thesaurus)."""

OTHER = Term("C17649", "Other")

# Organization.type, codelist C188724 (extensible). A sponsor is coded as the CDISC
# example codes one; ethics committees and advocacy groups have no code there.
ORGANIZATION_TYPES: dict[OrganizationKind, Term] = {
    OrganizationKind.SPONSOR: Term("C70793", "Clinical Study Sponsor"),
    OrganizationKind.SITE: Term("C21541", "Healthcare Facility"),
    OrganizationKind.CRO: Term("C54148", "Contract Research Organization"),
    OrganizationKind.REGULATOR: Term("C188863", "Regulatory Agency"),
    OrganizationKind.ETHICS: OTHER,
    OrganizationKind.ADVOCACY: OTHER,
}

# StudyRole.code, codelist C215480: the roles organizations play in the study ...
ORGANIZATION_ROLES: dict[OrganizationKind, Term] = {
    OrganizationKind.SPONSOR: Term("C70793", "Sponsor"),
    OrganizationKind.SITE: Term("C80403", "Study Site"),
    OrganizationKind.CRO: Term("C215662", "Contract Research"),
    OrganizationKind.REGULATOR: Term("C188863", "Regulatory Agency"),
}
# ... and the governance roles of people that have a USDM study role. The others (trial
# admin, site staff, patient advocate, ethics reviewer, auditor) have none.
PERSON_ROLES: dict[Role, Term] = {
    Role.SPONSOR_LEAD: ORGANIZATION_ROLES[OrganizationKind.SPONSOR],
    Role.SPONSOR_MEMBER: ORGANIZATION_ROLES[OrganizationKind.SPONSOR],
    Role.INVESTIGATOR: Term("C25936", "Investigator"),
}
JOB_TITLES: dict[Role, str] = {
    Role.SPONSOR_LEAD: "Sponsor lead",
    Role.SPONSOR_MEMBER: "Sponsor member",
    Role.INVESTIGATOR: "Investigator",
}

EXTENSION = "https://concord.invalid/usdm/"
"""Where Concord's extension attributes are named (``.invalid``: a name, never fetched)."""
LOG_POSITION = EXTENSION + "log-position"
LOG_HASH = EXTENSION + "log-hash"
IMPORTED_FROM = EXTENSION + "imported-from-sha256"
SCOPE_SITE = EXTENSION + "scope-site"
ORGANIZATION_KIND = EXTENSION + "organization-kind"
