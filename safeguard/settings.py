"""Typed configuration for every process, read from `SAFEGUARD_*` environment variables."""

from __future__ import annotations

import base64
import binascii
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, PostgresDsn, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from safeguard.attachments.settings import AttachmentSettings
from safeguard.auth.claims import StaffClaimNames
from safeguard.codes import Role
from safeguard.fieldcrypt.settings import FieldSettings
from safeguard.policy import LifecyclePolicy
from safeguard.temporal_tls import TemporalTlsSettings

# Development only: a well-known key is no secret, so production refuses it.
DEV_PAYLOAD_KEY_ID = "dev-1"
DEV_PAYLOAD_KEY = "ZGV2ZWxvcG1lbnQta2V5LW5vdC1hLXNlY3JldC0wMDA="
DEV_AUDIT_CHAIN_KEY = "dev-audit-chain-key"  # noqa: S105 - public by design; refused in production
DEV_WEB_CLIENT_SECRET = "dev-web-client-secret"  # noqa: S105 - refused in production
DEV_WEB_SESSION_KEY = "ZGV2ZWxvcG1lbnQtd2ViLXNlc3Npb24ta2V5LTAwMDA="  # noqa: S105 - refused in production


def _key_bytes(encoded: str) -> bytes | None:
    """A base64 key's bytes (one key has several spellings); None if it is not base64."""
    try:
        return base64.b64decode(encoded.strip(), validate=True)
    except binascii.Error:
        return None


class PlaceholderSecretError(ValueError):
    """A development placeholder secret was configured outside development."""


class StackPorts(BaseModel):
    """Loopback ports of the embedded local stack (`safeguard stack up`)."""

    postgres: int = 15432
    kafka: int = 19092
    kafka_controller: int = 19093
    temporal: int = 7233
    temporal_ui: int = 8233
    keycloak: int = 18080
    keycloak_management: int = 18081
    clamd: int = 13310


class ServicePorts(BaseModel):
    """Loopback ports the services listen on under `safeguard run`."""

    intake: int = 8001
    assessment: int = 8002
    panel: int = 8003
    notifications: int = 8004
    audit: int = 8005
    codec: int = 8006
    statistics: int = 8007
    web: int = 8000


class NotificationSettings(BaseModel):
    """How the notifications service delivers (`SAFEGUARD_NOTIFICATIONS__*`)."""

    # Email and SMS go through SMTP (email only) or GOV.UK Notify; partner systems by webhook.
    channel: Literal["smtp", "notify"] = "smtp"
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 8025
    smtp_sender: str = "notifications@safeguard.invalid"
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_starttls: bool = False
    # None: run a local SMTP sink (mail kept under data_dir/mail) in development only.
    smtp_local_sink: bool | None = None
    notify_api_key: SecretStr | None = None
    notify_base_url: str = "https://api.notifications.service.gov.uk"
    # Our template name -> the GOV.UK Notify template id that renders it.
    notify_template_ids: dict[str, str] = Field(default_factory=dict)
    webhook_timeout_seconds: float = 10.0
    # Letters (consent requests made by letter): GOV.UK Notify's letter channel, or a print
    # queue, a directory of one JSON file per letter that the deployment's print service
    # collects. None: Notify when `channel` is notify, else the print queue.
    letter_channel: Literal["notify", "print_queue"] | None = None
    # The print queue's directory. Unset: data_dir/letters.
    print_queue_dir: Path | None = None
    # The consumer records notifications; the dispatcher sends them. Either can run alone.
    dispatch_enabled: bool = True
    max_attempts: int = 6
    retry_base_seconds: float = 2.0
    retry_max_seconds: float = 600.0


# Roles a deployment may let keep the approved-provider register.
REGISTER_KEEPERS = frozenset({Role.CHANNEL_CHAIR, Role.PANEL_MEMBER, Role.PREVENT_OFFICER})


class PanelSettings(BaseModel):
    """The panel service (`SAFEGUARD_PANEL__*`): the consent links it issues and who keeps
    the register of approved intervention providers."""

    # A consent link can be answered this many days after it was issued (withdrawing does
    # not expire); a new link for the case replaces any unused one.
    consent_link_days: int = Field(14, ge=1, le=90)
    # Wrong details (reference, date of birth) this many times lock the link for good.
    consent_link_max_attempts: int = Field(5, ge=1, le=20)
    # Roles that add, change and deactivate entries of the approved-provider register (a
    # deployment may give it to an administrator role instead of, or beside, the chair).
    provider_register_roles: list[Role] = Field(
        default_factory=lambda: [Role.CHANNEL_CHAIR], min_length=1
    )

    @field_validator("provider_register_roles")
    @classmethod
    def _staff_who_may_write(cls, roles: list[Role]) -> list[Role]:
        # Auditors and operators never write; providers and the public do not keep registers.
        refused = sorted(set(roles) - REGISTER_KEEPERS)
        if refused:
            raise ValueError(f"these roles may not keep the provider register: {refused}")
        return roles


class AuditLogSettings(BaseModel):
    """The audit log's sequencer and checkpoints (`SAFEGUARD_AUDIT_LOG__*`)."""

    # The checkpoints' origin line and key name: names this deployment's log.
    origin: str = "safeguard.local/audit-log"
    # The Ed25519 signing key (PKCS #8 PEM), outside the database. Unset: data_dir/keys/
    # audit-log.pem, made on first use in development; production must set it.
    signing_key_file: Path | None = None
    # The verifier key auditors trust (`name+keyid+base64`). Unset: derived from the signing
    # key, which suits development only: an auditor should be given it independently.
    verifier_key: str | None = None
    # The write-once copy of every checkpoint. Unset: data_dir/audit-checkpoints.
    checkpoint_dir: Path | None = None
    # How often the sequencer looks for new entries, how many it takes at once, and how
    # often at most it signs a checkpoint when the log has grown.
    sequence_seconds: float = Field(0.2, gt=0, le=60)
    batch: int = Field(5_000, ge=1, le=100_000)
    checkpoint_seconds: float = Field(10.0, gt=0, le=3_600)


class TelemetrySettings(BaseModel):
    """Where spans and metrics go (`SAFEGUARD_TELEMETRY__*`)."""

    # An OTLP/HTTP collector, e.g. http://collector:4318; unset: spans go to data_dir/traces.
    otlp_endpoint: str | None = None
    # The share of traces recorded, decided at each trace's root (by its id) and followed by
    # every span under it, across services: 1 keeps every trace, 0.1 one in ten.
    trace_sample_ratio: float = Field(1.0, ge=0.0, le=1.0)
    # The worker is no web app: it serves Prometheus metrics on these ports, on loopback unless
    # a deployment opens them to its scraper (0.0.0.0 in a pod).
    metrics_host: str = "127.0.0.1"
    worker_metrics_port: int = 9101
    temporal_metrics_port: int = 9102


class ServiceAuthSettings(BaseModel):
    """This process's credentials for other services' internal APIs (`SAFEGUARD_SERVICE_AUTH__*`).

    OAuth2 client credentials at the staff issuer (`staff_oidc_issuer`): each deployment of a
    calling service (assessment, panel, notifications) has its own client, granted only what it
    needs (safeguard.auth.service_identity). Without a secret, outside production, a service
    signs its own development tokens with the local development key; production refuses to.
    """

    # Unset: the service's client in the development realm (`svc-panel`, ...).
    client_id: str | None = None
    client_secret: SecretStr | None = None
    # Unset: the `token_endpoint` of the issuer's discovery document.
    token_url: str | None = None
    # Entra ID needs the API's scope (`api://<app id>/.default`); Keycloak needs none.
    scope: str | None = None
    # Every service token must name this audience, and no staff token does.
    audience: str = "safeguard-internal"
    # A token is renewed this long before it expires, so none expires on its way.
    renew_seconds: float = Field(30.0, ge=0)
    timeout_seconds: float = 5.0


class StatisticsSettings(BaseModel):
    """The statistics service (`SAFEGUARD_STATISTICS__*`): disclosure control and how it asks
    intake (`intake_internal_url`) for the age and gender of new referrals."""

    # Counts from 1 to this less one are suppressed as [c] (with the cells that would reveal
    # them) in the tables of an area, police force area or region.
    suppression_threshold: int = Field(5, ge=1, le=1000)
    # The national tables too (the Home Office publishes its national tables unsuppressed).
    suppress_national: bool = False
    # Referrals asked about per call to intake, and how often to look for new ones.
    facts_batch: int = Field(500, ge=1, le=500)
    facts_poll_seconds: float = Field(2.0, gt=0)
    # Tables below the national level are protected together in the background
    # (services/statistics/protection.py): a period asked for within `protection_keep_days`
    # is counted again once its protection is this old, and protected again if it changed.
    protection_refresh_seconds: float = Field(900.0, gt=0)
    protection_keep_days: int = Field(30, ge=1)


class WebSettings(BaseModel):
    """The staff web front end (`SAFEGUARD_WEB__*`): its OpenID Connect client and sessions."""

    # Unset: the APIs' `staff_oidc_issuer` (in development the embedded Keycloak's realm).
    oidc_issuer: str | None = None
    oidc_client_id: str = "safeguard-web"
    # The development realm's client secret is public; production must set its own.
    oidc_client_secret: SecretStr = SecretStr(DEV_WEB_CLIENT_SECRET)
    oidc_scopes: str = "openid profile email"
    # Where people reach the site (the redirect URI is built from it); unset: loopback.
    public_url: str | None = None
    session_idle_minutes: int = 30
    session_max_hours: int = 12
    # Base64 AES-256 key sealing each server-side session (it holds the user's tokens).
    session_key: SecretStr = SecretStr(DEV_WEB_SESSION_KEY)
    # The APIs the pages call with the user's own token; unset: the local services.
    assessment_url: str | None = None
    panel_url: str | None = None
    audit_url: str | None = None
    statistics_url: str | None = None
    api_timeout_seconds: float = 10.0


class Settings(BaseSettings):
    """Every endpoint defaults to the embedded stack; set one to use an external service."""

    model_config = SettingsConfigDict(
        env_prefix="SAFEGUARD_",
        env_nested_delimiter="__",
        env_ignore_empty=True,
        extra="ignore",
    )

    environment: Literal["development", "test", "production"] = "development"
    data_dir: Path = Path(".data")
    stack: StackPorts = Field(default_factory=StackPorts)
    # A JDK 21+ for the embedded Keycloak; unset: $JAVA_HOME if new enough, else /usr/lib/jvm/*.
    keycloak_java_home: Path | None = None
    services: ServicePorts = Field(default_factory=ServicePorts)

    database_url: PostgresDsn | None = None
    database_pool_max: int = 10

    temporal_address: str | None = None
    temporal_namespace: str = "default"
    temporal_task_queue: str = "referrals"
    # How often the audit service archives the workflow runs that have ended: Temporal deletes
    # each one its namespace's retention period after it ended, so keep this well under that.
    audit_sweep_seconds: float = Field(300.0, gt=0)
    # Mutual TLS to the frontend: each process's own certificate (production requires it).
    temporal_tls: TemporalTlsSettings = Field(default_factory=TemporalTlsSettings)
    lifecycle: LifecyclePolicy = Field(default_factory=LifecyclePolicy)
    # Base64 AES-256 keys by id; payloads are encrypted under the active one. Rotate by adding
    # a key, making it active, and keeping the old one until no history needs it.
    payload_keys: dict[str, SecretStr] = Field(
        default_factory=lambda: {DEV_PAYLOAD_KEY_ID: SecretStr(DEV_PAYLOAD_KEY)}
    )
    payload_active_key: str = DEV_PAYLOAD_KEY_ID

    kafka_bootstrap_servers: str | None = None
    # Prefixing every topic lets several deployments (or tests) share one cluster.
    kafka_topic_prefix: str = ""
    kafka_consumer_group_prefix: str = "safeguard"
    # A message that keeps failing is retried this often (backoff doubling), then dead-lettered.
    kafka_handler_max_attempts: int = 5
    kafka_handler_retry_seconds: float = 0.2

    # Services' internal APIs (never exposed publicly), called with each service's own token.
    intake_internal_url: str | None = None
    panel_internal_url: str | None = None
    service_auth: ServiceAuthSettings = Field(default_factory=ServiceAuthSettings)
    # Retired: one token shared by every service. Production refuses it, so a deployment that
    # still sets it is told to give each calling service its own client credentials instead.
    internal_api_token: SecretStr | None = None
    notifications: NotificationSettings = Field(default_factory=NotificationSettings)
    panel: PanelSettings = Field(default_factory=PanelSettings)
    telemetry: TelemetrySettings = Field(default_factory=TelemetrySettings)
    web: WebSettings = Field(default_factory=WebSettings)
    statistics: StatisticsSettings = Field(default_factory=StatisticsSettings)
    # Personal fields at rest: the key provider and the blind-index key.
    fields: FieldSettings = Field(default_factory=FieldSettings)
    # Documents attached to cases: size limit, virus scanner and object store.
    attachments: AttachmentSettings = Field(default_factory=AttachmentSettings)
    # HMAC key of the hash chain the audit log replaced: its imported rows are checked with it,
    # so production needs a real one only where the log is signed or verified (the audit service).
    audit_chain_key: SecretStr = SecretStr(DEV_AUDIT_CHAIN_KEY)
    audit_log: AuditLogSettings = Field(default_factory=AuditLogSettings)

    # Staff bearer tokens: a fixed public key set (JSON) of issuer `staff_token_issuer`, and
    # the audience every staff token must name. Unset outside production: the local key
    # `safeguard tokens mint` signs with (under data_dir/keys) is trusted for that issuer.
    staff_jwks: SecretStr | None = None
    staff_token_issuer: str = "safeguard-dev"  # noqa: S105 - a name, not a secret
    staff_token_audience: str = "safeguard"  # noqa: S105 - a name, not a secret
    # The organisation's OpenID Connect issuer, exactly as its tokens' `iss` (keys found through
    # <issuer>/.well-known/openid-configuration). Unset outside production: the embedded
    # Keycloak's realm, http://127.0.0.1:<stack.keycloak>/realms/safeguard.
    staff_oidc_issuer: str | None = None
    staff_oidc_jwks_lifetime_seconds: float = 300.0
    # At most one key set fetch per interval for unknown key ids, or after a failed fetch.
    staff_oidc_refetch_seconds: float = 30.0
    staff_oidc_timeout_seconds: float = 5.0
    # Which claims hold subject, roles, areas, agency and provider (safeguard.auth.claims).
    staff_claims: StaffClaimNames = Field(default_factory=StaffClaimNames)
    # Browser origins of the Temporal Web UI allowed to call the codec service (CORS).
    codec_cors_origins: list[str] = Field(
        default_factory=lambda: ["http://127.0.0.1:8233", "http://localhost:8233"]
    )

    @model_validator(mode="after")
    def _no_placeholder_secrets_in_production(self) -> Settings:
        if self.environment == "production" and self._has_dev_payload_key():
            raise PlaceholderSecretError("the development payload key is not allowed in production")
        if self.environment == "production" and self.internal_api_token is not None:
            raise PlaceholderSecretError(
                "SAFEGUARD_INTERNAL_API_TOKEN is retired: remove it and give each calling service "
                "its own client credentials (SAFEGUARD_SERVICE_AUTH__CLIENT_ID and __CLIENT_SECRET)"
            )
        if (
            self.environment == "production"
            and self._signs_or_verifies_the_audit_log()
            and self.audit_chain_key.get_secret_value() == DEV_AUDIT_CHAIN_KEY
        ):
            raise PlaceholderSecretError(
                "set SAFEGUARD_AUDIT_CHAIN_KEY: this process signs or verifies the audit log, whose"
                " rows imported from the hash chain are checked with it; the default is public"
            )
        return self

    def _signs_or_verifies_the_audit_log(self) -> bool:
        # Only verification uses the chain key (on the imported rows), and in production only a
        # process given the signing key file or the verifier key can verify; writers need none.
        return (
            self.audit_log.signing_key_file is not None or self.audit_log.verifier_key is not None
        )

    def _has_dev_payload_key(self) -> bool:
        # By value as well as id: the public key under another id is still no secret.
        dev = _key_bytes(DEV_PAYLOAD_KEY)
        values = (_key_bytes(key.get_secret_value()) for key in self.payload_keys.values())
        return DEV_PAYLOAD_KEY_ID in self.payload_keys or dev in values

    def database_dsn(self) -> str:
        """The configured PostgreSQL DSN, or the embedded stack's."""
        if self.database_url is not None:
            return str(self.database_url)
        return f"postgresql://safeguard@127.0.0.1:{self.stack.postgres}/safeguard"

    def temporal_target(self) -> str:
        """The configured Temporal frontend address, or the embedded stack's."""
        return self.temporal_address or f"127.0.0.1:{self.stack.temporal}"

    def kafka_servers(self) -> str:
        """The configured Kafka bootstrap servers, or the embedded broker."""
        return self.kafka_bootstrap_servers or f"127.0.0.1:{self.stack.kafka}"

    def clamd_address(self) -> str:
        """host:port of the virus scanner: the configured one, or the embedded stack's clamd."""
        scanner = self.attachments
        return f"{scanner.clamd_host or '127.0.0.1'}:{scanner.clamd_port or self.stack.clamd}"

    def intake_internal_base(self) -> str:
        """The intake service's internal API base URL (the local one by default)."""
        return self.intake_internal_url or f"http://127.0.0.1:{self.services.intake}"

    def panel_internal_base(self) -> str:
        """The panel service's internal API base URL (the local one by default)."""
        return self.panel_internal_url or f"http://127.0.0.1:{self.services.panel}"

    def web_public_base(self) -> str:
        """Where people reach the web front end (`web.public_url`; loopback by default)."""
        return (self.web.public_url or f"http://127.0.0.1:{self.services.web}").rstrip("/")

    def topic(self, name: str) -> str:
        """The physical topic name for a logical topic."""
        return f"{self.kafka_topic_prefix}{name}"

    def consumer_group(self, name: str) -> str:
        """The consumer group id for a logical consumer."""
        return f"{self.kafka_consumer_group_prefix}.{name}"


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings; tests build their own `Settings` instead."""
    return Settings()
