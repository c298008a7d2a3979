"""The Channel journeys for the documentation's screenshots, on a running `make run`.

The officer refers a case to Channel; the chair asks the guardian by email; the guardian
answers through the link in the mail the development SMTP sink kept; the chair runs the
meeting and records the assessment and the decision; the provider sees its plan item; the
auditor reads the timeline and who read the case. Every step is a real page.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import mailbox
import re
from pathlib import Path

from playwright.async_api import Browser, Page, ViewportSize

from safeguard.settings import get_settings
from services.panel.factors import FACTORS

SITE = "http://127.0.0.1:8000"
OUT = Path(__file__).resolve().parent
VIEWPORT = ViewportSize(width=1200, height=900)
GUARDIAN = "guardian@home.example"
MEETING = dt.datetime.now(dt.UTC).date() + dt.timedelta(days=14)


async def shoot(page: Page, name: str) -> None:
    """The page as it is now, whole, into docs/screenshots."""
    await page.screenshot(path=OUT / f"{name}.png", full_page=True)


async def signed_in(browser: Browser, username: str, path: str = "/") -> Page:
    """A fresh browser profile signed in as a development user."""
    page = await (await browser.new_context(viewport=VIEWPORT)).new_page()
    await page.goto(f"{SITE}{path}")
    await page.fill("#username", username)
    await page.fill("#password", "dev-password")
    await page.click("#kc-login")
    await page.wait_for_url(f"{SITE}/**")
    return page


async def _check_and_send(page: Page) -> None:
    await page.click("main form button:text('Continue')")
    await page.click("button:text('Send')")
    await page.wait_for_selector(".govuk-panel")


async def refer_to_channel(officer: Page, reference: str) -> None:
    """The officer takes the task and refers the case to Channel."""
    for _ in range(60):
        await officer.goto(f"{SITE}/tasks")
        take = officer.locator(f"button[aria-label='Take task for {reference}']")
        if await take.count():
            await take.click()
            break
        await asyncio.sleep(0.5)
    await officer.goto(f"{SITE}/tasks")
    await officer.click(f"main a:text('{reference}')")
    await officer.click("a:text('Gateway assessment')")
    await officer.check("input[name='deconfliction'][value='no_live_interest']")
    await officer.fill("#database_checks", "PNC and local intelligence checked; nothing held.")
    await officer.check("input[name='outcome'][value='REFERRED_TO_CHANNEL']")
    await officer.fill("#reasons", "Vulnerable to radicalisation; Channel support is needed.")
    await _check_and_send(officer)


async def ask_consent(chair: Page, reference: str) -> str:
    """The chair asks the guardian by email: the link from the mail the sink kept."""
    await _wait_for_case(chair, reference)
    await chair.click("main a:text('Ask for consent')")
    await chair.check("input[name='route'][value='guardian']")
    await chair.check("input[name='method'][value='email']")
    await _check_and_send(chair)
    return await _consent_link(reference)


async def _wait_for_case(chair: Page, reference: str) -> None:
    for _ in range(60):
        await chair.goto(f"{SITE}/chair/cases/{reference}")
        if await chair.locator("main a:text('Ask for consent')").count():
            return
        await asyncio.sleep(0.5)
    raise SystemExit(f"{reference} never reached the panel")


async def _consent_link(reference: str) -> str:
    box = mailbox.Maildir(get_settings().data_dir / "mail", create=False)
    for _ in range(120):
        for message in box:
            if reference in str(message["Subject"]) and message["To"] == GUARDIAN:
                body = message.get_payload(decode=True)
                text = body.decode() if isinstance(body, bytes) else str(message.get_payload())
                found = re.search(rf"{re.escape(SITE)}/consent/[A-Za-z0-9_-]+", text)
                if found:
                    return found[0]
        await asyncio.sleep(0.5)
    raise SystemExit(f"no consent email for {reference} in the development mail sink")


async def guardian_answers(browser: Browser, link: str, reference: str, born: dt.date) -> None:
    """The guardian's pages, in Welsh and English, up to their answer."""
    page = await (await browser.new_context(viewport=VIEWPORT)).new_page()
    await page.goto(f"{link}?lang=cy")
    await shoot(page, "consent-welsh")
    await page.click("a[hreflang='en']")
    await page.fill("#reference", reference)
    await page.fill("#date_of_birth-day", str(born.day))
    await page.fill("#date_of_birth-month", str(born.month))
    await page.fill("#date_of_birth-year", str(born.year))
    await page.click("button:text('Continue')")
    await page.check("input[name='answer'][value='given']")
    await shoot(page, "consent")
    await page.click("button:text('Send my answer')")
    await page.wait_for_selector(".govuk-panel")
    await page.context.close()


async def run_meeting(chair: Page, reference: str) -> None:
    """A panel, a meeting with the case on its agenda, attendance and a declared conflict."""
    await chair.goto(f"{SITE}/panels")
    await chair.fill("#name", "Riverside Channel panel")
    await chair.click("main button:text('Set up panel')")
    for subject, agency in [("chair-03", "local authority"), ("member-05", "education")]:
        await chair.fill("#subject", subject)
        await chair.fill("#agency", agency)
        await chair.click("main button:text('Add member')")
    await chair.click("main a:text('Schedule a meeting')")
    await chair.fill("#date-day", str(MEETING.day))
    await chair.fill("#date-month", str(MEETING.month))
    await chair.fill("#date-year", str(MEETING.year))
    await chair.fill("#time", "10:30")
    await chair.check(f"input[name='agenda'][value='{reference}']")
    await chair.click("main button:text('Schedule meeting')")
    await chair.click("main button:text('Publish the agenda')")
    for subject in ("chair-03", "member-05"):
        await chair.check(f"input[name='attended'][value='{subject}']")
    await chair.select_option("#conflict-1-attendee", "member-05")
    await chair.select_option("#conflict-1-reference", reference)
    await chair.fill("#conflict-1-description", "Taught the young person last year.")
    await chair.click("main button:text('Record attendance')")
    await shoot(chair, "meeting")


async def decide(chair: Page, reference: str) -> None:
    """The 22-factor assessment and the panel's decision with a plan for provider-02."""
    await chair.goto(f"{SITE}/chair/cases/{reference}/vulnerability-assessment")
    for name, (dimension, label) in FACTORS.items():
        rating = "medium" if dimension == "engagement" else "low"
        await chair.check(f"input[name='{name}-rating'][value='{rating}']")
        await chair.fill(f"#{name}-notes", f"Rationale for {label.lower()}.")
    await shoot(chair, "assessment")
    await _check_and_send(chair)
    await chair.goto(f"{SITE}/chair/cases/{reference}/decision")
    await chair.check("input[name='meeting_id']")
    await chair.check("input[name='adopted'][value='yes']")
    await chair.check("input[name='basis'][value='unanimous']")
    await chair.fill("#votes_for", "2")
    await chair.fill("#votes_against", "0")
    await chair.fill("#reasons", "Vulnerable; mentoring is proportionate.")
    await chair.select_option("#interventions-1-type", "ideological_mentoring")
    await chair.select_option("#interventions-1-provider_id", "provider-02")  # seeded
    await chair.select_option("#interventions-1-frequency", "weekly")
    await chair.fill("#interventions-1-start-day", str(MEETING.day))
    await chair.fill("#interventions-1-start-month", str(MEETING.month))
    await chair.fill("#interventions-1-start-year", str(MEETING.year))
    await _check_and_send(chair)
    await chair.goto(f"{SITE}/chair/cases/{reference}")
    await shoot(chair, "chair-case")
    await chair.goto(f"{SITE}/chair")
    await shoot(chair, "chair")


async def provider_and_auditor(browser: Browser, reference: str) -> None:
    """The provider's items (its own only), then the auditor's timeline and reads list."""
    provider = await signed_in(browser, "provider-02", "/provider/items")
    for _ in range(60):
        if await provider.locator(f"main a:has-text('{reference}')").count():
            break
        await asyncio.sleep(0.5)
        await provider.reload()
    await shoot(provider, "provider")
    auditor = await signed_in(browser, "auditor-01", "/audit")
    await auditor.fill("#reference", reference)
    await auditor.check("input[name='purpose'][value='other']")
    await auditor.fill("#other_reason", "Screenshots for the README")
    await auditor.click("button:text('Open case')")
    await shoot(auditor, "audit")
    await auditor.click("a:text('Who read this case')")
    await shoot(auditor, "audit-reads")
