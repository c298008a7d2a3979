"""Request and response bodies of the approved-provider register."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StrictBool

from safeguard.codes import InterventionType
from safeguard.timestamps import IsoDate
from workflows.referral.actions import Ident

Name = Annotated[str, Field(min_length=1, max_length=200)]
Support = Annotated[list[InterventionType], Field(min_length=1, max_length=len(InterventionType))]
Areas = Annotated[list[Ident], Field(max_length=200)]


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ProviderFields(_Body):
    """What the register says of a provider: who, what support, where, until when."""

    name: Name = Field(description="The provider's name, as staff know it.")
    support: Support = Field(description="The kinds of intervention it is approved to give.")
    areas: Areas = Field(
        default_factory=list,
        description="The areas it is approved in (ignored when `national`). A plan may choose"
        " it only for a case in one of them.",
    )
    national: StrictBool = Field(False, description="Approved in every area.")
    approved_until: IsoDate = Field(
        description="The last day of its approval: from the next day plans may not choose it."
    )


class ProviderCreate(ProviderFields):
    """A new entry of the register."""

    id: Ident = Field(
        description="The provider's id: the `provider_id` claim of its staff's tokens, by which"
        " they see the plan items assigned to it. Chosen once; it never changes."
    )


class ProviderUpdate(ProviderFields):
    """An entry's new content (all of it); `active` false deactivates it."""

    active: StrictBool = True


class ProviderRead(BaseModel):
    """An entry of the register; `version` is its ETag, to send back in `If-Match`."""

    id: str
    name: str
    support: list[InterventionType]
    areas: list[str]
    national: bool
    approved_until: dt.date
    active: bool
    usable: bool = Field(
        description="Whether a plan may choose it today: active and its approval not ended."
    )
    version: int
    updated_at: dt.datetime
