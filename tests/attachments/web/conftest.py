"""The web tests' fixtures, on this directory's settings (with clamd)."""

from tests.web.conftest import browser, context, page, pages

__all__ = ["browser", "context", "page", "pages"]
