"""Request dependencies of intake: the caller's API key, its rate limits, the media type."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from safeguard.auth import ratelimit
from safeguard.auth.credentials import Caller, CredentialError, authenticate
from safeguard.auth.ratelimit import Budget
from safeguard.db.pool import Connection
from safeguard.errors import ProblemError
from safeguard.web import PoolDep

_bearer = HTTPBearer(
    auto_error=False,
    scheme_name="ApiKey",
    bearerFormat="sg_<key id>_<secret>",
    description="The API key issued by `safeguard agencies register` or `rotate`.",
)


async def _connection(pool: PoolDep) -> AsyncIterator[Connection]:
    # One pooled connection serves the whole request (the key, the rate limit and the work),
    # and goes back after the answer is sent: the pool's reset on release is a round trip,
    # which a submission once paid twice before answering.
    async with pool.acquire() as conn:
        yield conn


ConnectionDep = Annotated[Connection, Depends(_connection)]


def _unauthorised(title: str, detail: str) -> ProblemError:
    return ProblemError(401, title, detail, headers={"WWW-Authenticate": 'Bearer realm="intake"'})


async def _caller(
    conn: Connection,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    budget: Budget,
) -> Caller:
    if credentials is None:
        raise _unauthorised("Missing credentials", "Send `Authorization: Bearer <API key>`.")
    try:
        caller = await authenticate(conn, credentials.credentials)
    except CredentialError as refused:
        raise _unauthorised(refused.title, refused.detail) from None
    limit = caller.read_limit if budget is Budget.READ else caller.limit
    decision = await ratelimit.take(conn, client_id=caller.client_id, limit=limit, budget=budget)
    if not decision.allowed:
        wait = decision.retry_after_seconds
        raise ProblemError(
            429,
            "Too many requests",
            f"This client's {_WORDS[budget]} rate limit is used up; retry in {wait} s.",
            headers={"Retry-After": str(wait)},
        )
    return caller


_WORDS = {Budget.SUBMIT: "submission", Budget.READ: "status read"}


async def _submitter(
    conn: ConnectionDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Caller:
    return await _caller(conn, credentials, Budget.SUBMIT)


async def _reader(
    conn: ConnectionDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Caller:
    return await _caller(conn, credentials, Budget.READ)


async def _uploader(
    pool: PoolDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Caller:
    # An upload streams for seconds: a connection held meanwhile would idle in the pool's
    # stead, so the caller is checked on one given back at once (the upload takes its own).
    async with pool.acquire() as conn:
        return await _caller(conn, credentials, Budget.SUBMIT)


# A submission and a status read each spend their own budget of the client's; an upload is a
# submission.
SubmitterDep = Annotated[Caller, Depends(_submitter)]
ReaderDep = Annotated[Caller, Depends(_reader)]
UploaderDep = Annotated[Caller, Depends(_uploader)]


async def require_json(request: Request) -> None:
    """Refuse a body that is not JSON with 415 rather than a confusing validation error."""
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type != "application/json" and not media_type.endswith("+json"):
        raise ProblemError(
            415, "Unsupported media type", "Send the referral as `Content-Type: application/json`."
        )
