"""A provider and a panel member in a real browser, signed in through Keycloak."""

from __future__ import annotations

import datetime as dt

from playwright.async_api import Browser, Page, expect

from tests.web.browser import assert_accessible, heading, sign_in
from tests.web.conftest import Site
from tests.web.panel_cases import GATEWAY, POLICE_ONLY_TEXT, channel

PROVIDER = "provider-02"


async def _record_contact(page: Page, site: Site, reference: str) -> None:
    """provider-02 records a session against its item, meeting the form's errors first."""
    await sign_in(page, site.url, PROVIDER, "/provider/items")
    await heading(page, "My interventions")
    await assert_accessible(page)
    await page.click(f"a:has-text('{reference}')")
    await heading(page, "Ideological mentoring")
    await assert_accessible(page)
    await page.click("text=Record a session or contact")
    await heading(page, "Record a session or contact")
    await assert_accessible(page)
    await page.click("button:text('Record contact')")  # nothing entered: the error summary
    summary = page.locator(".govuk-error-summary")
    await expect(summary).to_contain_text("Enter the date of the contact")
    await expect(summary).to_contain_text("Select what kind of contact it was")
    await assert_accessible(page)
    today = dt.datetime.now(dt.UTC).date()
    await page.fill("#held_on-day", str(today.day))
    await page.fill("#held_on-month", str(today.month))
    await page.fill("#held_on-year", str(today.year))
    await page.check("input[name='kind'][value='session']")
    await page.fill("#notes", "First mentoring session; he engaged well.")
    await page.click("button:text('Record contact')")
    await expect(page.locator(".govuk-notification-banner")).to_contain_text("is recorded")
    await expect(page.locator("table")).to_contain_text("First mentoring session")
    await assert_accessible(page)


async def _read_agenda_case(page: Page, site: Site, reference: str) -> None:
    """member-05 reads the case on their panel's agenda, then types one that is not."""
    await sign_in(page, site.url, "member-05", "/member/cases")
    await heading(page, "Panel cases")
    await assert_accessible(page)
    await page.click(f"a:text('{reference}')")
    await heading(page, reference)
    await expect(page.locator("main")).to_contain_text(GATEWAY["reasons"])
    text = await page.locator("main").inner_text()
    for hidden in POLICE_ONLY_TEXT:
        assert hidden not in text, hidden
    await assert_accessible(page)
    await page.goto(f"{site.url}/member/cases/PRV-2026-999999")
    await heading(page, "Case not found")
    await expect(page.locator("main")).to_contain_text("on the agenda of a panel you sit on")
    await assert_accessible(page)


async def test_a_provider_records_a_contact_and_a_member_reads_an_agenda_case(
    site: Site, page: Page, browser: Browser
) -> None:
    panel = await channel(site)
    d = panel.driver
    reference = await panel.in_panel()
    meeting = await d.meeting(reference)
    await d.adopt(reference, meeting, PROVIDER, "provider-07")
    await d.wait_for_stage(reference, "SUPPORT_ACTIVE")

    await _record_contact(page, site, reference)
    member = await browser.new_context()
    try:
        await _read_agenda_case(await member.new_page(), site, reference)
    finally:
        await member.close()
