"""What a starting server says while a projection catches up from far back: a line when it
starts (with where from), a progress line on a terminal, a line when done; nothing when
the projection starts near the head (from a recent snapshot)."""

from __future__ import annotations

import io

from server.startup_progress import StartupProgress


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_a_long_catch_up_is_announced_shown_and_timed() -> None:
    terminal, now = Terminal(), [10.0]
    startup = StartupProgress(to=terminal, at_least=1_000, clock=lambda: now[0])
    progress = startup.of("directory")
    progress(0, 5_000, 20_000)
    now[0] = 12.5
    progress(0, 20_000, 20_000)
    progress(0, 20_000, 20_000)  # told again at the end: said once
    startup.close()

    assert terminal.getvalue().split("\r") == [
        "catching up the directory from position 0 to 20,000 (no snapshot near the head:"
        " one is saved when done)\n",
        "catching up the directory from position 0: 5,000/20,000 positions (25%)\x1b[K",
        "\x1b[Kcaught up the directory in 2.5 s\n",
    ]


def test_a_catch_up_from_near_the_head_says_nothing() -> None:
    terminal = Terminal()
    startup = StartupProgress(to=terminal, at_least=1_000)
    progress = startup.of("authorization policy")
    progress(49_500, 49_800, 50_000)
    progress(49_500, 50_000, 50_000)
    startup.close()
    assert terminal.getvalue() == ""


def test_a_catch_up_that_fails_leaves_no_progress_line_behind() -> None:
    terminal = Terminal()
    startup = StartupProgress(to=terminal, at_least=1_000)
    startup.of("directory")(0, 100, 20_000)
    startup.close()
    assert terminal.getvalue().endswith("(0%)\x1b[K\r\x1b[K")
