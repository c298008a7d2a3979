"""An auditor in a real browser: Keycloak's sign-in, the audit pages, axe-core on each."""

from __future__ import annotations

from typing import Any

from playwright.async_api import Page, expect

from safeguard.codes import Role
from tests.helpers import assert_eventually
from tests.web.browser import assert_accessible, heading, sign_in
from tests.web.conftest import Site
from tests.web.staff import visitor


async def _reads_listed(page: Page) -> bool:
    """The reads page answers once the audit store knows the case (it follows the events)."""
    await page.reload()
    return await page.locator("h1:text('Who read')").count() > 0


async def _task_claimed(site: Site, reference: str) -> None:
    """officer-17 takes the case's task on the officer's pages: a step of the audit log."""

    async def found(sql: str) -> Any:
        async with site.pool.acquire() as conn:
            return await conn.fetchval(sql, reference)

    task = await assert_eventually(
        lambda: found("SELECT id FROM assessment.tasks WHERE reference = $1"), within=30
    )
    # The timeline reads a case's logged steps once the audit store knows the case.
    await assert_eventually(
        lambda: found("SELECT referral_id FROM audit.cases WHERE reference = $1"), within=30
    )
    officer = await visitor(site, "officer-17", Role.PREVENT_OFFICER, ("E08000003",))
    async with officer.http:
        assert (await officer.post(f"/tasks/{task}/claim", {})).status_code == 303


async def test_an_auditor_opens_every_audit_page_and_each_passes_axe(
    page: Page, site: Site
) -> None:
    reference = await site.refer()
    await _task_claimed(site, reference)
    await sign_in(page, site.url, "auditor-01")
    await heading(page, "Audit")  # the auditor's start page
    await expect(page.locator("main")).to_contain_text("Newest signed checkpoint")
    await assert_accessible(page)

    await page.click("a:text('Check the whole log against its checkpoints')")
    await heading(page, "Audit log check")
    await expect(page.locator("main")).to_contain_text("Verified")
    await assert_accessible(page)
    await page.click("a:text('Back to audit')")

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
    # The claim, from the audit log, beside the history's entries: each says where it is from.
    claimed = page.locator("tr", has_text="Task claimed")
    await expect(claimed).to_contain_text("officer-17")
    await expect(claimed).to_contain_text("Audit log")
    await expect(page.locator("tr", has_text="Referral received")).to_contain_text("Case history")
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
