"""Text nobody can fully see is refused; text in any language still passes."""

# ruff: noqa: RUF001 (the point of these tests is text in other scripts)

from __future__ import annotations

import sys
import unicodedata

import pytest

from domain.errors import InvalidCommand
from domain.visible_text import (
    VISIBLE_FORMAT_CHARACTERS,
    ControlCharacter,
    first_invisible,
    require_visible,
)

LEGITIMATE = {
    "english": "Participants take 5 mg twice daily.\r\n\tSee section 5.2.",
    "german": "Die Studienärztin prüft die Einschlusskriterien (≥ 18 Jahre).",
    "french": "L'investigateur « principal » signe l'amendement.",
    "polish": "Uczestnicy przyjmują lek dwa razy dziennie — zażółć gęślą jaźń.",
    "greek": "Οι συμμετέχοντες λαμβάνουν 5 mg.",
    "russian": "Участники принимают 5 мг дважды в день.",
    "arabic": "يتناول المشاركون ٥ ملغ مرتين يوميًا.",
    "hebrew": "המשתתפים נוטלים 5 מ״ג פעמיים ביום.",
    # Persian writes the prefix mi- apart from the verb with a zero-width non-joiner
    "persian": "شرکت‌کنندگان دارو را می‌خورند.",
    # Devanagari: the half form of ka chosen with a zero-width joiner after the virama
    "hindi": "प्रतिभागी दवा लेते हैं: क्‍ष",
    "malayalam": "പങ്കെടുക്കുന്നവർ മരുന്ന് കഴിക്കുന്നു",
    "sinhala": "ශ්‍රී ලංකාව",
    "thai": "ผู้เข้าร่วมรับประทานยาวันละสองครั้ง",
    "chinese": "受试者每日服药两次。",
    "japanese": "被験者は1日2回服用する。",
    "korean": "참가자는 하루에 두 번 약을 복용합니다.",
    "vietnamese": "Người tham gia uống thuốc hai lần mỗi ngày.",
    "arabic number sign": "\u0600١٢٣",
    # emoji joined by U+200D, with a variation selector and a skin tone
    "emoji": "Site staff: 👩‍⚕️ 👨🏽‍⚕️ 🧑‍🔬 👨‍👩‍👧 🏳️‍🌈",
    "decomposed accents": "cafe\u0301 nai\u0308ve",
}


@pytest.mark.parametrize("text", LEGITIMATE.values(), ids=LEGITIMATE.keys())
def test_text_in_any_language_is_visible(text: str) -> None:
    assert first_invisible(text) is None
    require_visible(text, "the text")


REFUSED = {
    "NUL": "\x00",
    "bell": "\x07",
    "escape": "\x1b",
    "DEL": "\x7f",
    "C1 next line": "\x85",
    "C1 CSI": "\x9b",
    "soft hyphen": "\xad",
    "arabic letter mark": "\u061c",
    "mongolian vowel separator": "\u180e",
    "zero-width space": "\u200b",
    "left-to-right mark": "\u200e",
    "right-to-left mark": "\u200f",
    "left-to-right embedding": "\u202a",
    "right-to-left embedding": "\u202b",
    "pop directional formatting": "\u202c",
    "left-to-right override": "\u202d",
    "right-to-left override": "\u202e",
    "word joiner": "\u2060",
    "invisible times": "\u2062",
    "left-to-right isolate": "\u2066",
    "right-to-left isolate": "\u2067",
    "first strong isolate": "\u2068",
    "pop directional isolate": "\u2069",
    "byte order mark": "\ufeff",
    "interlinear annotation": "\ufff9",
    "tag latin small a": "\U000e0061",
    "language tag": "\U000e0001",
    "hangul filler": "\u3164",
    "halfwidth hangul filler": "\uffa0",
}


@pytest.mark.parametrize("character", REFUSED.values(), ids=REFUSED.keys())
def test_an_invisible_character_is_refused_wherever_it_stands(character: str) -> None:
    for text, offset in ((character, 0), (f"5{character} mg", 1), (f"dose{character}", 4)):
        found = first_invisible(text)
        assert found is not None
        assert (found.offset, found.character) == (offset, character)


def test_the_refusal_names_the_text_the_character_and_where_it_is() -> None:
    # "Take 5 mg" shown, "gm 5 ekaT" held: a right-to-left override reverses what is read
    with pytest.raises(ControlCharacter) as refused:
        require_visible("Dose: \u202egm 5 ekaT", "body.text")
    assert str(refused.value) == (
        "body.text holds the invisible character U+202E RIGHT-TO-LEFT OVERRIDE at offset 6;"
        " remove it"
    )
    assert isinstance(refused.value, InvalidCommand)
    assert ControlCharacter.title() == "The text holds a control character"


def test_tab_line_feed_and_carriage_return_are_text() -> None:
    assert first_invisible("a\tb\nc\r\nd") is None


JOINERS = {"zero-width non-joiner": "\u200c", "zero-width joiner": "\u200d"}


@pytest.mark.parametrize("joiner", JOINERS.values(), ids=JOINERS.keys())
@pytest.mark.parametrize(
    "text",
    ["5{}0 mg", "m{}g", "ab{}", "{}ab", "شرکت {}کنندگان", "شرکت{} کنندگان", "٥{}٠", "{}"],
    ids=["digits", "latin", "end", "start", "before-space", "after-space", "arabic-digits", "only"],
)
def test_a_joiner_that_joins_nothing_is_refused(joiner: str, text: str) -> None:
    found = first_invisible(text.format(joiner))
    assert found is not None
    assert found.character == joiner


@pytest.mark.parametrize("joiner", JOINERS.values(), ids=JOINERS.keys())
def test_joiners_in_a_row_are_refused(joiner: str) -> None:
    found = first_invisible(f"می{joiner}{joiner}خورند")
    assert found is not None
    assert found.offset == 2


def test_every_format_character_is_refused_but_the_visible_marks_and_the_joiners() -> None:
    """The table holds category Cf as this Python's Unicode database has it."""
    for code in range(sys.maxunicode + 1):
        character = chr(code)
        if unicodedata.category(character) != "Cf" or character in "\u200c\u200d":
            continue
        found = first_invisible(f"x{character}x")
        if character in VISIBLE_FORMAT_CHARACTERS:
            assert found is None, f"U+{code:04X} has a glyph"
        else:
            assert found is not None, f"U+{code:04X} {unicodedata.name(character, '')}"


def test_nothing_visible_is_refused() -> None:
    """Every character refused is a control or format character, a Hangul filler, or
    one Unicode has not assigned yet (in this Python's database)."""
    fillers = "\u115f\u1160\u3164\uffa0"
    for code in range(sys.maxunicode + 1):
        character = chr(code)
        if 0xD800 <= code <= 0xDFFF or character in "\u200c\u200d":
            continue
        if first_invisible(character) is not None:
            category = unicodedata.category(character)
            assert category in ("Cc", "Cf", "Cn") or character in fillers, f"U+{code:04X}"
