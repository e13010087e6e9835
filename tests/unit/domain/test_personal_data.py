"""Every field of every event that names a person is listed as personal, with a subject
that the event itself holds."""

from __future__ import annotations

import dataclasses
import typing

from domain.catalog import EVENT_TYPES
from domain.personal_data import ERASED, PERSONAL_FIELDS, user_subject, username_subject
from events.personal_data import ERASED as store_erased

NAMING_FIELDS = {"printed_name", "username"}


def _paths(cls: type, prefix: str = "") -> list[str]:
    """Every field of ``cls`` and of the dataclasses nested in it, as dotted paths."""
    hints = typing.get_type_hints(cls)
    paths = []
    for field in dataclasses.fields(cls):
        path = prefix + field.name
        paths.append(path)
        hint = hints[field.name]
        candidates = typing.get_args(hint) or (hint,)
        for candidate in candidates:
            if dataclasses.is_dataclass(candidate) and isinstance(candidate, type):
                paths += _paths(candidate, path + ".")
    return paths


def test_every_name_and_username_in_an_event_is_personal() -> None:
    naming = {
        (event_type, path)
        for event_type, cls in EVENT_TYPES.items()
        for path in _paths(cls)
        if path.rsplit(".", 1)[-1] in NAMING_FIELDS
    }
    listed = {(t, f.path) for t, fields in PERSONAL_FIELDS.items() for f in fields}
    assert naming, "the search found no naming field at all"
    assert naming <= listed, f"not marked personal: {sorted(naming - listed)}"


def test_each_personal_field_names_its_subject_by_a_field_of_the_same_event() -> None:
    for event_type, fields in PERSONAL_FIELDS.items():
        paths = set(_paths(EVENT_TYPES[event_type]))
        for field in fields:
            assert field.path in paths, (event_type, field.path)
            assert field.subject in paths, (event_type, field.subject)


def test_a_username_subject_compares_as_usernames_do_and_does_not_spell_it_out() -> None:
    assert username_subject("Ada.Quist") == username_subject("ada.quist")
    assert "ada" not in username_subject("ada.quist")
    assert username_subject("ada") != username_subject("bo")
    assert user_subject("u-1") == "user:u-1"


def test_the_domain_and_the_store_read_an_erased_value_alike() -> None:
    assert store_erased == ERASED
