"""The officer's journey again, with the keyboard alone: Tab to move, Space and Enter to act."""

from __future__ import annotations

from playwright.async_api import Page, expect

from tests.helpers import assert_eventually
from tests.web.browser import PASSWORD, heading, tab_to
from tests.web.conftest import Site

AREA = "E08000003"


async def _press_on(page: Page, selector: str, key: str = "Enter") -> None:
    """Tab to the element and press `key`; Enter follows a link or sends a form."""
    await tab_to(page, selector)
    if key != "Enter":
        await page.keyboard.press(key)
        return
    async with page.expect_navigation():
        await page.keyboard.press(key)


async def _type_into(page: Page, selector: str, text: str) -> None:
    await tab_to(page, selector)
    await page.keyboard.type(text)


async def _sign_in(page: Page, site: Site) -> None:
    await page.goto(f"{site.url}/")
    await _type_into(page, "#username", "officer-17")
    await _type_into(page, "#password", PASSWORD)
    async with page.expect_navigation(url=f"{site.url}/**"):
        await page.keyboard.press("Enter")


async def _listed(page: Page, reference: str) -> bool:
    await page.reload()
    return await page.locator(f"a:text('{reference}')").count() > 0


async def test_the_officer_journey_with_the_keyboard_alone(page: Page, site: Site) -> None:
    reference = await site.refer(area=None)
    await _sign_in(page, site)
    await heading(page, "My tasks")

    await _press_on(page, "a[href='/triage']")
    await heading(page, "Triage")
    await assert_eventually(lambda: _listed(page, reference), within=30)
    await _press_on(page, f"a[href='/cases/{reference}/area']")
    await _press_on(page, f"input[value='{AREA}']", " ")
    await _press_on(page, "main form button")
    await expect(page.locator(".govuk-notification-banner")).to_contain_text(reference)

    await _press_on(page, "a[href='/tasks']")
    await assert_eventually(lambda: _listed(page, reference), within=30)
    await _press_on(page, f"button[aria-label='Take task for {reference}']")
    await expect(page.locator(".govuk-notification-banner")).to_contain_text(reference)
    await _press_on(page, f"a[href^='/cases/{reference}?']")
    await heading(page, reference)

    await _press_on(page, f"a[href='/cases/{reference}/decisions/gateway-assessment']")
    await _press_on(page, "input[name='deconfliction']", " ")
    await _type_into(page, "#database_checks", "Nothing held on local systems.")
    await _press_on(page, "input[name='outcome']", " ")  # the first: no further action
    await _type_into(page, "#reasons", "Below the threshold for Channel.")
    await _press_on(page, "main form button")
    await heading(page, "Check your answers")
    await _press_on(page, "main form button")
    await expect(page.locator(".govuk-panel")).to_contain_text("Gateway assessment recorded")

    decisions = await site.decisions(reference)
    assert [(d.action, d.actor_id) for d in decisions][-1] == (
        "record_gateway_assessment",
        "officer-17",
    )
    assert decisions[-1].detail.get("outcome") == "NO_FURTHER_ACTION"
