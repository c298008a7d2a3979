"""The Prevent lead's figures, end to end: the scripted referrals' lifecycle events through real
Kafka into the read model, and `GET /v1/dashboard` checked against figures worked out by hand.

The working (dates at 09:00 UTC; "WD" working days, England's bank holidays skipped):

| case | area | received | due | first assessed | gateway | WD taken |
| --- | --- | --- | --- | --- | --- | --- |
| A | Manchester | Mon 13 May 2024 | 20 May | 15 May | within | 2 |
| B | Manchester | Fri 24 May 2024 | 3 Jun (27 May a holiday) | 4 Jun | late | 6 |
| C | Leeds, a re-referral of A | Mon 18 Nov 2024 | 25 Nov | never | not assessed, past due | - |
| D | Leeds | Mon 6 Jan 2025 | none in the event: 5 WD, 13 Jan | 13 Jan | within | 5 |
| E | Manchester | Tue 1 Oct 2024 | 8 Oct | 3 Oct | within | 2 |
| F | Manchester | Mon 2 Dec 2024 | 9 Dec | 4 Dec | within | 2 |
| G | Manchester | Mon 3 Feb 2025 | 10 Feb | 5 Feb | within | 2 |

By quarter received: Q1 A, B (1 within, 1 late); Q2 none; Q3 E, F within, C overdue; Q4 D, G
within. Total 5 within of 7: 71.4%. WD taken [2, 2, 2, 2, 5, 6]: median 2.0, 90th percentile
at rank 4.5: 5 + 0.5 x 1 = 5.5.

Stages left in 2024-25, in days: gateway A 2, B 11, D 7, E 2, F 2, G 2 (median 2.0, 90th at
rank 4.5: 7 + 0.5 x 4 = 9.0); waiting for consent B 10, D 28, F 6 (median 10.0, 90th at rank
1.8: 10 + 0.8 x 18 = 24.4); consent not given F 85; panel B 20; support B 78.

Consent requests: B given, D expired, F refused, G awaiting. Reviews due: B's support reviews
due 3 Aug (held 1 Aug, on time) and 31 Aug (held 20 Sep, late), B's 6-month review due 20 Mar
2025 (held 10 Mar, on time); the 12-month one is due in 2025-26. Open now (December 2026 or
later): C's gateway assessment, E's police review, D's consent reassessment, B's 12-month
review, all overdue; G's consent request is not counted (it expires by itself).
"""

from __future__ import annotations

from typing import Any

from safeguard.codes import Role
from tests.helpers import assert_eventually
from tests.statistics.conftest import Statistics
from tests.statistics.dashboard_script import script

C = "[c]"


def _column(table: dict[str, Any], column: str) -> dict[str, Any]:
    at = table["columns"].index(column)
    return {
        row["label"]: row["cells"][at]["shorthand"] or row["cells"][at]["value"]
        for row in table["rows"]
    }


def _tables(found: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {table["code"]: table for table in found["tables"]}


def _times(found: dict[str, Any]) -> dict[str, tuple[Any, ...]]:
    return {
        t["stage"]: (t["cases"]["shorthand"] or t["cases"]["value"], t["median"], t["p90"])
        for t in found["stage_times"]
    }


def _shares(found: dict[str, Any], table: str) -> dict[str, Any]:
    return {
        s["row"]: s["shorthand"] or s["percent"] for s in found["shares"] if s["table"] == table
    }


async def _ask(
    stats: Statistics, query: str, role: Role = Role.CHANNEL_CHAIR, areas: tuple[str, ...] = ()
) -> dict[str, Any]:
    answer = await stats.get(f"/v1/dashboard?{query}", headers=stats.headers(role, areas))
    assert answer.status_code == 200, answer.text
    found: dict[str, Any] = answer.json()
    return found


async def _settled(stats: Statistics, query: str) -> dict[str, Any]:
    """The dashboard once every scripted event is in (all four open tasks, B's last review)."""

    async def ask() -> dict[str, Any]:
        return await _ask(stats, query)

    def complete(found: dict[str, Any]) -> bool:
        tables = _tables(found)
        return bool(
            _column(tables["Dash_2"], "Total")["Total"] == 4
            and _column(tables["Dash_4"], "Total")["Total"] == 3
            and _column(tables["Dash_3"], "Requests")["Total"] == 4
            and _times(found)["Support"][0] == 1
        )

    return await assert_eventually(ask, complete, within=60, interval=0.5)


async def test_the_leads_figures_match_the_hand_worked_script(statistics: Statistics) -> None:
    await statistics.publish([e for case in script() for e in case.events])
    found = await _settled(statistics, "period=2024-25")
    assert found["period"] == "April 2024 to March 2025" and found["suppressed_below"] is None
    tables = _tables(found)

    gateway = tables["Dash_1"]
    assert [r["label"] for r in gateway["rows"]] == [
        "April 2024 to June 2024",
        "July 2024 to September 2024",
        "October 2024 to December 2024",
        "January 2025 to March 2025",
        "Total",
    ]
    assert list(_column(gateway, "Within the target").values()) == [1, 0, 2, 2, 5]
    assert list(_column(gateway, "Assessed after the target").values()) == [1, 0, 0, 0, 1]
    assert list(_column(gateway, "Not yet assessed, past due").values()) == [0, 0, 1, 0, 1]
    assert list(_column(gateway, "Total").values()) == [2, 0, 3, 2, 7]
    assert list(_shares(found, "Dash_1").values()) == [50.0, "[x]", 66.7, 100.0, 71.4]

    work = tables["Dash_2"]
    assert _column(work, "Overdue") == {
        "Gateway assessments": 1,
        "Reassessments": 0,
        "Police-led reviews": 1,
        "Reassessments after consent was not given": 1,
        "Support plan reviews": 0,
        "Post-exit reviews": 1,
        "Total": 4,
    }
    assert _column(work, "Not yet due")["Total"] == 0

    assert _column(tables["Dash_3"], "Requests") == {
        "Given": 1,
        "Refused": 1,
        "Withdrawn": 0,
        "Expired unanswered": 1,
        "Awaiting an answer": 1,
        "Total": 4,
    }
    reviews = tables["Dash_4"]
    assert _column(reviews, "On time") == {
        "Support plan reviews": 1,
        "Post-exit reviews": 1,
        "Total": 2,
    }
    assert _column(reviews, "Late") == {
        "Support plan reviews": 1,
        "Post-exit reviews": 0,
        "Total": 1,
    }
    assert _column(reviews, "Not yet held")["Total"] == 0
    assert _shares(found, "Dash_4") == {
        "Support plan reviews": 50.0,
        "Post-exit reviews": 100.0,
        "Total": 66.7,
    }
    assert _column(tables["Dash_5"], "Referrals") == {
        "First referral": 6,
        "Re-referral": 1,
        "Total": 7,
    }
    assert _shares(found, "Dash_5") == {"Total": 14.3}

    assert _times(found) == {
        "Gateway assessment": (6, 2.0, 9.0),
        "Gateway assessment, working days to the first assessment": (6, 2.0, 5.5),
        "Police-led case management": (0, None, None),
        "Waiting for consent": (3, 10.0, 24.4),
        "Consent not given, waiting for reassessment": (1, 85.0, 85.0),
        "Panel consideration": (1, 20.0, 20.0),
        "Support": (1, 78.0, 78.0),
        "Post-exit reviews": (0, None, None),
    }


async def test_an_areas_figures_are_suppressed_like_its_tables(statistics: Statistics) -> None:
    """Manchester (A, B, E, F, G) beside Leeds (C, D), counts below 2 suppressed. The national
    figures, published whole, are the two areas' added up, so a number Leeds hides must be
    hidden in Manchester too (else it is the nation's less Manchester's); medians go with the
    counts behind them."""
    await statistics.publish([e for case in script() for e in case.events])
    await _settled(statistics, "period=2024-25")
    found = await _ask(statistics, "period=2024-25&scope=area:E08000003", Role.PREVENT_OFFICER)
    leeds = await _ask(statistics, "period=2024-25&scope=area:E08000035", Role.PREVENT_OFFICER)
    tables, theirs = _tables(found), _tables(leeds)
    assert found["suppressed_below"] == 2
    for code, table in tables.items():
        for ours, other in zip(table["rows"], theirs[code]["rows"], strict=True):
            for mine, cell in zip(ours["cells"], other["cells"], strict=True):
                if cell["shorthand"] == C:
                    assert mine["shorthand"] == C, (code, ours["label"])
            assert all(c["value"] != 1 for c in ours["cells"]), (code, ours)
    # Leeds's single cases run through every table (a consent given, a review held, a
    # re-referral, a stage left): here that leaves nothing of Manchester's shown.
    assert set(_column(tables["Dash_3"], "Requests").values()) == {C}
    times = _times(found)
    assert times["Gateway assessment"] == (C, None, None)
    assert all(median is None for _cases, median, _p90 in times.values())
    # Both came from one protection of the period: the same `made_at`.
    assert found["made_at"] == leeds["made_at"]


async def test_a_quarters_trend_is_by_month(statistics: Statistics) -> None:
    await statistics.publish([e for case in script() for e in case.events])
    await _settled(statistics, "period=2024-25")
    found = await _ask(statistics, "period=2024-25-Q1")
    gateway = _tables(found)["Dash_1"]
    assert _column(gateway, "Total") == {"April 2024": 0, "May 2024": 2, "June 2024": 0, "Total": 2}


async def test_the_dashboard_refuses_other_roles_and_explains_bad_requests(
    statistics: Statistics,
) -> None:
    url = f"{statistics.url}/v1/dashboard"
    for role in (Role.PANEL_MEMBER, Role.PARTNER_REFERRER, Role.INTERVENTION_PROVIDER):
        refused = await statistics.http.get(url, headers=statistics.headers(role))
        assert refused.status_code == 403
        assert refused.headers["content-type"] == "application/problem+json"
        assert "tables" not in refused.text
    chair = statistics.headers(Role.CHANNEL_CHAIR)
    for query, title in [
        ("period=2024-26", "Unknown period"),
        ("scope=area:E99999999", "Unknown area"),
    ]:
        answer = await statistics.http.get(f"{url}?{query}", headers=chair)
        assert answer.status_code == 404 and answer.json()["title"] == title
    malformed = await statistics.http.get(f"{url}?period=last-year", headers=chair)
    assert malformed.status_code == 422
    assert malformed.headers["content-type"] == "application/problem+json"
    current = await statistics.http.get(url, headers=chair)
    assert current.status_code == 200 and current.json()["period"].startswith("April")
    spec = (await statistics.http.get(f"{statistics.url}/openapi.json")).json()
    responses = spec["paths"]["/v1/dashboard"]["get"]["responses"]
    assert {"200", "401", "403", "404", "422"} <= set(responses)
