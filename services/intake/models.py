"""Request and response bodies of the intake API."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, EmailStr, Field, field_validator

Text = Annotated[str, Field(min_length=1, max_length=200)]
LongText = Annotated[str, Field(min_length=1, max_length=10_000)]


class Sector(StrEnum):
    """The referrer's sector, as on the national referral form."""

    EDUCATION = "education"
    POLICE = "police"
    HEALTH = "health"
    LOCAL_AUTHORITY = "local_authority"
    COMMUNITY = "community"
    FAMILY_FRIEND = "family_friend"
    OTHER = "other"


class ConcernType(StrEnum):
    """The type of concern, as on the national referral form."""

    EXTREME_RIGHT_WING = "extreme_right_wing"
    ISLAMIST = "islamist"
    SCHOOL_MASSACRE = "school_massacre"
    MIXED_UNCLEAR_UNSTABLE = "mixed_unclear_unstable"
    CONFLICTED = "conflicted"
    OTHER = "other"


class Strict(BaseModel):
    """Unknown fields are rejected, so a typo never silently drops data."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class Referrer(Strict):
    """Who is making the referral."""

    name: Text
    role: Text
    organisation: Text
    sector: Sector
    email: EmailStr


class Person(Strict):
    """The person the referral is about."""

    given_names: Text
    family_name: Text
    date_of_birth: dt.date

    @field_validator("date_of_birth")
    @classmethod
    def _not_in_future(cls, value: dt.date) -> dt.date:
        if value > dt.datetime.now(dt.UTC).date():
            raise ValueError("date of birth is in the future")
        return value


class Concern(Strict):
    """What the referrer is worried about."""

    type: ConcernType
    description: LongText


class ReferralCreate(Strict):
    """A referral on the national referral form (version 1)."""

    referrer: Referrer
    person: Person
    concern: Concern


class ReferralAccepted(Strict):
    """The answer to a submitted referral."""

    reference: str = Field(examples=["PRV-2026-000123"])
    status_url: str = Field(examples=["/v1/referrals/PRV-2026-000123"])


class ReferralStatus(Strict):
    """What a referrer may see of a referral: its reference and a minimal status."""

    reference: str
    status: str = Field(examples=["received"])
