"""The tables below the national level, protected together in the background and served from
what the protector stored: "being prepared" until the first is made, then every scope of the
period from one snapshot, made again only when the counts change."""

from __future__ import annotations

import dataclasses
import datetime as dt

from safeguard.codes import GatewayOutcome, Role
from safeguard.statistics.categories import RECENT_AGES
from safeguard.statistics.periods import parse_period
from services.statistics.protection import Protector, protect_period
from tests.helpers import assert_eventually
from tests.statistics.conftest import Statistics
from tests.statistics.test_release import LEEDS, MANCHESTER, SCRIPT, _events, _run_script

YEAR = "2024-25"
GREATER_MANCHESTER = "force:E23000005"


async def test_an_area_is_prepared_in_the_background_then_served(statistics: Statistics) -> None:
    await _run_script(statistics)
    chair = statistics.headers(Role.CHANNEL_CHAIR, (MANCHESTER,))
    path, area = f"/v1/releases/{YEAR}", {"scope": f"area:{MANCHESTER}"}
    first = await statistics.http.get(f"{statistics.url}{path}", params=area, headers=chair)
    assert first.status_code == 503
    assert first.headers["content-type"] == "application/problem+json"
    assert first.json()["title"] == "Figures being prepared"
    assert int(first.headers["retry-after"]) > 0

    answer = await statistics.get(path, params=area, headers=chair)
    assert answer.status_code == 200, answer.text
    async with statistics.pool.acquire() as conn:
        made_at: dt.datetime = await conn.fetchval(
            "SELECT made_at FROM statistics.protected_periods WHERE period = $1", YEAR
        )
    assert answer.json()["made_at"] == f"{made_at.astimezone(dt.UTC):%d %B %Y %H:%M UTC}"
    # Every scope of the period came out of the same run: the force is there already.
    force = await statistics.http.get(
        f"{statistics.url}{path}/release.csv",
        params={"scope": GREATER_MANCHESTER},
        headers=statistics.headers(Role.OPERATOR),
    )
    assert force.status_code == 200, force.text


async def test_the_same_counts_keep_their_protection_and_new_ones_are_made_again(
    statistics: Statistics,
) -> None:
    await _run_script(statistics)
    pool, settings, year = statistics.pool, statistics.settings, parse_period(YEAR)
    kind = RECENT_AGES.code
    assert await protect_period(pool, period=year, kind=kind, settings=settings)
    # The protector as it runs, but reading every period it has again at once.
    quick = settings.statistics.model_copy(update={"protection_refresh_seconds": 0.001})
    protector = Protector(pool=pool, settings=settings.model_copy(update={"statistics": quick}))
    # Nothing changed: the stored protection stands, as of now.
    assert await protector.protect_due() == 0

    # One more referral in Leeds, in the same year.
    r9 = dataclasses.replace(
        SCRIPT[3],
        name="R9",
        received=dt.datetime(2024, 12, 2, 9, tzinfo=dt.UTC),
        area=LEEDS,
        outcome=GatewayOutcome.SIGNPOSTED,
        adopted=None,
    )
    r9_id = await statistics.submit(born=dt.date(1990, 1, 1), gender="female")
    await statistics.publish(_events(r9, r9_id))

    async def known() -> int:
        async with pool.acquire() as conn:
            found: int = await conn.fetchval(
                "SELECT count(*) FROM statistics.referrals WHERE demographics <> 'pending'"
                " AND received_at IS NOT NULL"
            )
        return found

    await assert_eventually(known, lambda n: n == len(SCRIPT) + 1, within=60)
    assert await protector.protect_due() == 1
    async with pool.acquire() as conn:
        content = await conn.fetchval(
            "SELECT content FROM statistics.protected_scopes"
            " WHERE period = $1 AND kind = $2 AND scope = $3",
            YEAR,
            kind,
            f"area:{LEEDS}",
        )
    # Leeds: R4, R5 and now R9.
    assert sum(n for _label, _outcome, n in content["counts"]["sector"]) == 3
