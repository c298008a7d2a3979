"""The categories the release counts by, as data: the order and wording of each table's rows.

Age groups are schemes, so a release can be produced with the groups of the year it
reproduces: the recent releases' groups (`RECENT_AGES`), or the first releases' broader ones.
A fact row keeps the group of every scheme here (never the age itself), so adding a scheme
means filling it in for existing rows from intake again (see docs/developers/statistics.md).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

NOT_KNOWN = "Not known"


@dataclass(frozen=True)
class AgeBand:
    """Ages `youngest` to `oldest` in whole years at referral (`oldest` None: and over)."""

    label: str
    youngest: int
    oldest: int | None

    def holds(self, age: int) -> bool:
        """Whether someone of this age at referral is in the band."""
        return self.youngest <= age and (self.oldest is None or age <= self.oldest)


@dataclass(frozen=True)
class AgeScheme:
    """A release's age groups, youngest first."""

    code: str
    description: str
    bands: tuple[AgeBand, ...]

    def group_of(self, age: int | None) -> str:
        """The label of the band an age falls in; `NOT_KNOWN` without an age."""
        if age is None:
            return NOT_KNOWN
        return next((band.label for band in self.bands if band.holds(age)), NOT_KNOWN)

    @property
    def labels(self) -> tuple[str, ...]:
        """Every group in table order, not known last."""
        return (*(band.label for band in self.bands), NOT_KNOWN)


def _ten_year_bands(first: int, last: int) -> tuple[AgeBand, ...]:
    bands = [AgeBand(f"{y}-{y + 9}", y, y + 9) for y in range(first, last, 10)]
    return (*bands, AgeBand(f"{last} and over", last, None))


RECENT_AGES = AgeScheme(
    code="recent",
    description="The groups of the releases since 2019-20: 10 or under, 11-15, 16-17, 18-20,"
    " then ten-year groups",
    bands=(
        AgeBand("10 or under", 0, 10),
        AgeBand("11-15", 11, 15),
        AgeBand("16-17", 16, 17),
        AgeBand("18-20", 18, 20),
        *_ten_year_bands(21, 61),
    ),
)
EARLY_AGES = AgeScheme(
    code="early",
    description="The broader groups of the first releases (2015-16 to 2017-18): under 15,"
    " 15-20, 21-30, 31-40, 41 and over",
    bands=(
        AgeBand("Under 15", 0, 14),
        AgeBand("15-20", 15, 20),
        AgeBand("21-30", 21, 30),
        AgeBand("31-40", 31, 40),
        AgeBand("41 and over", 41, None),
    ),
)
AGE_SCHEMES: Mapping[str, AgeScheme] = {s.code: s for s in (RECENT_AGES, EARLY_AGES)}

# Row labels in table order; the keys are the codes the events and the form carry.
SECTORS: Mapping[str, str] = {
    "education": "Education",
    "police": "Police",
    "health": "Health",
    "local_authority": "Local authority",
    "community": "Community",
    "family_friend": "Family or friend",
    "other": "Other",
}
CONCERNS: Mapping[str, str] = {
    "islamist": "Islamist",
    "extreme_right_wing": "Extreme right-wing",
    "mixed_unclear_unstable": "Mixed, unclear or unstable",
    "school_massacre": "School massacre fixation",
    "conflicted": "Conflicted",
    "other": "Other",
}
# The form's codes; non-binary and other are one group, as the releases count them.
GENDERS: Mapping[str, str] = {
    "male": "Male",
    "female": "Female",
    "non_binary": "Other",
    "other": "Other",
    "not_known": NOT_KNOWN,
}


def labels_of(codes: Mapping[str, str]) -> tuple[str, ...]:
    """Distinct labels in order, not known last."""
    seen = dict.fromkeys(label for label in codes.values() if label != NOT_KNOWN)
    return (*seen, NOT_KNOWN)


# What became of a referral, one outcome each (the furthest it went), in table order.
OUTCOMES: Mapping[str, str] = {
    "no_further_action": "No further action",
    "signposted": "Signposted to other services",
    "police_led": "Police-led case management",
    "pursue": "Escalated to Pursue",
    "channel_not_discussed": "Referred to Channel, not discussed at a panel",
    "discussed_not_adopted": "Discussed at a Channel panel, not adopted",
    "adopted": "Adopted as a Channel case",
    "awaiting": "Awaiting an outcome",
}
DISCUSSED = ("discussed_not_adopted", "adopted")
