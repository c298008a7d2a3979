"""The Temporal client every process builds once: encrypted payloads, tracing, search keys."""

from __future__ import annotations

import dataclasses

from temporalio.client import Client
from temporalio.common import SearchAttributeKey
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.converter import DataConverter
from temporalio.runtime import Runtime
from temporalio.service import TLSConfig

from safeguard.case_tracing import CaseTracingInterceptor
from safeguard.codec import EncryptionCodec, decode_key
from safeguard.settings import Settings

# Search attributes hold only ids, stage, area and dates: never personal data.
CASE_STAGE = SearchAttributeKey.for_keyword("CaseStage")
CASE_AREA = SearchAttributeKey.for_keyword("CaseArea")
REFERRAL_REFERENCE = SearchAttributeKey.for_keyword("ReferralReference")
SEARCH_ATTRIBUTES = (CASE_STAGE, CASE_AREA, REFERRAL_REFERENCE)


def codec_for(settings: Settings) -> EncryptionCodec:
    """The payload codec configured by `payload_keys` and `payload_active_key`."""
    keys = {
        key_id: decode_key(key.get_secret_value()) for key_id, key in settings.payload_keys.items()
    }
    return EncryptionCodec(keys, active_key_id=settings.payload_active_key)


def data_converter_for(settings: Settings) -> DataConverter:
    """Pydantic-aware JSON, then AES-GCM over every payload."""
    return dataclasses.replace(pydantic_data_converter, payload_codec=codec_for(settings))


def tls_config_for(settings: Settings) -> TLSConfig | bool:
    """Mutual TLS from `temporal_tls` (False: plain text, refused in production)."""
    if settings.environment == "production":
        settings.temporal_tls.refuse_plaintext()
    files = settings.temporal_tls.read()
    if files is None:
        return False
    return TLSConfig(
        client_cert=files.client_cert,
        client_private_key=files.client_key,
        server_root_ca_cert=files.server_ca,
        domain=files.server_name,
    )


async def connect_temporal(
    settings: Settings, *, runtime: Runtime | None = None, lazy: bool = False
) -> Client:
    """Connect to the configured Temporal frontend; workers inherit the interceptors.

    `runtime` carries the SDK's own telemetry (the worker passes one exporting its metrics).
    `lazy` connects at the first call instead, so a service starts while Temporal is down.
    """
    return await Client.connect(
        settings.temporal_target(),
        namespace=settings.temporal_namespace,
        data_converter=data_converter_for(settings),
        interceptors=[CaseTracingInterceptor()],
        tls=tls_config_for(settings),
        runtime=runtime,
        lazy=lazy,
    )
