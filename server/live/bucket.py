"""How many messages a live client may send: a token bucket per connection.

A person's browser says where they are when they open a page or start or stop editing,
and may ping now and then: a few messages a minute. A client that sends far more than
anyone could (the issue's 5,000 presence updates in 0.09 s) is closed
(:data:`server.live.messages.CLOSE_TOO_MANY_MESSAGES`), so the others in its trials are
never flooded on its account.
"""

from __future__ import annotations

import time
from collections.abc import Callable


class TokenBucket:
    """``burst`` messages at once, then ``rate`` a second on average.

    The bucket starts full; each message takes a token; tokens come back at ``rate`` a
    second up to ``burst``. ``clock`` is monotonic seconds (tests pass their own)."""

    def __init__(
        self, rate: float, burst: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        if rate <= 0 or burst < 1:
            raise ValueError("a bucket refills at a positive rate and holds at least one token")
        self.rate = rate
        self.burst = burst
        self._clock = clock
        self._tokens = float(burst)
        self._at = clock()

    def take(self) -> bool:
        """Take a token for one message; False when there is none (too many, too fast)."""
        now = self._clock()
        self._tokens = min(self.burst, self._tokens + (now - self._at) * self.rate)
        self._at = now
        if self._tokens < 1:
            return False
        self._tokens -= 1
        return True
