"""`POST /codec/encode` and `/codec/decode`: Temporal payloads as protobuf JSON, both ways."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Any

from cryptography.exceptions import InvalidTag
from fastapi import APIRouter, Body, Depends, Header, Request
from google.protobuf.json_format import MessageToDict, ParseDict, ParseError
from temporalio.api.common.v1 import Payload, Payloads

from safeguard.access_log import record_read
from safeguard.auth.staff import StaffPrincipal
from safeguard.auth.staff_deps import require_roles
from safeguard.codec import EncryptionCodec, UnknownKeyError
from safeguard.codes import Role
from safeguard.errors import ProblemError
from safeguard.web import PoolDep

router = APIRouter(prefix="/codec", tags=["codec"])
# The roles that read case content through their own services; operators run the platform
# and see ids, stages and timings in the UI, never the payloads.
Reader = Annotated[
    StaffPrincipal,
    Depends(require_roles(Role.AUDITOR, Role.PREVENT_OFFICER, Role.CHANNEL_CHAIR)),
]
PayloadsBody = Annotated[
    dict[str, Any], Body(description='`{"payloads": [{"metadata": {...}, "data": "..."}]}`')
]


def _codec(request: Request) -> EncryptionCodec:
    codec: EncryptionCodec = request.app.state.codec
    return codec


CodecDep = Annotated[EncryptionCodec, Depends(_codec)]


def _parse(body: dict[str, Any]) -> Payloads:
    try:
        return ParseDict(body, Payloads())
    except ParseError as error:
        raise ProblemError(422, "Not Temporal payloads", str(error)) from None


def _render(payloads: Sequence[Payload]) -> dict[str, Any]:
    # Spelled out: protobuf's JSON leaves an empty repeated field out, the UI expects the key.
    return {"payloads": [MessageToDict(payload) for payload in payloads]}


@router.post("/encode")
async def encode(body: PayloadsBody, codec: CodecDep, _reader: Reader) -> dict[str, Any]:
    """Encrypt payloads under the active key (the UI encodes what a user sends)."""
    encoded = await codec.encode(list(_parse(body).payloads))
    return _render(encoded)


@router.post("/decode")
async def decode(
    body: PayloadsBody,
    codec: CodecDep,
    pool: PoolDep,
    reader: Reader,
    x_namespace: Annotated[str | None, Header()] = None,
) -> dict[str, Any]:
    """Decrypt payloads; each call is recorded in the access log before anything is returned."""
    payloads = list(_parse(body).payloads)
    try:
        decoded = await codec.decode(payloads)
    except UnknownKeyError as error:
        raise ProblemError(422, "Unknown payload key", f"No key {error.args[0]!r}.") from None
    except InvalidTag:
        raise ProblemError(
            422, "Undecryptable payload", "A payload failed authentication."
        ) from None
    async with pool.acquire() as conn, conn.transaction():
        # The UI says which namespace but not which case, so the read names no referral.
        await record_read(
            conn,
            service="codec",
            principal=reader,
            referral_id=None,
            fields=[f"temporal.payloads:{len(payloads)}"],
            purpose=f"Temporal Web UI, namespace {x_namespace or 'unknown'}",
        )
    return _render(decoded)
