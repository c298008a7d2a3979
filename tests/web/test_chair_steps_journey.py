"""The local authority's own steps in a real browser, axe-core on every page: the chair finds a
case the police are still assessing, refers it to Channel, chooses when the case is reassessed
after consent is refused, and sends new information back to the police."""

from __future__ import annotations

from playwright.async_api import Page, expect

from safeguard.auth.staff import development_signing_key
from tests.helpers import assert_eventually
from tests.panel.driver import PanelDriver, Staff
from tests.web.browser import assert_accessible, continue_and_send, heading, sign_in
from tests.web.conftest import Site

REFUSED = {"decision": "refused", "method": "letter", "answered_by": "parent_or_guardian"}


async def _open(page: Page, task: str) -> None:
    await page.click(f'main a:text("{task}")')
    await heading(page, task)
    await assert_accessible(page)


async def _reload_until_task(page: Page, task: str) -> None:
    """The case page once it offers `task` (the panel's read model has caught up)."""

    async def offered() -> bool:
        await page.reload()
        return await page.locator(f'main a:text("{task}")').count() > 0

    await assert_eventually(offered, within=30)


async def test_a_chair_refers_a_case_and_chooses_its_reassessment_in_the_browser(
    page: Page, site: Site
) -> None:
    driver = PanelDriver(
        site.panel, site.http, Staff(development_signing_key(site.settings.data_dir))
    )
    reference = await site.refer()
    await driver.wait_for_stage(reference, "GATEWAY_ASSESSMENT")

    await sign_in(page, site.url, "chair-03", "/chair")
    await page.fill("#reference", reference)
    await page.click("main button:text('Find case')")
    await heading(page, reference)
    await assert_accessible(page)
    await _open(page, "Refer to Channel")
    await page.click("main form button:text('Continue')")
    await expect(page.locator(".govuk-error-summary")).to_contain_text("Enter why the case")
    await assert_accessible(page)
    await page.fill("#reasons", "The youth service reports contact with an extremist group.")
    await continue_and_send(page, "Case referred to Channel")
    await driver.wait_for_stage(reference, "CONSENT_PENDING")

    await driver.request_consent(reference)
    await driver.ok("POST", f"/v1/cases/{reference}/consent/answer", json=REFUSED)
    await driver.wait_for_stage(reference, "CONSENT_REFUSED")
    await _reload_until_task(page, "Choose when the case is reassessed")
    await _open(page, "Choose when the case is reassessed")
    await expect(page.locator(".govuk-input__suffix")).to_have_text("days")
    default = site.settings.lifecycle.consent_reassessment_days
    await expect(page.locator("main")).to_contain_text(f"the default is {default} days")
    await page.fill("#days", "42")
    await continue_and_send(page, "Reassessment period recorded")

    await _open(page, "New information")
    await page.fill("#summary", "The school reports the person has asked to meet the panel.")
    await continue_and_send(page, "the police reassess the case")
    await driver.wait_for_stage(reference, "GATEWAY_ASSESSMENT")
