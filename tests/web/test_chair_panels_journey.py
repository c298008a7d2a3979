"""A Channel chair in a real browser: a panel, a meeting, its agenda and attendance, with
axe-core on every page (error states included)."""

from __future__ import annotations

import datetime as dt

from playwright.async_api import Page, expect

from tests.web.browser import assert_accessible, heading, sign_in
from tests.web.conftest import Site
from tests.web.test_chair_panels_pages import referred_to_channel

NEXT_YEAR = str(dt.datetime.now(dt.UTC).year + 1)


async def _errors(page: Page, button: str, message: str) -> None:
    await page.click(f"main button:text('{button}')")
    await expect(page.locator(".govuk-error-summary")).to_contain_text(message)
    await assert_accessible(page)


async def test_a_chair_runs_a_panel_meeting_in_the_browser(page: Page, site: Site) -> None:
    reference = await referred_to_channel(site)
    await sign_in(page, site.url, "chair-03")
    await heading(page, "Your Channel work")
    await expect(page.locator(f"a[href='/chair/cases/{reference}']")).to_be_visible()
    await assert_accessible(page)

    await page.click("nav a:text('Panels')")
    await heading(page, "Your panels")
    await assert_accessible(page)
    await _errors(page, "Set up panel", "Enter a name for the panel")
    await page.fill("#name", "Riverside Channel panel")
    await page.click("main button:text('Set up panel')")
    await heading(page, "Riverside Channel panel")
    await assert_accessible(page)
    for subject, agency in [("chair-03", "local authority"), ("member-05", "education")]:
        await page.fill("#subject", subject)
        await page.fill("#agency", agency)
        await page.click("main button:text('Add member')")
        await expect(page.locator(".govuk-notification-banner")).to_contain_text(subject)

    await page.click("main a:text('Schedule a meeting')")
    await heading(page, "Schedule a meeting")
    await assert_accessible(page)
    await page.fill("#time", "10:30")
    await _errors(page, "Schedule meeting", "Enter the date of the meeting")
    await expect(page.locator("#time")).to_have_value("10:30")
    await page.fill("#date-day", "4")
    await page.fill("#date-month", "3")
    await page.fill("#date-year", NEXT_YEAR)
    await page.check(f"input[name='agenda'][value='{reference}']")
    await page.click("main button:text('Schedule meeting')")
    await heading(page, f"Meeting on 4 March {NEXT_YEAR} at 10:30am")
    await expect(page.locator(f"main a[href='/chair/cases/{reference}']")).to_be_visible()
    await assert_accessible(page)

    await page.click("main button:text('Publish the agenda')")
    await expect(page.locator(".govuk-notification-banner")).to_contain_text("Agenda published")
    await _errors(page, "Record attendance", "Select who attended the meeting")
    await page.check("input[name='attended'][value='chair-03']")
    await page.check("input[name='attended'][value='member-05']")
    await page.select_option("#conflict-1-attendee", "member-05")
    await page.select_option("#conflict-1-reference", reference)
    await page.fill("#conflict-1-description", "Taught the young person last year.")
    await page.click("main button:text('Record attendance')")
    await expect(page.locator(".govuk-notification-banner")).to_contain_text("Attendance recorded")
    await expect(page.locator("#conflict-1-description")).to_have_value(
        "Taught the young person last year."
    )
    await assert_accessible(page)
