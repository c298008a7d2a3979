"""An officer's whole job in a real browser: Keycloak's sign-in, triage, claims, decisions."""

from __future__ import annotations

from playwright.async_api import Page, expect

from tests.helpers import assert_eventually
from tests.web.browser import assert_accessible, heading, sign_in
from tests.web.conftest import Site

AREA = "E08000003"


async def _triage_to_inbox(page: Page, site: Site, reference: str) -> None:
    """Find the referral in triage, read it, set the area, and take its task."""
    await page.click("text=Triage")
    await heading(page, "Triage")
    await assert_eventually(lambda: _reload_finds(page, reference), within=30)
    await assert_accessible(page)
    await page.click(f"a:text('{reference}')")
    await heading(page, reference)
    await assert_accessible(page)
    await page.goto(f"{site.url}/cases/{reference}/area")
    await page.click("button:text('Set area')")  # nothing chosen: the error summary
    await expect(page.locator(".govuk-error-summary")).to_contain_text("Select the area")
    await assert_accessible(page)
    await page.check(f"input[value='{AREA}']")
    await page.click("button:text('Set area')")
    await expect(page.locator(".govuk-notification-banner")).to_contain_text(reference)


async def _reload_finds(page: Page, reference: str) -> bool:
    await page.reload()
    return await page.locator(f"a:text('{reference}')").count() > 0


async def _take_task(page: Page, site: Site, reference: str) -> None:
    await page.goto(f"{site.url}/tasks")
    await assert_eventually(lambda: _reload_finds(page, reference), within=30)
    await assert_accessible(page)
    await page.click(f"button[aria-label='Take task for {reference}']")
    await expect(page.locator(".govuk-notification-banner")).to_contain_text(reference)
    await expect(
        page.locator(f"button[aria-label='Put back task for {reference}']")
    ).to_be_visible()


async def _gateway(page: Page, site: Site, reference: str, outcome: str) -> None:
    """Record the gateway assessment through the form and the check page."""
    await page.goto(f"{site.url}/tasks")
    await page.click(f"a:text('{reference}')")
    await heading(page, reference)
    await page.click("a:text('Gateway assessment')")
    await page.click("button:text('Continue')")  # empty: every question is asked for
    await expect(page.locator(".govuk-error-summary")).to_contain_text("Select an outcome")
    await assert_accessible(page)
    await page.check("input[name='deconfliction'][value='no_live_interest']")
    await page.fill("#database_checks", "PNC and local intelligence checked; nothing held.")
    await page.check(f"input[name='outcome'][value='{outcome}']")
    if outcome == "SIGNPOSTED":
        await page.check("input[name='signposted_to'][value='early_help']")
    await page.fill("#reasons", "Assessed against the Prevent threshold.")
    await page.click("button:text('Continue')")
    await heading(page, "Check your answers")
    await assert_accessible(page)
    await page.click("button:text('Send')")
    await expect(page.locator(".govuk-panel")).to_contain_text("Gateway assessment recorded")
    await assert_accessible(page)


async def test_an_officer_works_a_triaged_referral_to_an_outcome(page: Page, site: Site) -> None:
    reference = await site.refer(area=None)
    await sign_in(page, site.url, "officer-17")
    await heading(page, "My tasks")
    await _triage_to_inbox(page, site, reference)
    await _take_task(page, site, reference)
    await _gateway(page, site, reference, "NO_FURTHER_ACTION")

    decisions = await site.decisions(reference)
    gateway = [d for d in decisions if d.action == "record_gateway_assessment"]
    assert [(d.actor_id, d.actor_role) for d in gateway] == [("officer-17", "prevent_officer")]

    async def gone() -> bool:
        await page.goto(f"{site.url}/tasks")
        return await page.locator(f"a:text('{reference}')").count() == 0

    await assert_eventually(gone, within=30)


async def test_every_gateway_outcome_from_the_browser(page: Page, site: Site) -> None:
    outcomes = [
        "NO_FURTHER_ACTION",
        "SIGNPOSTED",
        "POLICE_LED",
        "ESCALATED_TO_PURSUE",
        "REFERRED_TO_CHANNEL",
    ]
    references = {outcome: await site.refer() for outcome in outcomes}
    await sign_in(page, site.url, "officer-17")
    for outcome, reference in references.items():
        await _take_task(page, site, reference)
        await _gateway(page, site, reference, outcome)
    for outcome, reference in references.items():
        decisions = await site.decisions(reference)
        recorded = [d for d in decisions if d.action == "record_gateway_assessment"]
        assert len(recorded) == 1 and recorded[0].actor_id == "officer-17", outcome
