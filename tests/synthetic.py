"""Synthetic referrals with the national shares of ../shared/domain.md.

Benchmarks and journeys draw their people from here, so a workload looks like a year of
England and Wales: who refers (sector), the type of concern, the person's age group and what
became of the referral. Where domain.md gives only some groups, the rest of the share is split
as the Home Office releases of 2023-2025 split it (marked below); the draws are seeded, so a run
is repeatable.
"""

from __future__ import annotations

import copy
import datetime as dt
import random
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from services.intake.openapi import SCHOOL_REFERRAL

# 2024/25: education 36%, police 30%, local authority about 10% (domain.md); the other 24%
# split as the release does (health the largest of them).
SECTOR: Mapping[str, float] = {
    "education": 0.36,
    "police": 0.30,
    "local_authority": 0.10,
    "health": 0.11,
    "community": 0.04,
    "family_friend": 0.05,
    "other": 0.04,
}

# No clear ideology 56% (mixed/unclear/unstable, school-massacre fixation, conflicted),
# extreme right-wing 21%, Islamist 10% (domain.md); other ideologies the remaining 13%.
CONCERN: Mapping[str, float] = {
    "mixed_unclear_unstable": 0.40,
    "school_massacre": 0.10,
    "conflicted": 0.06,
    "extreme_right_wing": 0.21,
    "islamist": 0.10,
    "other": 0.13,
}


@dataclass(frozen=True)
class AgeGroup:
    """An age group of the release, with its youngest and oldest age in whole years."""

    label: str
    youngest: int
    oldest: int


# 10 or under 4%, 11-15 36%, 16-17 13% (domain.md); the adults' 47% split as the release does.
AGE: Mapping[AgeGroup, float] = {
    AgeGroup("10 or under", 7, 10): 0.04,
    AgeGroup("11-15", 11, 15): 0.36,
    AgeGroup("16-17", 16, 17): 0.13,
    AgeGroup("18-20", 18, 20): 0.09,
    AgeGroup("21-30", 21, 30): 0.13,
    AgeGroup("31-40", 31, 40): 0.11,
    AgeGroup("41-50", 41, 50): 0.07,
    AgeGroup("51-60", 51, 60): 0.04,
    AgeGroup("61 and over", 61, 80): 0.03,
}

# Not in domain.md: the releases record about nine in ten referrals as male.
GENDER: Mapping[str, float] = {"male": 0.89, "female": 0.10, "not_known": 0.01}

# 2015/16: 36% no further action, 50% signposted, 14% to a Channel panel, 5% supported.
OUTCOME: Mapping[str, float] = {
    "nfa": 0.36,
    "signposted": 0.50,
    "panel_not_adopted": 0.09,
    "panel_adopted": 0.05,
}

MENTAL_HEALTH_SHARE = 0.34  # with mental health or neurodiversity recorded (2024/25)

_ORGANISATION = {
    "education": ("Riverside Academy", "Designated safeguarding lead"),
    "police": ("Greater Manchester Police", "Neighbourhood officer"),
    "local_authority": ("Manchester City Council", "Social worker"),
    "health": ("Manchester University NHS Trust", "Safeguarding nurse"),
    "community": ("Riverside Youth Club", "Youth worker"),
    "family_friend": ("", "Relative"),
    "other": ("Job centre", "Work coach"),
}


@dataclass(frozen=True)
class Profile:
    """One synthetic referral: what the statistics count, and what becomes of it."""

    sector: str
    concern_type: str
    age_group: AgeGroup
    date_of_birth: dt.date
    gender: str
    mental_health: bool
    outcome: str

    @property
    def adult(self) -> bool:
        """18 or over when referred."""
        return self.age_group.youngest >= 18


def _pick(rng: random.Random, shares: Mapping[Any, float]) -> Any:
    return rng.choices(list(shares), weights=list(shares.values()))[0]


def _years_before(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February in a year without one
        return day.replace(year=day.year - years, day=28)


def born_aged(rng: random.Random, age: int, today: dt.date) -> dt.date:
    """A date of birth that makes someone exactly `age` today."""
    latest = _years_before(today, age)
    earliest = _years_before(today, age + 1) + dt.timedelta(days=1)
    return earliest + dt.timedelta(days=rng.randrange((latest - earliest).days + 1))


def draw(rng: random.Random, today: dt.date, *, adult: bool | None = None) -> Profile:
    """One referral by the national shares (an adult or a child only, when asked)."""
    ages = {g: w for g, w in AGE.items() if adult is None or (g.youngest >= 18) == adult}
    group: AgeGroup = _pick(rng, ages)
    return Profile(
        sector=_pick(rng, SECTOR),
        concern_type=_pick(rng, CONCERN),
        age_group=group,
        date_of_birth=born_aged(rng, rng.randint(group.youngest, group.oldest), today),
        gender=_pick(rng, GENDER),
        mental_health=rng.random() < MENTAL_HEALTH_SHARE,
        outcome=_pick(rng, OUTCOME),
    )


def population(count: int, *, seed: int = 2025, today: dt.date | None = None) -> list[Profile]:
    """`count` referrals by the national shares, the same for the same seed."""
    rng = random.Random(seed)
    day = today or dt.datetime.now(dt.UTC).date()
    return [draw(rng, day) for _ in range(count)]


def referral_form(profile: Profile, area: str = "E08000003") -> dict[str, Any]:
    """The national referral form for this profile, as a partner would send it."""
    form = copy.deepcopy(SCHOOL_REFERRAL)
    organisation, role = _ORGANISATION[profile.sector]
    form["referrer"].update(sector=profile.sector, role=role, relationship_to_person=role)
    if organisation:
        form["referrer"]["organisation"] = organisation
    else:
        del form["referrer"]["organisation"]
    form["person"].update(
        date_of_birth=profile.date_of_birth.isoformat(),
        gender=profile.gender,
        school_or_occupation="Year group at school" if not profile.adult else "Not known",
    )
    form["concern"].update(
        type=profile.concern_type, mental_health_or_neurodiversity=profile.mental_health
    )
    form["area"] = area
    return form


def mix(profiles: list[Profile]) -> str:
    """A line saying how a population splits, for benchmark output."""

    def shares(values: list[str]) -> str:
        counts = sorted(Counter(values).items(), key=lambda item: -item[1])
        return ", ".join(f"{k} {100 * n / len(values):.0f}%" for k, n in counts)

    return "\n".join(
        f"  {name}: {shares(values)}"
        for name, values in (
            ("sector", [p.sector for p in profiles]),
            ("concern", [p.concern_type for p in profiles]),
            ("age", [p.age_group.label for p in profiles]),
            ("outcome", [p.outcome for p in profiles]),
        )
    )
