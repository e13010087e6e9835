"""Merkle proofs over HTTP, on SQLite and PostgreSQL: the tree's root, inclusion and
consistency proofs that the RFC 9162 reference (tests/rfc9162.py) accepts against the
server's signed checkpoints; anyone signed in may ask, whatever their trials; bad input
is a 422 problem that names the rule."""

from __future__ import annotations

import base64
from typing import Any

import httpx
import pytest

from domain.roles import Role
from events import NewEvent, StreamAppend
from server.audit.signed_note import log_signature_verifies, parse_checkpoint_text, parse_note
from server.bootstrap import open_services
from server.demo import DemoPerson
from server.services import Services, Settings
from tests import rfc9162
from tests.integration.server.conftest import Api

TREE = "/api/log/tree"
INCLUSION = "/api/log/proofs/inclusion"
CONSISTENCY = "/api/log/proofs/consistency"
EVERY_ROUTE: tuple[tuple[str, dict[str, int]], ...] = (
    (TREE, {}),
    (INCLUSION, {"position": 1}),
    (CONSISTENCY, {"from": 1, "to": 2}),
)


def unb64(value: str) -> bytes:
    return base64.b64decode(value, validate=True)


async def log_entries(services: Services) -> list[bytes]:
    return [bytes.fromhex(e.hash) for e in await services.store.read_stored(limit=100_000)]


async def grow(services: Services, count: int) -> int:
    """``count`` more events in the log (a stream of no trial); the new head."""
    events = [NewEvent("Noted", {"n": n}) for n in range(count)]
    return (await services.store.append(StreamAppend("notes/merkle", events))).last_position


def signed(services: Services, note: str) -> tuple[int, bytes]:
    """The size and root of a checkpoint note the server's key signed."""
    parsed = parse_note(note)
    body = parse_checkpoint_text(parsed.text)
    assert log_signature_verifies(parsed, body.origin, services.checkpoints.key.public_key)
    return body.size, body.root


@pytest.fixture
async def reader(services: Services) -> dict[str, str]:
    """Request headers of someone signed in who belongs to no trial."""
    user = await services.accounts.create_user("rita", "Rita Reader", "a long enough password 2")
    token = (await services.tokens.issue(user.user_id, "proofs")).token
    return {"Authorization": f"Bearer {token}"}


async def get(client: httpx.AsyncClient, path: str, headers: dict[str, str], **query: Any) -> Any:
    answer = await client.get(path, params=query, headers=headers)
    assert answer.status_code == 200, answer.text
    return answer.json()


async def test_inclusion_proofs_of_every_event_verify_against_the_signed_checkpoint(
    services: Services, app_client: httpx.AsyncClient, reader: dict[str, str]
) -> None:
    await grow(services, 40)
    checkpoint = await services.checkpoints.sign_head()
    size = checkpoint.position
    headers = reader
    entries = (await log_entries(services))[:size]
    root = rfc9162.mth(entries)

    tree = await get(app_client, TREE, headers, size=size)
    assert unb64(tree["root"]) == root
    assert tree["tree_size"] == size
    assert signed(services, tree["checkpoint"]) == (size, root)
    for position in range(1, size + 1):
        proof = await get(app_client, INCLUSION, headers, position=position, size=size)
        assert proof["event_hash"] == entries[position - 1].hex()
        assert unb64(proof["root"]) == root
        path = [unb64(p) for p in proof["proof"]]
        assert rfc9162.verify_inclusion(position - 1, size, entries[position - 1], path, root)
        assert signed(services, proof["checkpoint"]) == (size, root)
    # a proof of another event's hash, or against another root, does not verify
    path = [unb64(p) for p in proof["proof"]]
    assert not rfc9162.verify_inclusion(size - 1, size, entries[0], path, root)
    assert not rfc9162.verify_inclusion(
        size - 1, size, entries[-1], path, rfc9162.mth(entries[:-1])
    )


async def test_consistency_proofs_between_checkpoints_verify(
    services: Services, app_client: httpx.AsyncClient, reader: dict[str, str]
) -> None:
    first = (await services.checkpoints.sign_head()).position
    await grow(services, 77)
    second = (await services.checkpoints.sign_head()).position
    headers = reader
    entries = await log_entries(services)

    proof = await get(app_client, CONSISTENCY, headers, **{"from": first, "to": second})
    old_root, new_root = rfc9162.mth(entries[:first]), rfc9162.mth(entries[:second])
    assert signed(services, proof["from_checkpoint"]) == (first, old_root)
    assert signed(services, proof["to_checkpoint"]) == (second, new_root)
    path = [unb64(p) for p in proof["proof"]]
    assert rfc9162.verify_consistency(first, second, old_root, new_root, path)
    assert not rfc9162.verify_consistency(first, second, new_root, new_root, path)
    for old in range(1, second, 9):  # sizes nobody signed: roots and proof, no checkpoint
        answer = await get(app_client, CONSISTENCY, headers, **{"from": old, "to": second})
        assert answer["from_checkpoint"] is None or old == first
        path = [unb64(p) for p in answer["proof"]]
        assert rfc9162.verify_consistency(old, second, rfc9162.mth(entries[:old]), new_root, path)
    same = await get(app_client, CONSISTENCY, headers, **{"from": second, "to": second})
    assert same["proof"] == []
    assert same["from_root"] == same["to_root"]


async def test_the_tree_follows_the_log_without_a_size(
    services: Services, app_client: httpx.AsyncClient, reader: dict[str, str]
) -> None:
    head = await grow(services, 3)
    headers = reader
    tree = await get(app_client, TREE, headers)
    assert tree["tree_size"] >= head
    proof = await get(app_client, INCLUSION, headers, position=head)
    entries = await log_entries(services)
    size = proof["tree_size"]
    assert rfc9162.verify_inclusion(
        head - 1,
        size,
        entries[head - 1],
        [unb64(p) for p in proof["proof"]],
        rfc9162.mth(entries[:size]),
    )


async def test_every_role_may_ask_for_proofs(
    services: Services, demo: dict[str, DemoPerson], app_client: httpx.AsyncClient, as_user: Api
) -> None:
    assert {person.role for person in demo.values()} >= {Role.TRIAL_ADMIN, Role.AUDITOR}
    for person in demo.values():
        headers = await as_user(person.username)
        for path, query in EVERY_ROUTE:
            answer = await app_client.get(path, params=query, headers=headers)
            assert answer.status_code == 200, (person.role, path)


async def test_someone_of_no_trial_may_ask_the_anonymous_may_not(
    services: Services, app_client: httpx.AsyncClient
) -> None:
    await grow(services, 2)
    user = await services.accounts.create_user("nina", "Nina Nobody", "a long enough password 1")
    token = (await services.tokens.issue(user.user_id, "proofs")).token
    headers = {"Authorization": f"Bearer {token}"}
    for path, query in (
        (TREE, {}),
        (INCLUSION, {"position": 1}),
        (CONSISTENCY, {"from": 1, "to": 2}),
    ):
        assert (await app_client.get(path, params=query, headers=headers)).status_code == 200
        anonymous = await app_client.get(path, params=query)
        assert anonymous.status_code == 401
        assert anonymous.json()["type"].endswith("/unauthenticated")


async def test_someone_who_must_change_their_password_may_not(
    services: Services, app_client: httpx.AsyncClient
) -> None:
    await grow(services, 2)
    user = await services.accounts.create_user(
        "nora", "Nora New", "a password someone else chose", must_change_password=True
    )
    token = (await services.tokens.issue(user.user_id, "proofs")).token
    answer = await app_client.get(TREE, headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 403
    assert answer.json()["type"].endswith("/password-change-required")


BAD = [
    (INCLUSION, {}, "missing-parameter"),
    (INCLUSION, {"position": "one"}, "malformed-parameter"),
    (INCLUSION, {"position": "-1"}, "malformed-parameter"),
    (INCLUSION, {"position": "1.5"}, "malformed-parameter"),
    (INCLUSION, {"position": "9" * 19}, "malformed-parameter"),
    (INCLUSION, {"position": "\u0661"}, "malformed-parameter"),
    (INCLUSION, {"position": "0"}, "position-outside-the-tree"),
    (INCLUSION, {"position": "5", "size": "4"}, "position-outside-the-tree"),
    (INCLUSION, {"position": "1", "size": "999999"}, "beyond-the-log"),
    (INCLUSION, {"position": "999999"}, "beyond-the-log"),
    (INCLUSION, {"position": "1", "leaf": "2"}, "unknown-parameter"),
    (CONSISTENCY, {"from": "1"}, "missing-parameter"),
    (CONSISTENCY, {"to": "1"}, "missing-parameter"),
    (CONSISTENCY, {"from": "5", "to": "4"}, "sizes-reversed"),
    (CONSISTENCY, {"from": "1", "to": "999999"}, "beyond-the-log"),
    (CONSISTENCY, {"from": "x", "to": "4"}, "malformed-parameter"),
    (TREE, {"size": "999999"}, "beyond-the-log"),
    (TREE, {"size": "0x10"}, "malformed-parameter"),
]


@pytest.mark.parametrize(("path", "query", "kind"), BAD)
async def test_bad_input_is_a_problem_that_names_the_rule(
    services: Services,
    app_client: httpx.AsyncClient,
    reader: dict[str, str],
    path: str,
    query: dict[str, str],
    kind: str,
) -> None:
    head = await grow(services, 5)
    answer = await app_client.get(path, params=query, headers=reader)
    assert answer.status_code == 422, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    problem = answer.json()
    assert problem["type"].endswith(f"/{kind}")
    assert problem["detail"]
    assert await services.store.head_position() == head
    if kind == "beyond-the-log":
        assert problem["log_size"] == head
        assert f"which has {head} events" in problem["detail"]


async def test_a_restarted_server_has_the_tree_of_the_log_rebuilt_from_scratch(
    url: str, settings: Settings
) -> None:
    async with open_services(url, settings=settings) as services:
        await services.merkle.wait_for(await grow(services, 50))
    async with open_services(url, settings=settings) as services:
        head = await grow(services, 21)
        await services.merkle.wait_for(head)
        entries = await log_entries(services)
        assert await services.merkle.root(head) == rfc9162.mth(entries)
        for size in (1, 16, 17, 50, head):
            assert await services.merkle.root(size) == rfc9162.mth(entries[:size])
