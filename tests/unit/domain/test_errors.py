"""Domain errors: one family each, a title for problem+json, a message naming the rule."""

from __future__ import annotations

import inspect

import pytest

from domain import errors
from domain.errors import DomainError

FAMILIES = (
    errors.NotFound,
    errors.AlreadyExists,
    errors.InvalidCommand,
    errors.NotPermitted,
    errors.WrongState,
)
RULES = [
    cls
    for _, cls in inspect.getmembers(errors, inspect.isclass)
    if issubclass(cls, DomainError) and cls is not DomainError and cls not in FAMILIES
]


@pytest.mark.parametrize("rule", RULES, ids=lambda cls: cls.__name__)
def test_every_rule_belongs_to_exactly_one_family_and_has_a_title(
    rule: type[DomainError],
) -> None:
    assert sum(issubclass(rule, family) for family in FAMILIES) == 1
    assert rule.__doc__, "the docstring's first line is the title"
    assert rule.title()
    assert not rule.title().endswith(".")


def test_the_title_is_the_first_docstring_line_and_the_detail_is_the_message() -> None:
    error = errors.SeparationOfDuties("ivy wrote amendment A-1 and cannot approve it")
    assert error.title() == "Separation of duties forbids one person holding both parts"
    assert str(error) == "ivy wrote amendment A-1 and cannot approve it"


def test_required_text_must_not_be_blank() -> None:
    errors.require_text("because", "a reason")
    with pytest.raises(errors.RequiredTextMissing) as refused:
        errors.require_text(" \n", "a reason")
    assert str(refused.value) == "a reason is required"
