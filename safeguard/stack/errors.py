"""The one error the stack launcher raises."""

from __future__ import annotations


class StackError(Exception):
    """A component of the local stack could not be fetched, started, checked or stopped.

    The message is a complete sentence meant for a person at a terminal.
    """
