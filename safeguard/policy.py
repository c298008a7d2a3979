"""Deployment policy for the case lifecycle: local practice is configuration, not code.

The policy travels in each workflow's input, so a running case keeps the rules it started
with and a replay sees the same numbers.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, field_validator

from safeguard.codes import ClosureReason, ConsentPolicy


def _default_retention() -> dict[ClosureReason, int]:
    # Police keep records at least 6 years; the independent review recommended 3 for NFA.
    years = dict.fromkeys(ClosureReason, 6)
    years[ClosureReason.NO_FURTHER_ACTION] = 3
    return years


class LifecyclePolicy(BaseModel):
    """Time rules and options of the lifecycle, with the defaults of the Channel guidance."""

    model_config = ConfigDict(frozen=True)

    consent_policy: ConsentPolicy = ConsentPolicy.BEFORE_PANEL
    assessment_working_days: int = Field(5, ge=1, le=60)
    assessment_reminder_working_days: int = Field(1, ge=0, le=30)
    # England and Wales share bank holidays except where Wales has its own (none at present).
    holiday_subdivision: str = "ENG"
    police_review_days: int = Field(90, ge=1)
    consent_reminder_days: int = Field(7, ge=1)
    consent_expiry_days: int = Field(28, ge=1)
    consent_reassessment_days: int = Field(90, ge=1)
    support_review_days: int = Field(30, ge=1)
    review_overdue_days: int = Field(14, ge=1)
    # Months after exit at which the panel reviews the case; the last clean one closes it.
    post_exit_review_months: tuple[Annotated[int, Field(ge=1, le=120)], ...] = Field(
        (6, 12), min_length=1, max_length=12
    )
    # A review may be recorded from this many days before it falls due (and any time after).
    post_exit_review_window_days: int = Field(28, ge=0, le=365)
    retention_years: dict[ClosureReason, int] = Field(default_factory=_default_retention)

    @field_validator("post_exit_review_months")
    @classmethod
    def _ascending(cls, months: tuple[int, ...]) -> tuple[int, ...]:
        if list(months) != sorted(set(months)):
            raise ValueError("post-exit review months must be distinct and in ascending order")
        return months
