"""A day's referrals drawn by the national shares, each assessed by an officer to its outcome.

The Channel journey follows one child to closure; this one sends what a day in England and
Wales looks like (about 24 referrals: every sector, concern type and age group in their shares)
through intake and the gateway assessment, over HTTP only.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from safeguard.codes import ConsentPolicy
from tests import synthetic
from tests.helpers import assert_eventually
from tests.journeys.conftest import Journey

GATEWAY = {
    "nfa": "NO_FURTHER_ACTION",
    "signposted": "SIGNPOSTED",
    "panel_not_adopted": "REFERRED_TO_CHANNEL",
    "panel_adopted": "REFERRED_TO_CHANNEL",
}
# Where each outcome leaves the case once the officer has decided.
STAGES = {
    "NO_FURTHER_ACTION": {"CLOSED"},
    "SIGNPOSTED": {"CLOSED"},
    "REFERRED_TO_CHANNEL": {"CONSENT_PENDING", "PANEL_CONSIDERATION"},
}
A_DAY = 24  # 8,778 referrals in 2024/25


async def _case(j: Journey, reference: str) -> dict[str, Any] | None:
    officer = j.staff.officer()
    answer = await j.http.get(f"{j.assessment}/v1/cases/{reference}", headers=officer)
    return answer.json()["case"] if answer.status_code == 200 else None


@pytest.mark.parametrize("journey", [ConsentPolicy.BEFORE_PANEL], indirect=True)
async def test_a_days_referrals_by_the_national_shares(journey: Journey) -> None:
    j = journey
    people = synthetic.population(A_DAY, seed=8778, today=dt.datetime.now(dt.UTC).date())
    assert {p.adult for p in people} == {True, False}
    assert len({p.sector for p in people}) >= 4
    assert len({p.concern_type for p in people}) >= 4
    references = [await j.refer(person) for person in people]
    for person, reference in zip(people, references, strict=True):
        await j.police_assess(reference, GATEWAY[person.outcome])
    for person, reference in zip(people, references, strict=True):
        outcome = GATEWAY[person.outcome]

        async def decided(ref: str = reference, want: str = outcome) -> dict[str, Any] | None:
            case = await _case(j, ref)
            return case if case and case["stage"] in STAGES[want] else None

        case = await assert_eventually(decided)
        assert case is not None
        # What the statistics will count travels from the partner's form to the read model.
        assert (case["sector"], case["concern_type"]) == (person.sector, person.concern_type)
        assert case["outcome"] == outcome
