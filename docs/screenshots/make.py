"""Screenshots of the officer's pages for the README, from a running `make run`.

    .venv/bin/python docs/screenshots/make.py

It registers a partner, submits referrals through intake as a partner system would, signs
in through Keycloak's login page as the development officer (officer-17), takes a task and
photographs the inbox and the case page with Debian's Chromium. Everything goes to the local
system on its default ports; nothing is faked.
"""

from __future__ import annotations

import asyncio
import copy
import shutil
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import httpx
from playwright.async_api import Page, async_playwright

from services.intake.openapi import SCHOOL_REFERRAL

SITE = "http://127.0.0.1:8000"
INTAKE = "http://127.0.0.1:8001"
OUT = Path(__file__).resolve().parent
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
PEOPLE = [
    ("Sam", "Whitfield", "2010-03-14"),
    ("Ava", "Patel", "2008-11-02"),
    ("Noah", "Jones", "2011-06-21"),
    ("Leo", "Khan", "2004-01-30"),
]


def _register_partner() -> str:
    """A fresh partner API key from the CLI (as the README's quick start does)."""
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


async def _sign_in(page: Page) -> None:
    await page.goto(f"{SITE}/")
    await page.fill("#username", "officer-17")
    await page.fill("#password", "dev-password")
    await page.click("#kc-login")
    await page.wait_for_url(f"{SITE}/**")


async def _wait_listed(page: Page, reference: str) -> None:
    for _ in range(60):
        await page.goto(f"{SITE}/tasks")
        if await page.locator(f"a:text('{reference}')").count():
            return
        await asyncio.sleep(0.5)
    raise SystemExit(f"{reference} never reached the inbox: is `make run` running?")


async def main() -> None:
    """Make docs/screenshots/inbox.png and case.png."""
    key = _register_partner()
    async with httpx.AsyncClient(timeout=30) as http:
        references = [await _refer(http, key, p, "E08000003") for p in PEOPLE[:3]]
        await _refer(http, key, PEOPLE[3], None)  # one for triage
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=shutil.which("chromium"), args=CHROMIUM_ARGS
        )
        page = await browser.new_page(viewport={"width": 1200, "height": 900})
        await _sign_in(page)
        for reference in references:
            await _wait_listed(page, reference)
        await page.click(f"button[aria-label='Take task for {references[0]}']")
        await page.screenshot(path=OUT / "inbox.png", full_page=True)
        await page.click(f"a:text('{references[0]}')")
        await page.screenshot(
            path=OUT / "case.png", clip={"x": 0, "y": 0, "width": 1200, "height": 1500}
        )
        await browser.close()
    print(f"wrote {OUT / 'inbox.png'} and {OUT / 'case.png'}")  # noqa: T201


if __name__ == "__main__":
    asyncio.run(main())
