"""A parent answers the Channel consent request in a real browser: no sign-in, English and
Welsh, axe-core on every page including the error states."""

from __future__ import annotations

import datetime as dt

from playwright.async_api import Page, expect

from tests.web.browser import assert_accessible, heading
from tests.web.conftest import Site
from tests.web.panel_cases import channel
from tests.web.test_consent_pages import ConsentCase, consent_case


async def _fill(page: Page, case: ConsentCase, born: dt.date) -> None:
    await page.fill("#reference", case.reference)
    await page.fill("#date_of_birth-day", str(born.day))
    await page.fill("#date_of_birth-month", str(born.month))
    await page.fill("#date_of_birth-year", str(born.year))


async def test_a_parent_gives_then_withdraws_consent(page: Page, site: Site) -> None:
    chair = await channel(site)
    case = await consent_case(site, chair)
    link = f"{site.url}{case.path}"

    # The first page in Welsh, and its error state.
    await page.goto(f"{link}?lang=cy")
    await expect(page.locator("html")).to_have_attribute("lang", "cy")
    await heading(page, "Cadarnhewch pwy ydych chi")
    await assert_accessible(page)
    await page.click("button:text('Parhau')")
    await expect(page.locator(".govuk-error-summary")).to_contain_text("Rhowch y dyddiad geni")
    await assert_accessible(page)

    # Back to English with the switch (a plain link: no JavaScript needed).
    await page.click("a[hreflang='en']")
    await expect(page.locator("html")).to_have_attribute("lang", "en")
    await heading(page, "Confirm who you are")
    await assert_accessible(page)
    await _fill(page, case, case.born - dt.timedelta(days=1))
    await page.click("button:text('Continue')")
    summary = page.locator(".govuk-error-summary")
    await expect(summary).to_contain_text("does not match our records")
    await expect(summary).to_contain_text("4 more times")
    await assert_accessible(page)

    await _fill(page, case, case.born)
    await page.click("button:text('Continue')")
    await heading(page, "Channel support")
    await expect(page.locator("legend")).to_contain_text("your child")
    await assert_accessible(page)
    await page.click("button:text('Send my answer')")
    await expect(page.locator(".govuk-error-summary")).to_contain_text("Select yes")
    await assert_accessible(page)
    await page.check("input[name='answer'][value='given']")
    await page.click("button:text('Send my answer')")
    await expect(page.locator(".govuk-panel")).to_contain_text("Your answer has been sent")
    await assert_accessible(page)
    await chair.driver.wait_for_stage(case.reference, "PANEL_CONSIDERATION")

    # Later, the same link offers to withdraw, with a confirm step.
    await page.goto(link)
    await _fill(page, case, case.born)
    await page.click("button:text('Continue')")
    await heading(page, "You have agreed to your child getting Channel support")
    await assert_accessible(page)
    await page.click("a.govuk-button:text('Withdraw consent')")
    await heading(page, "Are you sure you want to withdraw consent?")
    await assert_accessible(page)
    await page.click("button:text('Yes, withdraw consent')")
    await expect(page.locator(".govuk-panel")).to_contain_text("Your withdrawal has been sent")
    await assert_accessible(page)


async def test_an_unknown_link_says_what_to_do_in_english_and_welsh(page: Page, site: Site) -> None:
    await page.goto(f"{site.url}/consent/not-a-real-link")
    await page.fill("#reference", "PRV-2026-000123")
    await page.fill("#date_of_birth-day", "2")
    await page.fill("#date_of_birth-month", "4")
    await page.fill("#date_of_birth-year", "2011")
    await page.click("button:text('Continue')")
    await heading(page, "This link is not valid")
    await expect(page.locator("main")).to_contain_text("contact the Channel panel")
    await assert_accessible(page)
    await page.click("a[hreflang='cy']")
    await expect(page.locator("html")).to_have_attribute("lang", "cy")
    await heading(page, "Cadarnhewch pwy ydych chi")
    await assert_accessible(page)
