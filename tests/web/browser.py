"""Doing things in the browser as a person would, and checking each page with axe-core."""

from __future__ import annotations

from typing import Any

from axe_playwright_python.async_playwright import Axe
from playwright.async_api import Page, expect

PASSWORD = "dev-password"  # noqa: S105 - the development realm's published password
# WCAG 2.2 AA, and everything at A and AA before it.
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa"]
_axe = Axe()


async def assert_accessible(page: Page) -> None:
    """axe-core finds no WCAG 2.2 AA violation on the page as it is now."""
    results = await _axe.run(page, options={"runOnly": {"type": "tag", "values": WCAG_TAGS}})
    violations: list[dict[str, Any]] = results.response["violations"]
    summary = [
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}"
        for v in violations
    ]
    assert not violations, f"{page.url}: " + "; ".join(summary)


async def sign_in(page: Page, site_url: str, username: str, path: str = "/") -> None:
    """Sign in through Keycloak's own login page and come back to `path`."""
    await page.goto(f"{site_url}{path}")
    await page.fill("#username", username)
    await page.fill("#password", PASSWORD)
    await page.click("#kc-login")
    await page.wait_for_url(f"{site_url}/**")


async def tab_to(page: Page, selector: str, *, limit: int = 120) -> None:
    """Press Tab until the element matching `selector` has the focus."""
    for _ in range(limit):
        await page.keyboard.press("Tab")
        if await page.evaluate("s => document.activeElement?.matches(s) ?? false", selector):
            return
    raise AssertionError(f"{selector} could not be reached with the Tab key on {page.url}")


async def heading(page: Page, text: str) -> None:
    """The page's main heading says `text`."""
    await expect(page.locator("h1")).to_contain_text(text)


async def continue_and_send(page: Page, done: str) -> None:
    """Continue to the check page, then send; each page checked with axe."""
    await page.click("main form button:text('Continue')")
    await heading(page, "Check your answers")
    await assert_accessible(page)
    await page.click("button:text('Send')")
    await expect(page.locator(".govuk-panel")).to_contain_text(done)
    await assert_accessible(page)
    await page.click("a:text('Go back to the case')")
