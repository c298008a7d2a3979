"""The Temporal client every process builds once, with one data converter and tracing."""

from __future__ import annotations

from temporalio.client import Client
from temporalio.contrib.opentelemetry import TracingInterceptor
from temporalio.contrib.pydantic import pydantic_data_converter

from safeguard.settings import Settings


async def connect_temporal(settings: Settings) -> Client:
    """Connect to the configured Temporal frontend; workers inherit the interceptors."""
    return await Client.connect(
        settings.temporal_target(),
        namespace=settings.temporal_namespace,
        data_converter=pydantic_data_converter,
        interceptors=[TracingInterceptor()],
    )
