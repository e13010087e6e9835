"""Notification mails received by a real SMTP server (aiosmtpd on 127.0.0.1): immediate
mails for new inbox items, the daily digest, none for "off" and none at all without
``--smtp``; a refused send retried; nothing resent or lost across a restart; the address
checked over HTTP and gone with an erasure. On SQLite and PostgreSQL."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from sqlalchemy import func, select

from server.bootstrap import open_services
from server.database import create_engine_for
from server.demo import DemoPerson, load_demo
from server.notifications.mails import Composed
from server.notifications.outbox import IDLE_CHECK, Outbox, queue_mail
from server.notifications.settings import parse_smtp_url
from server.notifications.tables import (
    notification_items,
    notification_mails,
    notification_preferences,
)
from server.services import Services, Settings
from tests.integration.server.conftest import Api, client_of
from tests.integration.server.erasures import erase, second_system_admin
from tests.integration.server.smtp import Mailbox, free_port, mail_settings, mailbox, text_of

__all__ = ["mailbox"]  # the fixture
TRIAL = "/api/trials/asthma-301"
NOTIFICATIONS = "/api/account/notifications"
PUBLIC_URL = "https://concord.example/"
SOMEONE = "u-0123456789abcdef0123456789abcdef"


@pytest.fixture
def settings(signing_key: Any, mailbox: tuple[Mailbox, int]) -> Settings:
    return Settings(signing_key=signing_key, mail=mail_settings(mailbox[1], PUBLIC_URL))


@pytest.fixture
def box(mailbox: tuple[Mailbox, int]) -> Mailbox:
    return mailbox[0]


async def choose(
    client: httpx.AsyncClient, headers: dict[str, str], mode: str, email: str | None
) -> dict[str, Any]:
    chosen = await client.put(NOTIFICATIONS, json={"mode": mode, "email": email}, headers=headers)
    assert chosen.status_code == 200, chosen.text
    answer: dict[str, Any] = chosen.json()
    return answer


async def table_motion(
    client: httpx.AsyncClient, as_user: Api, demo: dict[str, DemoPerson], *voters: str
) -> str:
    """Sam tables a motion on which ``voters`` vote; its id."""
    tabled = await client.post(
        f"{TRIAL}/motions",
        json={
            "question": "Adopt home spirometry?",
            "options": ["yes", "no"],
            "eligible_voters": [demo[voter].user_id for voter in voters],
            "quorum_rule": "simple-majority",
            "deadline": (datetime.now(UTC) + timedelta(days=7)).isoformat(),
        },
        headers=await as_user("sam"),
    )
    assert tabled.status_code == 201, tabled.text
    motion_id: str = tabled.json()["events"][0]["data"]["motion_id"]
    return motion_id


async def settled(services: Services) -> None:
    """Every event applied, and the notifications it caused queued."""
    await services.follower.wait_for(await services.store.head_position())
    await services.notifications.settled()


async def test_immediate_mail_names_the_trial_and_links_to_the_vote_digest_waits_off_gets_none(
    app_client: httpx.AsyncClient,
    services: Services,
    demo: dict[str, DemoPerson],
    as_user: Api,
    box: Mailbox,
) -> None:
    pat, omar, ivy = await as_user("pat"), await as_user("omar"), await as_user("ivy")
    told = await choose(app_client, pat, "immediate", " pat@example.org ")
    assert (told["mode"], told["email"], told["mail_enabled"]) == (
        "immediate",
        "pat@example.org",
        True,
    )
    await choose(app_client, omar, "digest", "omar@example.org")
    await choose(app_client, ivy, "off", "ivy@example.org")

    motion = await table_motion(app_client, as_user, demo, "pat", "omar", "ivy")
    [mail] = await box.wait_for(1)
    assert mail["To"] == "pat@example.org"
    assert mail["From"] == "concord@concord.example"
    trial_title = services.directory.trial("asthma-301")
    assert trial_title is not None
    assert trial_title.title in mail["Subject"]
    assert "Adopt home spirometry?" in mail["Subject"]
    body = text_of(mail)
    assert f"{PUBLIC_URL}#/t/asthma-301/motions/{motion}" in body
    assert "Hello Pat Okafor," in body
    await settled(services)
    assert len(box.mails()) == 1  # omar waits for his digest, ivy chose none

    # The digest at the next digest hour: omar's lists the vote; ivy (off) and pat
    # (immediate) get none.
    assert await services.notifications.send_digests(datetime.now(UTC) + timedelta(days=1)) == 1
    _, digest = await box.wait_for(2)
    assert digest["To"] == "omar@example.org"
    waiting = await services.inbox.items_for(demo["omar"].user_id)
    assert f"{len(waiting)} things await you in {trial_title.title}" in digest["Subject"]
    assert all(item.title in text_of(digest) for item in waiting)
    assert f"{PUBLIC_URL}#/t/asthma-301/motions/{motion}" in text_of(digest)
    # once a day only
    assert await services.notifications.send_digests(datetime.now(UTC) + timedelta(days=1)) == 0

    # Pat votes: the item goes; a second motion is news again
    voted = await app_client.post(
        f"{TRIAL}/motions/{motion}/votes", json={"option": "yes"}, headers=pat
    )
    assert voted.status_code == 201, voted.text
    await settled(services)
    assert len(box.mails()) == 2
    second = await table_motion(app_client, as_user, demo, "pat")
    *_, again = await box.wait_for(3)
    assert again["To"] == "pat@example.org"
    assert f"/motions/{second}" in text_of(again)

    # a disabled account is mailed nothing
    disabled = await app_client.post(
        f"/api/accounts/{demo['pat'].user_id}/disable",
        json={"reason": "left the advocacy group"},
        headers=await as_user("alex"),
    )
    assert disabled.status_code == 200, disabled.text
    await table_motion(app_client, as_user, demo, "pat")
    await settled(services)
    assert len(box.mails()) == 3


async def test_a_refused_mail_is_retried_and_nothing_is_resent_or_lost_across_a_restart(
    url: str,
    settings: Settings,
    demo: dict[str, DemoPerson],
    services: Services,
    app_client: httpx.AsyncClient,
    as_user: Api,
    box: Mailbox,
) -> None:
    await choose(app_client, await as_user("pat"), "immediate", "pat@example.org")
    box.refusing = True
    first = await table_motion(app_client, as_user, demo, "pat")
    await box.wait_for_refusals(2)  # tried, and tried again after the backoff
    assert box.mails() == []
    # the server stops while the mail is still queued
    await services.notifications.close()
    box.refusing = False

    async with open_services(url, settings=settings) as restarted:
        [mail] = await box.wait_for(1)  # sent after the restart: nothing lost
        assert f"/motions/{first}" in text_of(mail)
        async with client_of(restarted) as client:
            # an event of the trial recomputes the inboxes: the same vote is not mailed again
            await table_motion(client, as_user, demo, "omar")
            await settled(restarted)
            assert len(box.mails()) == 1, [m["Subject"] for m in box.mails()]
            second = await table_motion(client, as_user, demo, "pat")
            *_, news = await box.wait_for(2)
            assert f"/motions/{second}" in text_of(news)
            await settled(restarted)
            assert len(box.mails()) == 2


async def test_no_mail_is_queued_or_sent_without_smtp(
    url: str, signing_key: Any, box: Mailbox
) -> None:
    async with open_services(url, settings=Settings(signing_key=signing_key)) as services:
        demo = {person.username: person for person in await load_demo(services)}
        async with client_of(services) as client:
            token = (await services.tokens.issue(demo["pat"].user_id, "tests")).token
            pat = {"Authorization": f"Bearer {token}"}
            told = await choose(client, pat, "immediate", "pat@example.org")
            assert told["mail_enabled"] is False
            issued = await services.tokens.issue(demo["sam"].user_id, "tests")
            tabled = await client.post(
                f"{TRIAL}/motions",
                json={
                    "question": "Adopt home spirometry?",
                    "options": ["yes", "no"],
                    "eligible_voters": [demo["pat"].user_id],
                    "quorum_rule": "simple-majority",
                    "deadline": (datetime.now(UTC) + timedelta(days=7)).isoformat(),
                },
                headers={"Authorization": f"Bearer {issued.token}"},
            )
            assert tabled.status_code == 201, tabled.text
            await settled(services)
            assert await services.notifications.send_digests(datetime.now(UTC)) == 0
        engine = create_engine_for(url)
        try:
            async with engine.connect() as conn:
                for table in (notification_mails, notification_items):
                    count = await conn.scalar(select(func.count()).select_from(table))
                    assert count == 0, table.name
        finally:
            await engine.dispose()
    assert box.mails() == []


async def test_the_address_is_checked_and_goes_with_an_erasure(
    url: str,
    app_client: httpx.AsyncClient,
    services: Services,
    demo: dict[str, DemoPerson],
    as_user: Api,
) -> None:
    sam = await as_user("sam")
    assert (await app_client.get(NOTIFICATIONS)).status_code == 401
    before = (await app_client.get(NOTIFICATIONS, headers=sam)).json()
    assert (before["mode"], before["email"], before["updated_at"]) == ("off", None, None)
    for body, problem in [
        ({"mode": "immediate", "email": "not an address"}, "invalid-email-address"),
        ({"mode": "digest", "email": "Sam <sam@example.org>"}, "invalid-email-address"),
        ({"mode": "digest"}, "invalid-email-address"),
        ({"mode": "hourly", "email": "sam@example.org"}, "invalid-notification-mode"),
        ({"mode": "off", "email": "sam@example.org", "cc": "x"}, "unknown-fields"),
    ]:
        refused = await app_client.put(NOTIFICATIONS, json=body, headers=sam)
        assert refused.status_code == 422, refused.text
        assert refused.headers["content-type"].startswith("application/problem+json")
        assert refused.json()["type"].endswith(problem)
    after = (await app_client.get(NOTIFICATIONS, headers=sam)).json()
    assert after == before  # nothing recorded

    await choose(app_client, sam, "digest", "sam@example.org")
    shown = (await app_client.get(NOTIFICATIONS, headers=sam)).json()
    assert (shown["mode"], shown["email"]) == ("digest", "sam@example.org")

    alex = await as_user("alex")
    disabled = await app_client.post(
        f"/api/accounts/{demo['sam'].user_id}/disable", json={"reason": "left"}, headers=alex
    )
    assert disabled.status_code == 200, disabled.text
    vera = await second_system_admin(services)
    erased = await erase(app_client, demo["sam"].user_id, "asked", requester=vera, approver=alex)
    assert erased.status_code == 200, erased.text
    engine = create_engine_for(url)
    try:
        async with engine.connect() as conn:
            left = await conn.scalar(
                select(func.count())
                .select_from(notification_preferences)
                .where(notification_preferences.c.user_id == demo["sam"].user_id)
            )
    finally:
        await engine.dispose()
    assert left == 0


class Logins:
    """An authenticator for the SMTP server: accepts one user and password, counts tries."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, str]] = []

    def __call__(
        self, server: Any, session: Any, envelope: Any, mechanism: str, data: Any
    ) -> AuthResult:
        assert isinstance(data, LoginPassword)
        login = (data.login.decode(), data.password.decode())
        self.seen.append(login)
        return AuthResult(success=login == ("concord@example.org", "p:ss word"))


async def test_the_outbox_logs_in_with_the_url_s_credentials_and_records_what_it_sent(
    url: str, services: Services
) -> None:
    box, logins, port = Mailbox(), Logins(), free_port()
    controller = Controller(
        box,
        hostname="127.0.0.1",
        port=port,
        authenticator=logins,
        auth_require_tls=False,  # a test on the loopback: no certificate to offer
    )
    controller.start()
    engine = create_engine_for(url)
    try:
        smtp = parse_smtp_url(f"smtp://concord%40example.org:p%3Ass%20word@127.0.0.1:{port}")
        settings = replace(mail_settings(port, PUBLIC_URL), smtp=smtp)
        outbox = Outbox(engine, settings, services.clock)
        composed = Composed("[Concord] A subject", "A body", "<p>A body</p>")
        async with engine.begin() as conn:
            mail_id = await queue_mail(
                conn,
                user_id=SOMEONE,
                kind="immediate",
                to="pat@example.org",
                mail=composed,
                now=services.clock(),
            )
        assert await outbox.send_due() == IDLE_CHECK  # nothing else is due
        [mail] = box.mails()
        assert (mail["Subject"], text_of(mail).strip()) == ("[Concord] A subject", "A body")
        assert mail["Auto-Submitted"] == "auto-generated"
        assert logins.seen == [("concord@example.org", "p:ss word")]
        async with engine.connect() as conn:
            row = (
                await conn.execute(
                    select(notification_mails).where(notification_mails.c.mail_id == mail_id)
                )
            ).one()
        assert (row.attempts, row.sent_at is not None, row.claimed_until) == (0, True, None)
        await outbox.stop()  # never started: nothing to wait for
    finally:
        await engine.dispose()
        controller.stop()
