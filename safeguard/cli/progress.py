"""Progress of a long command on stderr: a bar on a terminal, a plain line now and then
otherwise (a log or CI job gets lines it can read, not a redrawn bar)."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TextIO

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

# Told how many of how many are done, and a short note (what went wrong so far).
Advance = Callable[[int, int, str], None]


@contextmanager
def progress(what: str, *, every: float = 10.0, stream: TextIO | None = None) -> Iterator[Advance]:
    """Show the progress of `what` on `stream` (stderr): a bar if it is a terminal, else a
    line at most every `every` seconds and at the end."""
    out = stream or sys.stderr
    if not out.isatty():
        yield _Lines(what, every, out)
        return
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[note]}"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=Console(file=out)) as bar:
        task = bar.add_task(what, total=None, note="")

        def advance(done: int, total: int, note: str) -> None:
            bar.update(task, completed=done, total=total, note=note)

        yield advance


class _Lines:
    """Plain progress lines, no more often than every `every` seconds (and the last one)."""

    def __init__(self, what: str, every: float, out: TextIO) -> None:
        self.what = what
        self.every = every
        self.out = out
        self.started = self.last = time.monotonic()

    def __call__(self, done: int, total: int, note: str) -> None:
        now = time.monotonic()
        if now - self.last < self.every and done < total:
            return
        self.last = now
        rate = done / max(now - self.started, 1e-9)
        left = f", about {(total - done) / rate:.0f} s left" if 0 < done < total else ""
        share = f" ({100 * done / total:.0f}%)" if total else ""
        noted = f", {note}" if note else ""
        self.out.write(f"{self.what}: {done:,} of {total:,}{share}{noted}, {rate:.1f}/s{left}\n")
        self.out.flush()
