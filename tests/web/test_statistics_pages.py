"""The statistics pages over the real statistics API: the release's tables with their charts,
the downloads passed through with the person's authority, the lead's figures, and nothing at
all for roles that may not see aggregates."""

from __future__ import annotations

import asyncio
import re

import httpx

from safeguard.codes import Role
from tests.web.conftest import Site
from tests.web.staff import Visitor, visitor
from tests.web.statistics_facts import put_facts

YEAR = "period=2024-25"


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


async def _once_prepared(person: Visitor, path: str) -> httpx.Response:
    """The page once the statistics service has protected the period (as a person pressing
    "Try again" would see it)."""
    for _ in range(300):
        answer = await person.get(path)
        if answer.status_code != 503:
            return answer
        await asyncio.sleep(0.2)
    raise AssertionError(f"{path} still being prepared after a minute")


async def test_a_chair_sees_each_table_with_its_chart_and_the_downloads(pages: Site) -> None:
    assert await put_facts(pages.pool) == 22
    chair = await visitor(pages, "chair-3", Role.CHANNEL_CHAIR, ("E08000003",))
    async with chair.http:
        page = await chair.get(f"/statistics?{YEAR}")
        assert page.status_code == 200, page.text
        html = page.text
        tables = html.count('<table class="govuk-table')
        charts = html.count('<svg class="app-chart" role="img"')
        assert tables == charts == 12  # every table of a year's release, each with its chart
        assert "Prevent referrals statistics" in html and 'href="/statistics"' in html
        words = _text(html)
        assert "Table 2: Referrals by sector of referrer, England and Wales" in words
        assert "Education 12" in words and "Total 22" in words
        assert '<option value="2024-25-Q1">' in html
        assert '<option value="force:E23000005">Police force area: Greater Manchester' in html
        assert " style=" not in html  # the strict CSP allows no inline style

        ods_link = "/statistics/2024-25/release.ods?scope=national"
        assert f'href="{ods_link}"' in html
        ods = await chair.get(ods_link)
        assert ods.status_code == 200
        assert ods.headers["content-type"] == "application/vnd.oasis.opendocument.spreadsheet"
        assert ods.content[:2] == b"PK"
        assert 'filename="prevent-2024-25.ods"' in ods.headers["content-disposition"]
        # Below the national level the first ask finds the period's tables being protected.
        csv_link = "/statistics/2024-25/release.csv?scope=area:E08000003"
        first = await chair.get(csv_link)
        assert first.status_code == 503 and int(first.headers["retry-after"]) > 0
        words = _text(first.text)
        assert "These figures are being prepared" in words and "Try again" in words
        assert 'href="/statistics?period=2024-25&amp;scope=area%3AE08000003"' in first.text
        csv = await _once_prepared(chair, csv_link)
        assert csv.status_code == 200 and csv.headers["content-type"].startswith("text/csv")
        assert "Manchester" in csv.text

        area = await _once_prepared(chair, f"/statistics?{YEAR}&scope=area:E08000035")
        assert area.status_code == 200
        assert "[c]" in area.text  # three referrals in Leeds: below the threshold
        unknown = await chair.get("/statistics?period=2024-26")
        assert unknown.status_code == 404 and "Unknown period" in unknown.text
        other = await chair.get("/statistics/2024-25/release.xlsx")
        assert other.status_code == 404


async def test_the_leads_figures_page_shows_shares_and_times(pages: Site) -> None:
    await put_facts(pages.pool)
    officer = await visitor(pages, "officer-17", Role.PREVENT_OFFICER, ("E08000003",))
    async with officer.http:
        page = await officer.get(f"/statistics/dashboard?{YEAR}")
        assert page.status_code == 200, page.text
        words = _text(page.text)
        assert "Prevent lead's figures" in words
        # All 22 assessed a day after arriving, within the 7-day due date.
        assert "Gateway assessments within the target 100.0%" in words
        assert "Within the target (%)" in words
        assert "Time in each stage" in words
        # 22 gateway stages have no visits here (rows put in place, not events): none left.
        assert "Police-led case management 0 [x] [x] days" in words
        assert page.text.count('role="img"') == 5  # the count tables; times are a table


async def test_roles_without_access_get_nothing(pages: Site) -> None:
    await put_facts(pages.pool)
    for role in (Role.PANEL_MEMBER, Role.INTERVENTION_PROVIDER):
        person = await visitor(pages, f"{role.value}-1", role, ("E08000003",), provider_id="p1")
        async with person.http:
            for path in (
                f"/statistics?{YEAR}",
                f"/statistics/dashboard?{YEAR}",
                "/statistics/2024-25/release.csv",
            ):
                refused = await person.get(path)
                assert refused.status_code == 403, (role, path)
                assert "You cannot do this" in refused.text
                assert "app-chart" not in refused.text and "Education" not in refused.text
            home = await person.get("/tasks")
            assert 'href="/statistics"' not in home.text


async def test_an_operator_sees_the_aggregates_as_their_start_page(pages: Site) -> None:
    await put_facts(pages.pool)
    operator = await visitor(pages, "operator-01", Role.OPERATOR)
    async with operator.http:
        start = await operator.get("/")
        assert start.status_code == 303 and start.headers["location"] == "/statistics"
        page = await operator.get(f"/statistics?{YEAR}")
        assert page.status_code == 200 and "Total 22" in _text(page.text)
