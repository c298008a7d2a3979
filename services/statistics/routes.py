"""Statistics routes: thin; aggregate figures only, for the roles in `AGGREGATE_ROLES`."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Response

from safeguard.auth.staff import StaffPrincipal
from safeguard.auth.staff_deps import require_roles
from safeguard.errors import ProblemError
from safeguard.errors import documented_problem as problem
from safeguard.statistics import csv_out, ods
from safeguard.statistics.access import AGGREGATE_ROLES
from safeguard.statistics.areas import Level, Scope, UnknownScopeError, shipped_areas
from safeguard.statistics.categories import AGE_SCHEMES, RECENT_AGES, AgeScheme
from safeguard.statistics.periods import BadPeriodError, Period, local_day, parse_period, period_of
from safeguard.statistics.tables import Release
from safeguard.web import PoolDep, SettingsDep
from services.statistics.dashboard import dashboard_for
from services.statistics.dashboard_models import DashboardRead
from services.statistics.models import (
    AgeSchemeRead,
    AreaRead,
    ReleaseRead,
    age_schemes,
    areas_read,
    release_read,
)
from services.statistics.service import release_for

router = APIRouter(prefix="/v1", tags=["statistics"])
Reader = Annotated[StaffPrincipal, Depends(require_roles(*AGGREGATE_ROLES))]
PeriodPath = Annotated[
    str,
    Path(
        pattern=r"^\d{4}-\d{2}(-Q[1-4])?$",
        description="A financial year (2024-25: April 2024 to March 2025) or one of its"
        " quarters (2024-25-Q1: April to June 2024).",
        examples=["2024-25"],
    ),
]
RELEASE_PROBLEMS: dict[int | str, dict[str, Any]] = {
    404: problem(
        "No such period (2024-26), no area, force or region with that code, or no such age scheme."
    ),
    503: problem(
        "`Figures being prepared`: the period's tables below the national level are still being"
        " protected for the first time; try again after `Retry-After` seconds.",
        {"Retry-After": {"schema": {"type": "integer"}, "description": "Seconds to wait."}},
    ),
}


@dataclass(frozen=True)
class Wanted:
    """What a caller asked for: the period, where, and with which age groups."""

    period: Period
    scope: Scope
    ages: AgeScheme


ScopeQuery = Annotated[
    str,
    Query(
        pattern=r"^(national|(area|force|region):[A-Z0-9]{1,12})$",
        description="What the tables cover: `national` (England and Wales), or an area,"
        " police force area or region by its ONS code: `area:E08000003`,"
        " `force:E23000005`, `region:E12000002`.",
    ),
]


def _period(period: str) -> Period:
    try:
        return parse_period(period)
    except BadPeriodError as error:
        raise ProblemError(404, "Unknown period", str(error)) from None


def _scope(scope: str) -> Scope:
    level, _, code = scope.partition(":")
    try:
        return shipped_areas().scope(Level(level), code or None)
    except UnknownScopeError as error:
        raise ProblemError(404, "Unknown area", str(error)) from None


def wanted(
    period: PeriodPath,
    scope: ScopeQuery = "national",
    age_groups: Annotated[
        str,
        Query(
            pattern=r"^[a-z0-9_]{1,32}$",
            description=f"The age scheme: {', '.join(AGE_SCHEMES)}.",
        ),
    ] = RECENT_AGES.code,
) -> Wanted:
    """The period, scope and age scheme of a request; problems for what names nothing."""
    found, where = _period(period), _scope(scope)
    if age_groups not in AGE_SCHEMES:
        raise ProblemError(404, "Unknown age groups", f"Age schemes: {', '.join(AGE_SCHEMES)}.")
    return Wanted(found, where, AGE_SCHEMES[age_groups])


WantedDep = Annotated[Wanted, Depends(wanted)]


async def _release(pool: PoolDep, settings: SettingsDep, want: WantedDep) -> Release:
    async with pool.acquire() as conn:
        return await release_for(
            conn,
            period=want.period,
            scope=want.scope,
            ages=want.ages,
            settings=settings.statistics,
        )


ReleaseDep = Annotated[Release, Depends(_release)]


@router.get("/releases/{period}", responses=RELEASE_PROBLEMS)
async def get_release(period: PeriodPath, reader: Reader, release: ReleaseDep) -> ReleaseRead:
    """The release's tables for a period, nationally or for an area, force or region."""
    return release_read(release)


@router.get(
    "/releases/{period}/release.ods",
    response_class=Response,
    responses={
        200: {
            "description": "The tables as an OpenDocument spreadsheet (GSS accessible style).",
            "content": {ods.MEDIA_TYPE: {"schema": {"type": "string", "format": "binary"}}},
        },
        **RELEASE_PROBLEMS,
    },
)
async def get_release_ods(period: PeriodPath, reader: Reader, release: ReleaseDep) -> Response:
    """The release as an ODS spreadsheet: cover, contents, notes, one sheet per table."""
    return Response(
        ods.release_ods(release),
        media_type=ods.MEDIA_TYPE,
        headers={"Content-Disposition": f'attachment; filename="prevent-{period}.ods"'},
    )


@router.get(
    "/releases/{period}/release.csv",
    response_class=Response,
    responses={
        200: {
            "description": "Every number of every table, one per line.",
            "content": {csv_out.MEDIA_TYPE: {"schema": {"type": "string"}}},
        },
        **RELEASE_PROBLEMS,
    },
)
async def get_release_csv(period: PeriodPath, reader: Reader, release: ReleaseDep) -> Response:
    """The release as CSV: table, title, row heading, row, column, value ([c] suppressed)."""
    return Response(
        csv_out.release_csv(release),
        media_type=f"{csv_out.MEDIA_TYPE}; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="prevent-{period}.csv"'},
    )


@router.get("/areas")
async def get_areas(reader: Reader) -> list[AreaRead]:
    """The areas the tables can be made for, with their police force areas and regions."""
    return areas_read(shipped_areas())


@router.get("/age-schemes")
async def get_age_schemes(reader: Reader) -> list[AgeSchemeRead]:
    """The age groups a release can be made with."""
    return age_schemes()


@router.get(
    "/dashboard",
    responses={
        404: problem("No such period (2024-26), or no area, force or region with that code."),
        503: RELEASE_PROBLEMS[503],
    },
)
async def get_dashboard(
    reader: Reader,
    pool: PoolDep,
    settings: SettingsDep,
    scope: ScopeQuery = "national",
    period: Annotated[
        str | None,
        Query(
            pattern=r"^\d{4}-\d{2}(-Q[1-4])?$",
            description="A financial year (2024-25) or quarter (2024-25-Q1); unset: the"
            " current financial year.",
        ),
    ] = None,
) -> DashboardRead:
    """The Prevent lead's figures: gateway assessments within the working-day target (by
    quarter or month), work overdue now, consent outcomes, reviews on time, re-referrals, and
    time in each stage (median and 90th percentile); small numbers suppressed as the
    release's are."""
    now = dt.datetime.now(dt.UTC)
    chosen = _period(period) if period else period_of(local_day(now))
    year = Period(chosen.year) if period is None else chosen
    where = _scope(scope)
    async with pool.acquire() as conn:
        return await dashboard_for(conn, period=year, scope=where, settings=settings, now=now)
