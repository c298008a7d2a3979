"""The public consent pages over the real panel API, as a parent with the link from a letter.

Cases reach the consent stage through the APIs (a 15-year-old's, so the guardian answers), the
chair asks for consent, the internal API issues the link, and an anonymous client (cookies kept,
CSRF token read from each form) uses the pages as a browser would.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from safeguard.auth.service_identity import ServiceClient
from tests.helpers import assert_eventually
from tests.panel.driver import new_key, referral_form
from tests.service_auth import service_headers
from tests.web.conftest import Site
from tests.web.panel_cases import GATEWAY, Channel, channel

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def fifteen_years_old() -> dt.date:
    """A date of birth making the person 15 today (so a parent or guardian answers)."""
    today = dt.datetime.now(dt.UTC).date()
    return dt.date(today.year - 16, today.month, 1) + dt.timedelta(days=200)


@dataclass
class ConsentCase:
    """A case awaiting the guardian's answer, and the link the letter carries."""

    reference: str
    referral_id: str
    born: dt.date
    token: str

    @property
    def path(self) -> str:
        """The link's page on the site."""
        return f"/consent/{self.token}"

    def details(self, born: dt.date | None = None) -> dict[str, str]:
        """The first page's answers (the right date of birth unless told)."""
        day = born or self.born
        return {
            "reference": self.reference,
            "date_of_birth-day": str(day.day),
            "date_of_birth-month": str(day.month),
            "date_of_birth-year": str(day.year),
        }


async def consent_case(site: Site, chair: Channel) -> ConsentCase:
    """A 15-year-old's referral sent to Channel, consent asked of the guardian, a link issued."""
    born = fifteen_years_old()
    form: dict[str, Any] = referral_form()
    form["person"]["date_of_birth"] = born.isoformat()
    answer = await site.http.post(
        f"{site.intake}/v1/referrals",
        json=form,
        headers=site.partners["E08000003"] | {"Idempotency-Key": new_key()},
    )
    assert answer.status_code == 201, answer.text
    reference: str = answer.json()["reference"]
    d = chair.driver

    async def send() -> httpx.Response:
        return await site.http.post(
            f"{site.assessment}/v1/cases/{reference}/gateway-assessment",
            json=GATEWAY,
            headers=d.staff.officer(),
        )

    await assert_eventually(send, lambda sent: sent.status_code == 200, within=30)
    view = await d.wait_for_stage(reference, "CONSENT_PENDING")
    await d.request_consent(reference)
    referral_id = str(view["case"]["referral_id"])
    return ConsentCase(reference, referral_id, born, await issue_link(site, referral_id))


async def issue_link(site: Site, referral_id: str) -> str:
    """A new link for the case, from the internal API (as the notifications service asks)."""
    answer = await site.http.post(
        f"{site.panel}/internal/v1/consent-links",
        json={"referral_id": referral_id},
        headers=service_headers(site.settings, ServiceClient.NOTIFICATIONS),
    )
    assert answer.status_code == 201, answer.text
    link: str = answer.json()["token"]
    return link


class Person:
    """An anonymous visitor: cookies kept, each form's CSRF token read from the page."""

    def __init__(self, site: Site) -> None:
        self.http = httpx.AsyncClient(base_url=site.url, timeout=30)
        self.csrf = ""

    async def get(self, path: str) -> httpx.Response:
        page = await self.http.get(path)
        found = CSRF.search(page.text)
        if found:
            self.csrf = found.group(1)
        return page

    async def post(self, path: str, form: dict[str, str]) -> httpx.Response:
        if not self.csrf:
            await self.get(path)
        return await self.http.post(path, data=form | {"csrf_token": self.csrf})

    async def follow(self, answer: httpx.Response) -> httpx.Response:
        """The page a 303 leads to."""
        assert answer.status_code == 303, answer.text
        return await self.get(answer.headers["location"])

    async def verified(self, case: ConsentCase) -> httpx.Response:
        """Through the first page with the right details: the page it leads to."""
        await self.get(case.path)
        return await self.follow(await self.post(case.path, case.details()))


@pytest.fixture
async def person(pages: Site) -> AsyncIterator[Person]:
    visitor = Person(pages)
    yield visitor
    await visitor.http.aclose()


def heading(page: httpx.Response) -> str:
    found = re.search(r"<h1[^>]*>\s*(.*?)\s*</h1>", page.text, re.S)
    assert found, page.text
    return found.group(1)


def error_summary(page: httpx.Response) -> str:
    found = re.search(r'<div class="govuk-error-summary".*?</ul>', page.text, re.S)
    assert found, page.text
    return found.group(0)


async def chair_view(chair: Channel, reference: str) -> dict[str, Any]:
    view = await chair.driver.case(reference)
    assert view is not None
    return view


async def test_the_first_page_is_public_in_english_and_welsh(pages: Site, person: Person) -> None:
    page = await person.get("/consent/any-link")
    assert page.status_code == 200
    assert '<html lang="en"' in page.text
    assert heading(page) == "Confirm who you are"
    assert "young person’s date of birth" in page.text
    assert "Sign out" not in page.text and "Sign in" not in page.text
    assert 'href="/consent/any-link?lang=cy"' in page.text
    assert person.csrf, "the form carries a CSRF token"

    welsh = await person.get("/consent/any-link?lang=cy")
    assert '<html lang="cy"' in welsh.text
    assert heading(welsh) == "Cadarnhewch pwy ydych chi"
    for text in ("Cyfeirnod yr achos", "Dyddiad geni", "Diwrnod", "Mis", "Blwyddyn", "Parhau"):
        assert text in welsh.text, text
    # The choice is kept in the session: the next page without ?lang= is Welsh too.
    again = await person.get("/consent/any-link")
    assert '<html lang="cy"' in again.text
    refused = await person.post("/consent/any-link", {})
    assert refused.status_code == 400
    summary = error_summary(refused)
    assert "Mae problem wedi codi" in summary
    assert "Rhowch gyfeirnod yr achos" in summary and "Rhowch y dyddiad geni" in summary
    assert "<title>Gwall: " in refused.text
    # Staff pages never follow the choice: the same session's "not found" page is English.
    staff = await person.get("/no-such-page")
    assert staff.status_code == 404
    assert '<html lang="en"' in staff.text and "Page not found" in staff.text
    english = await person.get("/consent/any-link?lang=en")
    assert '<html lang="en"' in english.text


async def test_forms_need_the_sessions_csrf_token(pages: Site, person: Person) -> None:
    await person.get("/consent/any-link")
    answer = await person.http.post(
        "/consent/any-link", data={"reference": "PRV-2026-000001", "csrf_token": "forged"}
    )
    assert answer.status_code == 403
    assert heading(answer) == "Your answer was not sent"


async def test_the_first_page_checks_what_was_typed(pages: Site, person: Person) -> None:
    answer = await person.post(
        "/consent/any-link",
        {
            "reference": "not a reference",
            "date_of_birth-day": "31",
            "date_of_birth-month": "2",
            "date_of_birth-year": "2011",
        },
    )
    assert answer.status_code == 400
    summary = error_summary(answer)
    assert "as it appears in your letter" in summary
    assert "Date of birth must be a real date" in summary
    assert 'value="not a reference"' in answer.text and 'value="31"' in answer.text
    missing = await person.post(
        "/consent/any-link", {"reference": "PRV-2026-000001", "date_of_birth-day": "2"}
    )
    assert "Date of birth must include a month and year" in error_summary(missing)
    assert 'href="#date_of_birth-month"' in missing.text


async def test_guardian_gives_consent_and_the_link_cannot_answer_twice(
    pages: Site, person: Person
) -> None:
    chair = await channel(pages)
    case = await consent_case(pages, chair)
    await person.get(case.path)

    wrong = await person.post(case.path, case.details(case.born - dt.timedelta(days=1)))
    assert wrong.status_code == 422
    summary = error_summary(wrong)
    assert "does not match our records" in summary
    assert "You can try 4 more times before the link is locked" in summary
    assert f'value="{case.reference}"' in wrong.text  # what they typed is kept

    # A second tab checks the details too, before the first one answers.
    other_tab = Person(pages)
    try:
        assert "your child getting Channel support?" in (await other_tab.verified(case)).text

        question = await person.follow(await person.post(case.path, case.details()))
        assert str(question.url).endswith(f"{case.path}/answer")
        assert heading(question) == "Channel support"
        text = question.text
        assert "Do you agree to your child getting Channel support?" in text
        for promise in ("voluntary", "confidential", "criminal record", "at any time"):
            assert promise in text, promise
        assert case.reference in text and case.born.isoformat() not in str(question.url)

        unanswered = await person.post(f"{case.path}/answer", {})
        assert unanswered.status_code == 400
        assert "Select yes if you agree to your child getting" in error_summary(unanswered)

        done = await person.follow(await person.post(f"{case.path}/answer", {"answer": "given"}))
        assert "Your answer has been sent" in done.text
        assert case.reference not in done.text

        view = await chair.driver.wait_for_stage(case.reference, "PANEL_CONSIDERATION")
        given = [r for r in view["consent"] if r["event"] == "given"]
        assert given and given[-1]["route"] == "guardian", view["consent"]

        again = await other_tab.post(f"{case.path}/answer", {"answer": "refused"})
        assert again.status_code == 409
        assert heading(again) == "This link has already been used"
        assert "contact the Channel panel" in again.text
    finally:
        await other_tab.http.aclose()
    stage = (await chair_view(chair, case.reference))["case"]["stage"]
    assert stage == "PANEL_CONSIDERATION"


async def test_a_guardian_refuses(pages: Site, person: Person) -> None:
    chair = await channel(pages)
    case = await consent_case(pages, chair)
    question = await person.verified(case)
    assert "No, I do not agree to my child getting Channel support" in question.text
    done = await person.follow(await person.post(f"{case.path}/answer", {"answer": "refused"}))
    assert "Your answer has been sent" in done.text
    view = await chair.driver.wait_for_stage(case.reference, "CONSENT_REFUSED")
    assert [r["event"] for r in view["consent"]][-1] == "refused"


async def test_a_guardian_withdraws_consent_given_earlier(pages: Site, person: Person) -> None:
    chair = await channel(pages)
    case = await consent_case(pages, chair)
    await person.verified(case)
    await person.follow(await person.post(f"{case.path}/answer", {"answer": "given"}))
    await chair.driver.wait_for_stage(case.reference, "PANEL_CONSIDERATION")

    later = Person(pages)
    try:
        offer = await later.verified(case)
        assert str(offer.url).endswith(f"{case.path}/withdraw")
        assert heading(offer) == "You have agreed to your child getting Channel support"
        confirm = await later.get(f"{case.path}/withdraw/confirm")
        assert heading(confirm) == "Are you sure you want to withdraw consent?"
        done = await later.follow(await later.post(f"{case.path}/withdraw/confirm", {}))
        assert "Your withdrawal has been sent" in done.text
    finally:
        await later.http.aclose()

    async def withdrawn() -> list[str]:
        return [r["event"] for r in (await chair_view(chair, case.reference))["consent"]]

    await assert_eventually(withdrawn, lambda events: "withdrawn" in events, within=30)


async def test_locked_expired_and_unknown_links(pages: Site, person: Person) -> None:
    chair = await channel(pages)
    locked, expired = await consent_case(pages, chair), await consent_case(pages, chair)

    wrong = locked.details(locked.born - dt.timedelta(days=3))
    last = None
    for _ in range(5):
        last = await person.post(locked.path, wrong)
    assert last is not None
    assert last.status_code == 423, last.text
    assert heading(last) == "This link has been locked"
    right = await person.post(locked.path, locked.details())
    assert right.status_code == 423
    assert "send you a new link" in right.text

    await pages.pool.execute(
        "UPDATE panel.consent_links SET expires_at = now() - interval '1 minute'"
        " WHERE referral_id = $1",
        expired.referral_id,
    )
    late = await person.post(expired.path, expired.details())
    assert late.status_code == 410
    assert heading(late) == "This link has expired"

    unknown = await person.post("/consent/no-such-link", expired.details())
    assert unknown.status_code == 404
    assert heading(unknown) == "This link is not valid"
    # No page here gave away the case: the reference only ever appears as typed.
    assert "Sam" not in unknown.text and "Whitfield" not in unknown.text
