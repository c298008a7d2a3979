"""axe-core over every page an officer meets, error states included, and signing out."""

from __future__ import annotations

from playwright.async_api import Page, expect

from tests.helpers import assert_eventually
from tests.web.browser import assert_accessible, heading, sign_in
from tests.web.conftest import Site


async def _visit(page: Page, url: str, title: str) -> None:
    await page.goto(url)
    await heading(page, title)
    await assert_accessible(page)


async def _submit_empty(page: Page, url: str, message: str) -> None:
    await page.goto(url)
    await page.locator("main form button").first.click()
    await expect(page.locator(".govuk-error-summary")).to_contain_text(message)
    await assert_accessible(page)


async def test_every_officer_page_passes_axe(page: Page, site: Site) -> None:
    reference = await site.refer()
    await sign_in(page, site.url, "officer-17")

    async def listed() -> bool:
        await page.goto(f"{site.url}/tasks")
        return await page.locator(f"a:text('{reference}')").count() > 0

    await assert_eventually(listed, within=30)
    url = site.url
    await _visit(page, f"{url}/tasks?overdue=yes&assignee=me&sort=-created_at", "My tasks")
    await _visit(page, f"{url}/triage", "Triage")
    await _visit(page, f"{url}/cases/{reference}/reason", "Why are you opening this case")
    await _visit(page, f"{url}/cases/{reference}?purpose=gateway-assessment", reference)
    for slug, message in [
        ("police-reviews", "Select a decision"),
        ("information", "Enter a summary of the new information"),
        ("transfer", "Enter the code of the area to transfer to"),
        ("gateway-assessment", "Select an outcome"),
    ]:
        await _submit_empty(page, f"{url}/cases/{reference}/decisions/{slug}", message)
    await _submit_empty(page, f"{url}/cases/{reference}/reason", "Select why you are opening")
    await _visit(page, f"{url}/cases/PRV-2000-999999?purpose=triage", "Case not found")
    await _visit(page, f"{url}/no-such-page", "Page not found")


async def test_signing_out_ends_the_identity_provider_session_too(page: Page, site: Site) -> None:
    await sign_in(page, site.url, "officer-17")
    await heading(page, "My tasks")
    await page.click("button:text('Sign out')")
    await heading(page, "You have signed out")
    await assert_accessible(page)
    await page.goto(f"{site.url}/tasks")
    # Keycloak asks for the password again: its own session ended with ours.
    await expect(page.locator("#password")).to_be_visible()


async def test_the_pages_around_signing_in_pass_axe(page: Page, site: Site) -> None:
    await _visit(page, f"{site.url}/auth/callback?code=x&state=forged", "Sign-in did not complete")
    await sign_in(page, site.url, "operator-01")
    # Operators see aggregates only: the statistics are their start page, and their only one.
    await heading(page, "Prevent referrals statistics")
    await expect(page.locator(".govuk-service-navigation__item")).to_have_count(1)
    await assert_accessible(page)


async def test_the_transfer_pages_pass_axe(page: Page, site: Site) -> None:
    reference = await site.refer()
    await sign_in(page, site.url, "officer-17")
    url, case = site.url, f"{site.url}/cases/{reference}?purpose=transfer"

    async def opened() -> bool:
        await page.goto(case)
        return await page.locator("h1").filter(has_text=reference).count() > 0

    await assert_eventually(opened, within=30)
    await page.goto(f"{url}/cases/{reference}/decisions/transfer")
    await page.fill("#to_area", "E08000035")
    await page.fill("#reason", "The family moved to Leeds.")
    await page.locator("main form button").first.click()
    await page.locator("main form button").first.click()  # send, from the check page
    await heading(page, "Transfer requested")
    await expect(page.locator("main")).to_contain_text("waiting for E08000035 to accept")
    await assert_accessible(page)
    await _visit(page, case, reference)
    await page.click("button:text('Sign out')")

    await sign_in(page, url, "officer-41")

    async def listed() -> bool:
        await page.goto(f"{url}/tasks")
        return await page.locator(f"a:text('{reference}')").count() > 0

    await assert_eventually(listed, within=30)
    await assert_accessible(page)
    await _visit(page, case, reference)
    await page.locator("main form button").first.click()  # no answer chosen
    await expect(page.locator(".govuk-error-summary")).to_contain_text(
        "Select whether your area accepts the transfer"
    )
    await assert_accessible(page)
