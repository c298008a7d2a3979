"""The panel's people on a case's documents page: chairs, members and providers upload, list and
download through the panel API, which decides what each sees; auditors only read."""

from __future__ import annotations

import gc
import html
from urllib.parse import urlparse

import httpx
from playwright.async_api import BrowserContext, FilePayload, Page, expect

from safeguard.codes import Role
from services.web.sessions import COOKIE
from tests.attachments.files import eicar, executable, pdf
from tests.web.browser import assert_accessible, heading
from tests.web.conftest import Site
from tests.web.panel_cases import MEMBER, MEMBER_AGENCY, channel
from tests.web.staff import Visitor, visitor

AREA = "E08000003"
MINE, THEIRS = "provider-02", "provider-07"
AUDIT = "purpose=scheduled-audit"


async def _upload(
    person: Visitor, path: str, content: bytes, name: str, title: str
) -> httpx.Response:
    return await person.http.post(
        path,
        data={"csrf_token": person.csrf, "document_type": "minutes", "title": title},
        files={"file": (name, content, "application/pdf")},
    )


def _hrefs(page: str, base: str) -> list[str]:
    """The documents' download links on a listing page."""
    return [html.unescape(p.split('"')[0]) for p in page.split(f'href="{base}/')[1:]]


async def test_panel_roles_upload_list_and_download_within_what_they_see(pages: Site) -> None:
    panel = await channel(pages)
    d = panel.driver
    reference = await panel.in_panel()
    await d.adopt(reference, await d.meeting(reference), MINE)
    await d.wait_for_stage(reference, "SUPPORT_ACTIVE")
    chair = await visitor(pages, "chair-03", Role.CHANNEL_CHAIR, (AREA,))
    provider = await visitor(pages, MINE, Role.INTERVENTION_PROVIDER, provider_id=MINE)
    other = await visitor(pages, THEIRS, Role.INTERVENTION_PROVIDER, provider_id=THEIRS)
    member = await visitor(pages, MEMBER, Role.PANEL_MEMBER, agency=MEMBER_AGENCY)
    auditor = await visitor(pages, "auditor-01", Role.AUDITOR)
    officer = await visitor(pages, "officer-17", Role.PREVENT_OFFICER, (AREA,))
    people = (chair, provider, other, member, auditor, officer)
    try:
        # The chair: from the case page, an upload, the listing, the download.
        chair_base = f"/chair/cases/{reference}/documents"
        case = await chair.get(f"/chair/cases/{reference}")
        assert f'href="{chair_base}"' in case.text
        sent = await _upload(chair, chair_base, pdf(), "minutes.pdf", "Panel minutes, March")
        assert sent.status_code == 303, sent.text
        assert sent.headers["location"] == chair_base
        listing = await chair.get(chair_base)
        assert "Document added: Panel minutes, March" in listing.text
        assert "minutes.pdf" in listing.text
        assert f'<a href="/chair/cases/{reference}" class="govuk-back-link' in listing.text
        [chairs] = _hrefs(listing.text, chair_base)
        got = await chair.get(f"{chair_base}/{chairs}")
        assert got.status_code == 200 and got.content == pdf()
        assert got.headers["content-disposition"].startswith("attachment;")
        assert got.headers["x-content-type-options"] == "nosniff"

        # The provider: only what it attached itself, as the panel API answers.
        provider_base = f"/provider/cases/{reference}/documents"
        items = await provider.get("/provider/items")
        item = items.text.split('href="/provider/items/')[1].split('"')[0]
        assert f'href="{provider_base}"' in (await provider.get(f"/provider/items/{item}")).text
        empty = await provider.get(provider_base)
        assert empty.status_code == 200
        assert "No documents have been added to this case." in empty.text
        assert "Panel minutes, March" not in empty.text
        assert '<a href="/provider/items" class="govuk-back-link' in empty.text
        sent = await _upload(provider, provider_base, pdf(), "report.pdf", "Mentor's report")
        assert sent.status_code == 303, sent.text
        mine = await provider.get(provider_base)
        assert "Mentor&#39;s report" in mine.text and "Panel minutes, March" not in mine.text
        [reports] = _hrefs(mine.text, provider_base)
        assert (await provider.get(f"{provider_base}/{reports}")).content == pdf()
        assert (await provider.get(f"{provider_base}/{chairs}")).status_code == 404

        # A member of the case's panel sees both; an auditor reads both, with no form.
        member_base = f"/member/cases/{reference}/documents"
        assert f'href="{member_base}"' in (await member.get(f"/member/cases/{reference}")).text
        both = await member.get(member_base)
        assert len(_hrefs(both.text, member_base)) == 2
        audit_base = f"/audit/cases/{reference}/documents"
        timeline = await auditor.get(f"/audit/cases/{reference}?{AUDIT}")
        assert f'href="{audit_base}?{AUDIT}"' in timeline.text
        read = await auditor.get(f"{audit_base}?{AUDIT}")
        assert read.status_code == 200 and len(_hrefs(read.text, audit_base)) == 2
        assert "Add a document" not in read.text
        assert (await auditor.get(audit_base)).status_code == 303  # no purpose: asked first

        # Refused: a provider with no item in the plan (no such case for it), an officer (a role
        # the panel's documents are not for).
        unseen = await other.get(provider_base)
        assert unseen.status_code == 404 and "Case not found" in unseen.text
        refused = await officer.get(chair_base)
        assert refused.status_code == 403 and "You cannot do this" in refused.text
        tried = await _upload(officer, chair_base, pdf(), "x.pdf", "Not allowed")
        assert tried.status_code == 403
    finally:
        for person in people:
            await person.http.aclose()
    chair_view = await d.ok("GET", f"/v1/cases/{reference}/attachments", headers=d.staff.chair())
    assert sorted(a["title"] for a in chair_view) == ["Mentor's report", "Panel minutes, March"]


async def test_a_refused_file_shows_the_error_summary(pages: Site) -> None:
    panel = await channel(pages)
    reference = await panel.in_panel()
    chair = await visitor(pages, "chair-03", Role.CHANNEL_CHAIR, (AREA,))
    base = f"/chair/cases/{reference}/documents"
    try:
        infected = await _upload(chair, base, eicar(), "notes.txt", "Notes")
        assert infected.status_code == 400
        assert "govuk-error-summary" in infected.text
        assert 'href="#file">The selected file contains a virus' in infected.text
        wrong = await _upload(chair, base, executable(), "minutes.pdf", "Minutes")
        assert wrong.status_code == 400
        assert "The selected file must be a PDF, image, text, Word" in wrong.text
        large = await _upload(chair, base, pdf(b"x" * (2 * 1024 * 1024)), "big.pdf", "Big")
        assert large.status_code == 400
        assert "The selected file must be smaller" in large.text
        forged = await chair.http.post(
            base, data={"title": "Forged"}, files={"file": ("f.pdf", pdf(), "application/pdf")}
        )
        assert forged.status_code == 403 and "Your form was not sent" in forged.text
        gc.collect()  # a refused form's file left open would warn now, and fail this test
        assert "No documents have been added to this case." in (await chair.get(base)).text
    finally:
        await chair.http.aclose()


async def test_the_panel_documents_page_passes_axe(
    pages: Site, context: BrowserContext, page: Page
) -> None:
    panel = await channel(pages)
    reference = await panel.in_panel()
    chair = await visitor(pages, "chair-03", Role.CHANNEL_CHAIR, (AREA,))
    await chair.http.aclose()
    host = urlparse(pages.url).hostname or "127.0.0.1"
    await context.add_cookies(
        [{"name": COOKIE, "value": chair.session_id, "domain": host, "path": "/"}]
    )
    await page.goto(f"{pages.url}/chair/cases/{reference}")
    await page.get_by_role("link", name="Documents on this case").click()
    await heading(page, "Documents")
    await assert_accessible(page)
    await page.locator("main form button").first.click()
    await expect(page.locator(".govuk-error-summary")).to_contain_text("Select a file")
    await assert_accessible(page)
    chosen: FilePayload = {"name": "m.pdf", "mimeType": "application/pdf", "buffer": pdf()}
    await page.set_input_files("#file", files=[chosen])
    await page.select_option("#document_type", "minutes")
    await page.fill("#title", "Panel minutes")
    await page.locator("main form button").first.click()
    await expect(page.locator("main table")).to_contain_text("Panel minutes")
    await assert_accessible(page)
