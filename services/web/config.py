"""The web front end's endpoints, resolved from settings (local defaults in development)."""

from __future__ import annotations

from dataclasses import dataclass

from safeguard.settings import DEV_WEB_CLIENT_SECRET, DEV_WEB_SESSION_KEY, Settings


class WebConfigError(ValueError):
    """A setting the web front end needs outside development is missing."""


@dataclass(frozen=True)
class WebConfig:
    """Where the issuer, this site and the APIs are."""

    issuer: str
    client_secret: str
    public_url: str
    api_urls: dict[str, str]


def web_config(settings: Settings) -> WebConfig:
    """Resolve the issuer, public URL and API URLs; production must name each."""
    web = settings.web
    local = "http://127.0.0.1"
    if settings.environment == "production":
        _check_production(settings)
    # One organisation, one issuer: the APIs' trusted issuer unless the site names its own.
    issuer = (
        web.oidc_issuer
        or settings.staff_oidc_issuer
        or f"{local}:{settings.stack.keycloak}/realms/safeguard"
    )
    ports = settings.services
    return WebConfig(
        issuer=issuer.rstrip("/"),
        client_secret=settings.web.oidc_client_secret.get_secret_value(),
        public_url=(web.public_url or f"{local}:{ports.web}").rstrip("/"),
        api_urls={
            "assessment": web.assessment_url or f"{local}:{ports.assessment}",
            "panel": web.panel_url or f"{local}:{ports.panel}",
            "audit": web.audit_url or f"{local}:{ports.audit}",
            "statistics": web.statistics_url or f"{local}:{ports.statistics}",
            "intake": settings.intake_internal_base(),
        },
    )


def _check_production(settings: Settings) -> None:
    """Only the web front end needs these, so only it refuses to start without them."""
    web = settings.web
    if (web.oidc_issuer or settings.staff_oidc_issuer) is None or not web.public_url:
        raise WebConfigError("set SAFEGUARD_STAFF_OIDC_ISSUER and SAFEGUARD_WEB__PUBLIC_URL")
    if web.session_key.get_secret_value() == DEV_WEB_SESSION_KEY:
        raise WebConfigError("set SAFEGUARD_WEB__SESSION_KEY: the default is public")
    if web.oidc_client_secret.get_secret_value() == DEV_WEB_CLIENT_SECRET:
        raise WebConfigError("set SAFEGUARD_WEB__OIDC_CLIENT_SECRET: the default is public")
