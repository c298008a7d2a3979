"""A Channel case from referral to closure, all in a real browser, axe-core on every page.

The chair asks a guardian for consent by email; the guardian answers through the link in the
email the notifications service actually sent; the chair runs the meeting (attendance and a
declared conflict), records the 22-factor assessment, the panel's decision by majority with
its support plan, two monthly reviews, exit, and both post-exit reviews, to closure.
"""

from __future__ import annotations

import datetime as dt
import re
from datetime import timedelta
from email.message import EmailMessage

from playwright.async_api import Browser, Page, expect
from temporalio.testing import WorkflowEnvironment

from safeguard.auth.staff import development_signing_key
from services.notifications.sink import SmtpSink
from services.panel.factors import FACTORS
from tests.helpers import assert_eventually
from tests.panel.driver import PanelDriver, Staff, referral_form
from tests.web.browser import assert_accessible, continue_and_send, heading, sign_in
from tests.web.conftest import Site
from tests.web.test_chair_panels_pages import referred_to_channel
from workflows.referral.workflows import workflow_id_for

GUARDIAN = "guardian@home.example"
TODAY = dt.datetime.now(dt.UTC).date()
# Fifteen, well clear of a birthday while the case runs: consent is a parent's or guardian's.
BORN = TODAY.replace(year=TODAY.year - 16) + timedelta(days=200)
MEETING = TODAY + timedelta(days=14)
MEMBERS = [("chair-03", "local authority"), ("member-05", "education"), ("police-2", "police")]


async def _open(page: Page, task: str) -> None:
    """A task from the case page's list of what can be done now."""
    await page.click(f'main a:text("{task}")')
    await assert_accessible(page)


async def _fast_forward(site: Site, env: WorkflowEnvironment, reference: str, days: int) -> None:
    handle = site.temporal.get_workflow_handle(workflow_id_for(reference))
    await env.fast_forward(handle, timedelta(days=days))


async def _referred(site: Site) -> str:
    form = referral_form()
    form["person"]["date_of_birth"] = BORN.isoformat()
    form["household_members"][0]["email"] = GUARDIAN
    return await referred_to_channel(site, form=form)


async def _ask_consent(page: Page, site: Site, reference: str) -> str:
    """The chair asks the guardian by email; the link from the mail that was sent."""
    await sign_in(page, site.url, "chair-03", f"/chair/cases/{reference}")
    await heading(page, reference)
    await assert_accessible(page)
    await _open(page, "Ask for consent")
    await page.check("input[name='route'][value='guardian']")
    await page.check("input[name='method'][value='email']")
    await continue_and_send(page, "Consent requested")
    assert site.mail is not None
    mail = await assert_eventually(
        lambda: _mail_to(site.mail, GUARDIAN), lambda found: found is not None, within=60
    )
    assert mail is not None and reference in mail["Subject"]
    found = re.search(r"http://127\.0\.0\.1:\d+/consent/[A-Za-z0-9_-]{43,}", mail.get_content())
    assert found is not None and found[0].startswith(site.url), mail.get_content()
    return found[0]


async def _mail_to(sink: SmtpSink | None, address: str) -> EmailMessage | None:
    received = sink.received if sink else []
    return next((m for m in received if m["X-Envelope-To"] == address), None)


async def _guardian_consents(browser: Browser, link: str, reference: str) -> None:
    """In their own browser, the guardian confirms who they are and gives consent."""
    context = await browser.new_context()
    page = await context.new_page()
    try:
        await page.goto(link)
        await heading(page, "Confirm who you are")
        await assert_accessible(page)
        await page.fill("#reference", reference)
        await page.fill("#date_of_birth-day", str(BORN.day))
        await page.fill("#date_of_birth-month", str(BORN.month))
        await page.fill("#date_of_birth-year", str(BORN.year))
        await page.click("button:text('Continue')")
        await expect(page.locator("legend")).to_contain_text("your child")
        await assert_accessible(page)
        await page.check("input[name='answer'][value='given']")
        await page.click("button:text('Send my answer')")
        await expect(page.locator(".govuk-panel")).to_contain_text("Your answer has been sent")
        await assert_accessible(page)
    finally:
        await context.close()


async def _reload_until_task(page: Page, task: str) -> None:
    """The case page once it offers `task` (the workflow allows it now)."""

    async def offered() -> bool:
        await page.reload()
        return await page.locator(f'main a:text("{task}")').count() > 0

    await assert_eventually(offered, within=30)


async def _reload_until(page: Page, text: str) -> None:
    """The case page once the workflow's timer has reached the panel's read model."""

    async def shown() -> bool:
        await page.reload()
        return text in await page.locator("main").inner_text()

    await assert_eventually(shown, within=30)


async def _panel_and_meeting(page: Page, reference: str) -> None:
    """A panel of three, a meeting with the case on its agenda, attendance and a conflict."""
    await page.click("nav a:text('Panels')")
    await page.fill("#name", "Riverside Channel panel")
    await page.click("main button:text('Set up panel')")
    for subject, agency in MEMBERS:
        await page.fill("#subject", subject)
        await page.fill("#agency", agency)
        await page.click("main button:text('Add member')")
        await expect(page.locator(".govuk-notification-banner")).to_contain_text(subject)
    await page.click("main a:text('Schedule a meeting')")
    await page.fill("#date-day", str(MEETING.day))
    await page.fill("#date-month", str(MEETING.month))
    await page.fill("#date-year", str(MEETING.year))
    await page.fill("#time", "10:30")
    await page.check(f"input[name='agenda'][value='{reference}']")
    await page.click("main button:text('Schedule meeting')")
    await page.click("main button:text('Publish the agenda')")
    for subject, _ in MEMBERS:
        await page.check(f"input[name='attended'][value='{subject}']")
    await page.select_option("#conflict-1-attendee", "member-05")
    await page.select_option("#conflict-1-reference", reference)
    await page.fill("#conflict-1-description", "Taught the young person last year.")
    await page.click("main button:text('Record attendance')")
    await expect(page.locator(".govuk-notification-banner")).to_contain_text("Attendance recorded")
    await assert_accessible(page)
    await page.click(f"main a[href='/chair/cases/{reference}']")
    await heading(page, reference)


async def _approved_provider(site: Site, provider_id: str) -> None:
    """The register approves the provider the plan chooses (kept through the API: no page)."""
    staff = Staff(development_signing_key(site.settings.data_dir))
    await PanelDriver(site.panel, site.http, staff).register(provider_id)


async def _assess_and_decide(page: Page) -> None:
    """The 22 factors, then the decision by majority with its support plan."""
    await _open(page, "Vulnerability assessment")
    for name, (dimension, label) in FACTORS.items():
        rating = "high" if dimension == "engagement" else "low"
        await page.check(f"input[name='{name}-rating'][value='{rating}']")
        await page.fill(f"#{name}-notes", f"Rationale for {label.lower()}.")
    await continue_and_send(page, "Vulnerability assessment recorded")

    await _open(page, "Record the panel's decision")
    await page.check("input[name='meeting_id']")  # the case's one meeting
    await page.check("input[name='adopted'][value='yes']")
    await page.check("input[name='basis'][value='majority']")
    await page.fill("#votes_for", "2")
    await page.fill("#votes_against", "1")
    await page.fill("#reasons", "Vulnerable; support is proportionate.")
    await page.select_option("#interventions-1-type", "ideological_mentoring")
    await page.select_option("#interventions-1-provider_id", "provider-02")
    await page.select_option("#interventions-1-frequency", "weekly")
    await page.fill("#interventions-1-start-day", str(MEETING.day))
    await page.fill("#interventions-1-start-month", str(MEETING.month))
    await page.fill("#interventions-1-start-year", str(MEETING.year))
    await page.click("main form button:text('Continue')")
    await expect(page.locator("main")).to_contain_text("member-05: Taught the young person")
    await assert_accessible(page)
    await page.click("button:text('Send')")
    await expect(page.locator(".govuk-panel")).to_contain_text("Panel decision recorded")
    await page.click("a:text('Go back to the case')")


async def _review(
    page: Page, decision: str, notes: str, done: str, exit_reason: str | None = None
) -> None:
    await _open(page, "Monthly support review")
    await page.check(f"input[name='decision'][value='{decision}']")
    if exit_reason is not None:
        await page.check(f"input[name='exit_reason'][value='{exit_reason}']")
    await page.fill("#notes", notes)
    await continue_and_send(page, done)


async def _post_exit(page: Page, months: str, notes: str, done: str) -> None:
    await _open(page, "Post-exit review")
    # Only the reviews whose window has opened are offered.
    await expect(page.locator("input[name='months']")).to_have_count(1)
    await page.check(f"input[name='months'][value='{months}']")
    await page.check("input[name='concerns'][value='no']")
    await page.fill("#notes", notes)
    await continue_and_send(page, done)


async def test_a_chair_takes_a_case_from_consent_to_closure_in_the_browser(
    page: Page, browser: Browser, mailed_site: Site, temporal_env: WorkflowEnvironment
) -> None:
    site = mailed_site
    reference = await _referred(site)
    link = await _ask_consent(page, site, reference)
    await _guardian_consents(browser, link, reference)
    await assert_eventually(
        lambda: site.decisions(reference),
        lambda found: any(d.action == "record_consent" for d in found),
        within=30,
    )

    await _panel_and_meeting(page, reference)
    await _approved_provider(site, "provider-02")
    # The meeting was booked a fortnight ahead: no decision can come from it yet, and the form
    # says so, linking the meeting, instead of offering a choice the API would refuse.
    await _open(page, "Record the panel's decision")
    await expect(page.locator("main")).to_contain_text("has taken place yet")
    await expect(page.locator("main a[href^='/meetings/']")).to_contain_text("not held yet")
    await expect(page.locator("main form")).to_have_count(0)
    await page.click("main a:text('Go back to the case')")
    # Once it has been held (attendance was recorded), its decision is recorded.
    await site.pool.execute("UPDATE panel.meetings SET scheduled_for = now() - interval '1 hour'")
    await expect(page.locator("main")).to_contain_text("Portal, answered by the parent or guardian")
    await _assess_and_decide(page)
    await expect(page.locator("main")).to_contain_text("Revision 1 (current)")
    await assert_accessible(page)

    for notes in ("Engaging well with mentoring.", "Attending every week."):
        await _fast_forward(site, temporal_env, reference, 31)
        await _reload_until(page, "Support review due")
        await _review(page, "continue", notes, "Support review recorded")
    await _review(
        page, "exit", "Reviewed at the panel.", "Support review recorded", "vulnerability_lessened"
    )
    await expect(page.locator("main")).to_contain_text("Vulnerability significantly lessened")
    # Straight after exit no review can be recorded: the form says when each can be.
    await page.goto(f"{site.url}/chair/cases/{reference}/post-exit-review")
    await expect(page.locator("main")).to_contain_text("No post-exit review can be recorded yet")
    await expect(page.locator("main")).to_contain_text("The 6-month review is due on")
    await assert_accessible(page)
    await page.click("main a:text('Go back to the case')")

    # The chair's start page puts the post-exit review first once it falls due.
    await _fast_forward(site, temporal_env, reference, 186)
    await _reload_until(page, "6-month post-exit review")
    await page.goto(f"{site.url}/chair")
    await expect(page.locator("main table tbody tr").first).to_contain_text(reference)
    await expect(page.locator("main table")).to_contain_text("6-month post-exit review")
    await assert_accessible(page)
    await page.click(f"main a[href='/chair/cases/{reference}']")
    await _post_exit(page, "6", "Settled at college.", "Post-exit review recorded")
    await page.goto(f"{site.url}/chair/cases/{reference}/post-exit-review")
    await expect(page.locator("main")).to_contain_text("The 12-month review is due on")
    await page.click("main a:text('Go back to the case')")
    await _fast_forward(site, temporal_env, reference, 186)
    # The 12-month review is offered once its window before the due date has opened.
    await _reload_until_task(page, "Post-exit review")
    await _post_exit(page, "12", "No concerns.", "Post-exit review recorded")

    await _reload_until(page, "Support completed")
    await expect(page.locator("main")).not_to_contain_text("What you can do")
    await assert_accessible(page)
    actors = [d.actor_id for d in await site.decisions(reference)]
    assert actors.count("chair-03") == 7 and actors.count(f"consent:{reference}") == 1
