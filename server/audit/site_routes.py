"""Which protocol version is in force at each investigator site, now or at a past moment,
and what each later version still awaits there (``domain.sites``).

Now, the states come from the state cache (the workspace, the protocol and one small
stream per site); at a past moment (``?at=`` or ``?time=``, as every audit read takes
it) from the audit's replay of the trial, so the answer is the one the log gave then.
Reading the present needs ``trial:read``; reading the past needs ``audit:read`` too.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from starlette.responses import JSONResponse, Response

from domain.charter import SiteOversight
from domain.protocol_state import ProtocolState
from domain.roles import OrganizationKind
from domain.site_events import ApprovalBody
from domain.sites import NEW_SITE, SiteState, pending_versions
from domain.streams import StreamKind, protocol_stream, site_stream, trial_stream
from domain.workspace import NEW_TRIAL, TrialState
from rbac import Action
from server.audit.moment import position_of
from server.audit.routes import MOMENT
from server.audit.served_history import streams_of, trial_at
from server.commands.aggregates import PROTOCOL, SITE, WORKSPACE
from server.http.authentication import Principal
from server.http.authorization import authorize
from server.http.query_routes import QueryRoute
from server.services import Services


def sites_view(
    trial: TrialState,
    protocol: ProtocolState,
    sites: Mapping[str, SiteState],
    position: int | None,
) -> dict[str, Any]:
    """Each admitted site (in the order admitted): who approves for it, the version in
    force, its activations and approvals, and the later versions with what they lack."""

    def organization(organization_id: str) -> dict[str, str] | None:
        if not organization_id:
            return None
        found = trial.organizations.get(organization_id)
        return {"organization_id": organization_id, "name": found.name if found else ""}

    def approvals_needed(oversight: SiteOversight | None) -> list[dict[str, Any]]:
        if oversight is None:
            return []
        return [
            {"body": body.value, "organization": organization(organization_id)}
            for body, organization_id in (
                (ApprovalBody.ETHICS, oversight.ethics_committee),
                (ApprovalBody.REGULATOR, oversight.regulator),
            )
            if organization_id
        ]

    rows = []
    for site in trial.organizations.values():
        if site.kind is not OrganizationKind.SITE:
            continue
        state = sites.get(site.organization_id, NEW_SITE)
        oversight = trial.charter.site_oversight.get(site.organization_id)
        in_force = state.in_force
        rows.append(
            {
                "site_id": site.organization_id,
                "name": site.name,
                "approvers": approvals_needed(oversight),
                "in_force": _activation(in_force) if in_force else None,
                "activations": [_activation(a) for a in state.activations],
                "approvals": [
                    {
                        "version": a.version,
                        "body": a.body.value,
                        "organization": organization(a.organization_id),
                        "approved_on": a.approved_on,
                        "reference": a.reference,
                        "recorded_by": a.recorded_by,
                        "recorded_at": a.recorded_at,
                    }
                    for approvals in state.approvals.values()
                    for a in approvals
                ],
                "pending": [
                    {
                        "version": p.version,
                        "amendment_id": p.amendment_id,
                        "missing": [
                            {"body": body.value, "organization": organization(organization_id)}
                            for body, organization_id in p.missing
                        ],
                        "ready": p.ready,
                    }
                    for p in pending_versions(state, oversight, protocol)
                ],
            }
        )
    return {"position": position, "current_version": protocol.current_version, "sites": rows}


def _activation(activation: Any) -> dict[str, Any]:
    return {
        "version": activation.version,
        "amendment_id": activation.amendment_id,
        "activated_by": activation.activated_by,
        "activated_at": activation.activated_at,
    }


async def _sites(services: Services, p: dict[str, str], principal: Principal) -> Response:
    trial_id = p["trial_id"]
    if "at" in p or "time" in p:
        authorize(services, principal, trial_id, Action.AUDIT)
        position = await position_of(services.store, p)
        kinds = streams_of(StreamKind.WORKSPACE, StreamKind.PROTOCOL, StreamKind.SITE)
        replayed = await trial_at(services, trial_id, position, kinds)
        states = replayed.states
        trial = states.get(trial_stream(trial_id)) or NEW_TRIAL
        protocol = states.get(protocol_stream(trial_id)) or PROTOCOL.new
        sites = {
            site_id: states[stream]
            for site_id in trial.organizations
            if (stream := site_stream(trial_id, site_id)) in states
        }
        return JSONResponse(sites_view(trial, protocol, sites, replayed.at))
    trial = (await services.states.load(WORKSPACE, trial_stream(trial_id))).state
    protocol = (await services.states.load(PROTOCOL, protocol_stream(trial_id))).state
    sites = {}
    for site in trial.organizations.values():
        if site.kind is OrganizationKind.SITE:
            stream = site_stream(trial_id, site.organization_id)
            sites[site.organization_id] = (await services.states.load(SITE, stream)).state
    return JSONResponse(sites_view(trial, protocol, sites, None))


SITE_ROUTES: tuple[QueryRoute, ...] = (
    QueryRoute(
        "list_sites",
        "/api/trials/{trial_id}/sites",
        Action.READ,
        "Each investigator site: who approves a protocol version for it (the charter's site"
        " oversight), the version in force there and since when, its activations and"
        " approvals, and each later published version with the approvals it still lacks"
        " (ready: awaiting only activation). At a past moment with ?at= or ?time= (needs"
        " audit:read): as the log stood then",
        _sites,
        query=MOMENT,
    ),
)
