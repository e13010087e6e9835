"""The rows of saved audit checkpoints: a marker's positions, a state's bytes, and the
index an unbroken run of markers vouches for."""

from __future__ import annotations

import logging
import zlib

import pytest

from domain.streams import protocol_stream
from server.audit.checkpoint_store import (
    MARKER,
    decode_positions,
    decode_state,
    encode_positions,
    encode_state,
    marker_positions,
    saved_index,
)
from server.commands.aggregates import PROTOCOL

ONE, TWO = [3, 5, 9], [12, 40]
IndexRow = tuple[str, int, int, int, str | None]


def test_positions_read_back_as_written() -> None:
    assert decode_positions(encode_positions(ONE)).tolist() == ONE
    assert decode_positions(encode_positions([])).tolist() == []
    big = [2**40, 2**40 + 7]  # positions past 32 bits
    assert decode_positions(encode_positions(big)).tolist() == big


def test_positions_cut_short_do_not_read() -> None:
    data = zlib.compress(zlib.decompress(encode_positions(ONE))[:-1])
    with pytest.raises(ValueError, match="no whole number of positions"):
        decode_positions(data)


def test_a_state_reads_back_as_written_with_the_size_of_its_json() -> None:
    data, size = encode_state(PROTOCOL.new)
    assert decode_state(protocol_stream("t1"), data) == (PROTOCOL.new, size)
    with pytest.raises(ValueError, match="no stream of a trial"):
        decode_state("system/account/u-1", data)


def _marker(count: int, position: int, problem: str | None = None) -> IndexRow:
    return (MARKER, count, 0, position, problem)


def test_the_index_holds_the_markers_and_the_versions_they_cover() -> None:
    rows = [
        ("trial/t1/protocol", 3, 2, 0, None),
        _marker(3, ONE[-1]),
        ("trial/t1/protocol", 5, 4, 0, None),
        _marker(5, TWO[-1]),
    ]
    index = saved_index("t1", rows)
    assert (list(index.ends), index.checkpoints) == ([0, 9, 40], [0, 3, 5])
    assert index.versions == [("trial/t1/protocol", 3, 2), ("trial/t1/protocol", 5, 4)]


@pytest.mark.parametrize(
    ("second", "why"),
    [
        (_marker(5, 40, "the log's event at its position has another hash"), "another hash"),
        (_marker(3, 40), "does not continue"),  # the same count again
        (_marker(5, 9), "does not continue"),  # a position going back
    ],
    ids=["problem", "count", "backwards"],
)
def test_the_index_ends_before_a_marker_that_does_not_check_out(
    second: IndexRow, why: str, caplog: pytest.LogCaptureFixture
) -> None:
    rows: list[IndexRow] = [_marker(3, 9), ("trial/t1/protocol", 5, 4, 0, None), second]
    with caplog.at_level(logging.WARNING, logger="server.audit.checkpoint_store"):
        index = saved_index("t1", rows)
    assert (list(index.ends), index.checkpoints, index.versions) == ([0, 9], [0, 3], [])
    assert why in caplog.text


def test_a_markers_positions_are_read_only_if_they_fill_its_checkpoint() -> None:
    data = encode_positions(TWO)
    assert list(marker_positions(data, (3, 5), (9, 40))) == TWO
    assert "do not continue" in str(marker_positions(data, (3, 6), (9, 40)))  # a gap
    assert "do not continue" in str(marker_positions(data, (3, 5), (12, 40)))  # going back
    assert "do not continue" in str(marker_positions(data, (3, 5), (9, 41)))  # another end
    backwards = encode_positions([40, 12])
    assert "do not continue" in str(marker_positions(backwards, (3, 5), (9, 12)))
    assert "cannot be read" in str(marker_positions(b"not zlib", (3, 5), (9, 40)))
