"""The chain verifier on its own, as an auditor runs it over an export."""

from __future__ import annotations

from dataclasses import replace

from events.canonical import GENESIS_HASH
from events.verification import ChainVerifier, StoredEnvelope


def _chain(length: int) -> list[StoredEnvelope]:
    chain, prev = [], GENESIS_HASH
    for position in range(1, length + 1):
        draft = StoredEnvelope(position, "s", position, "E", 1, f'{{"n":{position}}}', "{}",
                               "2026-11-21T09:30:00.000000Z", prev, "")  # fmt: skip
        envelope = replace(draft, hash=draft.computed_hash())
        chain.append(envelope)
        prev = envelope.hash
    return chain


def _verify(envelopes: list[StoredEnvelope]) -> tuple[int | None, int]:
    verifier = ChainVerifier()
    for envelope in envelopes:
        verifier.feed(envelope)
    report = verifier.report()
    return report.first_bad_position, report.checked


def test_an_intact_chain_verifies() -> None:
    assert _verify(_chain(5)) == (None, 5)


def test_each_kind_of_tampering_names_the_first_bad_position() -> None:
    chain = _chain(5)
    changed = [*chain[:2], replace(chain[2], data_json='{"n":99}'), *chain[3:]]
    assert _verify(changed) == (3, 2)
    assert _verify([*chain[:1], *chain[2:]]) == (2, 1), "a deleted event"
    swapped = [chain[0], replace(chain[2], position=2), replace(chain[1], position=3), *chain[3:]]
    assert _verify(swapped)[0] == 2
    assert _verify([replace(chain[0], prev_hash="f" * 64), *chain[1:]]) == (1, 0)


def test_verification_resumes_from_a_trusted_checkpoint() -> None:
    chain = _chain(6)
    verifier = ChainVerifier(after_position=3, after_hash=chain[2].hash)
    for envelope in chain[3:]:
        assert verifier.feed(envelope)
    assert verifier.report().head_position == 6
