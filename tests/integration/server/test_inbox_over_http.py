"""GET /api/inbox on SQLite and PostgreSQL, role by role on the demo trial: what waits for
each person, and what stops waiting once done."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from server.demo import DEMO_TRIAL, DemoPerson
from server.services import Services
from tests.integration.server.conftest import OTHER_TRIAL, Api
from tests.integration.server.erasures import (
    approve_erasure,
    request_erasure,
    second_system_admin,
)
from tests.integration.server.founders import OPERATOR
from tests.integration.server.test_amendment_review_over_http import CONSENT_CHANGE, DETAILS


async def inbox(client: httpx.AsyncClient, headers: dict[str, str], **query: str) -> Any:
    answer = await client.get("/api/inbox", params=query, headers=headers)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["count"] == len(body["items"])
    return body


def kinds(body: Any) -> list[tuple[str, str]]:
    return [(item["kind"], item["record"]) for item in body["items"]]


async def test_each_person_sees_what_waits_for_them_in_the_demo_trial(
    app_client: httpx.AsyncClient, as_user: Api
) -> None:
    sam = await inbox(app_client, await as_user("sam"))
    assert kinds(sam) == [
        ("signature", "amendment/A-1"),
        ("disposition", "comments/amendment/A-1"),
    ]
    signature = sam["items"][0]
    assert signature["trial_id"] == DEMO_TRIAL
    assert signature["trial_title"].startswith("ASTHMA-301")
    assert signature["link"] == f"#/t/{DEMO_TRIAL}/amendments/A-1"
    assert "sponsor approval" in signature["title"]
    assert "Widen the upper age limit" in signature["title"]
    assert signature["since"].endswith("Z")  # when A-1 was submitted
    assert sam["items"][1]["link"] == f"#/t/{DEMO_TRIAL}/amendments/A-1"
    assert sam["items"][1]["title"].startswith("1 patient advocate comment on amendment A-1")

    # Ivy wrote A-1: never asked to sign it, but told where it stands and who acts next.
    ivy = await inbox(app_client, await as_user("ivy"))
    assert ("signature", "amendment/A-1") not in kinds(ivy)
    [own] = [item for item in ivy["items"] if item["kind"] == "own_amendment"]
    assert "0 of 1 signatures" in own["title"]
    assert "the sponsor's lead" in own["title"]

    # Pat wrote the comment: she does not disposition it (nor may an advocate).
    assert (await inbox(app_client, await as_user("pat")))["items"] == []
    # The auditor and the ethics reviewer (A-1 is not substantial) have nothing to sign.
    assert (await inbox(app_client, await as_user("aud")))["count"] == 0
    assert (await inbox(app_client, await as_user("elena")))["count"] == 0


async def test_an_advocate_sees_her_outstanding_vote_until_she_votes(
    app_client: httpx.AsyncClient, trial: str, as_user: Api, demo: dict[str, DemoPerson]
) -> None:
    sam, pat = await as_user("sam"), await as_user("pat")
    tabled = await app_client.post(
        f"{trial}/motions",
        json={
            "question": "Offer transport support to participants over 65?",
            "options": ["yes", "no"],
            "eligible_voters": [demo[v].user_id for v in ("sam", "pat", "omar")],
            "quorum_rule": "simple-majority",
            "deadline": (datetime.now(UTC) + timedelta(days=7)).isoformat(),
        },
        headers=sam,
    )
    assert tabled.status_code == 201, tabled.text
    motion_id = tabled.json()["events"][0]["data"]["motion_id"]

    waiting = await inbox(app_client, pat)
    [vote] = waiting["items"]
    assert vote["kind"] == "vote"
    assert vote["record"] == f"motion/{motion_id}"
    assert vote["link"] == f"#/t/{DEMO_TRIAL}/motions/{motion_id}"
    assert "transport support" in vote["title"]
    assert vote["since"] is not None  # when it was tabled
    # Ivy is no eligible voter of this motion.
    assert ("vote", f"motion/{motion_id}") not in kinds(
        await inbox(app_client, await as_user("ivy"))
    )

    voted = await app_client.post(
        f"{trial}/motions/{motion_id}/votes", json={"option": "yes"}, headers=pat
    )
    assert voted.status_code == 201, voted.text
    assert (await inbox(app_client, pat))["items"] == []
    # Recusing also answers it.
    recused = await app_client.post(
        f"{trial}/motions/{motion_id}/recusals",
        json={"reason": "site PI"},
        headers=await as_user("omar"),
    )
    assert recused.status_code == 201, recused.text
    assert ("vote", f"motion/{motion_id}") not in kinds(
        await inbox(app_client, await as_user("omar"))
    )


async def test_a_sponsor_lead_sees_an_approved_amendment_to_merge(
    app_client: httpx.AsyncClient, trial: str, as_user: Api, demo: dict[str, DemoPerson]
) -> None:
    sam = await as_user("sam")
    a1 = (await app_client.get(f"{trial}/amendments/A-1", headers=sam)).json()
    signing = {
        "meaning": "approval",
        "content_hash": a1["content_hash"],
        "password": demo["sam"].password,
    }
    signed = await app_client.post(f"{trial}/amendments/A-1/signatures", json=signing, headers=sam)
    assert signed.status_code == 201, signed.text

    after = kinds(await inbox(app_client, sam))
    assert ("signature", "amendment/A-1") not in after
    assert ("merge", "amendment/A-1") in after
    # The trial admin may merge too; the investigator may not.
    assert ("merge", "amendment/A-1") in kinds(await inbox(app_client, await as_user("alex")))
    ivy = await inbox(app_client, await as_user("ivy"))
    assert ("merge", "amendment/A-1") not in kinds(ivy)
    [own] = [item for item in ivy["items"] if item["kind"] == "own_amendment"]
    assert "is approved" in own["title"]


async def test_a_dispute_waits_for_resolvers_at_its_level_but_not_its_subjects_authors(
    app_client: httpx.AsyncClient, trial: str, as_user: Api
) -> None:
    raised = await app_client.post(
        f"{trial}/disputes",
        json={
            "subject_kind": "amendment",
            "subject_id": "A-1",
            "concern": "The age limit change needs a safety review first.",
        },
        headers=await as_user("pat"),
    )
    assert raised.status_code == 201, raised.text
    dispute_id = raised.json()["events"][0]["data"]["dispute_id"]
    record = ("dispute", f"dispute/{dispute_id}")

    # Ivy wrote A-1 (a conflict of interest); the sponsor's lead is at the first level.
    ivy = kinds(await inbox(app_client, await as_user("ivy")))
    assert record not in ivy
    sam = await inbox(app_client, await as_user("sam"))
    assert record in kinds(sam)
    # While A-1 is disputed nobody is asked to sign it.
    assert ("signature", "amendment/A-1") not in kinds(sam)
    assert (await inbox(app_client, await as_user("aud")))["count"] == 0


async def test_one_trial_and_refusals(
    app_client: httpx.AsyncClient, as_user: Api, other_trial: None
) -> None:
    sam = await as_user("sam")
    one = await inbox(app_client, sam, trial=DEMO_TRIAL)
    assert [item["trial_id"] for item in one["items"]] == [DEMO_TRIAL, DEMO_TRIAL]

    unknown = await app_client.get("/api/inbox", params={"trial": OTHER_TRIAL}, headers=sam)
    assert unknown.status_code == 404
    assert unknown.headers["content-type"] == "application/problem+json"
    odd = await app_client.get("/api/inbox", params={"everyone": "yes"}, headers=sam)
    assert odd.status_code == 422
    assert odd.json()["type"].endswith("malformed-parameter")
    anonymous = await app_client.get("/api/inbox")
    assert anonymous.status_code == 401
    assert anonymous.headers["content-type"] == "application/problem+json"


async def test_a_comment_stops_waiting_once_its_disposition_is_recorded(
    app_client: httpx.AsyncClient, trial: str, as_user: Api
) -> None:
    sam, alex = await as_user("sam"), await as_user("alex")
    thread = ("disposition", "comments/amendment/A-1")
    assert thread in kinds(await inbox(app_client, alex))
    assert thread in kinds(await inbox(app_client, sam))
    recorded = await app_client.post(
        f"{trial}/comments/amendment/A-1/C-1/disposition",
        json={"disposition": "adopted", "reason": "Taxi vouchers from age 65"},
        headers=sam,
    )
    assert recorded.status_code == 200, recorded.text
    assert thread not in kinds(await inbox(app_client, sam))
    assert thread not in kinds(await inbox(app_client, alex))
    # A new advocate comment on the same thread waits again.
    posted = await app_client.post(
        f"{trial}/comments/amendment/A-1",
        json={"comment_id": "C-2", "text": "And for the week-12 visit?"},
        headers=await as_user("pat"),
    )
    assert posted.status_code == 201, posted.text
    assert thread in kinds(await inbox(app_client, alex))


async def test_an_erasure_waits_for_the_trials_approver_until_approved(
    services: Services, app_client: httpx.AsyncClient, as_user: Api, demo: dict[str, DemoPerson]
) -> None:
    omar_id = demo["omar"].user_id
    as_vera = await second_system_admin(services)
    await services.accounts.disable(omar_id, reason="left the site", meta=OPERATOR)
    await request_erasure(app_client, omar_id, "ticket 4412", as_vera)

    alex = await as_user("alex")  # the demo trial's admin approves for it
    [item] = [
        i for i in (await inbox(app_client, alex))["items"] if i["kind"] == "erasure_approval"
    ]
    assert item["record"] == f"account/{omar_id}"
    assert item["trial_id"] == DEMO_TRIAL
    assert item["title"].startswith("Approve erasing the personal data of Dr Omar Haddad")
    assert "ticket 4412" in item["title"]
    assert item["link"] == "#/erasure-requests"
    assert item["since"] is not None
    assert "erasure_approval" not in [
        k for k, _ in kinds(await inbox(app_client, await as_user("sam")))
    ]

    approved = await approve_erasure(app_client, omar_id, alex)
    assert approved.is_success, approved.text
    assert "erasure_approval" not in [k for k, _ in kinds(await inbox(app_client, alex))]


async def sign_a1(
    client: httpx.AsyncClient, trial: str, sam: dict[str, str], password: str
) -> None:
    a1 = (await client.get(f"{trial}/amendments/A-1", headers=sam)).json()
    signing = {"meaning": "approval", "content_hash": a1["content_hash"], "password": password}
    signed = await client.post(f"{trial}/amendments/A-1/signatures", json=signing, headers=sam)
    assert signed.status_code == 201, signed.text


async def test_a_signature_voided_by_a_revision_waits_for_the_signer_again(
    app_client: httpx.AsyncClient, trial: str, as_user: Api, demo: dict[str, DemoPerson]
) -> None:
    sam, ivy = await as_user("sam"), await as_user("ivy")
    amendments = f"{trial}/amendments"
    opened = await app_client.post(
        amendments, json={"amendment_id": "A-2", "base_version": 1, "details": DETAILS}, headers=ivy
    )
    assert opened.status_code == 201, opened.text
    for step in (
        app_client.post(f"{amendments}/A-2/changes", json={"change": CONSENT_CHANGE}, headers=ivy),
        app_client.post(f"{amendments}/A-2/submission", json={}, headers=ivy),
    ):
        assert (await step).status_code in (200, 201)
    a2 = (await app_client.get(f"{amendments}/A-2", headers=sam)).json()
    password = demo["sam"].password
    signing = {"meaning": "approval", "content_hash": a2["content_hash"], "password": password}
    signed = await app_client.post(f"{amendments}/A-2/signatures", json=signing, headers=sam)
    assert signed.status_code == 201, signed.text
    assert ("signature", "amendment/A-2") not in kinds(await inbox(app_client, sam))

    before = datetime.now(UTC)
    revised = await app_client.put(
        f"{amendments}/A-2/details",
        json={"details": {**DETAILS, "summary": "Explain the trial with a subtitled video"}},
        headers=ivy,
    )
    assert revised.status_code == 200, revised.text
    assert revised.json()["events"][-1]["type"] == "SignaturesInvalidated"
    after = datetime.now(UTC)

    waiting = await inbox(app_client, sam)
    [item] = [i for i in waiting["items"] if i["record"] == "amendment/A-2"]
    assert item["kind"] == "signature"
    assert item["title"].startswith(
        "Your signature on A-2 (Explain the trial with a subtitled video) was voided by"
        " Dr Ivy Chen's revision on "
    )
    assert "sign again (sponsor approval awaited" in item["title"]
    assert item["link"] == f"#/t/{DEMO_TRIAL}/amendments/A-2"
    assert before <= datetime.fromisoformat(item["since"]) <= after  # since the revision
    # Signing the new content again ends it.
    a2 = (await app_client.get(f"{amendments}/A-2", headers=sam)).json()
    signing["content_hash"] = a2["content_hash"]
    again = await app_client.post(f"{amendments}/A-2/signatures", json=signing, headers=sam)
    assert again.status_code == 201, again.text
    assert ("signature", "amendment/A-2") not in kinds(await inbox(app_client, sam))


async def test_an_author_is_told_her_amendment_was_approved(
    app_client: httpx.AsyncClient, trial: str, as_user: Api, demo: dict[str, DemoPerson]
) -> None:
    sam, ivy = await as_user("sam"), await as_user("ivy")
    assert (await inbox(app_client, ivy))["updates"] == []
    await sign_a1(app_client, trial, sam, demo["sam"].password)
    told = await inbox(app_client, ivy)
    [update] = told["updates"]
    assert update["kind"] == "approved"
    assert update["title"].startswith("Your amendment A-1 (Widen the upper age limit")
    assert update["link"] == f"#/t/{DEMO_TRIAL}/amendments/A-1"
    assert update["at"].endswith("Z")
    assert told["count"] == len(told["items"])  # updates are not counted


async def test_an_advocate_is_told_what_became_of_her_comment(
    app_client: httpx.AsyncClient, trial: str, as_user: Api
) -> None:
    sam, pat = await as_user("sam"), await as_user("pat")
    before = await inbox(app_client, sam)
    [waiting] = [i for i in before["items"] if i["kind"] == "disposition"]
    thread = await app_client.get(f"{trial}/comments/amendment/A-1", headers=sam)
    assert thread.status_code == 200, thread.text
    assert (await inbox(app_client, pat))["updates"] == []

    recorded = await app_client.post(
        f"{trial}/comments/amendment/A-1/C-1/disposition",
        json={"disposition": "adopted", "reason": "Taxi vouchers from age 65"},
        headers=sam,
    )
    assert recorded.status_code == 200, recorded.text
    replied = await app_client.post(
        f"{trial}/comments/amendment/A-1",
        json={
            "comment_id": "C-2",
            "text": "Vouchers start at the screening visit.",
            "in_reply_to": "C-1",
        },
        headers=await as_user("alex"),
    )
    assert replied.status_code == 201, replied.text

    told = await inbox(app_client, pat)
    assert told["count"] == 0  # updates are not counted
    assert [u["title"] for u in told["updates"]] == [
        "Alex Morgan replied to your comment on amendment A-1",
        "Samira Reyes adopted your comment on amendment A-1: Taxi vouchers from age 65",
    ]
    assert told["updates"][1]["link"] == f"#/t/{DEMO_TRIAL}/amendments/A-1"
    assert told["updates"][0]["at"] >= told["updates"][1]["at"] >= waiting["since"]
    # Not news to the one who recorded it.
    assert (await inbox(app_client, sam))["updates"] == []
    # One trial's updates alone.
    assert len((await inbox(app_client, pat, trial=DEMO_TRIAL))["updates"]) == 2


async def test_a_comment_waits_since_it_was_posted(
    app_client: httpx.AsyncClient, trial: str, as_user: Api
) -> None:
    sam = await as_user("sam")
    [before] = [i for i in (await inbox(app_client, sam))["items"] if i["kind"] == "disposition"]
    # A later comment by someone else on the thread does not move when the wait began.
    posted = await app_client.post(
        f"{trial}/comments/amendment/A-1",
        json={"comment_id": "C-9", "text": "Noted."},
        headers=await as_user("alex"),
    )
    assert posted.status_code == 201, posted.text
    [after] = [i for i in (await inbox(app_client, sam))["items"] if i["kind"] == "disposition"]
    assert after["since"] == before["since"]
