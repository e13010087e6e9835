"""The CLI's progress line: drawn in place on a terminal, at most every 0.1 s, wiped at the
end; nothing on a stream that is not a terminal."""

from __future__ import annotations

import io

from server.audit.progress import progress_bar


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_the_line_is_redrawn_in_place_at_most_every_tenth_of_a_second_then_wiped() -> None:
    terminal, now = Terminal(), [0.0]
    with progress_bar("verifying", to=terminal, clock=lambda: now[0]) as progress:
        progress(0, 48213)
        progress(1, 48213)  # the same moment: not drawn
        now[0] = 0.1
        progress(12000, 48213)
        now[0] = 0.15
        progress(13000, 48213)
        now[0] = 0.3
        progress(60, 50)  # more done than the total said: the total grows
    assert terminal.getvalue().split("\r") == [
        "",
        "verifying: 0/48,213 events (0%)\x1b[K",
        "verifying: 12,000/48,213 events (24%)\x1b[K",
        "verifying: 60/60 events (100%)\x1b[K",
        "\x1b[K",
    ]


def test_an_unknown_total_shows_the_count_alone_in_the_unit_given() -> None:
    terminal = Terminal()
    with progress_bar("exporting pdf", "line", to=terminal) as progress:
        progress(0, 0)
    assert terminal.getvalue() == "\rexporting pdf: 0/0 lines\x1b[K\r\x1b[K"


def test_nothing_is_written_where_no_one_watches() -> None:
    stream = io.StringIO()
    with progress_bar("verifying", to=stream) as progress:
        for done in range(1000):
            progress(done, 1000)
    assert stream.getvalue() == ""
