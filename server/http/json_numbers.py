"""Integers wider than 64 bits in decoded JSON, read as orjson read them: as floats.

msgspec decodes an integer of any size as a Python int; Concord read JSON with orjson
before, which kept integers in [-2**63, 2**64-1] and read wider ones as the nearest
double, refusing those beyond a double's range as malformed. Bodies and USDM files are
read the same way still (the log refuses both past ±(2**53-1): events/canonical.py).
"""

from __future__ import annotations

import math
import re
from typing import Any

_LOWEST = -(2**63)
_HIGHEST = 2**64 - 1
_LONG_DIGITS = re.compile(rb"[0-9]{19}")
"""Every integer outside the 64-bit range is written with 19 digits or more."""


class NumberTooLarge(ValueError):
    """An integer beyond the range of a double."""


def wide_integers_as_floats(raw: bytes, value: Any) -> Any:
    """``value`` (decoded from ``raw``) with integers outside 64 bits as floats, changed in
    place (walked with a stack, not recursion); :class:`NumberTooLarge` past a double."""
    if _LONG_DIGITS.search(raw) is None:
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return _narrowed(value)
    stack: list[Any] = [value]
    while stack:
        container = stack.pop()
        keys = container.keys() if isinstance(container, dict) else range(len(container))
        for key in list(keys):
            item = container[key]
            if isinstance(item, dict | list):
                stack.append(item)
            elif isinstance(item, int) and not isinstance(item, bool):
                container[key] = _narrowed(item)
    return value


def _narrowed(number: int) -> int | float:
    if _LOWEST <= number <= _HIGHEST:
        return number
    try:
        wide = float(number)
    except OverflowError:
        wide = math.inf
    if math.isinf(wide):
        raise NumberTooLarge("number is infinity when parsed as double")
    return wide
