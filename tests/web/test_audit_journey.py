"""An auditor in a real browser: Keycloak's sign-in, the audit pages, axe-core on each."""

from __future__ import annotations

from playwright.async_api import Page, expect

from tests.helpers import assert_eventually
from tests.web.browser import assert_accessible, heading, sign_in
from tests.web.conftest import Site


async def _reads_listed(page: Page) -> bool:
    """The reads page answers once the audit store knows the case (it follows the events)."""
    await page.reload()
    return await page.locator("h1:text('Who read')").count() > 0


async def test_an_auditor_opens_every_audit_page_and_each_passes_axe(
    page: Page, site: Site
) -> None:
    reference = await site.refer()
    await sign_in(page, site.url, "auditor-01")
    await heading(page, "Audit")  # the auditor's start page
    await expect(page.locator("main")).to_contain_text("Verified")
    await assert_accessible(page)

    await page.click("button:text('Open case')")  # nothing typed: the error summary
    summary = page.locator(".govuk-error-summary")
    await expect(summary).to_contain_text("Enter a case reference")
    await expect(summary).to_contain_text("Select why you are reading this case")
    await assert_accessible(page)

    await page.fill("#reference", reference)
    await page.check("input[name='purpose'][value='other']")
    await page.fill("#other_reason", "spot check of new referrals")
    await page.click("button:text('Open case')")
    await heading(page, f"Case {reference}")
    await expect(page.locator("main")).to_contain_text("Referral received")
    await assert_accessible(page)

    await page.click("a:text('Replay the history')")
    await heading(page, f"Replay of {reference}")
    await expect(page.locator("main")).to_contain_text("Deterministic")
    await assert_accessible(page)

    await page.click("a:text('Who read this case')")
    await assert_eventually(lambda: _reads_listed(page), within=30, interval=1)
    await expect(page.locator("main")).to_contain_text("audit: other: spot check of new referrals")
    await assert_accessible(page)

    await page.goto(f"{site.url}/audit/cases/PRV-2000-999999?purpose=complaint")
    await heading(page, "Case not found")
    await assert_accessible(page)
