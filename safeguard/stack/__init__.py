"""The embedded local stack: PostgreSQL, Kafka, Temporal, Keycloak and clamd as local processes.

`safeguard stack up|down|status|fetch` drives it; tests and benchmarks use `Stack` directly.
"""

from __future__ import annotations

from safeguard.stack.component import ComponentStatus
from safeguard.stack.errors import StackError
from safeguard.stack.kafka import fetch_kafka_classpath
from safeguard.stack.keycloak_dist import fetch_keycloak_zip
from safeguard.stack.manager import ALL_COMPONENTS, Stack

__all__ = [
    "ALL_COMPONENTS",
    "ComponentStatus",
    "Stack",
    "StackError",
    "fetch_kafka_classpath",
    "fetch_keycloak_zip",
]
