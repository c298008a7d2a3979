"""Statistics pages: the release's tables with charts, the downloads, and the Prevent lead's
figures. Aggregates only, for the roles in `AGGREGATE_ROLES`; the statistics API decides too.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import Response

from safeguard.statistics.access import AGGREGATE_ROLES
from services.web.auth import UserDep
from services.web.charts import chart_for, render_svg
from services.web.clients.base import ApiProblem, path_segment
from services.web.clients.statistics import StatisticsClient
from services.web.deps import StatisticsDep
from services.web.pages import render
from services.web.statistics_choices import (
    NATIONAL,
    current_year,
    period_options,
    scope_name,
    scope_options,
)

router = APIRouter(include_in_schema=False)

SECTION = "statistics"
RELEASE, DASHBOARD = "/statistics", "/statistics/dashboard"
# The API's title while a period's tables below the national level are first protected.
PREPARING = "Figures being prepared"
DOWNLOADS = {"ods": "OpenDocument spreadsheet (ODS)", "csv": "CSV"}
# Dashboard tables whose rows carry a share, and the share's column heading.
SHARE_COLUMNS = {"Dash_1": "Within the target (%)", "Dash_4": "On time (%)"}


def _allowed(role: str) -> None:
    """Refused before any call: the page shows nothing of the figures to other roles."""
    if role not in AGGREGATE_ROLES:
        raise ApiProblem(403, "Forbidden", "Your role does not give you access to the statistics.")


async def _filters(api: StatisticsClient, period: str, scope: str, action: str) -> dict[str, Any]:
    scopes = scope_options(await api.areas(), scope)
    query = urlencode({"period": period, "scope": scope})
    return {
        "action": action,
        "periods": period_options(period),
        "scopes": scopes,
        "scope_name": scope_name(scopes, scope),
        "query": query,
        "other": f"/statistics/dashboard?{query}"
        if action == "/statistics"
        else f"/statistics?{query}",
    }


def figure(table: dict[str, Any]) -> dict[str, Any]:
    """A table with its chart, as the template lays them out."""
    return {"table": table, "chart": render_svg(chart_for(table))}


@router.get("/statistics")
async def release(
    request: Request, user: UserDep, api: StatisticsDep, period: str = "", scope: str = NATIONAL
) -> Response:
    """The release's tables for a period and scope, each with its chart, and the downloads."""
    _allowed(user.role)
    period = period or current_year().code
    try:
        found = await api.release(period, scope=scope)
    except ApiProblem as problem:
        if problem.title != PREPARING:
            raise
        return await _preparing(request, api, period, scope, problem)
    downloads = [
        {
            "href": f"/statistics/{path_segment(period)}/release.{kind}?"
            + urlencode({"scope": scope}),
            "text": text,
        }
        for kind, text in DOWNLOADS.items()
    ]
    return render(
        request,
        "statistics/release.html",
        title="Prevent referrals statistics",
        section=SECTION,
        release=found,
        figures=[figure(t) for t in found["tables"]],
        downloads=downloads,
        filters=await _filters(api, period, scope, "/statistics"),
    )


@router.get("/statistics/dashboard")
async def dashboard(
    request: Request, user: UserDep, api: StatisticsDep, period: str = "", scope: str = NATIONAL
) -> Response:
    """The Prevent lead's figures for a period and scope."""
    _allowed(user.role)
    period = period or current_year().code
    try:
        found = await api.dashboard(period, scope=scope)
    except ApiProblem as problem:
        if problem.title != PREPARING:
            raise
        return await _preparing(request, api, period, scope, problem, DASHBOARD)
    counts = [t for t in found["tables"] if t["code"] != "Dash_6"]
    return render(
        request,
        "statistics/dashboard.html",
        title="Prevent lead's figures",
        section=SECTION,
        dashboard=found,
        figures=[figure(t) for t in counts],
        shares=_shares(found),
        share_columns=SHARE_COLUMNS,
        headline=[s for s in found["shares"] if s["row"] == "Total"],
        filters=await _filters(api, period, scope, "/statistics/dashboard"),
    )


async def _preparing(
    request: Request,
    api: StatisticsClient,
    period: str,
    scope: str,
    problem: ApiProblem,
    action: str = RELEASE,
) -> Response:
    """The page saying the period's tables are being protected, with a link to ask again (no
    automatic refresh: a page that reloads itself moves the reader's place)."""
    wait = problem.retry_after or "30"
    page = render(
        request,
        "statistics/preparing.html",
        503,
        title="These figures are being prepared",
        section=SECTION,
        wait=wait,
        again=f"{action}?{urlencode({'period': period, 'scope': scope})}",
        filters=await _filters(api, period, scope, action),
    )
    page.headers["Retry-After"] = wait
    return page


def _shares(found: dict[str, Any]) -> dict[str, dict[str, str]]:
    """Each table's share column: row label -> the share as shown."""
    columns: dict[str, dict[str, str]] = {}
    for share in found["shares"]:
        shown = share["shorthand"] or f"{share['percent']:.1f}"
        columns.setdefault(share["table"], {})[share["row"]] = shown
    return columns


@router.get("/statistics/{period}/release.{kind}")
async def download(
    request: Request,
    user: UserDep,
    api: StatisticsDep,
    period: str,
    kind: str,
    scope: str = NATIONAL,
) -> Response:
    """The release as ODS or CSV, fetched with the person's own authority and passed on."""
    _allowed(user.role)
    if kind not in DOWNLOADS:
        raise ApiProblem(404, "Not found", "There is nothing at that address.")
    try:
        got = await api.download(period, scope=scope, kind=kind)
    except ApiProblem as problem:
        if problem.title != PREPARING:
            raise
        return await _preparing(request, api, period, scope, problem)
    return Response(
        got.content, media_type=got.media_type, headers={"Content-Disposition": got.disposition}
    )
