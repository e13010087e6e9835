"""Organizations and people in a USDM export, and the study identifiers they assign.

Each study version lists the trial's organizations (admitted by the time exported; their
Concord kind as an extension attribute), then those an import kept; the trial's id as a
``StudyIdentifier`` assigned by its first sponsor, then the identifiers an import kept;
and a ``StudyRole`` per USDM role the organizations and members hold, the members as
``AssignedPerson`` (USDM has roles for investigators and sponsors' people only; the
mapping is in :mod:`server.formats.usdm_terms`).
"""

from __future__ import annotations

from domain.imports import ImportRecord
from domain.roles import OrganizationKind
from domain.workspace import TrialState
from server.formats import usdm_terms as terms
from server.formats.usdm_ids import imported_organization_id, organization_id
from server.formats.usdm_values import Json, code, coded_term, extension

Organizations = list[tuple[Json, OrganizationKind | None]]
"""Each organization with its Concord kind (None for one an import kept)."""


def organizations(trial: TrialState, imported: ImportRecord | None, version: str) -> Organizations:
    """The trial's organizations (admitted by the time exported), then those an import
    brought along."""
    found: Organizations = []
    for organization in trial.organizations.values():
        owner = organization_id(version, organization.organization_id)
        kind = organization.kind
        found.append(
            (
                _organization(
                    owner,
                    [extension(f"{owner}_kind", terms.ORGANIZATION_KIND, kind.value)],
                    name=organization.name,
                    label=organization.name,
                    kind=terms.ORGANIZATION_TYPES[kind],
                    scheme="Concord",
                    identifier=organization.organization_id,
                ),
                kind,
            )
        )
    for index, kept in enumerate(imported.organizations if imported else (), 1):
        owner = imported_organization_id(version, index)
        found.append(
            (
                _organization(
                    owner,
                    [],
                    name=kept.name,
                    label=kept.label,
                    kind=coded_term(kept.kind),
                    scheme=kept.identifier_scheme,
                    identifier=kept.identifier,
                ),
                None,
            )
        )
    return found


def _organization(
    owner: str,
    extensions: list[Json],
    *,
    name: str,
    label: str | None,
    kind: terms.Term,
    scheme: str,
    identifier: str,
) -> Json:
    return {
        "id": owner,
        "extensionAttributes": extensions,
        "name": name,
        "label": label,
        "type": code(f"{owner}_type", kind),
        "identifierScheme": scheme,
        "identifier": identifier,
        "legalAddress": None,
        "managedSites": [],
        "instanceType": "Organization",
    }


def identifiers(
    trial_id: str, imported: ImportRecord | None, owner: str, listed: Organizations
) -> list[Json]:
    """The trial's id, assigned by its (first) sponsor, then the imported identifiers
    (each assigned by the imported organization it names, else as the trial's id)."""
    scope = next(
        (org["id"] for org, kind in listed if kind is OrganizationKind.SPONSOR),
        listed[0][0]["id"] if listed else "",
    )
    found = [_identifier(f"{owner}_identifier_trial", trial_id, scope)]
    if imported is None:
        return found
    keys = {
        kept.key: imported_organization_id(owner, index)
        for index, kept in enumerate(imported.organizations, 1)
    }
    for index, identifier in enumerate(imported.identifiers, 1):
        found.append(
            _identifier(
                f"{owner}_identifier_imported_{index}",
                identifier.text,
                keys.get(identifier.organization, scope),
            )
        )
    return found


def _identifier(owner: str, text: str, scope: str) -> Json:
    return {
        "id": owner,
        "extensionAttributes": [],
        "text": text,
        "scopeId": scope,
        "instanceType": "StudyIdentifier",
    }


def roles(trial: TrialState, owner: str) -> list[Json]:
    """A study role per USDM role the trial's organizations and people hold."""
    held: dict[str, tuple[terms.Term, list[str], list[Json]]] = {}
    for organization in trial.organizations.values():
        term = terms.ORGANIZATION_ROLES.get(organization.kind)
        if term is not None:
            held.setdefault(term.code, (term, [], []))[1].append(
                organization_id(owner, organization.organization_id)
            )
    for member in trial.members.values():
        for role in sorted(member.roles):
            term = terms.PERSON_ROLES.get(role)
            if term is None:
                continue
            person_id = f"{owner}_person_{member.user_id}_{role.value}"
            held.setdefault(term.code, (term, [], []))[2].append(
                {
                    "id": person_id,
                    "extensionAttributes": [],
                    "name": member.user_id,
                    "label": member.printed_name,
                    "description": None,
                    "personName": {
                        "id": f"{person_id}_name",
                        "extensionAttributes": [],
                        "text": member.printed_name,
                        "familyName": None,
                        "givenNames": [],
                        "prefixes": [],
                        "suffixes": [],
                        "instanceType": "PersonName",
                    },
                    "jobTitle": terms.JOB_TITLES[role],
                    "organizationId": organization_id(owner, member.organization_id),
                    "instanceType": "AssignedPerson",
                }
            )
    found = []
    for term_code, (term, organization_ids, people) in held.items():
        role_id = f"{owner}_role_{term_code}"
        found.append(
            {
                "id": role_id,
                "extensionAttributes": [],
                "name": term.decode,
                "label": term.decode,
                "description": None,
                "code": code(f"{role_id}_code", term),
                "appliesToIds": [],
                "assignedPersons": people,
                "organizationIds": organization_ids,
                "masking": None,
                "notes": [],
                "instanceType": "StudyRole",
            }
        )
    return found
