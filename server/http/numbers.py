"""Whole numbers a client writes in a path, a header or a query string.

ASCII digits only (``str.isdigit`` takes ``"²"``, which ``int`` refuses) and at most 18 of
them: every position, version and conflict number fits, a 5,000-digit one never reaches
``int`` (which refuses more than 4,300 digits) or SQL (whose integers end at 2^63).
"""

from __future__ import annotations

import re

MAX_DIGITS = 18
"""Up to 999,999,999,999,999,999: below 2^63, and far beyond any log this server writes."""
_DIGITS = re.compile(rf"[0-9]{{1,{MAX_DIGITS}}}")


def whole_number(text: str) -> int | None:
    """``text`` as a non-negative whole number of 1 to 18 ASCII digits, or None."""
    return int(text) if _DIGITS.fullmatch(text) else None
