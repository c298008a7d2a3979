"""The statistics pages in Chromium: the charts and their tables render, the filters work
without JavaScript, and every page passes axe-core (WCAG 2.2 AA)."""

from __future__ import annotations

from playwright.async_api import BrowserContext, Page, expect

from safeguard.codes import Role
from services.web.sessions import COOKIE
from tests.web.browser import assert_accessible, heading
from tests.web.conftest import Site
from tests.web.staff import visitor
from tests.web.statistics_facts import put_facts


async def test_the_charts_and_tables_render_and_pass_axe(
    pages: Site, context: BrowserContext, page: Page
) -> None:
    await put_facts(pages.pool)
    chair = await visitor(pages, "chair-3", Role.CHANNEL_CHAIR, ("E08000003",))
    await chair.http.aclose()
    await context.add_cookies([{"name": COOKIE, "value": chair.session_id, "url": pages.url}])

    await page.goto(f"{pages.url}/statistics?period=2024-25")
    await heading(page, "Prevent referrals statistics")
    charts = page.locator("svg.app-chart[role='img']")
    await expect(charts).to_have_count(12)
    sector = page.locator("#table_2")
    await expect(sector.locator("svg title")).to_have_text(
        "Table 2: Referrals by sector of referrer, England and Wales, April 2024 to March 2025"
    )
    bars = sector.locator("svg rect")
    await expect(bars).to_have_count(3)  # education, police, health
    box = await bars.first.bounding_box()
    assert box is not None and box["width"] > 100  # drawn, and styled by app.css
    fill = await bars.first.evaluate("bar => getComputedStyle(bar).fill")
    assert fill == "rgb(29, 112, 184)"
    await expect(sector.locator("table")).to_contain_text("Education")
    await assert_accessible(page)

    # The filters are a plain GET form: choosing an area and submitting reloads the page.
    await page.select_option("#period", "2024-25-Q1")
    await page.select_option("#scope", "area:E08000035")
    await page.click("button:text('Show figures')")
    await page.wait_for_url("**/statistics?period=2024-25-Q1&scope=area%3AE08000035")
    # The first ask for a period below the national level: its tables are being protected.
    await heading(page, "These figures are being prepared")
    await assert_accessible(page)
    await _once_prepared(page, "Prevent referrals statistics")
    await expect(page.locator(".govuk-caption-l")).to_contain_text("Leeds")
    await expect(page.locator("#table_1 table")).to_contain_text("[c]")
    await assert_accessible(page)

    await page.click("a:text('The Prevent lead')")
    await _once_prepared(page, "Prevent lead's figures")
    await heading(page, "Prevent lead's figures")
    await expect(page.locator("svg.app-chart[role='img']")).to_have_count(5)
    await expect(page.locator("#dash_6 + table, table").last).to_be_visible()
    await assert_accessible(page)


async def _once_prepared(page: Page, title: str) -> None:
    """Press "Try again" on the being-prepared page until the page titled `title` shows."""
    for _ in range(100):
        if await page.locator("h1", has_text=title).count():
            return
        await page.click("a:text('Try again')")
        await page.wait_for_timeout(300)
    raise AssertionError(f"{title!r} still being prepared")
