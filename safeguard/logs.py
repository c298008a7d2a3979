"""One log format for every process. Log lines carry ids and codes, never personal data."""

from __future__ import annotations

import logging


def configure_logging(level: str = "INFO") -> None:
    """Plain lines on stderr; `safeguard run` tags each with its component."""
    logging.basicConfig(
        level=level,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    # aiokafka reports every coordinator hiccup at WARNING while it recovers on its own.
    logging.getLogger("aiokafka").setLevel(logging.ERROR)
