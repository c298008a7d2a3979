"""A long command's progress on a stream that is not a terminal: a few plain lines, not a bar."""

from __future__ import annotations

import io

from safeguard.cli.progress import progress


def test_off_a_terminal_progress_is_a_line_now_and_then_and_at_the_end() -> None:
    out = io.StringIO()
    with progress("replaying closed cases", every=3600, stream=out) as advance:
        for done in range(1, 9_001):
            advance(done, 9_000, f"{done // 4_500} not deterministic")

    [line] = out.getvalue().splitlines()
    assert line.startswith("replaying closed cases: 9,000 of 9,000 (100%), 2 not deterministic, ")
    assert line.endswith("/s")


def test_every_line_is_due_when_the_interval_is_nil() -> None:
    out = io.StringIO()
    with progress("replaying closed cases", every=0, stream=out) as advance:
        advance(1, 4, "")
        advance(3, 4, "1 not deterministic")

    first, second = out.getvalue().splitlines()
    assert first.startswith("replaying closed cases: 1 of 4 (25%), ")
    assert "s left" in first
    assert second.startswith("replaying closed cases: 3 of 4 (75%), 1 not deterministic, ")
