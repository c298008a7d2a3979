"""A Channel chair in a real browser: consent, the 22-factor assessment and the panel's decision."""

from __future__ import annotations

from playwright.async_api import Page, expect

from safeguard.auth.staff import development_signing_key
from services.panel.factors import FACTORS
from tests.panel.driver import PanelDriver, Staff
from tests.web.browser import assert_accessible, continue_and_send, heading, sign_in
from tests.web.conftest import Site
from tests.web.test_casework_pages import channel_case


async def _empty_first(page: Page, link: str, message: str) -> None:
    """Open a form from the case's task list and send it empty: the error summary."""
    await page.click(f"a:text('{link}')")
    await assert_accessible(page)
    await page.click("main form button:text('Continue')")
    await expect(page.locator(".govuk-error-summary")).to_contain_text(message)
    await assert_accessible(page)


async def test_a_chair_works_a_case_to_adoption_in_the_browser(page: Page, site: Site) -> None:
    driver = PanelDriver(
        site.panel, site.http, Staff(development_signing_key(site.settings.data_dir))
    )
    reference = await channel_case(site, driver)
    await driver.register("mentor-a")
    await sign_in(page, site.url, "chair-03", f"/chair/cases/{reference}")
    await heading(page, reference)
    await assert_accessible(page)

    await _empty_first(page, "Ask for consent", "Select whose consent is asked")
    await page.check("input[name='route'][value='guardian']")
    await page.check("input[name='method'][value='letter']")
    await continue_and_send(page, "Consent requested")

    await _empty_first(page, "Record the answer to the consent request", "Select the answer")
    await page.check("input[name='decision'][value='given']")
    await page.fill("#scope", "Mentoring and college support.")
    await page.check("input[name='method'][value='in_person']")
    await page.check("input[name='answered_by'][value='parent_or_guardian']")
    await continue_and_send(page, "Consent answer recorded")
    await driver.wait_for_stage(reference, "PANEL_CONSIDERATION")
    await page.reload()

    await _empty_first(page, "Vulnerability assessment", "Select a rating for")
    for name, (dimension, label) in FACTORS.items():
        rating = "high" if dimension == "engagement" else "low"
        await page.check(f"input[name='{name}-rating'][value='{rating}']")
        await page.fill(f"#{name}-notes", f"Rationale for {label.lower()}.")
    await continue_and_send(page, "Vulnerability assessment recorded")

    meeting = await driver.meeting(reference)
    await page.goto(f"{site.url}/chair/cases/{reference}/decision?meeting={meeting}")
    await heading(page, "Record the panel")
    await page.check("input[name='adopted'][value='yes']")
    await page.check("input[name='basis'][value='unanimous']")  # the votes say otherwise
    await page.fill("#votes_for", "3")
    await page.fill("#votes_against", "1")
    await page.fill("#reasons", "Vulnerable; support is proportionate.")
    await page.select_option("#interventions-1-type", "ideological_mentoring")
    await page.select_option("#interventions-1-provider_id", "mentor-a")
    await page.select_option("#interventions-1-frequency", "weekly")
    await page.fill("#interventions-1-start-day", "1")
    await page.fill("#interventions-1-start-month", "12")
    await page.fill("#interventions-1-start-year", "2026")
    await page.click("main form button:text('Continue')")
    await assert_accessible(page)
    await page.click("button:text('Send')")
    await expect(page.locator(".govuk-error-summary")).to_contain_text("unanimous")
    await expect(page.locator("#reasons")).to_have_value("Vulnerable; support is proportionate.")
    await assert_accessible(page)
    await page.check("input[name='basis'][value='majority']")
    await continue_and_send(page, "Panel decision recorded")

    await driver.wait_for_stage(reference, "SUPPORT_ACTIVE")
    await page.reload()
    await expect(page.locator("main")).to_contain_text("Revision 1 (current)")
    await expect(page.locator("main")).to_contain_text("Monthly support review")
    await assert_accessible(page)
