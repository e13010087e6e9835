"""``concord serve --demo`` as a newcomer runs it: a real process on a free port."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.integration.server.serving import serve_demo


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, dict[str, str]]]:
    """The server's base URL and the demo passwords it printed."""
    with serve_demo(tmp_path) as server:
        yield server.base, server.passwords


def test_a_newcomer_starts_the_demo_and_signs_in(served: tuple[str, dict[str, str]]) -> None:
    base, passwords = served
    assert set(passwords) >= {"alex", "sam", "ivy", "omar", "pat", "elena", "aud"}
    with httpx.Client(base_url=base) as client:
        landing = client.get("/")
        assert landing.status_code == 200
        assert "/js/main.js" in landing.text
        signed_in = client.post(
            "/api/session", json={"username": "sam", "password": passwords["sam"]}
        )
        assert signed_in.status_code == 200
        trials = client.get("/api/trials").json()
        assert [t["trial_id"] for t in trials] == ["asthma-301"]
        protocol = client.get("/api/trials/asthma-301/protocol").json()
        assert protocol["current_version"] == 1


def section_of(client: httpx.Client, number: str) -> dict[str, Any]:
    sections = client.get("/api/trials/copd-202/protocol").json()["sections"]
    found: dict[str, Any] = next(s for s in sections if s["number"] == number)
    return found


def test_the_demo_has_a_draft_trial_two_investigators_can_edit_together(
    served: tuple[str, dict[str, str]],
) -> None:
    base, passwords = served
    texts = []
    for username in ("ivy", "omar"):
        with httpx.Client(base_url=base) as client:
            signed_in = client.post(
                "/api/session", json={"username": username, "password": passwords[username]}
            )
            client.headers["X-CSRF-Token"] = signed_in.json()["csrf_token"]
            trials = {t["trial_id"] for t in client.get("/api/trials").json()}
            assert trials == {"asthma-301", "copd-202"}
            section = section_of(client, "5.2")
            revised = client.put(
                "/api/trials/copd-202/protocol/sections/5.2",
                json={
                    "base_revision": section["revision"],
                    "text": f"Written by {username}",
                    "reason": "Smoke test",
                },
            )
            assert revised.status_code == 200, revised.text
            texts.append(section_of(client, "5.2"))
    assert [t["text"] for t in texts] == ["Written by ivy", "Written by omar"]
