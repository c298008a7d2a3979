"""`POST /codec/decode`: Temporal payloads as protobuf JSON, decrypted for an auditor.

There is no `/codec/encode`: the Web UI encodes only what a user sends to a workflow, and its
write actions are off, so nothing here ever needs to encrypt on a caller's behalf.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Request
from google.protobuf.json_format import MessageToDict, ParseDict, ParseError
from pydantic import BaseModel, Field
from temporalio.api.common.v1 import Payloads

from safeguard.codec import EncryptionCodec
from safeguard.errors import ProblemError
from safeguard.errors import documented_problem as problem
from safeguard.web import PoolDep
from services.codec.access import Reader
from services.codec.decoding import decode_for

router = APIRouter(prefix="/codec", tags=["codec"])


# Base64, as protobuf JSON spells bytes (the OpenAPI says so; protobuf's parser checks it).
Base64 = Annotated[str, Field(json_schema_extra={"format": "byte"})]


class PayloadJson(BaseModel):
    """One Temporal payload as protobuf JSON: base64 metadata values and data."""

    metadata: dict[str, Base64] = Field(default_factory=dict)
    data: Base64 = ""


class PayloadsJson(BaseModel):
    """`{"payloads": [...]}`, as the Temporal Web UI sends and expects them."""

    payloads: list[PayloadJson]


def _codec(request: Request) -> EncryptionCodec:
    codec: EncryptionCodec = request.app.state.codec
    return codec


CodecDep = Annotated[EncryptionCodec, Depends(_codec)]
# Temporal namespace names: letters, digits, '.', '_' and '-'; the name goes into the log.
Namespace = Annotated[str | None, Header(pattern=r"^[A-Za-z0-9._-]{1,255}$")]

DECODE_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: problem(
        "No staff bearer token, or one that is invalid or expired.",
        {"WWW-Authenticate": {"schema": {"type": "string"}, "description": "`Bearer`"}},
    ),
    403: problem(
        "The role is not `auditor`; or a payload belongs to a case outside the caller's areas,"
        " to a case the audit store does not know yet, or to no case (written before payloads"
        " were bound to their workflow)."
    ),
    422: problem(
        "Not Temporal payloads, an invalid `X-Namespace`, a payload key this deployment does"
        " not have, or a payload that fails authentication."
    ),
}


def _parse(body: PayloadsJson) -> Payloads:
    try:
        return ParseDict(body.model_dump(), Payloads())
    except ParseError as error:
        raise ProblemError(422, "Not Temporal payloads", str(error)) from None


@router.post("/decode", responses=DECODE_RESPONSES)
async def decode(
    body: PayloadsJson,
    codec: CodecDep,
    pool: PoolDep,
    reader: Reader,
    x_namespace: Namespace = None,
) -> PayloadsJson:
    """Decrypt payloads of cases in the caller's areas, police-only fields withheld.

    Each case read is recorded in the access log before anything is returned. Payloads the
    codec never encrypted (search attributes, headers) come back as they were sent.
    """
    decoded = await decode_for(
        reader,
        list(_parse(body).payloads),
        codec=codec,
        pool=pool,
        purpose=f"Temporal Web UI, namespace {x_namespace or 'unknown'}",
    )
    # Spelled out: protobuf's JSON leaves an empty repeated field out, the UI expects the key.
    return PayloadsJson.model_validate({"payloads": [MessageToDict(p) for p in decoded]})
