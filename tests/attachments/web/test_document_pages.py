"""An officer's documents page: the GOV.UK file upload, the list, downloads and refusals."""

from __future__ import annotations

import html
from collections.abc import AsyncIterator
from urllib.parse import urlparse

import httpx
import pytest
from playwright.async_api import BrowserContext, FilePayload, Page, expect

from safeguard.codes import Role
from services.web.sessions import COOKIE
from tests.attachments.files import eicar, pdf
from tests.helpers import assert_eventually
from tests.web.browser import assert_accessible, heading
from tests.web.conftest import Site
from tests.web.staff import Visitor, visitor

AREA = "E08000003"
QUERY = "purpose=gateway-assessment"


@pytest.fixture
async def officer(pages: Site) -> AsyncIterator[Visitor]:
    """Officer 17 of the area, signed in."""
    person = await visitor(pages, "officer-17", Role.PREVENT_OFFICER, (AREA,))
    yield person
    await person.http.aclose()


async def _case(pages: Site, officer: Visitor) -> str:
    """A referral whose case the officer's pages can already open."""
    reference = await pages.refer()

    async def opens() -> int:
        return (await officer.get(f"/cases/{reference}?{QUERY}")).status_code

    await assert_eventually(opens, lambda status: status == 200, within=60)
    return reference


async def _upload(
    officer: Visitor, reference: str, content: bytes, name: str, title: str
) -> httpx.Response:
    return await officer.http.post(
        f"/cases/{reference}/documents?{QUERY}",
        data={"csrf_token": officer.csrf, "document_type": "chronology", "title": title},
        files={"file": (name, content, "application/pdf")},
    )


async def test_an_officer_adds_lists_and_downloads_a_document(
    pages: Site, officer: Visitor
) -> None:
    reference = await _case(pages, officer)
    case = await officer.get(f"/cases/{reference}?{QUERY}")
    assert f'href="/cases/{reference}/documents?{QUERY}"' in case.text

    sent = await _upload(officer, reference, pdf(), "chronology.pdf", "School chronology")
    assert sent.status_code == 303, sent.text
    listing = await officer.get(sent.headers["location"])
    assert "Document added: School chronology" in listing.text
    assert "School chronology" in listing.text and "chronology.pdf" in listing.text

    href = listing.text.split(f'href="/cases/{reference}/documents/')[1].split('"')[0]
    got = await officer.get(f"/cases/{reference}/documents/{html.unescape(href)}")
    assert got.status_code == 200 and got.content == pdf()
    assert got.headers["content-disposition"].startswith("attachment;")
    assert got.headers["x-content-type-options"] == "nosniff"


async def test_refusals_show_on_the_file_field(pages: Site, officer: Visitor) -> None:
    reference = await _case(pages, officer)
    infected = await _upload(officer, reference, eicar(), "notes.txt", "Notes")
    assert infected.status_code == 400
    assert "The selected file contains a virus" in infected.text
    assert 'href="#file"' in infected.text  # the summary links to the file field
    empty = await officer.post(f"/cases/{reference}/documents?{QUERY}", {"title": ""})
    assert empty.status_code == 400
    for message in ("Select a file", "Select the type of document", "Enter a title"):
        assert message in empty.text
    forged = await officer.post(f"/cases/{reference}/documents?{QUERY}", {}, csrf=False)
    assert forged.status_code in (400, 403)
    listing = await officer.get(f"/cases/{reference}/documents?{QUERY}")
    assert "No documents have been added to this case." in listing.text


async def test_the_documents_page_passes_axe(
    pages: Site, officer: Visitor, context: BrowserContext, page: Page
) -> None:
    reference = await _case(pages, officer)
    host = urlparse(pages.url).hostname or "127.0.0.1"
    await context.add_cookies(
        [{"name": COOKIE, "value": officer.session_id, "domain": host, "path": "/"}]
    )
    url = f"{pages.url}/cases/{reference}/documents?{QUERY}"
    await page.goto(url)
    await heading(page, "Documents")
    await assert_accessible(page)
    await page.locator("main form button").first.click()
    await expect(page.locator(".govuk-error-summary")).to_contain_text("Select a file")
    await assert_accessible(page)
    chosen: FilePayload = {"name": "c.pdf", "mimeType": "application/pdf", "buffer": pdf()}
    await page.set_input_files("#file", files=[chosen])
    await page.select_option("#document_type", "minutes")
    await page.fill("#title", "Strategy meeting minutes")
    await page.locator("main form button").first.click()
    await expect(page.locator("main table")).to_contain_text("Strategy meeting minutes")
    await assert_accessible(page)
