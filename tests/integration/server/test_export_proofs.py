"""A trial's JSON Lines export carries, for each of its events, the inclusion proof in
the Merkle tree of the export's signed checkpoint: each event line with the header alone
proves the event is in the log (checked here with the RFC 9162 reference, not Concord's
code); verifying the file checks every proof and that each shown stream's versions have
no gap. What it still cannot show (an event held back from a stream's end) is shown too."""

from __future__ import annotations

import base64
import json
from typing import Any

from server.audit.exports import signed_log
from server.audit.log_file import verify_log_file
from server.audit.signed_note import log_signature_verifies, parse_checkpoint_text, parse_note
from server.demo import DEMO_TRIAL, DemoPerson
from server.services import Services
from tests import rfc9162


async def export(services: Services, trial: str | None = DEMO_TRIAL) -> list[str]:
    return [line async for line in await signed_log(services.store, services.checkpoints, trial)]


def redact(line: dict[str, Any]) -> str:
    """The line as an export of another trial's event writes it (a link, no content)."""
    link = {"position": line["position"], "prev_hash": line["prev_hash"], "hash": line["hash"]}
    return json.dumps({**link, "redacted": True}) + "\n"


async def test_each_event_of_a_trial_export_proves_alone_that_it_is_in_the_log(
    services: Services, demo: dict[str, DemoPerson]
) -> None:
    lines = await export(services)
    header = json.loads(lines[0])
    note = parse_note(header["checkpoint"]["note"])
    body = parse_checkpoint_text(note.text)
    key = services.checkpoints.key.public_key
    assert log_signature_verifies(note, body.origin, key)
    assert body.size == header["checkpoint"]["position"] == len(lines) - 1

    shown = [json.loads(line) for line in lines[1:] if '"redacted"' not in line]
    assert shown
    for event in shown:
        path = [base64.b64decode(h) for h in event["inclusion"]]
        entry = bytes.fromhex(event["hash"])
        assert rfc9162.verify_inclusion(event["position"] - 1, body.size, entry, path, body.root)
        assert event["stream_id"].startswith(f"trial/{DEMO_TRIAL}")
    redacted = [json.loads(line) for line in lines[1:] if '"redacted"' in line]
    assert redacted  # the demo's accounts and its other trial
    assert all("inclusion" not in line for line in redacted)

    report = verify_log_file(lines, public_key=key)
    assert report.ok, report.problem
    assert report.proved == len(shown)


async def test_the_whole_log_export_proves_every_event(
    services: Services, demo: dict[str, DemoPerson]
) -> None:
    lines = await export(services, None)
    report = verify_log_file(lines, public_key=services.checkpoints.key.public_key)
    assert report.ok, report.problem
    assert report.proved == len(lines) - 1


async def test_a_tampered_proof_is_found_at_its_position(
    services: Services, demo: dict[str, DemoPerson]
) -> None:
    lines = await export(services)
    at = next(i for i, line in enumerate(lines) if i > 0 and '"inclusion"' in line)
    event = json.loads(lines[at])
    first = bytearray(base64.b64decode(event["inclusion"][0]))
    first[0] ^= 1
    event["inclusion"][0] = base64.b64encode(bytes(first)).decode()
    lines[at] = json.dumps(event) + "\n"
    report = verify_log_file(lines, public_key=services.checkpoints.key.public_key)
    assert not report.ok
    assert report.first_bad_position == event["position"]
    assert report.problem == (
        f"the inclusion proof of position {event['position']} does not lead to the signed"
        f" Merkle root of tree size {len(lines) - 1}"
    )


async def test_an_event_held_back_from_the_middle_of_a_stream_is_noticed_not_one_at_its_end(
    services: Services, demo: dict[str, DemoPerson]
) -> None:
    lines = await export(services)
    key = services.checkpoints.key.public_key
    events = {i: json.loads(line) for i, line in enumerate(lines) if i > 0}
    shown = {i: e for i, e in events.items() if "redacted" not in e}
    last_of_stream: dict[str, int] = {}
    for i, event in shown.items():
        last_of_stream[event["stream_id"]] = i
    middle = next(
        i
        for i, e in shown.items()
        if e["stream_version"] == 1 and last_of_stream[e["stream_id"]] != i
    )
    held_back = [*lines[:middle], redact(shown[middle]), *lines[middle + 1 :]]
    report = verify_log_file(held_back, public_key=key)
    assert not report.ok
    stream = shown[middle]["stream_id"]
    assert report.problem is not None
    assert f"stream {stream} goes from version 0 to 2" in report.problem
    assert "an event of it is missing from the export" in report.problem

    # The chain, the root and every proof still agree when a stream's LAST event is passed
    # off as another trial's: that is what docs/audit.md says an export cannot prove.
    end = max(last_of_stream.values())
    hidden_end = [*lines[:end], redact(shown[end]), *lines[end + 1 :]]
    assert verify_log_file(hidden_end, public_key=key).ok
