"""The synthetic workloads follow the national shares of ../shared/domain.md."""

from __future__ import annotations

import datetime as dt
import random
from collections import Counter
from collections.abc import Mapping

import pytest

from services.intake.fields import age_on
from services.intake.form import ConcernType, ReferralCreate, Sector
from tests import synthetic

TODAY = dt.date(2026, 12, 2)
PEOPLE = synthetic.population(20_000, today=TODAY)


def _share(values: list[str], value: str) -> float:
    return Counter(values)[value] / len(values)


@pytest.mark.parametrize(
    ("values", "value", "expected"),
    [
        ([p.sector for p in PEOPLE], "education", 0.36),
        ([p.sector for p in PEOPLE], "police", 0.30),
        ([p.sector for p in PEOPLE], "local_authority", 0.10),
        ([p.age_group.label for p in PEOPLE], "11-15", 0.36),
        ([p.age_group.label for p in PEOPLE], "16-17", 0.13),
        ([p.age_group.label for p in PEOPLE], "10 or under", 0.04),
        ([p.concern_type for p in PEOPLE], "extreme_right_wing", 0.21),
        ([p.concern_type for p in PEOPLE], "islamist", 0.10),
        ([p.outcome for p in PEOPLE], "nfa", 0.36),
        ([p.outcome for p in PEOPLE], "signposted", 0.50),
        ([p.outcome for p in PEOPLE], "panel_adopted", 0.05),
        ([str(p.mental_health) for p in PEOPLE], "True", 0.34),
    ],
)
def test_each_domain_share_is_followed(values: list[str], value: str, expected: float) -> None:
    assert _share(values, value) == pytest.approx(expected, abs=0.01)


def test_no_clear_ideology_is_56_percent() -> None:
    unclear = {"mixed_unclear_unstable", "school_massacre", "conflicted"}
    share = sum(p.concern_type in unclear for p in PEOPLE) / len(PEOPLE)
    assert share == pytest.approx(0.56, abs=0.01)


@pytest.mark.parametrize(
    "shares", [synthetic.SECTOR, synthetic.CONCERN, synthetic.AGE, synthetic.GENDER]
)
def test_each_table_is_whole(shares: Mapping[object, float]) -> None:
    assert sum(shares.values()) == pytest.approx(1.0)


def test_the_tables_use_the_forms_codes() -> None:
    assert set(synthetic.SECTOR) == {s.value for s in Sector}
    assert set(synthetic.CONCERN) == {c.value for c in ConcernType}


def test_each_person_is_the_age_of_their_group() -> None:
    for person in PEOPLE[:2_000]:
        age = age_on(person.date_of_birth, TODAY)
        assert person.age_group.youngest <= age <= person.age_group.oldest


def test_born_aged_covers_the_whole_year_of_an_age() -> None:
    rng = random.Random(1)
    births = {synthetic.born_aged(rng, 15, TODAY) for _ in range(5_000)}
    assert {age_on(b, TODAY) for b in births} == {15}
    assert max(births) - min(births) > dt.timedelta(days=350)


def test_a_leap_day_today_gives_a_real_birthday() -> None:
    born = synthetic.born_aged(random.Random(3), 11, dt.date(2028, 2, 29))
    assert age_on(born, dt.date(2028, 2, 29)) == 11


def test_adults_or_children_only_when_asked() -> None:
    rng = random.Random(7)
    assert all(synthetic.draw(rng, TODAY, adult=True).adult for _ in range(200))
    assert not any(synthetic.draw(rng, TODAY, adult=False).adult for _ in range(200))


def test_every_profile_makes_a_valid_referral_form() -> None:
    for person in PEOPLE[:500]:
        form = ReferralCreate.model_validate(synthetic.referral_form(person))
        assert form.referrer.sector == person.sector
        assert form.concern.type == person.concern_type
        assert form.person.date_of_birth == person.date_of_birth
