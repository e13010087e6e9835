"""What one event changed, found by walking only what differs: the same rows as comparing
the two states' whole JSON, at the cost of what changed."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from typing import Any

from domain.catalog import to_data
from domain.codec import encode
from domain.engagement import (
    NEW_THREAD,
    CommentPosted,
    CommentSubjectKind,
    CommentThread,
    Disposition,
    FeedbackDispositioned,
    evolve,
)
from domain.frozen import frozen_map, without_entry
from server.audit.state_diff import SCAN_LIMIT, changed_values, named_in

COMMENTS = SCAN_LIMIT + 44
"""More comments than a mapping is scanned entry by entry for."""


def whole_json_diff(before: Any, after: Any) -> list[tuple[str, str, str]]:
    """The specification: every leaf of the two states' JSON that differs, old fields first."""

    def leaves(value: Any, path: str = "") -> Iterator[tuple[str, Any]]:
        if isinstance(value, dict) and value:
            for key, inner in value.items():
                yield from leaves(inner, f"{path}.{key}" if path else key)
        elif isinstance(value, list) and value:
            for index, inner in enumerate(value):
                yield from leaves(inner, f"{path}[{index}]")
        else:
            yield path, value

    absent = object()

    def text(value: Any) -> str:
        return "" if value is absent else json.dumps(value, ensure_ascii=False)

    old, new = dict(leaves(encode(before))), dict(leaves(encode(after)))
    return [
        (path, text(old.get(path, absent)), text(new.get(path, absent)))
        for path in [*old, *(p for p in new if p not in old)]
        if old.get(path, absent) != new.get(path, absent)
    ]


def posted(n: int) -> CommentPosted:
    return CommentPosted(
        trial_id="t-1", subject_kind=CommentSubjectKind.SECTION, subject_id="5.2",
        comment_id=f"C-{n}", text=f"Comment {n}", author_id=f"u-{n % 7}",
        needs_disposition=n % 2 == 0, in_reply_to=f"C-{n - 1}" if n > 1 else None,
    )  # fmt: skip


def thread_of(count: int) -> CommentThread:
    thread = NEW_THREAD
    for n in range(1, count + 1):
        thread = evolve(thread, posted(n))
    return thread


def test_each_comment_of_a_long_thread_changes_what_the_whole_json_says() -> None:
    thread = NEW_THREAD
    for n in range(1, COMMENTS + 1):
        event = posted(n)
        after = evolve(thread, event)
        found = changed_values(thread, after, named_in(to_data(event)))
        assert found == whole_json_diff(thread, after), n
        thread = after
    assert [field for field, _, _ in found] == [
        f"comments.C-{COMMENTS}.{name}"
        for name in ("comment_id", "text", "author_id", "needs_disposition", "in_reply_to",
                     "section", "disposition", "disposition_reason", "dispositioned_by")
    ]  # fmt: skip


def test_a_disposition_deep_in_a_long_thread_is_found_by_the_comment_it_names() -> None:
    thread = thread_of(COMMENTS)
    event = FeedbackDispositioned(
        subject_kind=CommentSubjectKind.SECTION, subject_id="5.2", comment_id="C-4",
        disposition=Disposition.ADOPTED, reason="Clearer now", dispositioned_by="u-9",
        author_id="u-4",
    )  # fmt: skip
    after = evolve(thread, event)
    found = changed_values(thread, after, named_in(to_data(event)))
    assert found == whole_json_diff(thread, after)
    assert found == [
        ("comments.C-4.disposition", "null", '"adopted"'),
        ("comments.C-4.disposition_reason", "null", '"Clearer now"'),
        ("comments.C-4.dispositioned_by", "null", '"u-9"'),
    ]


def test_an_entry_gone_from_a_long_mapping_unnamed_is_still_found() -> None:
    thread = thread_of(COMMENTS)
    after = replace(thread, comments=without_entry(thread.comments, "C-17"))
    found = changed_values(thread, after, named=("nothing", "named"))
    assert found == whole_json_diff(thread, after)
    assert {field.split(".")[1] for field, _, _ in found} == {"C-17"}


@dataclass(frozen=True, slots=True)
class Window:
    """A state that keeps the latest three items only."""

    items: tuple[str, ...]
    notes: Any = field(default_factory=frozen_map)


def test_a_window_of_latest_items_reads_as_the_item_appended() -> None:
    before = Window(("r1", "r2", "r3"))
    after = Window((*before.items[1:], "r4"))
    assert changed_values(before, after) == [("items[2]", "", '"r4"')]


def test_a_list_shortened_from_the_start_reads_item_by_item() -> None:
    before = Window(("r1", "r2", "r3"))
    after = Window(before.items[1:])
    assert changed_values(before, after) == whole_json_diff(before, after)


def test_a_mapping_emptied_or_filled_reads_as_its_json_does() -> None:
    empty, filled = Window(()), Window((), frozen_map({"a": "1", "b": "2"}))
    assert changed_values(empty, filled) == whole_json_diff(empty, filled)
    assert changed_values(filled, empty) == whole_json_diff(filled, empty)
    assert changed_values(filled, filled) == []
