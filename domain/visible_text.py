"""What people read is what they sign: text may not hold characters nobody can see.

Refused, wherever they stand (:func:`require_visible` raises
:class:`ControlCharacter` naming the first one):

- control characters (Unicode category Cc): C0 controls, DEL and the C1 controls
  U+0080-U+009F; tab, line feed and carriage return are text;
- format characters (category Cf), which show nothing yet change the text: the bidi
  controls that reorder what is displayed (U+202A-U+202E embeddings and overrides,
  U+2066-U+2069 isolates, U+200E/U+200F and U+061C marks), zero-width characters (U+200B
  space, U+2060 word joiner, U+FEFF), the soft hyphen U+00AD, invisible operators
  U+2061-U+2064, interlinear annotation U+FFF9-U+FFFB, tag characters U+E0001 and
  U+E0020-U+E007F (which can carry hidden ASCII), and the rest of the category;
- the Hangul fillers U+115F, U+1160, U+3164 and U+FFA0, letters that draw as blank space.

Kept, because they are visible or because text in some languages needs them:

- the prepended concatenation marks (U+0600-U+0605, U+06DD, U+070F, U+0890-U+0891, U+08E2,
  U+110BD, U+110CD): format characters with a glyph of their own (the Arabic number
  sign, the end of ayah);
- the zero-width non-joiner U+200C and joiner U+200D *between two letters, marks or
  symbols outside ASCII*: Persian writes ``می‌خواهم`` with a non-joiner, Indic scripts
  choose a conjunct's form with them after a virama, Arabic shows a letter's joined form,
  and emoji sequences such as 👩‍⚕️ (woman health worker) are joined by U+200D. Anywhere
  else (beside ASCII, a digit, a space, at either end) they change nothing on screen and
  are refused like the rest.

Pure: the table is Unicode's (category Cf as of Unicode 15), stated here;
``unicodedata`` tells the joiners' neighbours apart and names a refused character.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from domain.errors import InvalidCommand


class ControlCharacter(InvalidCommand):
    """The text holds a control character.

    One nobody can see (a control or format character): the text would read differently
    from what it holds."""


_INVISIBLE = re.compile(
    "["
    "\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f"  # Cc but tab, line feed, carriage return
    "\xad\u061c\u180e\u200b\u200e\u200f\u202a-\u202e\u2060-\u206f\ufeff\ufff9-\ufffb"
    "\U00013430-\U0001343f\U0001bca0-\U0001bca3\U0001d173-\U0001d17a"
    "\U000e0001\U000e0020-\U000e007f"  # Cf but the visible marks and the joiners
    "\u115f\u1160\u3164\uffa0"  # Hangul fillers
    "]"
)
"""Characters refused wherever they stand."""

_JOINERS = "\u200c\u200d"
_CANDIDATES = re.compile(f"{_INVISIBLE.pattern}|[{_JOINERS}]")

VISIBLE_FORMAT_CHARACTERS = frozenset(
    "\u0600\u0601\u0602\u0603\u0604\u0605\u06dd\u070f\u0890\u0891\u08e2\U000110bd\U000110cd"
)
"""Format characters (Cf) with a glyph of their own: the prepended concatenation marks."""


@dataclass(frozen=True, slots=True)
class Invisible:
    """An invisible character found in a text, and where."""

    offset: int
    """Index of the character in the text (in code points)."""
    character: str

    def __str__(self) -> str:
        code = f"U+{ord(self.character):04X}"
        name = unicodedata.name(self.character, "")
        return f"{code} {name}" if name else code


def first_invisible(text: str) -> Invisible | None:
    """The first character of ``text`` that nobody can see, or None."""
    for found in _CANDIDATES.finditer(text):
        offset = found.start()
        if found[0] in _JOINERS and _shapes_text(text, offset):
            continue
        return Invisible(offset, found[0])
    return None


def require_visible(text: str, what: str) -> None:
    """Refuse ``text`` (``what`` names it in the message) if it holds a character nobody
    can see: :class:`ControlCharacter`."""
    if (found := first_invisible(text)) is not None:
        raise ControlCharacter(
            f"{what} holds the invisible character {found} at offset {found.offset}; remove it"
        )


def _shapes_text(text: str, offset: int) -> bool:
    """Whether the joiner at ``offset`` stands between two letters, marks or symbols
    outside ASCII, where it can change how they are drawn."""
    if offset == 0 or offset == len(text) - 1:
        return False
    return _joinable(text[offset - 1]) and _joinable(text[offset + 1])


def _joinable(character: str) -> bool:
    return not character.isascii() and unicodedata.category(character)[0] in "LMS"
