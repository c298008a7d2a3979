"""HTTP routes of the intake service: authenticate, parse, delegate, answer."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Depends, Header, Response
from fastapi.openapi.models import Example

from safeguard.fieldcrypt.setup import FieldsDep
from services.intake import service
from services.intake.deps import ConnectionDep, ReaderDep, SubmitterDep, require_json
from services.intake.form import ReferralCreate
from services.intake.models import ReferralAccepted, ReferralStatus
from services.intake.openapi import (
    FORM_EXAMPLES,
    IDEMPOTENCY_KEY_PLACEHOLDER,
    STATUS_RESPONSES,
    SUBMIT_RESPONSES,
)

router = APIRouter(prefix="/v1/referrals", tags=["referrals"])

IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        min_length=1,
        max_length=255,
        pattern=r"^[\x21-\x7e]+$",
        description="A key you make for each new referral: any string of 1 to 255 printable"
        " ASCII characters without spaces, unique among your client's referrals (a new random"
        " UUID per referral is ideal). A retry with the same key and body answers as the first"
        " request did; the same key with another body is refused (422). Without a key, an"
        " identical body from the same client counts as a retry. The example is a placeholder,"
        " not a key: sent as it is, it is refused at once.",
        # Not a usable key (it holds spaces), so copying the documentation cannot give every
        # later referral of a client the same key: a fixed UUID here once did.
        openapi_examples={
            "placeholder": Example(
                summary="A new key for each referral", value=IDEMPOTENCY_KEY_PLACEHOLDER
            )
        },
    ),
]


@router.post(
    "",
    status_code=201,
    responses=SUBMIT_RESPONSES,
    dependencies=[Depends(require_json)],
)
async def submit_referral(
    caller: SubmitterDep,
    form: Annotated[ReferralCreate, Body(openapi_examples=FORM_EXAMPLES)],
    response: Response,
    conn: ConnectionDep,
    fields: FieldsDep,
    idempotency_key: IdempotencyKey = None,
) -> ReferralAccepted:
    """Submit a referral on the national referral form; the answer carries its reference."""
    submission = await service.submit_referral(
        conn, caller=caller, form=form, idempotency_key=idempotency_key, fields=fields
    )
    response.headers["Location"] = submission.accepted.status_url
    if submission.replayed:
        response.headers["Idempotent-Replayed"] = "true"
    return submission.accepted


@router.get("/{reference}", responses=STATUS_RESPONSES)
async def get_referral_status(
    reference: str, caller: ReaderDep, conn: ConnectionDep
) -> ReferralStatus:
    """The minimal status of one of your referrals: received, being assessed or closed."""
    return await service.referral_status(conn, caller=caller, reference=reference)
