"""Service tokens for tests: what each calling service sends, as the services under test trust
it (the development key of the settings' data dir)."""

from __future__ import annotations

from safeguard.auth.service_identity import ServiceClient
from safeguard.auth.service_tokens import bearer, mint_service_token
from safeguard.auth.staff import development_signing_key
from safeguard.settings import Settings


def service_headers(settings: Settings, client: ServiceClient) -> dict[str, str]:
    """`Authorization` with `client`'s development token, valid for five minutes."""
    token = mint_service_token(
        development_signing_key(settings.data_dir),
        client=client,
        audience=settings.service_auth.audience,
    )
    return bearer(token)
