"""The token bucket that limits what a live client may send (server/live/bucket.py), on a
clock the test turns."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from server.live.bucket import TokenBucket


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_full_burst_is_taken_then_nothing_until_time_passes() -> None:
    clock = Clock()
    bucket = TokenBucket(rate=20, burst=60, clock=clock)
    assert all(bucket.take() for _ in range(60))
    assert not bucket.take()
    clock.now += 0.04
    assert not bucket.take(), "not yet a whole token back"
    clock.now += 0.02
    assert bucket.take()
    assert not bucket.take()


def test_a_steady_rate_at_the_limit_is_never_refused() -> None:
    clock = Clock()
    bucket = TokenBucket(rate=20, burst=60, clock=clock)
    for _ in range(10_000):
        clock.now += 1 / 20
        assert bucket.take()


def test_a_rest_refills_only_up_to_the_burst() -> None:
    clock = Clock()
    bucket = TokenBucket(rate=20, burst=60, clock=clock)
    clock.now += 3600
    assert sum(bucket.take() for _ in range(1000)) == 60


@given(st.lists(st.floats(min_value=0, max_value=2), max_size=300))
def test_never_more_than_the_burst_plus_the_rate_times_the_time(gaps: list[float]) -> None:
    clock = Clock()
    bucket = TokenBucket(rate=20, burst=60, clock=clock)
    start, taken = clock.now, 0
    for gap in gaps:
        clock.now += gap
        taken += bucket.take()
    assert taken <= 60 + 20 * (clock.now - start)


@pytest.mark.parametrize(("rate", "burst"), [(0, 10), (-1, 10), (20, 0.5)])
def test_a_bucket_that_could_never_give_is_refused(rate: float, burst: float) -> None:
    with pytest.raises(ValueError, match="positive rate"):
        TokenBucket(rate, burst)
