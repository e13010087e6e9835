"""The process's garbage-collector policy: the one module that tunes or freezes it.

Under load, CPython's default thresholds (700, 10, 10) collect the youngest generation
every few requests; objects of the requests in flight at that moment survive into the
older generations, so a full collection, which walks every tracked object in the process
(about 100,000 here: ~70-100 ms on a 2-core VM), came every second or so and set the p99.
With a larger first threshold most request objects are freed by reference counting before
any collection sees them, and what the server built at start-up (the projections caught
up from the log, the modules, the SQLAlchemy metadata) is frozen out of the collector's
walks altogether. See docs/benchmarks.md.

Code that builds large, long-lived structures while serving (the audit history's
snapshots) asks :func:`freeze_long_lived` to take them out of the collector's walks.
"""

from __future__ import annotations

import gc

YOUNG_THRESHOLD = 10_000


def tune_for_serving() -> None:
    """Call once the server has started up, before it takes requests."""
    # What start-up left as garbage goes now, not into the frozen set: the young
    # generations only (under a millisecond). A full collection here walked every object
    # (~100,000: 45-100 ms before the API answered) and found nothing on a restart at a
    # million events: the collector's own full passes during start-up had taken it.
    gc.collect(1)
    gc.freeze()
    _, middle, old = gc.get_threshold()
    gc.set_threshold(YOUNG_THRESHOLD, middle, old)


def freeze_long_lived() -> None:
    """Move every object that exists now out of the cyclic collector's view.

    For code that has just built objects meant to live as long as the process: every full
    pass would otherwise walk them all again (pauses of 100-700 ms at a million audit
    events, and work that slows as it grows). Reference counting still frees whatever is
    dropped later; only cycles among frozen objects are never collected.
    """
    gc.freeze()
