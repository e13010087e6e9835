"""Erasing a person's personal data with ``concord personal-data erase``: their name is
stored only sealed, and once a system admin has requested its erasure and each trial
they took part in has approved it (recorded with the reason in the account's trail) it
reads as [erased] in every output (the account trail, the CSV and PDF exports, the JSON
Lines export, replay, the API's views), while ``concord verify`` passes before and
after."""

from __future__ import annotations

import asyncio
import io
from pathlib import Path

import httpx
import pytest
from pypdf import PdfReader

from domain.account_events import SystemRole
from domain.personal_data import ERASED, PersonalDataErased
from server.bootstrap import open_services
from server.demo import DEMO_TRIAL, DemoPerson
from server.services import Services, Settings
from tests.integration.server.conftest import Api, Cli, client_of
from tests.integration.server.founders import OPERATOR, grant_system_role
from tests.integration.server.test_audit_exports import signed_by_sam

ERASED_TYPE = PersonalDataErased.event_type
SAM = "Samira Reyes"
TYPED = f"{SAM} takes part as sponsor lead"
"""The reason the demo's admin typed for Sam's role: free text that names her, which no
mark makes personal (docs/event-store.md says so). Every other mention must be gone."""


def _without_typed(text: str) -> str:
    return text.replace(TYPED, "")


async def _stored_text(services: Services) -> str:
    """Every event's data and meta exactly as the database holds them."""
    rows = await services.store.read_stored(limit=1_000_000)
    return "\n".join(row.data_json + row.meta_json for row in rows)


def _pdf_text(content: bytes) -> str:
    return "".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


async def test_an_erased_name_is_gone_from_every_output_and_the_chain_still_verifies(
    services: Services,
    settings: Settings,
    url: str,
    app_client: httpx.AsyncClient,
    demo: dict[str, DemoPerson],
    as_user: Api,
    trial: str,
    concord: Cli,
    tmp_path: Path,
) -> None:
    signed = await signed_by_sam(app_client, demo, as_user, trial)
    assert [s["printed_name"] for s in signed["signatures"]] == [SAM]
    stored = _without_typed(await _stored_text(services))
    assert "Samira" not in stored  # sealed, in the log itself
    assert '"printed_name":"Dr Ivy Chen"' not in stored
    assert '"username":"ivy"' not in stored
    code, printed = await concord("--db", url, "verify")
    assert code == 0, printed

    vera = await services.accounts.create_user("vera", "Vera Approver", "a long passphrase")
    await grant_system_role(services, vera.user_id, SystemRole.SYSTEM_ADMIN)
    erase = ("--db", url, "personal-data", "erase")
    reason = "GDPR art. 17 request of 2026-12-01, ticket 4411"
    refused, _ = await concord(
        *erase, "request", "sam", "--reason", reason, "--requested-by", "ivy"
    )
    assert refused == 1  # ivy is no system admin
    code, printed = await concord(
        *erase, "request", "sam", "--reason", reason, "--requested-by", "vera"
    )
    assert code == 1, printed  # her account is enabled: disabled first, with its own reason
    code, printed = await concord("--db", url, "user", "disable", "sam", "--reason", "left")
    assert code == 0, printed
    code, printed = await concord(
        *erase, "request", "sam", "--reason", reason, "--requested-by", "vera"
    )
    assert code == 0, printed
    assert f"awaiting the approval of trial {DEMO_TRIAL}" in printed
    head = await services.store.head_position()
    for approver in ("vera", "ivy"):  # the requester; an investigator, whom no charter names
        code, _ = await concord(
            *erase, "approve", "sam", "--trial", DEMO_TRIAL, "--approved-by", approver
        )
        assert code == 1
    assert await services.store.head_position() == head  # refused: nothing recorded
    assert SAM in str((await services.account_log.trail(demo["sam"].user_id))[0].data)
    code, printed = await concord(
        *erase, "approve", "sam", "--trial", DEMO_TRIAL, "--approved-by", "alex"
    )
    assert code == 0, printed
    assert "erased" in printed
    await services.follower.wait_for(await services.store.head_position())

    code, printed = await concord("--db", url, "verify")
    assert code == 0, printed
    sam_id, alex_id = demo["sam"].user_id, demo["alex"].user_id

    trail = await app_client.get(f"/api/accounts/{sam_id}/trail", headers=await as_user("alex"))
    assert trail.status_code == 200, trail.text
    entries = trail.json()
    [erasure] = [e for e in entries if e["type"] == "PersonalDataErased"]
    assert erasure["data"]["reason"] == reason
    assert erasure["data"]["approved_by"] == alex_id
    assert erasure["data"]["requested_by"] == vera.user_id
    [approval] = erasure["data"]["approvals"]
    assert (approval["trial_id"], approval["approved_by"]) == (DEMO_TRIAL, alex_id)
    assert approval["vouched_by"].startswith("operator:")  # the operator vouched for alex
    assert erasure["via"] == "cli"
    [created] = [e for e in entries if e["type"] == "AccountCreated"]
    assert created["data"]["printed_name"] == ERASED
    assert created["data"]["username"] == ERASED
    assert "Samira" not in trail.text
    code, printed = await concord("--db", url, "user", "list")
    assert "Samira" not in printed
    assert f"erased-{sam_id}" in printed
    code, printed = await concord(
        "--db", url, "user", "enable", f"erased-{sam_id}", "--reason", "came back"
    )
    assert code == 1, printed

    headers = await as_user("aud")
    csv_text = (await app_client.get(f"{trial}/audit/export.csv", headers=headers)).text
    assert ERASED in csv_text
    assert "Samira" not in _without_typed(csv_text)
    assert "Alex Morgan" in csv_text  # only Sam's data is erased
    pdf = await app_client.get(f"{trial}/audit/export.pdf", headers=await as_user("alex"))
    assert pdf.status_code == 200
    assert "Samira" not in _without_typed(_pdf_text(pdf.content).replace("\n", " "))

    out = tmp_path / "trial.jsonl"
    argv = ("--db", url, "export", "--trial", DEMO_TRIAL, "--format", "jsonl", "--out", str(out))
    code, printed = await concord(*argv)
    assert code == 0, printed
    exported = await asyncio.to_thread(out.read_text)
    assert "Samira" not in _without_typed(exported)
    code, printed = await concord("verify", str(out))
    assert code == 0, printed

    head = await services.store.head_position()
    code, replayed = await concord("--db", url, "replay", "--trial", DEMO_TRIAL, "--at", str(head))
    assert code == 0
    assert "Samira" not in _without_typed(replayed)
    assert ERASED in replayed

    # A server started now folds the trial from the log: its views read the name as erased.
    async with open_services(url, settings=settings) as restarted, client_of(restarted) as client:
        issued = await restarted.tokens.issue(demo["aud"].user_id, "after the restart")
        auth = {"Authorization": f"Bearer {issued.token}"}
        amendment = await client.get(f"{trial}/amendments/A-1", headers=auth)
        assert [s["printed_name"] for s in amendment.json()["signatures"]] == [ERASED]
        workspace = await client.get(trial, headers=auth)
        assert workspace.status_code == 200
        assert "Samira" not in _without_typed(workspace.text)
        assert "Dr Ivy Chen" in workspace.text


async def test_an_erasure_needs_a_reason_and_a_known_person(
    services: Services, url: str, demo: dict[str, DemoPerson], concord: Cli
) -> None:
    await services.accounts.disable(demo["sam"].user_id, reason="left", meta=OPERATOR)
    head = await services.store.head_position()
    erase = ("--db", url, "personal-data", "erase")
    code, _ = await concord(*erase, "request", "sam", "--reason", " ", "--requested-by", "alex")
    assert code == 1
    code, _ = await concord(*erase, "request", "nobody", "--reason", "r", "--requested-by", "alex")
    assert code == 1
    code, _ = await concord(
        *erase, "approve", "sam", "--trial", DEMO_TRIAL, "--approved-by", "alex"
    )
    assert code == 1  # nothing was requested
    code, _ = await concord(*erase, "withdraw", "sam", "--reason", "r", "--withdrawn-by", "alex")
    assert code == 1
    assert await services.store.head_position() == head  # nothing recorded


async def test_a_pending_erasure_is_withdrawn_and_then_approves_nothing(
    services: Services, url: str, demo: dict[str, DemoPerson], concord: Cli
) -> None:
    await services.accounts.disable(demo["sam"].user_id, reason="left", meta=OPERATOR)
    erase = ("--db", url, "personal-data", "erase")
    code, printed = await concord(
        *erase, "request", "sam", "--reason", "ticket 9", "--requested-by", "alex"
    )
    assert code == 0, printed
    code, _ = await concord(*erase, "withdraw", "sam", "--reason", "r", "--withdrawn-by", "ivy")
    assert code == 1  # no system admin
    code, printed = await concord(
        *erase, "withdraw", "sam", "--reason", "sent to the wrong desk", "--withdrawn-by", "alex"
    )
    assert code == 0, printed
    assert "withdrew" in printed
    code, _ = await concord(*erase, "approve", "sam", "--trial", DEMO_TRIAL, "--approved-by", "ivy")
    assert code == 1
    trail = await services.account_log.trail(demo["sam"].user_id)
    assert [e.type for e in trail][-2:] == [
        "PersonalDataErasureRequested",
        "PersonalDataErasureWithdrawn",
    ]
    assert trail[-1].data["reason"] == "sent to the wrong desk"
    assert SAM in str(trail[0].data)  # nothing erased
    code, printed = await concord("--db", url, "personal-data", "rotate", "sam")
    assert code == 0, printed
    assert "sealed under key" in printed


async def test_someone_in_no_trial_is_erased_on_a_second_system_admins_approval(
    services: Services, url: str, demo: dict[str, DemoPerson], concord: Cli
) -> None:
    nina = await services.accounts.create_user("nina", "Nina Nowhere", "a long passphrase")
    await services.accounts.disable(nina.user_id, reason="never started", meta=OPERATOR)
    vera = await services.accounts.create_user("vera", "Vera Approver", "a long passphrase")
    await grant_system_role(services, vera.user_id, SystemRole.SYSTEM_ADMIN)
    erase = ("--db", url, "personal-data", "erase")
    code, printed = await concord(
        *erase, "request", "nina", "--reason", "r", "--requested-by", "vera"
    )
    assert code == 0, printed
    assert "awaiting the approval of a second system admin" in printed
    code, _ = await concord(*erase, "approve", "nina", "--approved-by", "vera")
    assert code == 1  # the requester: four eyes
    code, _ = await concord(*erase, "approve", "nina", "--approved-by", "ghost")
    assert code == 1  # no such account
    code, printed = await concord(*erase, "approve", "nina", "--approved-by", "alex")
    assert code == 0, printed
    [erased] = [e for e in await services.account_log.trail(nina.user_id) if e.type == ERASED_TYPE]
    assert erased.data["approvals"][0]["trial_id"] is None


@pytest.mark.parametrize(
    "roles",
    [(), (SystemRole.TRIAL_CREATOR,), (SystemRole.ACCOUNT_AUDITOR,), ("disabled system admin",)],
    ids=["no system role", "trial creator", "account auditor", "disabled system admin"],
)
async def test_only_an_enabled_system_admin_requests_an_erasure(
    services: Services,
    url: str,
    demo: dict[str, DemoPerson],
    concord: Cli,
    roles: tuple[SystemRole | str, ...],
) -> None:
    requester = await services.accounts.create_user("vera", "Vera Approver", "a long passphrase")
    for role in roles:
        if isinstance(role, SystemRole):
            await grant_system_role(services, requester.user_id, role)
        else:
            await grant_system_role(services, requester.user_id, SystemRole.SYSTEM_ADMIN)
            await services.accounts.disable(requester.user_id, reason="left", meta=OPERATOR)
    await services.accounts.disable(demo["sam"].user_id, reason="left", meta=OPERATOR)
    head = await services.store.head_position()
    code, _ = await concord(
        "--db", url, "personal-data", "erase", "request", "sam", "--reason", "r",
        "--requested-by", "vera",
    )  # fmt: skip
    assert code == 1
    assert await services.store.head_position() == head  # nothing recorded, nothing erased
    created = (await services.account_log.trail(demo["sam"].user_id))[0]
    assert created.data["printed_name"] == SAM
