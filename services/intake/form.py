"""The national referral form, version 1, as partner agencies and the public submit it."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Literal, Self

from pydantic import BeforeValidator, ConfigDict, Field, StrictBool, model_validator

from services.intake.fields import (
    AreaCode,
    BirthDate,
    Email,
    LongText,
    Name,
    Phone,
    Postcode,
    Strict,
    Text,
    exact_int,
)


class Sector(StrEnum):
    """The referrer's sector, as on the national referral form."""

    EDUCATION = "education"
    POLICE = "police"
    HEALTH = "health"
    LOCAL_AUTHORITY = "local_authority"
    COMMUNITY = "community"
    FAMILY_FRIEND = "family_friend"
    OTHER = "other"


# What a member of the public may say they are: never a public body.
PUBLIC_SECTORS = frozenset({Sector.FAMILY_FRIEND, Sector.COMMUNITY, Sector.OTHER})


class ConcernType(StrEnum):
    """The type of concern, as on the national referral form."""

    EXTREME_RIGHT_WING = "extreme_right_wing"
    ISLAMIST = "islamist"
    SCHOOL_MASSACRE = "school_massacre"
    MIXED_UNCLEAR_UNSTABLE = "mixed_unclear_unstable"
    CONFLICTED = "conflicted"
    OTHER = "other"


class Gender(StrEnum):
    """The person's gender as the referrer records it."""

    FEMALE = "female"
    MALE = "male"
    NON_BINARY = "non_binary"
    OTHER = "other"
    NOT_KNOWN = "not_known"


class Awareness(StrEnum):
    """Whether someone knows of the referral."""

    YES = "yes"
    NO = "no"
    NOT_KNOWN = "not_known"


class Relationship(StrEnum):
    """A household member's relationship to the person."""

    PARENT = "parent"
    GUARDIAN = "guardian"
    CARER = "carer"
    SIBLING = "sibling"
    PARTNER = "partner"
    CHILD = "child"
    GRANDPARENT = "grandparent"
    OTHER_RELATIVE = "other_relative"
    OTHER = "other"


# Those who may be asked for consent for a person under 18.
GUARDIAN_RELATIONSHIPS = frozenset({Relationship.PARENT, Relationship.GUARDIAN, Relationship.CARER})


class Referrer(Strict):
    """Who is making the referral, and how to reach them (an email or a phone, or both)."""

    # The OpenAPI states the rule `_reachable` enforces, so a form it calls valid is accepted.
    model_config = ConfigDict(
        json_schema_extra={
            "description": "Who is making the referral. It must give an email address or a"
            " phone number (or both): a referrer with neither is refused (422).",
            "anyOf": [
                {"required": [name], "properties": {name: {"type": "string"}}}
                for name in ("email", "phone")
            ],
        }
    )

    name: Name
    role: Text
    organisation: Text | None = None
    sector: Sector
    email: Email | None = None
    phone: Phone | None = None
    relationship_to_person: Text | None = None

    @model_validator(mode="after")
    def _reachable(self) -> Self:
        if self.email is None and self.phone is None:
            raise ValueError("give an email address or a phone number for the referrer")
        return self


class Address(Strict):
    """A postal address in the United Kingdom."""

    line_1: Text
    line_2: Text | None = None
    town: Text
    postcode: Postcode | None = None


class Person(Strict):
    """The person the referral is about."""

    given_names: Name
    family_name: Name
    other_names: list[Name] = Field(default_factory=list, max_length=5)
    date_of_birth: BirthDate
    gender: Gender | None = None
    address: Address | None = None
    phone: Phone | None = None
    email: Email | None = None
    ethnicity: Text | None = None
    nationality: Text | None = None
    religion: Text | None = None
    languages: list[Text] = Field(default_factory=list, max_length=10)
    school_or_occupation: Text | None = None
    aware_of_referral: Awareness = Awareness.NOT_KNOWN
    family_aware_of_referral: Awareness = Awareness.NOT_KNOWN


class HouseholdMember(Strict):
    """Someone living with the person."""

    given_names: Name
    family_name: Name
    date_of_birth: BirthDate | None = None
    relationship: Relationship
    phone: Phone | None = None
    email: Email | None = None


class OtherAgency(Strict):
    """Another agency already involved with the person."""

    name: Text
    service: Text | None = None
    contact_name: Name | None = None
    contact_email: Email | None = None
    contact_phone: Phone | None = None


class Concern(Strict):
    """What the referrer is worried about."""

    type: ConcernType
    description: LongText
    online_activity: LongText | None = None
    threats_of_harm: LongText | None = None
    special_educational_needs: StrictBool | None = None
    mental_health_or_neurodiversity: StrictBool | None = None
    complex_needs: StrictBool | None = None
    needs_detail: LongText | None = None


class ReferralCreate(Strict):
    """A referral on the national referral form."""

    form_version: Annotated[Literal[1], BeforeValidator(exact_int)] = Field(
        1, description="Version of the form; only 1 exists."
    )
    area: AreaCode | None = Field(
        None,
        description="Local authority area (ONS code) where the person lives, if known;"
        " otherwise the registered area of the submitting agency.",
    )
    referrer: Referrer
    person: Person
    household_members: list[HouseholdMember] = Field(default_factory=list, max_length=20)
    other_agencies: list[OtherAgency] = Field(default_factory=list, max_length=20)
    concern: Concern
