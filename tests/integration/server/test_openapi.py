"""``/openapi.json`` describes every route the app serves, and nothing it does not."""

from __future__ import annotations

import httpx
from starlette.routing import Route

from server.app import api_routes


async def test_every_route_and_method_is_in_the_openapi_document(
    app_client: httpx.AsyncClient,
) -> None:
    document = (await app_client.get("/openapi.json")).json()
    served = {
        (route.path, method.lower())
        for route in api_routes()
        if isinstance(route, Route)
        for method in route.methods or ()
        if method != "HEAD"
    }
    described = {
        (path, method) for path, operations in document["paths"].items() for method in operations
    }
    assert served == described
    names = [op["operationId"] for ops in document["paths"].values() for op in ops.values()]
    assert len(names) == len(set(names))


async def test_command_bodies_are_described_with_the_domain_vocabulary(
    app_client: httpx.AsyncClient,
) -> None:
    document = (await app_client.get("/openapi.json")).json()
    sign = document["paths"]["/api/trials/{trial_id}/amendments/{amendment_id}/signatures"]
    body = sign["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert set(body["required"]) == {"meaning", "content_hash", "password"}
    assert "signed_at" not in body["properties"]  # the server's clock, never the client's
    meanings = body["properties"]["meaning"]["enum"]
    assert meanings == ["authorship", "review", "approval", "responsibility"]


async def test_every_command_takes_an_idempotency_key(app_client: httpx.AsyncClient) -> None:
    document = (await app_client.get("/openapi.json")).json()
    comment = document["paths"]["/api/trials/{trial_id}/comments/{subject_kind}/{subject_id}"]
    [key] = [p for p in comment["post"]["parameters"] if p["name"] == "Idempotency-Key"]
    assert (key["in"], key["required"]) == ("header", False)
    assert "Idempotent-Replayed" in comment["post"]["responses"]["201"]["headers"]
    commands = [
        operation
        for path, operations in document["paths"].items()
        if path.startswith("/api/trials/{trial_id}/")
        for method, operation in operations.items()
        if method != "get"
    ]
    assert commands
    for operation in commands:
        names = {p["name"] for p in operation["parameters"]}
        assert "Idempotency-Key" in names, operation["operationId"]
