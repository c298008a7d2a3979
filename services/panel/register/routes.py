"""HTTP routes of the approved-provider register: parse, authorise, delegate."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Response

from safeguard.errors import documented_problem
from safeguard.if_match import etag, required_version
from safeguard.web import PoolDep
from services.panel import cases
from services.panel.access import Reader
from services.panel.register import service
from services.panel.register.access import Keeper, RegisterReader
from services.panel.register.models import ProviderCreate, ProviderRead, ProviderUpdate

register_router = APIRouter(prefix="/v1/providers", tags=["provider register"])
case_providers_router = APIRouter(prefix="/v1/cases", tags=["support"])

ProviderId = Annotated[str, Path(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9._:@-]+$")]
Version = Annotated[int, Depends(required_version(service.NOUN))]
_ETAG = {"ETag": {"schema": {"type": "string"}, "description": 'The entry\'s version, e.g. "3".'}}
TAGGED: dict[int | str, dict[str, Any]] = {200: {"headers": _ETAG}}


def _tagged(response: Response, entry: ProviderRead) -> ProviderRead:
    response.headers["ETag"] = etag(entry.version)
    return entry


@register_router.get("")
async def list_providers(
    principal: RegisterReader,
    pool: PoolDep,
    area: Annotated[str | None, Query(max_length=100, pattern=r"^[A-Za-z0-9._:@-]+$")] = None,
    usable: bool = False,
) -> list[ProviderRead]:
    """The register by name: those approved in `area` (national ones included) and, with
    `usable`, only those a plan may choose today."""
    return await service.list_providers(pool, area=area, usable=usable)


@register_router.post(
    "",
    status_code=201,
    responses={
        201: {"headers": _ETAG},
        409: documented_problem("The register has an entry with that id already."),
    },
)
async def create_provider(
    body: ProviderCreate, principal: Keeper, pool: PoolDep, response: Response
) -> ProviderRead:
    """Approve a provider: plans may choose it in its areas, for its kinds of support, until
    its approval ends."""
    return _tagged(response, await service.create(pool, principal=principal, body=body))


@register_router.get("/{provider_id}", responses=TAGGED)
async def get_provider(
    provider_id: ProviderId, principal: RegisterReader, pool: PoolDep, response: Response
) -> ProviderRead:
    """One entry; its ETag is the version to send back in If-Match."""
    return _tagged(response, await service.read(pool, provider_id=provider_id))


@register_router.put("/{provider_id}", responses=TAGGED)
async def update_provider(
    provider_id: ProviderId,
    body: ProviderUpdate,
    principal: Keeper,
    version: Version,
    pool: PoolDep,
    response: Response,
) -> ProviderRead:
    """Replace an entry's content (renew its approval, change its areas, deactivate or
    reactivate it); needs If-Match (428 without, 412 if stale)."""
    entry = await service.update(
        pool, principal=principal, provider_id=provider_id, version=version, body=body
    )
    return _tagged(response, entry)


@register_router.post("/{provider_id}/deactivate", responses=TAGGED)
async def deactivate_provider(
    provider_id: ProviderId, principal: Keeper, version: Version, pool: PoolDep, response: Response
) -> ProviderRead:
    """Plans may no longer choose the provider (the items they have keep it); needs If-Match."""
    entry = await service.deactivate(
        pool, principal=principal, provider_id=provider_id, version=version
    )
    return _tagged(response, entry)


@case_providers_router.get("/{reference}/providers")
async def list_case_providers(
    reference: str, principal: Reader, pool: PoolDep
) -> list[ProviderRead]:
    """The providers a plan for this case may choose today: usable, approved in its area."""
    async with pool.acquire() as conn:
        row = await cases.visible_case(conn, principal, reference)
    return await service.list_providers(pool, area=row["area"], usable=True)
