"""Screenshots of everyone's pages for the documentation (docs/staff.md), from a running `make run`.

    .venv/bin/python -m docs.screenshots.make

It registers a partner and submits referrals through intake as a partner system would, then
signs in through Keycloak's login page as the development users: the officer (officer-17)
takes a task and refers a case to Channel; the chair (chair-03), the guardian (through the
link in the consent email), the provider (provider-02) and the auditor (auditor-01) each do
their part (see `channel.py`). Debian's Chromium photographs each page. Everything goes to
the local system on its default ports; nothing is faked.
"""

from __future__ import annotations

import asyncio
import copy
import datetime as dt
import shutil
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import httpx
from playwright.async_api import Page, async_playwright

from docs.screenshots import channel
from services.intake.openapi import SCHOOL_REFERRAL

SITE = "http://127.0.0.1:8000"
INTAKE = "http://127.0.0.1:8001"
OUT = Path(__file__).resolve().parent
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
TODAY = dt.datetime.now(dt.UTC).date()
# Fifteen: the consent is a parent's or guardian's.
CHANNEL_CHILD = ("Kai", "Morgan", TODAY.replace(year=TODAY.year - 16) + dt.timedelta(days=200))
PEOPLE = [
    ("Sam", "Whitfield", "2010-03-14"),
    ("Ava", "Patel", "2008-11-02"),
    ("Noah", "Jones", "2011-06-21"),
    ("Leo", "Khan", "2004-01-30"),
]


def _register_partner() -> str:
    """A fresh partner API key from the CLI (as the quick start does)."""
    client_id = f"screenshots-{uuid.uuid4().hex[:6]}"
    safeguard = Path(sys.executable).with_name("safeguard")
    out = subprocess.run(  # noqa: S603 - fixed argv
        [str(safeguard), "agencies", "register", client_id, "--name", "Riverside Academy"],
        check=True,
        capture_output=True,
        text=True,
    )
    return out.stdout.strip().splitlines()[-1]


async def _refer(
    http: httpx.AsyncClient, key: str, person: tuple[str, str, str], area: str | None
) -> str:
    form: dict[str, Any] = copy.deepcopy(SCHOOL_REFERRAL)
    form["person"] |= {
        "given_names": person[0],
        "family_name": person[1],
        "date_of_birth": person[2],
    }
    form["household_members"][0]["email"] = channel.GUARDIAN
    form.pop("area", None)
    if area:
        form["area"] = area
    answer = await http.post(
        f"{INTAKE}/v1/referrals",
        json=form,
        headers={"authorization": f"Bearer {key}", "idempotency-key": str(uuid.uuid4())},
    )
    answer.raise_for_status()
    reference: str = answer.json()["reference"]
    return reference


async def _wait_listed(page: Page, reference: str) -> None:
    for _ in range(60):
        await page.goto(f"{SITE}/tasks")
        if await page.locator(f"a:text('{reference}')").count():
            return
        await asyncio.sleep(0.5)
    raise SystemExit(f"{reference} never reached the inbox: is `make run` running?")


async def main() -> None:
    """Make every docs/screenshots/*.png."""
    key = _register_partner()
    child = (*CHANNEL_CHILD[:2], CHANNEL_CHILD[2].isoformat())
    async with httpx.AsyncClient(timeout=30) as http:
        references = [await _refer(http, key, p, "E08000003") for p in PEOPLE[:3]]
        await _refer(http, key, PEOPLE[3], None)  # one for triage
        for_channel = await _refer(http, key, child, "E08000003")
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=shutil.which("chromium"), args=CHROMIUM_ARGS
        )
        officer = await channel.signed_in(browser, "officer-17")
        await _officer(officer, references)
        await channel.refer_to_channel(officer, for_channel)
        chair = await channel.signed_in(browser, "chair-03")
        link = await channel.ask_consent(chair, for_channel)
        await channel.guardian_answers(browser, link, for_channel, CHANNEL_CHILD[2])
        await channel.run_meeting(chair, for_channel)
        await channel.decide(chair, for_channel)
        await channel.provider_and_auditor(browser, for_channel)
        await browser.close()
    print(f"wrote the screenshots in {OUT}")  # noqa: T201


async def _officer(page: Page, references: list[str]) -> None:
    """The officer's inbox (a task taken) and a case page."""
    for reference in references:
        await _wait_listed(page, reference)
    await page.click(f"button[aria-label='Take task for {references[0]}']")
    await page.screenshot(path=OUT / "inbox.png", full_page=True)
    await page.click(f"a:text('{references[0]}')")
    await page.screenshot(
        path=OUT / "case.png", clip={"x": 0, "y": 0, "width": 1200, "height": 1500}
    )


if __name__ == "__main__":
    asyncio.run(main())
